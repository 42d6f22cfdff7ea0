//! The arguments of `#[atomic_rc(...)]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Path, Token};

const EXPECTED: &str =
    "expected one of: `biased`, `immortal`, `collect`, `handle = Name`, `crate = path`";

mod kw {
    syn::custom_keyword!(biased);
    syn::custom_keyword!(immortal);
    syn::custom_keyword!(handle);
    syn::custom_keyword!(collect);
}

/// `#[atomic_rc(biased | immortal | collect, handle = Name, crate = path)]`, all optional.
#[derive(Default)]
pub struct Args {
    /// `biased`: where it was written.
    pub biased: Option<Span>,
    /// `immortal`: where it was written.
    pub immortal: Option<Span>,
    /// `collect`: where it was written.
    pub collect: Option<Span>,
    /// The name of the handle type (`NameRc` by default).
    pub handle: Option<Ident>,
    /// The path of the `gil` crate, for crates that rename it.
    pub krate: Option<Path>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            if input.peek(kw::biased) {
                let key = input.parse::<kw::biased>()?;
                set(&mut args.biased, key.span, key.span, "biased")?;
            } else if input.peek(kw::immortal) {
                let key = input.parse::<kw::immortal>()?;
                set(&mut args.immortal, key.span, key.span, "immortal")?;
            } else if input.peek(kw::collect) {
                let key = input.parse::<kw::collect>()?;
                set(&mut args.collect, key.span, key.span, "collect")?;
            } else if input.peek(kw::handle) {
                let key = input.parse::<kw::handle>()?;
                input.parse::<Token![=]>()?;
                let name = input.parse().map_err(|e: syn::Error| {
                    syn::Error::new(e.span(), "`handle` takes a type name: `handle = NodeRef`")
                })?;
                set(&mut args.handle, name, key.span, "handle")?;
            } else if input.peek(Token![crate]) {
                let key = input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                let path = input.parse().map_err(|e: syn::Error| {
                    syn::Error::new(
                        e.span(),
                        "`crate` takes a path to the gil crate: `crate = ::gil`",
                    )
                })?;
                set(&mut args.krate, path, key.span, "crate")?;
            } else if input.peek(Ident) {
                let unknown: Ident = input.parse()?;
                return Err(syn::Error::new(
                    unknown.span(),
                    format!("unknown `#[atomic_rc]` option `{unknown}`; {EXPECTED}"),
                ));
            } else {
                return Err(input.error(format!("unexpected `#[atomic_rc]` option; {EXPECTED}")));
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}

/// Sets an option once; a second occurrence is an error on the second key.
fn set<T>(slot: &mut Option<T>, value: T, key: Span, name: &str) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            key,
            format!("duplicate `#[atomic_rc]` option `{name}`"),
        ));
    }
    *slot = Some(value);
    Ok(())
}
