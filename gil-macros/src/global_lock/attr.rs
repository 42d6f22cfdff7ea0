//! The arguments of `#[global_lock(...)]`.

use syn::parse::{Parse, ParseStream};
use syn::{Ident, Path, Token};

use crate::common::{set_once, unknown_argument, value};

const ATTRIBUTE: &str = "global_lock";
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
                let path = value(
                    input,
                    "`crate` takes a path to the gil crate: `crate = ::gil`",
                )?;
                set_once(&mut args.krate, path, key.span, ATTRIBUTE, "crate")?;
            } else if input.peek(kw::constructor) {
                let key = input.parse::<kw::constructor>()?;
                let name = value(
                    input,
                    "`constructor` takes a function name: `constructor = create`",
                )?;
                set_once(
                    &mut args.constructor,
                    name,
                    key.span,
                    ATTRIBUTE,
                    "constructor",
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
