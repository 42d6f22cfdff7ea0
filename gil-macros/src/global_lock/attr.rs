//! The arguments of `#[global_lock(...)]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Path, Token};

const EXPECTED: &str = "expected one of: `crate = path`, `constructor = name`";

mod kw {
    syn::custom_keyword!(constructor);
}

/// `#[global_lock(crate = path, constructor = name)]`, both optional.
#[derive(Default)]
pub struct Args {
    /// The path of the `gil` crate, for crates that rename it.
    pub krate: Option<Path>,
    /// The name of the generated constructor (`new` by default).
    pub constructor: Option<Ident>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            if input.peek(Token![crate]) {
                let key = input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                let path = input.parse().map_err(|e: syn::Error| {
                    syn::Error::new(
                        e.span(),
                        "`crate` takes a path to the gil crate: `crate = ::gil`",
                    )
                })?;
                set(&mut args.krate, path, key.span, "crate")?;
            } else if input.peek(kw::constructor) {
                let key = input.parse::<kw::constructor>()?;
                input.parse::<Token![=]>()?;
                let name = input.parse().map_err(|e: syn::Error| {
                    syn::Error::new(
                        e.span(),
                        "`constructor` takes a function name: `constructor = create`",
                    )
                })?;
                set(&mut args.constructor, name, key.span, "constructor")?;
            } else if input.peek(Ident) {
                let unknown: Ident = input.parse()?;
                return Err(syn::Error::new(
                    unknown.span(),
                    format!("unknown `#[global_lock]` argument `{unknown}`; {EXPECTED}"),
                ));
            } else {
                return Err(
                    input.error(format!("unexpected `#[global_lock]` argument; {EXPECTED}"))
                );
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}

/// Sets an argument once; a second occurrence is an error on the second key.
fn set<T>(slot: &mut Option<T>, value: T, key: Span, name: &str) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            key,
            format!("duplicate `#[global_lock]` argument `{name}`"),
        ));
    }
    *slot = Some(value);
    Ok(())
}
