//! Writes the struct with a lock around each field, and its constructor and accessors.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned;

use super::ast::{Field, Input};
use super::attr::{Args, Counts, Kind};
use super::debug;
use crate::common;

pub fn expand(args: &Args, input: &Input) -> TokenStream {
    let krate = common::crate_path(args.krate.as_ref());
    let [constructor, into_handle] = args.names();
    let item = input.item;
    let (vis, ident, generics) = (&item.vis, &item.ident, &item.generics);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    // The constructor sets every field: no wider than the narrowest of them, and not beyond the
    // crate for a `#[non_exhaustive]` struct.
    let new_vis = common::narrowest(
        std::iter::once(vis).chain(input.fields.iter().map(|f| &f.syn.vis)),
        common::is_non_exhaustive(&item.attrs),
    );

    let padded = args.padded.is_some();
    let mut locked = item.clone();
    let debug = debug::take_derive(&mut locked.attrs);
    if let syn::Fields::Named(named) = &mut locked.fields {
        let krate = &krate;
        named.named = input
            .fields
            .iter()
            .flat_map(|f| {
                f.variants().into_iter().flat_map(move |(cfg, kind, _)| {
                    let mut field = f.syn.clone();
                    field.attrs.clone_from(&f.attrs);
                    field.attrs.extend(
                        cfg.iter()
                            .map(|cfg| -> syn::Attribute { syn::parse_quote!(#cfg) }),
                    );
                    // A locked field is reached through its accessor, which keeps the field's
                    // visibility; the lock and the value stay private to the module.
                    if kind != Kind::NoLock {
                        field.vis = syn::Visibility::Inherited;
                    }
                    field.ty = lock_type(krate, kind, &f.syn.ty, padded);
                    let lock = split(kind, padded).then(|| {
                        let (name, cfgs) = (lock_name(f.ident), f.travel.cfg_tokens());
                        let doc = format!("The lock of field `{}`.", f.ident.unraw());
                        syn::parse_quote_spanned! {f.ident.span()=>
                            #cfgs #cfg #[doc = #doc] #name: #krate::field_lock::RawFieldLock
                        }
                    });
                    std::iter::once(field).chain(lock)
                })
            })
            .collect();
    }

    let params = input.fields.iter().map(|f| {
        let (cfgs, param, ty) = (f.travel.cfg_tokens(), common::param(f.ident), &f.syn.ty);
        quote!(#cfgs #param: #ty)
    });
    let mut inits = per_variant(input, &|kind, param| {
        lock_around(&krate, kind, param, padded)
    });
    inits.extend(lock_inits(&krate, input, padded));
    let type_name = args
        .class
        .as_ref()
        .map_or_else(|| ident.unraw().to_string(), syn::LitStr::value);
    let krate_doc = common::crate_path_doc(args.krate.as_ref());
    let accessors = input
        .fields
        .iter()
        .flat_map(|f| accessors(f, padded, &krate, &krate_doc, &type_name, vis));
    let order: Vec<String> = input
        .fields
        .iter()
        .map(|f| format!("`{}`", f.ident.unraw()))
        .collect();
    let doc_new = format!(
        "Creates a `{}` with each field behind its own lock, from its fields in declaration \
         order: {}.",
        ident.unraw(),
        order.join(", ")
    );
    let allow = common::lints_allowed("per_field_lock", item);
    let [plain, from_plain, into_fields] = plain_items(args, input, &inits, &allow);
    let into_handle_fn = into_handle_fn(args, &krate, &into_handle, vis);
    let debug_impl = debug::impl_debug(input, &debug);

    quote! {
        #locked

        #plain

        #allow
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #ident #ty_generics #where_clause {
                #[doc = #doc_new]
                #[must_use]
                #[inline]
                #new_vis fn #constructor(#(#params),*) -> Self {
                    Self { #(#inits),* }
                }

                #into_handle_fn

                #(#accessors)*

                #into_fields
            }

            #from_plain

            #debug_impl
        };
    }
}

/// `into_handle`: into an `Arc`, or into the library's own counts with `rc = ..`.
fn into_handle_fn(
    args: &Args,
    krate: &TokenStream,
    into_handle: &syn::Ident,
    vis: &syn::Visibility,
) -> TokenStream {
    let Some((counts, _)) = args.rc else {
        return quote! {
            /// Moves this object into a `Handle` (an `Arc`), to share it across threads.
            #[must_use]
            #[inline]
            #vis fn #into_handle(self) -> #krate::field_lock::Handle<Self> {
                #krate::field_lock::Handle::new(self)
            }
        };
    };
    let mode = syn::Ident::new(counts.mode(), proc_macro2::Span::call_site());
    let doc = match counts {
        Counts::Atomic => {
            "Moves this object into an `AtomicRc` counted atomically, as `Arc`, to share it across \
             threads: a lock per field and atomic counts."
        }
        Counts::Biased => {
            "Moves this object into an `AtomicRc` with biased counts, owned by the calling thread \
             (PEP 703's object model: a lock per field and biased counts). On this thread, \
             `AtomicRc::to_local` gives a `LocalRc` that counts as `Rc` does."
        }
        Counts::Hybrid => {
            "Moves this object into an `AtomicRc` with hybrid counts, owned by the calling thread: \
             every `AtomicRc` counts as `Arc` does, and on this thread `AtomicRc::to_local` gives \
             a `LocalRc` that counts as `Rc` does."
        }
        Counts::Immortal => {
            "Moves this object into an immortal `AtomicRc`: never counted, never freed (PEP 683), \
             its fields still behind their locks."
        }
    };
    // Atomic and hybrid counts drop the value where the last handle goes, so a borrowing type
    // may use them; biased and immortal ones may drop it later, or never.
    let constructor = match counts {
        Counts::Atomic => Some(quote!(#krate::refcount::AtomicRc::new(self))),
        Counts::Hybrid => Some(quote!(#krate::refcount::AtomicRc::new_hybrid(self))),
        Counts::Biased | Counts::Immortal => None,
    };
    if let Some(constructor) = constructor {
        return quote! {
            #[doc = #doc]
            #[must_use]
            #[inline]
            #vis fn #into_handle(self) -> #krate::refcount::AtomicRc<Self> {
                #constructor
            }
        };
    }
    quote! {
        #[doc = #doc]
        #[must_use]
        #[inline]
        #vis fn #into_handle(self) -> #krate::refcount::AtomicRc<Self>
        where
            Self: 'static,
        {
            #krate::refcount::AtomicRc::with_mode(self, #krate::refcount::Mode::#mode)
        }
    }
}

/// Whether a field of kind `kind` is stored as two fields, a `FieldCell` and its `RawFieldLock`,
/// so that the struct's 1-byte locks pack together: a mutex field, unless padded (then the lock
/// and the value share their cache line in one `FieldLock`).
fn split(kind: Kind, padded: bool) -> bool {
    kind == Kind::Mutex && !padded
}

/// The field that holds the lock of field `field` when it is [`split`].
fn lock_name(field: &syn::Ident) -> syn::Ident {
    quote::format_ident!("__gil_lock_{}", field.unraw(), span = field.span())
}

/// The type of a field of kind `kind` holding a `ty`: its lock around it, padded if asked, or
/// only its cell when [`split`].
fn lock_type(krate: &TokenStream, kind: Kind, ty: &syn::Type, padded: bool) -> syn::Type {
    let lock: syn::Type = match kind {
        Kind::Mutex if !padded => {
            return syn::parse_quote_spanned!(ty.span()=> #krate::field_lock::FieldCell<#ty>)
        }
        Kind::Mutex => syn::parse_quote_spanned!(ty.span()=> #krate::field_lock::FieldLock<#ty>),
        Kind::Rw => syn::parse_quote_spanned!(ty.span()=> #krate::field_lock::RwFieldLock<#ty>),
        Kind::NoLock => return ty.clone(),
    };
    if padded {
        syn::parse_quote_spanned!(ty.span()=> #krate::field_lock::CachePadded<#lock>)
    } else {
        lock
    }
}

/// The lock of a field of kind `kind` around `value` (padded if asked), or the value itself for
/// `no_lock`.
fn lock_around(krate: &TokenStream, kind: Kind, value: &syn::Ident, padded: bool) -> TokenStream {
    let lock = match kind {
        Kind::Mutex if !padded => return quote!(#krate::field_lock::FieldCell::new(#value)),
        Kind::Mutex => quote!(#krate::field_lock::FieldLock::new(#value)),
        Kind::Rw => quote!(#krate::field_lock::RwFieldLock::new(#value)),
        Kind::NoLock => return quote!(#value),
    };
    if padded {
        quote!(#krate::field_lock::CachePadded::new(#lock))
    } else {
        lock
    }
}

/// `name: value` for each field in each of its configurations (gated by its `#[cfg]`s and, for a
/// kind chosen in a `cfg_attr`, by that predicate), where `write` makes the value from the field's
/// kind and the local holding it.
fn per_variant(
    input: &Input,
    write: &dyn Fn(Kind, &syn::Ident) -> TokenStream,
) -> Vec<TokenStream> {
    input
        .fields
        .iter()
        .flat_map(|f| {
            let (cfgs, name, param) = (f.travel.cfg_tokens(), f.ident, common::param(f.ident));
            f.variants()
                .into_iter()
                .map(|(cfg, kind, _)| {
                    let value = write(kind, &param);
                    quote!(#cfgs #cfg #name: #value)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The initializers of the locks of [`split`] fields, which hold no value.
fn lock_inits(krate: &TokenStream, input: &Input, padded: bool) -> Vec<TokenStream> {
    input
        .fields
        .iter()
        .flat_map(|f| {
            let (cfgs, name) = (f.travel.cfg_tokens(), lock_name(f.ident));
            f.variants()
                .into_iter()
                .filter(|(_, kind, _)| split(*kind, padded))
                .map(move |(cfg, _, _)| {
                    quote!(#cfgs #cfg #name: #krate::field_lock::RawFieldLock::new())
                })
        })
        .collect()
}

/// `fields = Name`: the twin struct, its `From` impl, and `into_fields` (nothing if not asked).
fn plain_items(
    args: &Args,
    input: &Input,
    inits: &[TokenStream],
    allow: &TokenStream,
) -> [TokenStream; 3] {
    let Some(name) = &args.fields else {
        return Default::default();
    };
    let item = input.item;
    let plain = common::Plain {
        item,
        name,
        fields: input
            .fields
            .iter()
            .map(|f| common::PlainField {
                syn: f.syn,
                member: syn::Member::Named(f.ident.clone()),
                binding: common::param(f.ident),
                attrs: &f.travel,
            })
            .collect(),
    };
    let krate = common::crate_path(args.krate.as_ref());
    let outs = per_variant(input, &|kind, param| match (kind, args.padded) {
        (Kind::NoLock, _) => quote!(#param),
        (Kind::Mutex | Kind::Rw, None) => quote!(#param.into_inner()),
        (Kind::Mutex | Kind::Rw, Some(_)) => {
            quote!(#krate::field_lock::CachePadded::into_inner(#param).into_inner())
        }
    });
    plain.items("per_field_lock", allow, inits, &outs)
}

/// The accessor of a field, once per configuration in which the field has a lock. It carries
/// the field's `#[cfg]`, docs and `#[deprecated]`, and reaches no further than the field or the
/// struct.
fn accessors(
    f: &Field,
    padded: bool,
    krate: &TokenStream,
    krate_doc: &str,
    type_name: &str,
    struct_vis: &syn::Visibility,
) -> Vec<TokenStream> {
    let (name, ty, index) = (f.ident, &f.syn.ty, f.index);
    let vis = common::narrowest([&f.syn.vis, struct_vis], false);
    let class = format!("{type_name}.{}", name.unraw());
    let cfgs = f.travel.cfg_tokens();
    let docs = &f.travel.docs;
    let separator = (!docs.is_empty()).then(|| quote!(#[doc = ""]));
    f.variants()
        .into_iter()
        .filter(|(_, kind, _)| *kind != Kind::NoLock)
        .map(|(cfg, kind, span)| {
            let (handle, how) = if kind == Kind::Rw {
                (quote!(RwField), "`.read()` or `.write()`")
            } else {
                (quote!(Field), "`.lock()`")
            };
            let doc = format!(
                "The field `{}`, behind its own lock of class `{class}` (after the module \
                 path). Lock it with {how}, or together with other fields with \
                 [`lock_fields`]({krate_doc}::field_lock::lock_fields).",
                name.unraw()
            );
            // The block is spanned at the call site, not at the field: an `unsafe` block written
            // by a macro does not trip the user's `forbid(unsafe_code)`, one spanned at their own
            // tokens would.
            // The class's name is written at the call site: spanned at the field, `::core` would
            // be read in the user's edition (2015: a path from the crate root).
            let class_name = quote!(::core::concat!(::core::module_path!(), "::", #class));
            // `self` is written at the call site too: spanned at a field that a `macro_rules!`
            // wrote, it would take that macro's hygiene and not name the receiver.
            let this = quote!(self);
            let make = if split(kind, padded) {
                let lock = lock_name(name);
                quote! {
                    // SAFETY: `self.#lock` is the one lock of `self.#name`: the macro pairs the
                    // two here and nowhere else, and the method takes both (and the class) as
                    // generics that must be the real types, which no `Deref` of a stand-in can
                    // redirect. `self` contains both, `#index` is the field's declaration index
                    // and `__CLASS` its class, the same on every call. A method call, not a path
                    // under `crate = ..`: only a method can answer it.
                    unsafe {
                        self.#name.__gil_field(&self.#name, &self.#lock, &__CLASS, self, #index)
                    }
                }
            } else {
                quote! {
                    // SAFETY: `self` contains `self.#name`, `#index` is its declaration index and
                    // `__CLASS` its class, the same on every call for this lock; the method takes
                    // the field and the class again as generics that must be the real types. A
                    // method call, not a path under `crate = ..`: only a method can answer it,
                    // never a foreign function.
                    unsafe { self.#name.__gil_field(&self.#name, &__CLASS, self, #index) }
                }
            };
            quote_spanned! {span=>
                #cfgs
                #cfg
                #(#docs)*
                #separator
                #[doc = #doc]
                #[inline]
                #vis fn #name(&#this) -> #krate::field_lock::#handle<'_, #ty> {
                    static __CLASS: #krate::field_lock::LockClass =
                        #krate::field_lock::LockClass::new(#class_name);
                    #make
                }
            }
        })
        .collect()
}
