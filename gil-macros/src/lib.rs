//! Attribute macros of [`gil`](https://docs.rs/gil). Use them through the `gil` crate.

use proc_macro::TokenStream;

/// Placeholder.
#[proc_macro_attribute]
pub fn global_lock(_args: TokenStream, input: TokenStream) -> TokenStream {
    input
}
