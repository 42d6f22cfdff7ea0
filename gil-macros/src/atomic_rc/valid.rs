//! Checks that need both the options and the struct.

use syn::ext::IdentExt as _;

use super::ast::Input;
use super::attr::Args;
use crate::common;

pub fn validate(args: &Args, input: &Input) -> syn::Result<()> {
    let mut errors = common::conflicting_strategies(&input.item.attrs, "atomic_rc");
    if let (Some(_), Some(immortal)) = (args.biased, args.immortal) {
        errors.push(syn::Error::new(
            immortal,
            "conflicting `#[atomic_rc]` options `biased` and `immortal`: an immortal object is \
             never counted, so there is no count to bias; choose one",
        ));
    }
    if let Some(hybrid) = args.hybrid {
        for (other, name, why) in [
            (
                args.biased,
                "biased",
                "both count the owner's handles apart, in different ways",
            ),
            (
                args.immortal,
                "immortal",
                "an immortal object is never counted",
            ),
        ] {
            if other.is_some() {
                errors.push(syn::Error::new(
                    hybrid,
                    format!(
                        "conflicting `#[atomic_rc]` options `{name}` and `hybrid`: {why}; \
                         choose one"
                    ),
                ));
            }
        }
    }
    for (other, name, why) in [
        (
            args.biased,
            "biased",
            "only the owner thread can read a biased count",
        ),
        (
            args.hybrid,
            "hybrid",
            "the owner's local handles of a hybrid object count apart",
        ),
        (
            args.immortal,
            "immortal",
            "an immortal object is never freed",
        ),
    ] {
        if let (Some(collect), Some(_)) = (args.collect, other) {
            errors.push(syn::Error::new(
                collect,
                format!(
                    "conflicting `#[atomic_rc]` options `collect` and `{name}`: the cycle \
                     collector needs an atomic count, and {why}; choose one"
                ),
            ));
        }
    }
    if let Some(handle) = &args.handle {
        if handle.unraw() == input.item.ident.unraw() {
            errors.push(syn::Error::new(
                handle.span(),
                "the handle type cannot have the struct's own name; choose another: \
                 `handle = NameRef`",
            ));
        }
    }
    if let Some(field) = input
        .fields
        .iter()
        .find(|f| common::maybe_unsized(&f.syn.ty, &input.item.generics))
    {
        errors.push(syn::Error::new_spanned(
            &field.syn.ty,
            "`#[atomic_rc]` cannot share an unsized struct: its handle holds the value inline, \
             with the counts, and must know its size; keep the unsized value behind a pointer \
             (`Box<T>`, `Box<[u8]>`, `Arc<str>`), or drop `?Sized` from the parameter",
        ));
    }
    common::combine(errors)
}
