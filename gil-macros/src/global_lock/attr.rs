//! The arguments of `#[global_lock(...)]`.

use syn::parse::{Parse, ParseStream};
use syn::{Ident, Path, Token};

use crate::common::{rename, set_once, unknown_argument, value};

const ATTRIBUTE: &str = "global_lock";
const EXPECTED: &str = "expected one of: `domain = Type`, `fields = Name`, `debug`, \
                        `crate = path`, `constructor = name`, `into_handle = name`, \
                        `fields_mut = name`, `debug = name`";

mod kw {
    syn::custom_keyword!(constructor);
    syn::custom_keyword!(into_handle);
    syn::custom_keyword!(fields_mut);
    syn::custom_keyword!(domain);
    syn::custom_keyword!(fields);
    syn::custom_keyword!(debug);
}

/// `#[global_lock(domain = Type, fields = Name, debug, crate = path, constructor = name,
/// into_handle = name, fields_mut = name, debug = name)]`, all optional.
#[derive(Default)]
pub struct Args {
    /// The GIL domain of the struct (the default domain if absent).
    pub domain: Option<syn::Type>,
    /// The name of the struct's twin with plain fields, if one is wanted.
    pub fields: Option<Ident>,
    /// The path of the `gilkit` crate, for crates that rename it.
    pub krate: Option<Path>,
    /// The name of the generated constructor (`new` by default).
    pub constructor: Option<Ident>,
    /// The name of the generated `into_handle`.
    pub into_handle: Option<Ident>,
    /// The name of the generated `fields_mut`.
    pub fields_mut: Option<Ident>,
    /// `debug` (the key, for the method's default name) or `debug = name`: a `Debug` view of the
    /// fields under the token.
    pub debug: Option<Ident>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            if input.peek(kw::domain) {
                let key = input.parse::<kw::domain>()?;
                let domain = value(
                    input,
                    "`domain` takes the type of a GIL domain: `domain = Physics`, declared with \
                     `gilkit::domain!(pub Physics);`",
                )?;
                set_once(&mut args.domain, domain, key.span, ATTRIBUTE, "domain")?;
            } else if input.peek(kw::fields) {
                let key = input.parse::<kw::fields>()?;
                let name = value(
                    input,
                    "`fields` takes a name for the struct of plain fields: `fields = AccountFields`",
                )?;
                set_once(&mut args.fields, name, key.span, ATTRIBUTE, "fields")?;
            } else if input.peek(kw::debug) {
                let key = input.parse::<kw::debug>()?;
                let name = if input.peek(Token![=]) {
                    value(input, "`debug` takes a function name: `debug = show`")?
                } else {
                    Ident::new("debug", key.span)
                };
                set_once(&mut args.debug, name, key.span, ATTRIBUTE, "debug")?;
            } else if input.peek(Token![crate]) {
                let key = input.parse::<Token![crate]>()?;
                let path = value(
                    input,
                    "`crate` takes a path to the gilkit crate: `crate = ::gilkit`",
                )?;
                set_once(&mut args.krate, path, key.span, ATTRIBUTE, "crate")?;
            } else if input.peek(kw::constructor) {
                let key = input.parse::<kw::constructor>()?;
                rename(
                    input,
                    key.span,
                    &mut args.constructor,
                    ATTRIBUTE,
                    "constructor",
                    "create",
                )?;
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
            } else if input.peek(kw::fields_mut) {
                let key = input.parse::<kw::fields_mut>()?;
                rename(
                    input,
                    key.span,
                    &mut args.fields_mut,
                    ATTRIBUTE,
                    "fields_mut",
                    "borrow_all",
                )?;
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

impl Args {
    /// The names of the generated methods, each with its default.
    pub fn names(&self) -> [Ident; 3] {
        let name = |given: &Option<Ident>, default: &str| {
            given
                .clone()
                .unwrap_or_else(|| Ident::new(default, proc_macro2::Span::call_site()))
        };
        [
            name(&self.constructor, "new"),
            name(&self.into_handle, "into_handle"),
            name(&self.fields_mut, "fields_mut"),
        ]
    }
}
