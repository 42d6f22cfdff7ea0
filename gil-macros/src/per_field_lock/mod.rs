//! `#[per_field_lock]`: parse the arguments, read the struct, check it, write the locked type.

mod ast;
mod attr;
mod debug;
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
        || crate::common::stripped(item.clone(), strip_field),
    )
}

/// Whether the fallback drops a field attribute: `#[field(...)]`, and `#[cfg_attr]`s that
/// hold one at any depth, which nothing would read.
fn strip_field(attr: &syn::Attribute) -> bool {
    ast::is_field_attr(attr) || ast::mentions_field(&attr.meta)
}
