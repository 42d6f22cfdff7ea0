//! What every attribute needs: strategy conflicts, argument parsing, the error fallback, and
//! (in the submodules) what the attributes read off the struct and its fields.

mod attrs;
mod generics;
mod names;
mod plain;

pub use attrs::{
    any_deprecated, cfg_predicate, is_non_exhaustive, packed_repr, refused_derives, split_cfg_attr,
    FieldAttrs,
};
pub use generics::{maybe_unsized, mentions_generics, unique_lifetime};
pub use names::{clashing_names, crate_path_doc, generated_names, lints_allowed, narrowest, param};
pub use plain::{Plain, PlainField};

use proc_macro2::TokenStream;
use quote::ToTokens;

/// The three strategy attributes; a type can carry only one.
pub const STRATEGIES: [&str; 3] = ["global_lock", "per_field_lock", "atomic_rc"];

/// An error for each strategy attribute left on the item: another strategy, or this one again.
pub fn conflicting_strategies(attrs: &[syn::Attribute], this: &str) -> Vec<syn::Error> {
    attrs
        .iter()
        .filter_map(|attr| {
            let name = attr.path().segments.last()?.ident.to_string();
            let message = if name == this {
                format!("`#[{this}]` is applied twice to one type; remove one")
            } else {
                let pair = [this, name.as_str()];
                let composed = if pair.contains(&"per_field_lock") && pair.contains(&"atomic_rc") {
                    "; for field locks shared through atomic or biased counts, write \
                     `#[per_field_lock(rc = atomic)]` or `#[per_field_lock(rc = biased)]`"
                } else {
                    ""
                };
                format!(
                    "conflicting lock strategies: `#[{this}]` and `#[{name}]` on one type; \
                     choose one of `#[global_lock]`, `#[per_field_lock]`, `#[atomic_rc]`{composed}"
                )
            };
            STRATEGIES
                .contains(&name.as_str())
                .then(|| syn::Error::new_spanned(attr, message))
        })
        .collect()
}

/// Folds errors into one, or `Ok` if there are none.
/// The stages every attribute runs, as thiserror's `try_expand`: parse the arguments, read the
/// item, check both, and write the code. If any stage fails, every error is reported together,
/// and the item is emitted as `fallback_item` makes it, so that the user sees no flood of
/// follow-on errors.
pub fn run<'a, A: syn::parse::Parse, I>(
    args: TokenStream,
    item: &'a syn::Item,
    read: impl FnOnce(&'a syn::Item) -> syn::Result<I>,
    validate: impl FnOnce(&A, &I) -> syn::Result<()>,
    write: impl FnOnce(&A, &I) -> TokenStream,
    fallback_item: impl FnOnce() -> syn::Item,
) -> TokenStream {
    let args = syn::parse2::<A>(args);
    let parsed = read(item);
    let checked = match (&args, &parsed) {
        (Ok(args), Ok(input)) => validate(args, input),
        _ => Ok(()),
    };
    match (args, parsed, checked) {
        (Ok(args), Ok(input), Ok(())) => write(&args, &input),
        (args, parsed, checked) => {
            match combine(
                [args.err(), parsed.err(), checked.err()]
                    .into_iter()
                    .flatten(),
            ) {
                Err(error) => fallback(fallback_item(), &error),
                Ok(()) => TokenStream::new(),
            }
        }
    }
}

pub fn combine(errors: impl IntoIterator<Item = syn::Error>) -> syn::Result<()> {
    errors
        .into_iter()
        .reduce(|mut all, e| {
            all.combine(e);
            all
        })
        .map_or(Ok(()), Err)
}

/// The item unchanged plus the errors, so that one mistake does not cause a flood of others.
pub fn fallback(item: impl ToTokens, error: &syn::Error) -> TokenStream {
    let mut tokens = error.to_compile_error();
    item.to_tokens(&mut tokens);
    tokens
}

/// `= value` after an argument's key, with `hint` as the error if the value does not parse.
pub fn value<T: syn::parse::Parse>(input: syn::parse::ParseStream, hint: &str) -> syn::Result<T> {
    input.parse::<syn::Token![=]>()?;
    input
        .parse()
        .map_err(|e: syn::Error| syn::Error::new(e.span(), hint))
}

/// `name = function`: an option that renames a generated function, set once.
pub fn rename(
    input: syn::parse::ParseStream,
    key: proc_macro2::Span,
    slot: &mut Option<syn::Ident>,
    attribute: &str,
    name: &str,
    example: &str,
) -> syn::Result<()> {
    let hint = format!("`{name}` takes a function name: `{name} = {example}`");
    let function = value(input, &hint)?;
    set_once(slot, function, key, attribute, name)
}

/// Sets an argument of `#[attribute]` once; a second occurrence is an error on the second key.
pub fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    key: proc_macro2::Span,
    attribute: &str,
    name: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            key,
            format!("duplicate `#[{attribute}]` argument `{name}`"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// The error for an argument `#[attribute]` does not know, listing the valid ones.
pub fn unknown_argument(
    input: syn::parse::ParseStream,
    attribute: &str,
    expected: &str,
) -> syn::Error {
    use syn::ext::IdentExt as _;
    match syn::Ident::parse_any(input) {
        Ok(unknown) => syn::Error::new(
            unknown.span(),
            format!("unknown `#[{attribute}]` argument `{unknown}`; {expected}"),
        ),
        Err(_) => input.error(format!("unexpected `#[{attribute}]` argument; {expected}")),
    }
}

/// The path generated code names the facade by: `crate = path` if given, else `::gilkit`.
pub fn crate_path(krate: Option<&syn::Path>) -> TokenStream {
    krate.map_or_else(|| quote::quote!(::gilkit), quote::ToTokens::to_token_stream)
}

/// The item as the fallback emits it: unchanged, minus the strategy attributes (which would
/// report the same errors again) and the field attributes that `is_field_attr` names (which
/// nothing would read).
pub fn stripped(mut item: syn::Item, is_field_attr: fn(&syn::Attribute) -> bool) -> syn::Item {
    if let syn::Item::Struct(s) = &mut item {
        s.attrs.retain(|a| {
            !a.path()
                .segments
                .last()
                .is_some_and(|seg| STRATEGIES.contains(&seg.ident.to_string().as_str()))
        });
        for field in &mut s.fields {
            field.attrs.retain(|a| !is_field_attr(a));
        }
    }
    item
}
