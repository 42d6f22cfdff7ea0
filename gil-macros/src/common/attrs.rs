//! What the attributes read off the user's own attributes: derives and representations they
//! cannot support, and the field attributes that must travel to the generated items.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

/// `cfg_attr(predicate, attr, attr...)`, split into its predicate and its attributes; `None` for
/// any other meta, or one that does not parse.
pub fn split_cfg_attr(meta: &Meta) -> Option<(Meta, Punctuated<Meta, Token![,]>)> {
    let Meta::List(list) = meta else { return None };
    if !list.path.is_ident("cfg_attr") {
        return None;
    }
    list.parse_args_with(|input: syn::parse::ParseStream| {
        let predicate = input.parse()?;
        input.parse::<Token![,]>()?;
        Ok((predicate, Punctuated::parse_terminated(input)?))
    })
    .ok()
}

/// Every attribute's meta, and the metas inside `cfg_attr`s (at any depth), whatever their
/// predicate: an attribute macro sees `cfg_attr` before it is expanded.
fn metas(attrs: &[Attribute]) -> Vec<Meta> {
    fn push(meta: &Meta, out: &mut Vec<Meta>) {
        if meta.path().is_ident("cfg_attr") {
            for inner in split_cfg_attr(meta).iter().flat_map(|(_, inner)| inner) {
                push(inner, out);
            }
        } else {
            out.push(meta.clone());
        }
    }
    let mut out = Vec::new();
    for attr in attrs {
        push(&attr.meta, &mut out);
    }
    out
}

/// The items of every `#[name(...)]` among `attrs` (and inside `cfg_attr`s).
fn list_items(attrs: &[Attribute], name: &str) -> Vec<Meta> {
    metas(attrs)
        .iter()
        .filter(|m| m.path().is_ident(name))
        .filter_map(|m| match m {
            Meta::List(list) => list
                .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                .ok(),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The error for `packed` in a `#[repr(...)]`: the generated accessors borrow every field, and a
/// field of a packed struct may be unaligned, so it cannot be borrowed.
pub fn packed_repr(attrs: &[Attribute], attribute: &str) -> Option<syn::Error> {
    let packed = list_items(attrs, "repr")
        .into_iter()
        .find(|m| m.path().is_ident("packed"))?;
    Some(syn::Error::new_spanned(
        packed,
        format!(
            "`#[{attribute}]` cannot support `repr(packed)`: the generated code borrows each \
             field, and a field of a packed struct may be unaligned, so it cannot be borrowed; \
             remove `packed`, or keep the packed data in one field of a plain struct: \
             `#[{attribute}] struct Shared {{ raw: Packed }}`"
        ),
    ))
}

/// Whether a field is `#[deprecated]` (or may be, through a `cfg_attr`).
pub fn any_deprecated<'a>(fields: impl IntoIterator<Item = &'a syn::Field>) -> bool {
    fields.into_iter().any(|f| {
        metas(&f.attrs)
            .iter()
            .any(|m| m.path().is_ident("deprecated"))
    })
}

/// Whether the struct is `#[non_exhaustive]`: then it must not be built outside its crate.
pub fn is_non_exhaustive(attrs: &[Attribute]) -> bool {
    metas(attrs)
        .iter()
        .any(|m| m.path().is_ident("non_exhaustive"))
}

/// An error for each derive of a trait that would have to read every field (`Clone`,
/// `PartialEq`...), which the strategy keeps out of reach: `why` says what keeps them, and
/// `instead` what to write in place of a copy (`Clone`, `Copy`) or of a comparison (the others).
pub fn refused_derives(
    attrs: &[Attribute],
    attribute: &str,
    why: &str,
    instead: [&str; 2],
) -> Vec<syn::Error> {
    const REFUSED: [&str; 7] = [
        "Clone",
        "Copy",
        "PartialEq",
        "Eq",
        "PartialOrd",
        "Ord",
        "Hash",
    ];
    list_items(attrs, "derive")
        .iter()
        .filter_map(|derive| {
            let name = derive.path().segments.last()?.ident.to_string();
            REFUSED.contains(&name.as_str()).then(|| {
                let instead = if name == "Clone" || name == "Copy" {
                    instead[0]
                } else {
                    instead[1]
                };
                syn::Error::new_spanned(
                    derive.path(),
                    format!(
                        "`#[derive({name})]` cannot see the fields of a `#[{attribute}]` struct: \
                         {why}, and a derived `{name}` has no way to take it; remove the derive \
                         and {instead}"
                    ),
                )
            })
        })
        .collect()
}

/// A field's attributes that concern the generated items naming it.
#[derive(Default)]
pub struct FieldAttrs {
    /// `#[cfg(...)]`: every generated piece that names the field is gated the same way.
    pub cfgs: Vec<Attribute>,
    /// `#[doc]` (doc comments, `doc(hidden)`), `#[deprecated]`, and `#[cfg_attr]`s made only of
    /// those: what an accessor of the field carries.
    pub docs: Vec<Attribute>,
}

impl FieldAttrs {
    pub fn of(attrs: &[Attribute]) -> Self {
        let mut out = Self::default();
        let travels = |m: &Meta| m.path().is_ident("doc") || m.path().is_ident("deprecated");
        for attr in attrs {
            if attr.path().is_ident("cfg") {
                out.cfgs.push(attr.clone());
            } else if let Some(predicate) = conditional_cfg(&attr.meta) {
                out.cfgs.push(syn::parse_quote!(#[cfg(#predicate)]));
            } else if travels(&attr.meta)
                || split_cfg_attr(&attr.meta).is_some_and(|(_, inner)| inner.iter().all(travels))
            {
                out.docs.push(attr.clone());
            }
        }
        out
    }

    /// The `#[cfg]`s, as tokens.
    pub fn cfg_tokens(&self) -> TokenStream {
        let cfgs = &self.cfgs;
        quote!(#(#cfgs)*)
    }
}

/// The predicate under which a `#[cfg_attr(p, .., cfg(q), ..)]` (at any depth) keeps the field:
/// `any(not(p), all(q, ..))`, or `None` if it holds no `cfg`. The generated items that name the
/// field are gated by it too.
fn conditional_cfg(meta: &Meta) -> Option<TokenStream> {
    let (predicate, inner) = split_cfg_attr(meta)?;
    let kept: Vec<TokenStream> = inner
        .iter()
        .filter_map(|m| match m {
            Meta::List(cfg) if m.path().is_ident("cfg") => Some(cfg.tokens.clone()),
            _ => conditional_cfg(m),
        })
        .collect();
    (!kept.is_empty()).then(|| quote!(any(not(#predicate), all(#(#kept),*))))
}

/// The field's `#[cfg]`s as one predicate (`all(a, b)`), or `None` if it has none.
pub fn cfg_predicate(attrs: &FieldAttrs) -> Option<TokenStream> {
    let predicates: Vec<TokenStream> = attrs
        .cfgs
        .iter()
        .filter_map(|a| match &a.meta {
            Meta::List(list) => Some(list.tokens.clone()),
            _ => None,
        })
        .collect();
    match predicates.len() {
        0 => None,
        1 => Some(predicates[0].to_token_stream()),
        _ => Some(quote!(all(#(#predicates),*))),
    }
}
