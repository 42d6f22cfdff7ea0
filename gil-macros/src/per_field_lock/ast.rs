//! The struct as `#[per_field_lock]` sees it: each field with its kind of lock.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;

use super::attr::{self, FieldOptions, Kind};
use crate::common::{self, FieldAttrs};

/// A struct with named fields, each read with its `#[field(...)]` options.
pub struct Input<'a> {
    pub item: &'a syn::ItemStruct,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub syn: &'a syn::Field,
    pub ident: &'a syn::Ident,
    /// The place of the field in the declaration: its rank in the lock order of one object.
    pub index: u32,
    pub kind: Kind,
    /// The span of the option that chose the kind, or the field's name for the default.
    pub kind_span: Span,
    /// `#[cfg_attr(predicate, field(...))]`: the kind where `predicate` holds (`kind` is the
    /// kind where it does not), with its span.
    pub cfg_kind: Option<(TokenStream, Kind, Span)>,
    /// The field's attributes without the `field(...)` options, for the struct.
    pub attrs: Vec<syn::Attribute>,
    /// The attributes that travel to the accessor and the constructor.
    pub travel: FieldAttrs,
}

impl Field<'_> {
    /// Each configuration of the field: the `#[cfg]` that selects it (none if the kind does not
    /// depend on a `cfg_attr`), its kind, and the span of the option that chose it.
    pub fn variants(&self) -> Vec<(Option<TokenStream>, Kind, Span)> {
        match &self.cfg_kind {
            None => vec![(None, self.kind, self.kind_span)],
            Some((predicate, kind, span)) => vec![
                (Some(quote!(#[cfg(#predicate)])), *kind, *span),
                (
                    Some(quote!(#[cfg(not(#predicate))])),
                    self.kind,
                    self.kind_span,
                ),
            ],
        }
    }
}

impl<'a> Input<'a> {
    /// Reads the item; every error found is reported, not only the first.
    pub fn from_syn(item: &'a syn::Item) -> syn::Result<Self> {
        let item =
            match item {
                syn::Item::Struct(item) => item,
                syn::Item::Enum(e) => return Err(syn::Error::new(
                    e.enum_token.span,
                    "`#[per_field_lock]` supports structs with named fields only, not enums: a \
                     variant's fields exist only while it is the active one; put the enum in a \
                     field: `#[per_field_lock] struct State { value: MyEnum }`",
                )),
                syn::Item::Union(u) => return Err(syn::Error::new(
                    u.union_token.span,
                    "`#[per_field_lock]` supports structs with named fields only, not unions: a \
                     union's fields overlap, so they cannot each have a lock; put the union in a \
                     field of a struct",
                )),
                other => {
                    return Err(syn::Error::new(
                        keyword_span(other),
                        "`#[per_field_lock]` applies to structs with named fields only",
                    ))
                }
            };
        let named =
            match &item.fields {
                syn::Fields::Named(named) => named,
                syn::Fields::Unnamed(_) => return Err(syn::Error::new(
                    item.ident.span(),
                    "`#[per_field_lock]` needs named fields: each field's accessor and lock class \
                     are named after it; write `struct Name { field: Type }`",
                )),
                syn::Fields::Unit => return Err(syn::Error::new(
                    item.ident.span(),
                    "`#[per_field_lock]` on a unit struct: there is no field to lock; add a field \
                     or drop the attribute",
                )),
            };
        let mut errors = Vec::new();
        let mut fields = Vec::new();
        for (i, field) in named.named.iter().enumerate() {
            let read = read_field_attrs(field, &mut errors);
            let Some(ident) = field.ident.as_ref() else {
                continue;
            };
            let Ok(index) = u32::try_from(i) else {
                errors.push(syn::Error::new(ident.span(), "too many fields"));
                continue;
            };
            let (kind, kind_span) = read.base.kind.unwrap_or((Kind::Mutex, ident.span()));
            fields.push(Field {
                syn: field,
                ident,
                index,
                kind,
                kind_span,
                cfg_kind: read.cfg_kind,
                travel: FieldAttrs::of(&read.attrs),
                attrs: read.attrs,
            });
        }
        common::combine(errors)?;
        Ok(Self { item, fields })
    }
}

/// What `read_field_attrs` finds on a field.
struct ReadAttrs {
    base: FieldOptions,
    cfg_kind: Option<(TokenStream, Kind, Span)>,
    attrs: Vec<syn::Attribute>,
}

/// Reads the `#[field(...)]` options of a field, and those inside its `#[cfg_attr]`s (which an
/// attribute macro sees unexpanded): the `field(...)` parts are taken out, the rest is kept.
fn read_field_attrs(field: &syn::Field, errors: &mut Vec<syn::Error>) -> ReadAttrs {
    let mut base = FieldOptions::default();
    for a in field.attrs.iter().filter(|a| is_field_attr(a)) {
        if let Err(e) = attr::field_options(&a.meta).and_then(|o| base.merge(&o)) {
            errors.push(e);
        }
    }
    let mut cfg_kind = None;
    let mut attrs = Vec::new();
    for a in field.attrs.iter().filter(|a| !is_field_attr(a)) {
        let Some((predicate, inner)) = common::split_cfg_attr(&a.meta) else {
            attrs.push(a.clone());
            continue;
        };
        let (options, rest): (Vec<_>, Vec<_>) =
            inner.into_iter().partition(|m| m.path().is_ident("field"));
        if let Some(nested) = rest.iter().find(|m| mentions_field(m)) {
            errors.push(syn::Error::new_spanned(
                nested,
                "`#[per_field_lock]` reads `field(...)` in one `cfg_attr`, not in nested ones; \
                 join the conditions: `#[cfg_attr(all(a, b), field(rw))]`",
            ));
        }
        if !options.is_empty() {
            let mut under = base.clone();
            for meta in &options {
                if let Err(e) = attr::field_options(meta).and_then(|o| under.merge(&o)) {
                    errors.push(e);
                }
            }
            if cfg_kind.is_some() {
                errors.push(syn::Error::new_spanned(
                    &options[0],
                    "`#[per_field_lock]` reads `field(...)` in one `cfg_attr` per field; join the \
                     conditions: `#[cfg_attr(any(a, b), field(rw))]`",
                ));
            } else if let Some((kind, span)) = under.kind {
                cfg_kind = Some((quote!(#predicate), kind, span));
            }
        }
        if !rest.is_empty() {
            attrs.push(syn::parse_quote_spanned!(a.span()=> #[cfg_attr(#predicate, #(#rest),*)]));
        }
    }
    ReadAttrs {
        base,
        cfg_kind,
        attrs,
    }
}

/// Whether `meta` is a `cfg_attr` with a `field(...)` inside, at any depth.
pub fn mentions_field(meta: &syn::Meta) -> bool {
    common::split_cfg_attr(meta).is_some_and(|(_, inner)| {
        inner
            .iter()
            .any(|m| m.path().is_ident("field") || mentions_field(m))
    })
}

/// Whether `attr` is `#[field(...)]`, the attribute this macro reads and removes.
pub fn is_field_attr(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("field")
}

/// The span of the keyword of an item that is not a struct, for the error.
fn keyword_span(item: &syn::Item) -> Span {
    match item {
        syn::Item::Fn(f) => f.sig.fn_token.span,
        syn::Item::Trait(t) => t.trait_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Type(t) => t.type_token.span,
        other => other.span(),
    }
}
