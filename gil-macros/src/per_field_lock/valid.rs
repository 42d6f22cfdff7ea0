//! The checks that need the whole struct: conflicts with other strategies, and fields to lock.

use super::ast::Input;
use super::attr::Kind;
use crate::common;

/// Every problem of `input`, reported together.
pub fn validate(input: &Input) -> syn::Result<()> {
    let mut errors = common::conflicting_strategies(&input.item.attrs, "per_field_lock");
    if input.fields.is_empty() {
        errors.push(syn::Error::new(
            input.item.ident.span(),
            "`#[per_field_lock]` on a struct without fields: there is nothing to lock; add a \
             field or drop the attribute",
        ));
    } else if input.fields.iter().all(|f| f.kind == Kind::NoLock) {
        errors.push(syn::Error::new(
            input.item.ident.span(),
            "`#[per_field_lock]` on a struct whose fields are all `#[field(no_lock)]`: there is \
             nothing to lock; remove `no_lock` from a field that changes, or drop the attribute",
        ));
    }
    common::combine(errors)
}
