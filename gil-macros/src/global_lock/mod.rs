//! `#[global_lock]`: parse the arguments, read the struct, check it, write the GIL-protected type.

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
        || crate::common::stripped(item.clone(), |_| false),
    )
}
