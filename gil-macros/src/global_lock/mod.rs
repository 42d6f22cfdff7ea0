//! `#[global_lock]`: parse the arguments, read the struct, check it, write the GIL-protected type.

mod ast;
mod attr;
mod expand;

use proc_macro2::TokenStream;

pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match syn::parse2::<syn::Item>(input) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let args = syn::parse2::<attr::Args>(args);
    let parsed = ast::Input::from_syn(&item);
    match (args, parsed) {
        (Ok(args), Ok(input)) => expand::expand(&args, &input),
        (args, parsed) => {
            let errors = [args.err(), parsed.err()].into_iter().flatten();
            let error = crate::common::combine(errors).expect_err("one of the two failed");
            crate::common::fallback(strip_fields(item), &error)
        }
    }
}

/// The item as the fallback emits it: unchanged, minus the other strategy attributes that
/// would report the same conflict again.
fn strip_fields(mut item: syn::Item) -> syn::Item {
    if let syn::Item::Struct(s) = &mut item {
        s.attrs.retain(|a| {
            !a.path().segments.last().is_some_and(|seg| {
                crate::common::STRATEGIES.contains(&seg.ident.to_string().as_str())
            })
        });
    }
    item
}
