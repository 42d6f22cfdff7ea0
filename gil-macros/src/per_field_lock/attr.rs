//! The arguments of `#[per_field_lock(...)]` and the options of `#[field(...)]`.

use proc_macro2::Span;
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Path, Token};

use crate::common::{rename, set_once, unknown_argument, value};

const ATTRIBUTE: &str = "per_field_lock";
const EXPECTED: &str = "expected one of: `padded`, `rc = atomic | biased | hybrid | immortal`, \
                        `fields = Name`, `crate = path`, `constructor = name`, \
                        `into_handle = name`, `class = \"TypeName\"`";
const EXPECTED_RC: &str = "expected one of: `atomic`, `biased`, `hybrid`, `immortal`";
const EXPECTED_FIELD: &str = "expected one of: `rw`, `no_lock`";

mod kw {
    syn::custom_keyword!(constructor);
    syn::custom_keyword!(into_handle);
    syn::custom_keyword!(class);
    syn::custom_keyword!(fields);
    syn::custom_keyword!(padded);
    syn::custom_keyword!(rc);
    syn::custom_keyword!(rw);
    syn::custom_keyword!(no_lock);
}

/// `#[per_field_lock(padded, rc = atomic, fields = Name, crate = path, constructor = name,
/// into_handle = name, class = "Name")]`, all optional.
#[derive(Default)]
pub struct Args {
    /// `padded`: each locked field on a cache line of its own.
    pub padded: Option<Span>,
    /// `rc = ..`: the counts that `into_handle` shares the object through, instead of an `Arc`.
    pub rc: Option<(Counts, Span)>,
    /// The name of the struct's twin with plain fields, if one is wanted.
    pub fields: Option<Ident>,
    /// The path of the `gilkit` crate, for crates that rename it.
    pub krate: Option<Path>,
    /// The name of the generated constructor (`new` by default).
    pub constructor: Option<Ident>,
    /// The name of the generated `into_handle`.
    pub into_handle: Option<Ident>,
    /// The type part of the lock classes (`Name.field`); the struct's name by default.
    pub class: Option<LitStr>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            if input.peek(kw::padded) {
                let key = input.parse::<kw::padded>()?;
                set_once(&mut args.padded, key.span, key.span, ATTRIBUTE, "padded")?;
            } else if input.peek(kw::rc) {
                let key = input.parse::<kw::rc>()?;
                input.parse::<Token![=]>().map_err(|_| {
                    syn::Error::new(
                        key.span,
                        format!("`rc` takes the counts: `rc = biased`; {EXPECTED_RC}"),
                    )
                })?;
                let counts: Counts = input.parse()?;
                set_once(&mut args.rc, (counts, key.span), key.span, ATTRIBUTE, "rc")?;
            } else if input.peek(kw::fields) {
                let key = input.parse::<kw::fields>()?;
                let name = value(
                    input,
                    "`fields` takes a name for the struct of plain fields: `fields = AccountFields`",
                )?;
                set_once(&mut args.fields, name, key.span, ATTRIBUTE, "fields")?;
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
            } else if input.peek(kw::class) {
                let key = input.parse::<kw::class>()?;
                let name = value(input, "`class` takes a string: `class = \"Account\"`")?;
                set_once(&mut args.class, name, key.span, ATTRIBUTE, "class")?;
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
    /// The names of the generated constructor and `into_handle`, each with its default.
    pub fn names(&self) -> [Ident; 2] {
        let name = |given: &Option<Ident>, default: &str| {
            given
                .clone()
                .unwrap_or_else(|| Ident::new(default, Span::call_site()))
        };
        [
            name(&self.constructor, "new"),
            name(&self.into_handle, "into_handle"),
        ]
    }
}

/// `rc = ..`: the library's own counts, as `#[atomic_rc]` has them, around a locked object.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Counts {
    /// `rc = atomic`: `Arc`'s protocol.
    Atomic,
    /// `rc = biased`: PEP 703's biased counts, owned by the thread that calls `into_handle`.
    Biased,
    /// `rc = hybrid`: `Arc`'s counts, and `Rc`'s for the `LocalRc`s of the thread that calls
    /// `into_handle`.
    Hybrid,
    /// `rc = immortal`: never counted, never freed.
    Immortal,
}

impl Counts {
    /// The `refcount::Mode` variant of these counts.
    pub fn mode(self) -> &'static str {
        match self {
            Counts::Atomic => "Atomic",
            Counts::Biased => "Biased",
            Counts::Hybrid => "Hybrid",
            Counts::Immortal => "Immortal",
        }
    }
}

impl Parse for Counts {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = Ident::parse_any(input)
            .map_err(|e| syn::Error::new(e.span(), format!("`rc` takes a name; {EXPECTED_RC}")))?;
        // `rc = r#biased` names the same counts (a raw identifier is the same name).
        match name.unraw().to_string().as_str() {
            "atomic" => Ok(Counts::Atomic),
            "biased" => Ok(Counts::Biased),
            "hybrid" => Ok(Counts::Hybrid),
            "immortal" => Ok(Counts::Immortal),
            "collect" => Err(syn::Error::new(
                name.span(),
                "`rc = collect` is not supported: the cycle collector would trace through the \
                 field locks while other threads hold them; break cycles with \
                 `refcount::Weak`, or use `#[atomic_rc(collect)]` with locks in its fields",
            )),
            _ => Err(syn::Error::new(
                name.span(),
                format!("unknown counts `{name}`; {EXPECTED_RC}"),
            )),
        }
    }
}

/// How a field is guarded.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// A `FieldLock` (mutex), the default.
    #[default]
    Mutex,
    /// `#[field(rw)]`: a `RwFieldLock`.
    Rw,
    /// `#[field(no_lock)]`: the field stays as it is, read-only once the object is shared.
    NoLock,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Mutex => "mutex",
            Kind::Rw => "rw",
            Kind::NoLock => "no_lock",
        }
    }
}

/// The options of one `#[field(...)]` attribute.
#[derive(Default, Clone)]
pub struct FieldOptions {
    /// The kind, with the span of the option that chose it.
    pub kind: Option<(Kind, Span)>,
}

impl FieldOptions {
    /// Merges the options of another `#[field(...)]` on the same field.
    pub fn merge(&mut self, other: &FieldOptions) -> syn::Result<()> {
        if let Some((kind, span)) = other.kind {
            self.set_kind(kind, span)?;
        }
        Ok(())
    }

    /// Sets the kind once: the same option twice is a duplicate, two kinds exclude each other.
    fn set_kind(&mut self, kind: Kind, span: Span) -> syn::Result<()> {
        match self.kind {
            None => {
                self.kind = Some((kind, span));
                Ok(())
            }
            Some((old, _)) if old == kind => Err(syn::Error::new(
                span,
                format!("duplicate field option `{}`", kind.name()),
            )),
            Some((old, _)) => Err(syn::Error::new(
                span,
                format!(
                    "field option `{}` cannot be combined with `{}`: a `no_lock` field has no lock \
                     to make read-write; keep one of them",
                    kind.name(),
                    old.name()
                ),
            )),
        }
    }
}

impl Parse for FieldOptions {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut options = FieldOptions::default();
        if input.is_empty() {
            return Err(input.error(format!("empty `#[field()]`; {EXPECTED_FIELD}")));
        }
        while !input.is_empty() {
            if input.peek(kw::rw) {
                let key = input.parse::<kw::rw>()?;
                options.set_kind(Kind::Rw, key.span)?;
            } else if input.peek(kw::no_lock) {
                let key = input.parse::<kw::no_lock>()?;
                options.set_kind(Kind::NoLock, key.span)?;
            } else if input.peek(Ident::peek_any) {
                let unknown: Ident = Ident::parse_any(input)?;
                return Err(syn::Error::new(
                    unknown.span(),
                    format!("unknown field option `{unknown}`; {EXPECTED_FIELD}"),
                ));
            } else {
                return Err(input.error(format!("unexpected field option; {EXPECTED_FIELD}")));
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(options)
    }
}

/// Parses a `field(...)` attribute (or an item of a `cfg_attr`), which must be a list.
pub fn field_options(meta: &syn::Meta) -> syn::Result<FieldOptions> {
    match meta {
        syn::Meta::List(list) => list.parse_args(),
        _ => Err(syn::Error::new_spanned(
            meta,
            format!("`#[field]` takes options in parentheses: `#[field(rw)]`; {EXPECTED_FIELD}"),
        )),
    }
}
