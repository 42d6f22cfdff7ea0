//! `#[atomic_rc]`: placeholder.
use proc_macro2::TokenStream;
pub(crate) fn expand(_args: TokenStream, input: TokenStream) -> TokenStream {
    input
}
