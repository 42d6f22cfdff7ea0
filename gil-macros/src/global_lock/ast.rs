//! The struct as `#[global_lock]` sees it, checked.

use syn::spanned::Spanned;

use crate::common::{self, FieldAttrs};

/// A struct that `#[global_lock]` can protect.
pub struct Input<'a> {
    pub item: &'a syn::ItemStruct,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub syn: &'a syn::Field,
    /// The constructor's parameter: `__gil_name`, or `__gil_0`... for a tuple struct.
    pub binding: syn::Ident,
    /// `name` or `0`, for field access.
    pub member: syn::Member,
    /// The attributes that travel to the generated code naming the field.
    pub attrs: FieldAttrs,
    /// The field's `#[cfg]`s as one predicate.
    pub cfg: Option<proc_macro2::TokenStream>,
}

impl<'a> Input<'a> {
    pub fn from_syn(item: &'a syn::Item) -> syn::Result<Self> {
        let item = match item {
            syn::Item::Struct(item) => item,
            syn::Item::Enum(e) => {
                return Err(syn::Error::new(
                    e.enum_token.span,
                    "`#[global_lock]` supports structs only, not enums; put the enum in a field: \
                     `#[global_lock] struct State { value: MyEnum }`",
                ))
            }
            syn::Item::Union(u) => return Err(syn::Error::new(
                u.union_token.span,
                "`#[global_lock]` supports structs only, not unions: a union's fields overlap, \
                     so they cannot be borrowed one by one; put the union in a field of a struct",
            )),
            other => {
                return Err(syn::Error::new(
                    item_keyword_span(other),
                    "`#[global_lock]` applies to structs only: named, tuple or generic",
                ))
            }
        };
        let fields = item
            .fields
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let attrs = FieldAttrs::of(&field.attrs);
                Field {
                    syn: field,
                    binding: field
                        .ident
                        .as_ref()
                        .map_or_else(|| quote::format_ident!("__gil_{}", i), common::param),
                    member: field
                        .ident
                        .clone()
                        .map_or_else(|| syn::Member::from(i), syn::Member::from),
                    cfg: common::cfg_predicate(&attrs),
                    attrs,
                }
            })
            .collect();
        Ok(Self { item, fields })
    }
}

/// The span of the keyword of an item that is not a struct, for the error.
fn item_keyword_span(item: &syn::Item) -> proc_macro2::Span {
    match item {
        syn::Item::Fn(f) => f.sig.fn_token.span,
        syn::Item::Trait(t) => t.trait_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Type(t) => t.type_token.span,
        other => other.span(),
    }
}
