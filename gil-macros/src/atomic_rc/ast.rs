//! The struct as `#[atomic_rc]` sees it.

use proc_macro2::Span;

/// A struct that `#[atomic_rc]` can share.
pub struct Input<'a> {
    pub item: &'a syn::ItemStruct,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub syn: &'a syn::Field,
    /// The field's name, or `_0`, `_1`... for a tuple struct: names the marker type that the
    /// `Send + Sync` error shows.
    pub marker: syn::Ident,
    /// The attributes that travel to the generated code naming the field.
    pub attrs: crate::common::FieldAttrs,
}

impl<'a> Input<'a> {
    pub fn from_syn(item: &'a syn::Item) -> syn::Result<Self> {
        let item =
            match item {
                syn::Item::Struct(item) => item,
                syn::Item::Enum(e) => return Err(syn::Error::new(
                    e.enum_token.span,
                    "`#[atomic_rc]` supports structs only, not enums; put the enum in a field: \
                     `#[atomic_rc] struct Shared { value: MyEnum }`",
                )),
                syn::Item::Union(u) => return Err(syn::Error::new(
                    u.union_token.span,
                    "`#[atomic_rc]` supports structs only, not unions: reading a union's field \
                     is `unsafe`, so it cannot be shared safely; put it in a field of a struct",
                )),
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "`#[atomic_rc]` applies to structs only: named, tuple, unit or generic",
                    ))
                }
            };
        let fields = item
            .fields
            .iter()
            .enumerate()
            .map(|(i, field)| Field {
                syn: field,
                // At the call site, not at the field: an item of the macro's own is not linted
                // (`non_camel_case_types`, `dead_code`), so it needs no `allow` that a user's
                // `forbid` would refuse.
                marker: field.ident.clone().map_or_else(
                    || syn::Ident::new(&format!("_{i}"), Span::call_site()),
                    |mut ident| {
                        ident.set_span(Span::call_site());
                        ident
                    },
                ),
                attrs: crate::common::FieldAttrs::of(&field.attrs),
            })
            .collect();
        Ok(Input { item, fields })
    }
}
