//! The arguments of `#[atomic_rc(...)]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Path, Token};

use crate::common::{rename, set_once, unknown_argument, value};

const ATTRIBUTE: &str = "atomic_rc";
const EXPECTED: &str = "expected one of: `biased`, `hybrid`, `immortal`, `collect`, \
                        `handle = Name`, `into_handle = name`, `crate = path`";

mod kw {
    syn::custom_keyword!(biased);
    syn::custom_keyword!(hybrid);
    syn::custom_keyword!(immortal);
    syn::custom_keyword!(handle);
    syn::custom_keyword!(into_handle);
    syn::custom_keyword!(collect);
}

/// `#[atomic_rc(biased | hybrid | immortal | collect, handle = Name, into_handle = name,
/// crate = path)]`, all optional.
#[derive(Default)]
pub struct Args {
    /// `biased`: where it was written.
    pub biased: Option<Span>,
    /// `hybrid`: where it was written.
    pub hybrid: Option<Span>,
    /// `immortal`: where it was written.
    pub immortal: Option<Span>,
    /// `collect`: where it was written.
    pub collect: Option<Span>,
    /// The name of the handle type (`NameRc` by default).
    pub handle: Option<Ident>,
    /// The name of the method that makes a handle (`into_handle` by default).
    pub into_handle: Option<Ident>,
    /// The path of the `gilkit` crate, for crates that rename it.
    pub krate: Option<Path>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            if input.peek(kw::biased) {
                let key = input.parse::<kw::biased>()?;
                set_once(&mut args.biased, key.span, key.span, ATTRIBUTE, "biased")?;
            } else if input.peek(kw::hybrid) {
                let key = input.parse::<kw::hybrid>()?;
                set_once(&mut args.hybrid, key.span, key.span, ATTRIBUTE, "hybrid")?;
            } else if input.peek(kw::immortal) {
                let key = input.parse::<kw::immortal>()?;
                set_once(
                    &mut args.immortal,
                    key.span,
                    key.span,
                    ATTRIBUTE,
                    "immortal",
                )?;
            } else if input.peek(kw::collect) {
                let key = input.parse::<kw::collect>()?;
                set_once(&mut args.collect, key.span, key.span, ATTRIBUTE, "collect")?;
            } else if input.peek(kw::handle) {
                let key = input.parse::<kw::handle>()?;
                let name = value(input, "`handle` takes a type name: `handle = NodeRef`")?;
                set_once(&mut args.handle, name, key.span, ATTRIBUTE, "handle")?;
            } else if input.peek(kw::into_handle) {
                let key = input.parse::<kw::into_handle>()?;
                rename(
                    input,
                    key.span,
                    &mut args.into_handle,
                    ATTRIBUTE,
                    "into_handle",
                    "share",
                )?;
            } else if input.peek(Token![crate]) {
                let key = input.parse::<Token![crate]>()?;
                let path = value(
                    input,
                    "`crate` takes a path to the gilkit crate: `crate = ::gilkit`",
                )?;
                set_once(&mut args.krate, path, key.span, ATTRIBUTE, "crate")?;
            } else {
                return Err(unknown_argument(input, ATTRIBUTE, EXPECTED));
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}
