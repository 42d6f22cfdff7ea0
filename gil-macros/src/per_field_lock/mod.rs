//! `#[per_field_lock]`: parse the arguments, read the struct, check it, write the locked type.

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;

pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match syn::parse2::<syn::Item>(input) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let args = syn::parse2::<attr::Args>(args);
    let parsed = ast::Input::from_syn(&item);
    let checked = match (&args, &parsed) {
        (Ok(args), Ok(input)) => valid::validate(args, input),
        _ => Ok(()),
    };
    match (args, parsed, checked) {
        (Ok(args), Ok(input), Ok(())) => expand::expand(&args, &input),
        (args, parsed, checked) => {
            let errors = [args.err(), parsed.err(), checked.err()]
                .into_iter()
                .flatten();
            match crate::common::combine(errors) {
                Err(error) => {
                    crate::common::fallback(crate::common::stripped(item, strip_field), &error)
                }
                Ok(()) => TokenStream::new(),
            }
        }
    }
}

/// Whether the fallback drops a field attribute: `#[field(...)]`, and `#[cfg_attr]`s that
/// hold one at any depth, which nothing would read.
fn strip_field(attr: &syn::Attribute) -> bool {
    ast::is_field_attr(attr) || ast::mentions_field(&attr.meta)
}
