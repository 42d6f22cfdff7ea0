//! What the attributes need to know about the struct's generic parameters.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// Whether `ty` names one of the item's generic parameters (or `Self`), so that a check of it
/// cannot be written outside the item.
///
/// A type macro (`boxed!(T)`) is opaque until it expands: any identifier or lifetime among its
/// tokens that matches a parameter counts as a mention.
pub fn mentions_generics(ty: &syn::Type, generics: &syn::Generics) -> bool {
    struct Finder<'a> {
        generics: &'a syn::Generics,
        found: bool,
    }
    impl Finder<'_> {
        fn is_param(&self, ident: &syn::Ident) -> bool {
            ident == "Self"
                || self.generics.type_params().any(|p| p.ident == *ident)
                || self.generics.const_params().any(|p| p.ident == *ident)
        }
        fn is_lifetime(&self, ident: &syn::Ident) -> bool {
            self.generics
                .lifetimes()
                .any(|l| l.lifetime.ident == *ident)
        }
        /// Every identifier in `tokens`, at any depth; `'a` is a `'` followed by `a`.
        fn scan(&mut self, tokens: TokenStream) {
            let mut after_quote = false;
            for token in tokens {
                match token {
                    TokenTree::Ident(ident) => {
                        self.found |= if after_quote {
                            self.is_lifetime(&ident)
                        } else {
                            self.is_param(&ident)
                        };
                        after_quote = false;
                    }
                    TokenTree::Punct(p) => after_quote = p.as_char() == '\'',
                    TokenTree::Group(g) => {
                        self.scan(g.stream());
                        after_quote = false;
                    }
                    TokenTree::Literal(_) => after_quote = false,
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_ident(&mut self, ident: &'ast syn::Ident) {
            self.found |= self.is_param(ident);
        }
        fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
            self.found |= self.is_lifetime(&lifetime.ident);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            self.visit_path(&mac.path);
            self.scan(mac.tokens.clone());
        }
    }
    let mut finder = Finder {
        generics,
        found: false,
    };
    finder.visit_type(ty);
    finder.found
}

/// Whether a field of type `ty` may be unsized: a slice, `str`, a trait object, or a type
/// parameter declared `?Sized` (in its bounds or in the `where` clause). A type whose size
/// depends on another type's last field (`Wrapper<T>`) cannot be seen from here.
pub fn maybe_unsized(ty: &syn::Type, generics: &syn::Generics) -> bool {
    match ty {
        syn::Type::Slice(_) | syn::Type::TraitObject(_) => true,
        syn::Type::Paren(p) => maybe_unsized(&p.elem, generics),
        syn::Type::Group(g) => maybe_unsized(&g.elem, generics),
        syn::Type::Path(p) if p.qself.is_none() => {
            let Some(ident) = p.path.get_ident() else {
                return false;
            };
            ident == "str" || unsized_params(generics).any(|param| param == ident)
        }
        _ => false,
    }
}

/// The type parameters declared `?Sized`.
fn unsized_params(generics: &syn::Generics) -> impl Iterator<Item = &syn::Ident> {
    let relaxed = |bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>| {
        bounds.iter().any(|b| {
            matches!(b, syn::TypeParamBound::Trait(t)
                if matches!(t.modifier, syn::TraitBoundModifier::Maybe(_)))
        })
    };
    let in_params = generics
        .type_params()
        .filter(move |p| relaxed(&p.bounds))
        .map(|p| &p.ident);
    let in_where = generics
        .where_clause
        .iter()
        .flat_map(|w| &w.predicates)
        .filter_map(move |pred| match pred {
            syn::WherePredicate::Type(t) if relaxed(&t.bounds) => match &t.bounded_ty {
                syn::Type::Path(p) => p.path.get_ident(),
                _ => None,
            },
            _ => None,
        });
    in_params.chain(in_where)
}

/// A lifetime named `'{base}` that is not one of the struct's own, so that a user lifetime of
/// the same name is not shadowed: `'__gil`, else `'__gil_1`, `'__gil_2`...
pub fn unique_lifetime(generics: &syn::Generics, base: &str) -> syn::Lifetime {
    let taken = |name: &str| generics.lifetimes().any(|l| l.lifetime.ident == name);
    let mut name = base.to_owned();
    let mut n = 0_u32;
    while taken(&name) {
        n += 1;
        name = format!("{base}_{n}");
    }
    syn::Lifetime::new(&format!("'{name}"), proc_macro2::Span::call_site())
}
