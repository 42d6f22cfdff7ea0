//! Names and visibilities of the generated items: no wider than the fields they reach, never
//! colliding with the user's names.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt as _;

/// How far a visibility reaches, for comparison.
enum Reach {
    /// Private to the module (no `pub`, or `pub(self)`).
    Module,
    /// `pub(super)`, `pub(in path)`: the path, made of `super`s or rooted at `crate`.
    Within(syn::Path),
    /// `pub(crate)`.
    Crate,
    /// `pub`.
    Public,
}

fn reach(vis: &syn::Visibility) -> Reach {
    match vis {
        syn::Visibility::Public(_) => Reach::Public,
        syn::Visibility::Inherited => Reach::Module,
        syn::Visibility::Restricted(r) => {
            if r.path.is_ident("crate") {
                Reach::Crate
            } else if r.path.is_ident("self") {
                Reach::Module
            } else {
                Reach::Within((*r.path).clone())
            }
        }
    }
}

/// The narrower of two reaches; two paths that do not nest make the item private, which is
/// always narrow enough.
fn narrower(a: Reach, b: Reach) -> Reach {
    match (a, b) {
        (Reach::Module, _) | (_, Reach::Module) => Reach::Module,
        (Reach::Within(a), Reach::Within(b)) => {
            let names = |p: &syn::Path| -> Vec<String> {
                p.segments.iter().map(|s| s.ident.to_string()).collect()
            };
            let (a_names, b_names) = (names(&a), names(&b));
            let ((short, short_names), (long, long_names)) = if a_names.len() <= b_names.len() {
                ((a, a_names), (b, b_names))
            } else {
                ((b, b_names), (a, a_names))
            };
            let supers = |p: &[String]| p.iter().all(|s| s == "super");
            if supers(&short_names) && supers(&long_names) {
                // `pub(super)` reaches less far than `pub(in super::super)`.
                Reach::Within(short)
            } else if short_names.first().is_some_and(|s| s == "crate")
                && long_names.starts_with(&short_names)
            {
                // `pub(in crate::a::b)` reaches less far than `pub(in crate::a)`.
                Reach::Within(long)
            } else {
                Reach::Module
            }
        }
        (Reach::Within(path), _) | (_, Reach::Within(path)) => Reach::Within(path),
        (Reach::Crate, _) | (_, Reach::Crate) => Reach::Crate,
        (Reach::Public, Reach::Public) => Reach::Public,
    }
}

/// The widest visibility that reaches no further than any of `visibilities`, and no further
/// than the crate if `crate_only` (the constructor of a `#[non_exhaustive]` struct): what a
/// generated item that reaches all of those fields may have (pin-project's rule).
pub fn narrowest<'a>(
    visibilities: impl IntoIterator<Item = &'a syn::Visibility>,
    crate_only: bool,
) -> TokenStream {
    let start = if crate_only {
        Reach::Crate
    } else {
        Reach::Public
    };
    match visibilities.into_iter().map(reach).fold(start, narrower) {
        Reach::Public => quote!(pub),
        Reach::Crate => quote!(pub(crate)),
        Reach::Module => TokenStream::new(),
        Reach::Within(path) if path.is_ident("super") => quote!(pub(super)),
        Reach::Within(path) => quote!(pub(in #path)),
    }
}

/// The name of the constructor's parameter for a field (`balance` → `__gil_balance`, `0` →
/// `__gil_0`): a `const balance` or `struct balance;` in scope would turn a parameter named
/// after the field into a pattern.
pub fn param(field: &syn::Ident) -> syn::Ident {
    format_ident!("__gil_{}", field.unraw())
}

/// `crate = path` as doc links write it: `::gilkit`, `crate`, `::locks`.
pub fn crate_path_doc(krate: Option<&syn::Path>) -> String {
    let Some(path) = krate else {
        return "::gilkit".to_owned();
    };
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|s| s.ident.unraw().to_string())
        .collect();
    let leading = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{leading}{}", segments.join("::"))
}

/// The `allow` on every generated block. The clippy groups that lint the user's own code by
/// default or on request (`all`, `pedantic`, `nursery`) are allowed; `restriction` is not: its
/// lints contradict each other, the generated code trips none of them (`tests/lints_hostile.rs`
/// denies the likely ones), and allowing the group would clash with a user's
/// `#![forbid(clippy::undocumented_unsafe_blocks)]`. `deprecated` is allowed only if a field is
/// deprecated (its accessor carries the deprecation to the callers), so that
/// `#![forbid(deprecated)]` stays usable otherwise.
///
/// The struct's own `#[allow(..)]`s reach the generated items too, also inside
/// `#[cfg_attr(..)]`: an `#[allow(dead_code)]` on the struct then covers the accessors and
/// constructor that the program does not use. An `#[expect(..)]` stays on the struct alone: as
/// an allow on the generated items it would make an unused struct look used (its constructor
/// reads every field), and leave the expectation unfulfilled.
pub fn lints_allowed(attribute: &str, item: &syn::ItemStruct) -> TokenStream {
    let reason = format!("generated by #[{attribute}]");
    let deprecated = super::any_deprecated(&item.fields).then(|| quote!(deprecated,));
    let forwarded = item.attrs.iter().filter_map(forwarded_allow);
    quote! {
        #[allow(
            #deprecated
            clippy::all,
            clippy::pedantic,
            clippy::nursery,
            reason = #reason
        )]
        #(#forwarded)*
    }
}

/// `attr` for the generated items, if it is an `allow` or a `cfg_attr` made only of allows.
fn forwarded_allow(attr: &syn::Attribute) -> Option<TokenStream> {
    fn as_allow(meta: &syn::Meta) -> Option<TokenStream> {
        let syn::Meta::List(list) = meta else {
            return None;
        };
        let tokens = &list.tokens;
        list.path.is_ident("allow").then(|| quote!(allow(#tokens)))
    }
    if attr.path().is_ident("cfg_attr") {
        let (predicate, metas) = super::split_cfg_attr(&attr.meta)?;
        let allows = metas.iter().map(as_allow).collect::<Option<Vec<_>>>()?;
        Some(quote!(#[cfg_attr(#predicate, #(#allows),*)]))
    } else {
        as_allow(&attr.meta).map(|allow| quote!(#[#allow]))
    }
}

/// An error for each generated method that would get the name of another: `names` holds each
/// method's name, the name the user gave (if any, where the error points), and the option that
/// renames it.
pub fn clashing_names(
    names: &[(syn::Ident, Option<&syn::Ident>, &str)],
    attribute: &str,
) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    for (j, (name, given, option)) in names.iter().enumerate() {
        let Some((_, _, earlier)) = names[..j]
            .iter()
            .find(|(other, ..)| other.unraw() == name.unraw())
        else {
            continue;
        };
        let span = given.map_or_else(proc_macro2::Span::call_site, syn::Ident::span);
        errors.push(syn::Error::new(
            span,
            format!(
                "`#[{attribute}]` would generate two methods named `{name}`, for `{earlier}` and \
                 `{option}`; give them different names: `#[{attribute}({option} = other_name)]`",
                name = name.unraw()
            ),
        ));
    }
    errors
}

/// The generated methods' names to check for clashes, starting with `into_fields` if `fields`
/// (`fields = Name`) asks for it, in which case an error is pushed if `Name` is the struct's own.
pub fn generated_names<'a>(
    fields: Option<&syn::Ident>,
    item: &syn::ItemStruct,
    attribute: &str,
    errors: &mut Vec<syn::Error>,
) -> Vec<(syn::Ident, Option<&'a syn::Ident>, &'static str)> {
    let Some(fields) = fields else {
        return Vec::new();
    };
    errors.extend(twin_named_like_the_struct(fields, item, attribute));
    vec![(
        syn::Ident::new("into_fields", fields.span()),
        None,
        "fields",
    )]
}

/// An error if `fields = Name` names the struct itself: the twin would be a second definition of
/// it.
fn twin_named_like_the_struct(
    name: &syn::Ident,
    item: &syn::ItemStruct,
    attribute: &str,
) -> Option<syn::Error> {
    (name.unraw() == item.ident.unraw()).then(|| {
        syn::Error::new(
            name.span(),
            format!(
                "`fields = {name}` names the struct itself; give the struct of plain fields a \
                 name of its own: `#[{attribute}(fields = {name}Fields)]`",
                name = name.unraw()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::narrowest;

    /// `narrowest` over visibilities written as in source, as a string.
    fn of(visibilities: &[&str], crate_only: bool) -> String {
        let parsed: Vec<syn::Visibility> = visibilities
            .iter()
            .map(|v| syn::parse_str(v).expect("a visibility"))
            .collect();
        narrowest(&parsed, crate_only).to_string()
    }

    #[test]
    fn narrowest_visibility_reaches_no_further_than_any_field() {
        assert_eq!(of(&["pub", "pub"], false), "pub");
        assert_eq!(of(&["pub"], true), "pub (crate)");
        assert_eq!(of(&["pub", "pub(crate)"], false), "pub (crate)");
        assert_eq!(of(&["pub(crate)", "pub"], false), "pub (crate)");
        assert_eq!(
            of(&["pub", "pub(super)", "pub(crate)"], false),
            "pub (super)"
        );
        assert_eq!(of(&["pub", ""], false), "");
        assert_eq!(of(&["pub", "pub(self)"], false), "");
        assert_eq!(of(&["pub(in crate)", "pub"], false), "pub (crate)");
        assert_eq!(
            of(&["pub(in crate::a)", "pub(in crate::a::b)"], false),
            "pub (in crate :: a :: b)"
        );
        assert_eq!(
            of(&["pub(in super::super)", "pub(super)"], true),
            "pub (super)"
        );
        // Two paths that may or may not name one module: private.
        assert_eq!(of(&["pub(in crate::a)", "pub(super)"], false), "");
        assert_eq!(of(&["pub(in crate::a)", "pub(in crate::b)"], false), "");
    }
}
