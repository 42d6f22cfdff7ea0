//! Checks that need both the options and the struct.

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
    for (other, name, why) in [
        (
            args.biased,
            "biased",
            "only the owner thread can read a biased count",
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
    common::combine(errors)
}
