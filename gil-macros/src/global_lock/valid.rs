//! The checks that need the whole struct and the arguments, reported together.

use super::ast::Input;
use super::attr::Args;
use crate::common;

const ATTRIBUTE: &str = "global_lock";

/// At most this many distinct `#[cfg]` conditions on fields: `fields_mut` returns a tuple, which
/// is written once per combination of them.
pub const MAX_CFGS: usize = 4;

/// Every problem of `input`, reported together.
pub fn validate(args: &Args, input: &Input) -> syn::Result<()> {
    let item = input.item;
    let mut errors = common::conflicting_strategies(&item.attrs, ATTRIBUTE);
    if item.fields.is_empty() {
        errors.push(syn::Error::new(
            item.ident.span(),
            "`#[global_lock]` on a struct without fields: there is nothing to protect; add a \
             field, or use `gilkit::with_gil` directly",
        ));
    }
    errors.extend(common::packed_repr(&item.attrs, ATTRIBUTE));
    errors.extend(common::refused_derives(
        &item.attrs,
        ATTRIBUTE,
        "each field sits in a `GilCell`, readable only with the GIL's token",
        [
            "write a method that takes the token: `fn duplicate(&self, g: &gilkit::Gil) -> Self { \
             Self::new(self.field.get(g).clone(), ..) }`",
            "write a method that takes the token: `fn same(&self, other: &Self, g: &gilkit::Gil) \
             -> bool { self.field.get(g) == other.field.get(g) }`",
        ],
    ));
    let [constructor, into_handle, fields_mut] = args.names();
    let mut names = common::generated_names(args.fields.as_ref(), item, ATTRIBUTE, &mut errors);
    names.extend([
        (constructor, args.constructor.as_ref(), "constructor"),
        (into_handle, args.into_handle.as_ref(), "into_handle"),
        (fields_mut, args.fields_mut.as_ref(), "fields_mut"),
    ]);
    if let Some(debug) = &args.debug {
        names.push((debug.clone(), Some(debug), "debug"));
    }
    errors.extend(common::clashing_names(&names, ATTRIBUTE));
    if let Some(last) = input.fields.last() {
        let ty = &last.syn.ty;
        if let (Some(name), true) = (&args.fields, common::maybe_unsized(ty, &item.generics)) {
            errors.push(syn::Error::new(
                name.span(),
                "`fields = ..` needs every field sized: its struct holds the fields by value; \
                 drop `fields`, or keep the unsized data behind a pointer (`Box<T>`)",
            ));
        }
        if common::maybe_unsized(ty, &item.generics)
            && !common::mentions_generics(ty, &item.generics)
        {
            errors.push(syn::Error::new_spanned(
                ty,
                "this unsized field names no generic parameter, so the struct can never be \
                 built (an unsized struct is made by coercing a sized one); make the field \
                 generic: `struct Name<T: ?Sized> { .., data: T }`, build `Name<[u8; 4]>` and \
                 coerce it to `Name<[u8]>`",
            ));
        }
    }
    let mut conditions: Vec<String> = Vec::new();
    for field in &input.fields {
        let Some(cfg) = &field.cfg else { continue };
        let cfg_attr = &field.attrs.cfgs[0];
        if field.syn.ident.is_none() {
            errors.push(syn::Error::new_spanned(
                cfg_attr,
                "`#[cfg]` on a field of a tuple struct would renumber the fields after it, which \
                 the generated code names by position; name the fields: `struct Name { a: A, .. }`",
            ));
        } else if !conditions.contains(&cfg.to_string()) {
            conditions.push(cfg.to_string());
            if conditions.len() > MAX_CFGS {
                errors.push(syn::Error::new_spanned(
                    cfg_attr,
                    format!(
                        "`#[global_lock]` supports at most {MAX_CFGS} distinct `#[cfg]` \
                         conditions on fields (`fields_mut` is written once per combination); \
                         gather the conditional fields in a struct of their own"
                    ),
                ));
            }
        }
    }
    common::combine(errors)
}
