//! The checks that need the whole struct and the arguments, reported together.

use syn::ext::IdentExt as _;

use super::ast::Input;
use super::attr::{Args, Counts, Kind};
use crate::common;

const ATTRIBUTE: &str = "per_field_lock";

/// Every problem of `input`, reported together.
pub fn validate(args: &Args, input: &Input) -> syn::Result<()> {
    let item = input.item;
    let mut errors = common::conflicting_strategies(&item.attrs, ATTRIBUTE);
    if input.fields.is_empty() {
        errors.push(syn::Error::new(
            item.ident.span(),
            "`#[per_field_lock]` on a struct without fields: there is nothing to lock; add a \
             field or drop the attribute",
        ));
    } else if input.fields.iter().all(|f| {
        f.variants()
            .iter()
            .all(|(_, kind, _)| *kind == Kind::NoLock)
    }) {
        errors.push(syn::Error::new(
            item.ident.span(),
            "`#[per_field_lock]` on a struct whose fields are all `#[field(no_lock)]`: there is \
             nothing to lock; remove `no_lock` from a field that changes, or drop the attribute",
        ));
    }
    errors.extend(common::packed_repr(&item.attrs, ATTRIBUTE));
    errors.extend(counts_of_a_borrowing_type(args, &item.generics));
    errors.extend(common::refused_derives(
        &item.attrs,
        ATTRIBUTE,
        "each field sits behind its own lock",
        [
            "write a method that locks the fields (`gilkit::field_lock::lock_fields`) and builds the \
             copy with the constructor from the guards",
            "write a method that locks the fields of both objects in one call (`gilkit::field_lock::\
             lock_fields((self.a(), other.a()))`, which cannot deadlock) and compares the guards",
        ],
    ));
    let [constructor, into_handle] = args.names();
    let mut names = common::generated_names(args.fields.as_ref(), item, ATTRIBUTE, &mut errors);
    names.extend([
        (
            constructor.clone(),
            args.constructor.as_ref(),
            "constructor",
        ),
        (
            into_handle.clone(),
            args.into_handle.as_ref(),
            "into_handle",
        ),
    ]);
    errors.extend(common::clashing_names(&names, ATTRIBUTE));
    for field in &input.fields {
        let name = field.ident.unraw();
        let locked = field
            .variants()
            .iter()
            .any(|(_, kind, _)| *kind != Kind::NoLock);
        for (method, option) in [(&constructor, "constructor"), (&into_handle, "into_handle")] {
            if locked && name == method.unraw() {
                errors.push(syn::Error::new(
                    field.ident.span(),
                    format!(
                        "the accessor of field `{name}` would have the name of the generated \
                         `{option}`; rename the generated method: \
                         `#[per_field_lock({option} = other_name)]`"
                    ),
                ));
            }
        }
        if locked && args.fields.is_some() && name == "into_fields" {
            errors.push(syn::Error::new(
                field.ident.span(),
                "the accessor of field `into_fields` would have the name of the method that \
                 `fields = ..` generates; rename the field, or drop `fields`",
            ));
        }
        if name.to_string().starts_with("__gil_lock_") {
            errors.push(syn::Error::new(
                field.ident.span(),
                "`#[per_field_lock]` names the lock of field `x` `__gil_lock_x`, so field names \
                 starting with `__gil_lock_` are its own; rename the field",
            ));
        }
        if common::maybe_unsized(&field.syn.ty, &item.generics) {
            errors.push(syn::Error::new_spanned(
                &field.syn.ty,
                "`#[per_field_lock]` cannot lock an unsized field: a field lock holds its value \
                 inline and must know its size; keep the value behind a pointer (`Box<T>`, \
                 `Box<[u8]>`), or drop `?Sized` from the parameter",
            ));
        }
    }
    common::combine(errors)
}

/// `rc = biased` or `rc = immortal` on a type with a lifetime: its value may be dropped after the
/// borrow ends, or never.
fn counts_of_a_borrowing_type(args: &Args, generics: &syn::Generics) -> Vec<syn::Error> {
    let (Some((counts @ (Counts::Biased | Counts::Immortal), span)), Some(lifetime)) =
        (args.rc, generics.lifetimes().next())
    else {
        return Vec::new();
    };
    let (name, why) = match counts {
        Counts::Biased => (
            "biased",
            "a biased object's last drop on another thread is handed to its owner thread, \
             which may drop it after the borrowed data is gone",
        ),
        _ => ("immortal", "an immortal object is never freed"),
    };
    vec![
        syn::Error::new(
            lifetime.lifetime.span(),
            format!(
                "`rc = {name}` needs a type that borrows nothing (`'static`): {why}; use \
                 `rc = atomic`, or own the data instead of borrowing it"
            ),
        ),
        syn::Error::new(span, format!("`rc = {name}` is chosen here")),
    ]
}
