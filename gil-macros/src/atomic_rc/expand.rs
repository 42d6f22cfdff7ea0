//! The code `#[atomic_rc]` writes: the handle type, `into_handle`, the field checks, the counter.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned;

use super::ast::Input;
use super::attr::Args;
use crate::common;

pub fn expand(args: &Args, input: &Input) -> TokenStream {
    let item = input.item;
    let krate = crate::common::crate_path(args.krate.as_ref());
    let ident = &item.ident;
    let vis = &item.vis;
    let handle = args
        .handle
        .clone()
        .unwrap_or_else(|| format_ident!("{}Rc", ident.unraw()));
    let into_handle = args
        .into_handle
        .clone()
        .unwrap_or_else(|| format_ident!("into_handle"));
    let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
    let alias_generics = alias_generics(&item.generics);
    let mode = if args.biased.is_some() {
        quote!(Biased)
    } else if args.hybrid.is_some() {
        quote!(Hybrid)
    } else if args.immortal.is_some() {
        quote!(Immortal)
    } else {
        quote!(Atomic)
    };

    // Fields whose type names a generic parameter cannot be checked here; the handle is only
    // `Send + Sync` when they are (as `Arc<T>` is), so misuse still fails, at the use.
    let checked: Vec<_> = input
        .fields
        .iter()
        .filter(|f| !common::mentions_generics(&f.syn.ty, &item.generics))
        .collect();
    let markers = checked.iter().map(|f| {
        let (cfgs, marker) = (f.attrs.cfg_tokens(), &f.marker);
        quote!(#cfgs pub struct #marker;)
    });
    let field_checks = checked.iter().map(|f| {
        let (cfgs, ty, marker) = (f.attrs.cfg_tokens(), &f.syn.ty, &f.marker);
        quote_spanned!(ty.span()=>
            #cfgs #krate::__private::assert_atomic_rc_field::<#ty, __gil_fields::#marker>();
        )
    });

    // Each counts the object in `Self`'s live count (`Tracked`, implemented below).
    let constructor = if args.collect.is_some() {
        quote!(#krate::refcount::AtomicRc::__new_collected_counted(self))
    } else if args.biased.is_some() || args.immortal.is_some() {
        quote!(#krate::refcount::AtomicRc::__with_mode_counted(
            self,
            #krate::__private::Mode::#mode,
        ))
    } else if args.hybrid.is_some() {
        quote!(#krate::refcount::AtomicRc::__new_hybrid_counted(self))
    } else {
        quote!(#krate::refcount::AtomicRc::__new_counted(self))
    };
    // A biased object's last drop may be deferred to its owner thread, and a collected one is
    // dropped by whichever thread collects: neither may borrow anything (checked where `into_handle`
    // is called). An immortal one is never dropped, but keeps `with_mode`'s bound. A hybrid one
    // is dropped where its last handle is, as an atomic one.
    let not_plain = args.biased.is_some() || args.immortal.is_some() || args.collect.is_some();
    let bound = not_plain.then(|| quote!(where Self: 'static));
    let (doc_handle, doc_into) = docs(args, &ident.unraw().to_string(), &into_handle, not_plain);

    let allow = common::lints_allowed("atomic_rc", item);

    quote! {
        #item

        #[doc = #doc_handle]
        #allow
        #vis type #handle #alias_generics = #krate::refcount::AtomicRc<#ident #ty_generics>;

        #allow
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #ident #ty_generics #where_clause {
                #[doc = #doc_into]
                #[must_use]
                #[inline]
                #vis fn #into_handle(self) -> #krate::refcount::AtomicRc<Self> #bound {
                    #constructor
                }
            }

            /// One marker type per field, named after it, for the `Send + Sync` errors.
            mod __gil_fields {
                #(#markers)*
            }

            #(#field_checks)*

            #[automatically_derived]
            impl #impl_generics #krate::__private::Tracked for #ident #ty_generics #where_clause {
                #[inline]
                fn __live() -> &'static #krate::__private::LiveCounter {
                    static __LIVE: #krate::__private::LiveCounter =
                        #krate::__private::LiveCounter::new();
                    &__LIVE
                }
            }
        };
    }
}

/// The docs of the handle alias and of `into_handle`.
fn docs(args: &Args, name: &str, into_handle: &syn::Ident, not_plain: bool) -> (String, String) {
    let counting = if args.collect.is_some() {
        "atomically, and tracked by the cycle collector"
    } else if args.biased.is_some() {
        "biased: without atomics on the thread that made it"
    } else if args.hybrid.is_some() {
        "hybrid: atomically, and without atomics in the local handles (`LocalRc`) of the thread \
         that made it"
    } else if args.immortal.is_some() {
        "not at all: the object is immortal"
    } else {
        "atomically"
    };
    let doc_handle = format!(
        "A shared handle to a [`{name}`], counted {counting}; made by [`{name}::{into_handle}`]."
    );
    let static_note = if not_plain {
        " It must be `'static`: its value may be dropped later than its last handle (by the \
         owner thread, the collector, or never)."
    } else {
        ""
    };
    let doc_into = format!(
        "Moves this `{name}` into a new shared handle, counted {counting}. The fields are \
         reachable through the handle, immutably, from every thread that holds one.{static_note}"
    );
    (doc_handle, doc_into)
}

/// The struct's generic parameters without bounds but with their defaults, for the type alias
/// (bounds on an alias are not enforced, and rustc warns about them; `BufRc` with no arguments
/// must mean `AtomicRc<Buf>` when `Buf<T = u8>`).
fn alias_generics(generics: &syn::Generics) -> TokenStream {
    if generics.params.is_empty() {
        return TokenStream::new();
    }
    let params = generics.params.iter().map(|param| match param {
        syn::GenericParam::Lifetime(l) => {
            let lifetime = &l.lifetime;
            quote!(#lifetime)
        }
        syn::GenericParam::Type(t) => {
            let ident = &t.ident;
            let default = t.default.as_ref().map(|d| quote!(= #d));
            quote!(#ident #default)
        }
        syn::GenericParam::Const(c) => {
            let (ident, ty) = (&c.ident, &c.ty);
            let default = c.default.as_ref().map(|d| quote!(= #d));
            quote!(const #ident: #ty #default)
        }
    });
    quote!(<#(#params),*>)
}
