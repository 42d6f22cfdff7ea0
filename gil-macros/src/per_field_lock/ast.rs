//! The struct as `#[per_field_lock]` sees it: each field with its kind of lock.

use syn::spanned::Spanned;

use super::attr::{self, FieldOptions, Kind};

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
    pub kind_span: proc_macro2::Span,
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
            let mut options = FieldOptions::default();
            for a in field.attrs.iter().filter(|a| is_field_attr(a)) {
                if let Err(e) = attr::field_options(a).and_then(|o| options.merge(&o)) {
                    errors.push(e);
                }
            }
            let Some(ident) = field.ident.as_ref() else {
                continue;
            };
            let Ok(index) = u32::try_from(i) else {
                errors.push(syn::Error::new(ident.span(), "too many fields"));
                continue;
            };
            let (kind, kind_span) = options.kind.unwrap_or((Kind::Mutex, ident.span()));
            fields.push(Field {
                syn: field,
                ident,
                index,
                kind,
                kind_span,
            });
        }
        crate::common::combine(errors)?;
        Ok(Self { item, fields })
    }
}

/// Whether `attr` is `#[field(...)]`, the attribute this macro reads and removes.
pub fn is_field_attr(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("field")
}

/// The span of the keyword of an item that is not a struct, for the error.
fn keyword_span(item: &syn::Item) -> proc_macro2::Span {
    match item {
        syn::Item::Fn(f) => f.sig.fn_token.span,
        syn::Item::Trait(t) => t.trait_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Type(t) => t.type_token.span,
        other => other.span(),
    }
}
