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
    let parsed = ast::Input::from_syn(&item).and_then(|input| {
        valid::validate(&input)?;
        Ok(input)
    });
    match (args, parsed) {
        (Ok(args), Ok(input)) => expand::expand(&args, &input),
        (args, parsed) => {
            let errors = [args.err(), parsed.err()].into_iter().flatten();
            match crate::common::combine(errors) {
                Err(error) => crate::common::fallback(strip(item), &error),
                Ok(()) => TokenStream::new(),
            }
        }
    }
}

/// The item as the fallback emits it: unchanged, minus the `#[field(...)]` options and the other
/// strategy attributes, which would only add errors of their own.
fn strip(mut item: syn::Item) -> syn::Item {
    if let syn::Item::Struct(s) = &mut item {
        s.attrs.retain(|a| {
            !a.path().segments.last().is_some_and(|seg| {
                crate::common::STRATEGIES.contains(&seg.ident.to_string().as_str())
            })
        });
        for field in &mut s.fields {
            field.attrs.retain(|a| !ast::is_field_attr(a));
        }
    }
    item
}
