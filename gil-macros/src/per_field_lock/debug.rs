//! `#[derive(Debug)]` on a `#[per_field_lock]` struct: taken off the struct and written by the
//! macro, which shows each locked field as its lock would (`FieldLock(value)`, or
//! `FieldLock(<locked>)` while it is held) instead of a lock and a cell that cannot be read apart.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Meta, Token};

use super::ast::Input;
use super::attr::Kind;
use crate::common;

/// Takes `Debug` out of the derives among `attrs` (and inside their `cfg_attr`s), and returns the
/// `cfg_attr` predicates around each `Debug` taken: none for an unconditional derive.
pub fn take_derive(attrs: &mut Vec<syn::Attribute>) -> Vec<Vec<Meta>> {
    let mut found = Vec::new();
    attrs.retain_mut(
        |attr| match without_debug(&attr.meta, &mut Vec::new(), &mut found) {
            Some(meta) => {
                attr.meta = meta;
                true
            }
            None => false,
        },
    );
    found
}

/// `meta` with `Debug` taken out of its derives, or `None` if nothing is left of it. Each `Debug`
/// taken pushes the predicates of the `cfg_attr`s around it (`within`) to `found`.
fn without_debug(meta: &Meta, within: &mut Vec<Meta>, found: &mut Vec<Vec<Meta>>) -> Option<Meta> {
    if meta.path().is_ident("derive") {
        let Meta::List(list) = meta else {
            return Some(meta.clone());
        };
        let Ok(paths) = list.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
        else {
            return Some(meta.clone());
        };
        let (debug, rest): (Vec<_>, Vec<_>) = paths
            .into_iter()
            .partition(|p| p.segments.last().is_some_and(|s| s.ident == "Debug"));
        if debug.is_empty() {
            return Some(meta.clone());
        }
        found.extend(debug.iter().map(|_| within.clone()));
        return (!rest.is_empty())
            .then(|| syn::parse_quote_spanned!(meta.span()=> derive(#(#rest),*)));
    }
    if let Some((predicate, inner)) = common::split_cfg_attr(meta) {
        within.push(predicate.clone());
        let rest: Vec<Meta> = inner
            .iter()
            .filter_map(|m| without_debug(m, within, found))
            .collect();
        within.pop();
        return (!rest.is_empty())
            .then(|| syn::parse_quote_spanned!(meta.span()=> cfg_attr(#predicate, #(#rest),*)));
    }
    Some(meta.clone())
}

/// A `Debug` impl for each derive taken by [`take_derive`], under its predicates. Like the derive,
/// it asks `Debug` of every type parameter.
pub fn impl_debug(input: &Input, found: &[Vec<Meta>]) -> TokenStream {
    let item = input.item;
    let ident = &item.ident;
    let mut generics = item.generics.clone();
    let params: Vec<_> = item.generics.type_params().map(|p| &p.ident).collect();
    let where_clause = generics.make_where_clause();
    for param in params {
        where_clause
            .predicates
            .push(syn::parse_quote!(#param: ::core::fmt::Debug));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let name = ident.unraw().to_string();
    // Prefixed as the other generated names: a const parameter named like one of them would make
    // it a constant pattern (hygiene does not keep them apart).
    let (formatter, builder) = (
        syn::Ident::new("__gil_formatter", Span::mixed_site()),
        syn::Ident::new("__gil_builder", Span::mixed_site()),
    );
    let builder_ref = &builder;
    let fields: Vec<TokenStream> = input
        .fields
        .iter()
        .flat_map(|f| {
            let (cfgs, member) = (f.travel.cfg_tokens(), f.ident);
            let label = member.unraw().to_string();
            f.variants().into_iter().map(move |(cfg, kind, _)| {
                // A locked field through its accessor (a mutex field's lock and cell are two
                // fields, and `padded` wraps the lock); a `no_lock` field as it is. `self` at the
                // call site: spanned at a field that a `macro_rules!` wrote, it would take that
                // macro's hygiene and not name the receiver.
                let this = quote!(self);
                let value = if kind == Kind::NoLock {
                    quote_spanned!(f.syn.ty.span()=> &#this.#member)
                } else {
                    quote_spanned!(f.syn.ty.span()=> &#this.#member())
                };
                quote!(#cfgs #cfg #builder_ref.field(#label, #value);)
            })
        })
        .collect();
    found
        .iter()
        .map(|within| {
            let cfg = (!within.is_empty()).then(|| quote!(#[cfg(all(#(#within),*))]));
            quote! {
                #cfg
                #[automatically_derived]
                impl #impl_generics ::core::fmt::Debug for #ident #ty_generics #where_clause {
                    fn fmt(&self, #formatter: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        let mut #builder = #formatter.debug_struct(#name);
                        #(#fields)*
                        #builder.finish()
                    }
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(attrs: &str) -> (String, Vec<String>) {
        let item: syn::ItemStruct =
            syn::parse_str(&format!("{attrs} struct S {{ a: u8 }}")).unwrap();
        let mut attrs = item.attrs;
        let found = take_derive(&mut attrs);
        let left = attrs
            .iter()
            .map(|a| quote!(#a).to_string())
            .collect::<Vec<_>>()
            .join(" ");
        let found = found
            .iter()
            .map(|w| {
                w.iter()
                    .map(|m| quote!(#m).to_string())
                    .collect::<Vec<_>>()
                    .join(" & ")
            })
            .collect();
        (left, found)
    }

    #[test]
    fn debug_is_taken_out_of_derives_and_cfg_attrs() {
        assert_eq!(
            taken("#[derive(Default, Debug)]"),
            ("# [derive (Default)]".into(), vec![String::new()])
        );
        assert_eq!(
            taken("#[derive(core::fmt::Debug)]"),
            (String::new(), vec![String::new()])
        );
        assert_eq!(
            taken("#[cfg_attr(test, derive(Debug), allow(dead_code))]"),
            (
                "# [cfg_attr (test , allow (dead_code))]".into(),
                vec!["test".into()]
            )
        );
        assert_eq!(
            taken("#[cfg_attr(a, cfg_attr(b, derive(Debug)))]"),
            (String::new(), vec!["a & b".into()])
        );
        assert_eq!(
            taken("#[derive(Default)] #[doc = \"x\"]").1,
            Vec::<String>::new()
        );
    }
}
