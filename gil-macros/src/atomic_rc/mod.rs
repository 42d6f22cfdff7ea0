//! `#[atomic_rc]`: parse the options, read the struct, check both, write the shared handle.

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
    crate::common::run::<attr::Args, _>(
        args,
        &item,
        ast::Input::from_syn,
        valid::validate,
        expand::expand,
        || strip_strategies(item.clone()),
    )
}

/// The item as the fallback emits it: unchanged, minus the other strategy attributes that
/// would report the same conflict again.
fn strip_strategies(mut item: syn::Item) -> syn::Item {
    if let syn::Item::Struct(s) = &mut item {
        s.attrs.retain(|a| {
            !a.path().segments.last().is_some_and(|seg| {
                crate::common::STRATEGIES.contains(&seg.ident.to_string().as_str())
            })
        });
    }
    item
}
