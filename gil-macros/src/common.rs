//! What every attribute needs: strategy conflicts, generics scanning and the error fallback.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::Visit;

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
                format!(
                    "conflicting lock strategies: `#[{this}]` and `#[{name}]` on one type; \
                     choose one of `#[global_lock]`, `#[per_field_lock]`, `#[atomic_rc]`"
                )
            };
            STRATEGIES
                .contains(&name.as_str())
                .then(|| syn::Error::new_spanned(attr, message))
        })
        .collect()
}

/// Folds errors into one, or `Ok` if there are none.
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

/// Whether `ty` names one of the item's generic parameters (or `Self`), so that a check of it
/// cannot be written outside the item.
pub fn mentions_generics(ty: &syn::Type, generics: &syn::Generics) -> bool {
    struct Finder<'a> {
        generics: &'a syn::Generics,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_ident(&mut self, ident: &'ast syn::Ident) {
            self.found |= ident == "Self"
                || self.generics.type_params().any(|p| p.ident == *ident)
                || self.generics.const_params().any(|p| p.ident == *ident);
        }
        fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
            self.found |= self.generics.lifetimes().any(|l| l.lifetime == *lifetime);
        }
    }
    let mut finder = Finder {
        generics,
        found: false,
    };
    finder.visit_type(ty);
    finder.found
}
