//! Writes the GIL-protected struct and its impl.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned;

use super::ast::{Field, Input};
use super::attr::Args;
use crate::common;

pub fn expand(args: &Args, input: &Input) -> TokenStream {
    let krate = common::crate_path(args.krate.as_ref());
    let [constructor, into_handle, fields_mut] = args.names();
    let item = input.item;
    let (vis, ident, generics) = (&item.vis, &item.ident, &item.generics);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let lt = common::unique_lifetime(generics, "__gil");
    // `new` and `fields_mut` reach every field: no wider than the narrowest of them, and not
    // beyond the crate for a `#[non_exhaustive]` struct.
    let fields_vis = common::narrowest(
        std::iter::once(vis).chain(input.fields.iter().map(|f| &f.syn.vis)),
        common::is_non_exhaustive(&item.attrs),
    );

    // The default domain is left implicit in the fields' types, so they read as before.
    let domain = args
        .domain
        .as_ref()
        .map_or_else(|| quote!(#krate::DefaultDomain), |d| quote!(#d));
    let domain_arg = args.domain.as_ref().map(|d| quote!(, #d));
    let mut protected = item.clone();
    for field in &mut protected.fields {
        let ty = &field.ty;
        field.ty = syn::parse_quote_spanned!(ty.span()=> #krate::GilCell<#ty #domain_arg>);
    }
    let domain_check = args
        .domain
        .as_ref()
        .filter(|d| !common::mentions_generics(d, generics))
        .map(|d| quote_spanned!(d.span()=> #krate::__private::assert_domain::<#d>();));

    // An unsized last field (`data: T` with `T: ?Sized`): the methods that move the struct need
    // it sized.
    let sized = input
        .fields
        .last()
        .filter(|f| common::maybe_unsized(&f.syn.ty, generics))
        .map(|f| {
            let ty = &f.syn.ty;
            quote!(#ty: ::core::marker::Sized)
        });
    let new_where = sized.as_ref().map(|s| quote!(where #s));
    let params = input.fields.iter().map(|f| {
        let (cfgs, binding, ty) = (f.attrs.cfg_tokens(), &f.binding, &f.syn.ty);
        quote!(#cfgs #binding: #ty)
    });
    let inits: Vec<_> = input
        .fields
        .iter()
        .map(|f| {
            let (cfgs, binding, member) = (f.attrs.cfg_tokens(), &f.binding, &f.member);
            quote!(#cfgs #member: #krate::GilCell::new_in(#binding))
        })
        .collect();
    let send_checks = input
        .fields
        .iter()
        .filter(|f| !common::mentions_generics(&f.syn.ty, generics))
        .map(|f| {
            let (cfgs, ty) = (f.attrs.cfg_tokens(), &f.syn.ty);
            quote_spanned!(ty.span()=> #cfgs #krate::__private::assert_global_lock_field::<#ty>();)
        });
    let doc_new = constructor_doc(input);
    let (fields_mut, cells_impls): (Vec<_>, Vec<_>) =
        fields_mut_variants(input, &krate, &domain, &lt, &fields_vis, &fields_mut)
            .into_iter()
            .unzip();
    let allow = common::lints_allowed("global_lock", item);
    let [plain, from_plain, into_fields] = plain_items(args, input, &inits, &allow);
    let debug = debug_method(args, input, &krate, &domain, &lt);

    quote! {
        #protected

        #plain

        #allow
        const _: () = {
            #domain_check
            #(#send_checks)*

            #[automatically_derived]
            impl #impl_generics #ident #ty_generics #where_clause {
                #[doc = #doc_new]
                #[must_use]
                #[inline]
                #fields_vis fn #constructor(#(#params),*) -> Self #new_where {
                    Self { #(#inits),* }
                }

                /// Moves this object into a `GilRc` handle, shared across threads and
                /// counted under the GIL of its domain. The object must be
                /// `Send + Sync + 'static`: a handle dropped without that GIL is freed later,
                /// by whichever thread acquires it next.
                #[must_use]
                #[inline]
                #vis fn #into_handle<#lt>(self) -> #krate::GilRc<Self, #domain>
                where
                    (::core::marker::PhantomData<&#lt ()>, Self): ::core::marker::Send + ::core::marker::Sync,
                    Self: 'static,
                    #sized
                {
                    #krate::__private::into_handle::<#lt, Self, #domain>(self)
                }

                #(#fields_mut)*

                #into_fields

                #debug
            }

            #from_plain

            #(#cells_impls)*
        };
    }
}

/// `debug`: the fields under the token, as `#[derive(Debug)]` would print them (a derive sees
/// only the cells, which it cannot open). Each field's type must be `Debug`: the bound sits on the
/// method, at the field's type, so the error names the field; for a field under `#[cfg]` whose
/// type names no generic parameter, the check sits in the body, gated with the field, since its
/// type may exist only under that `cfg` (a `where` clause cannot be gated). The returned value
/// borrows `self` and the token, and names the struct's lifetimes.
fn debug_method(
    args: &Args,
    input: &Input,
    krate: &TokenStream,
    domain: &TokenStream,
    lt: &syn::Lifetime,
) -> Option<TokenStream> {
    let name = args.debug.as_ref()?;
    let item = input.item;
    let (vis, ident) = (&item.vis, item.ident.unraw().to_string());
    let token = format_ident!("__gil_token", span = Span::mixed_site());
    let out = format_ident!("__gil_out", span = Span::mixed_site());
    let formatter = format_ident!("__gil_formatter", span = Span::mixed_site());
    let tuple = matches!(item.fields, syn::Fields::Unnamed(_));
    // Errors point at the field's type, but paths resolve at the call site: with the type's own
    // span, `::core` would be read in the user's edition (2015: a path from the crate root).
    let at = |ty: &syn::Type| Span::call_site().located_at(ty.span());
    let bound_on_method =
        |f: &Field| f.attrs.cfgs.is_empty() || common::mentions_generics(&f.syn.ty, &item.generics);
    let fields = input.fields.iter().map(|f| {
        let (cfgs, member, ty) = (f.attrs.cfg_tokens(), &f.member, &f.syn.ty);
        let label = match member {
            syn::Member::Named(name) => {
                let name = name.unraw().to_string();
                quote!(#name,)
            }
            syn::Member::Unnamed(_) => TokenStream::new(),
        };
        let value = quote!(self.#member.get(#token));
        let value = if bound_on_method(f) {
            value
        } else {
            quote_spanned!(at(ty)=> #krate::__private::debug_field::<#ty>(#value))
        };
        quote!(#cfgs { #out.field(#label &#value); })
    });
    let bounds = input.fields.iter().filter(|f| bound_on_method(f)).map(|f| {
        let ty = &f.syn.ty;
        quote_spanned!(at(ty)=> #ty: ::core::fmt::Debug)
    });
    let captures = item.generics.lifetimes().map(|l| {
        let l = &l.lifetime;
        quote!(+ #krate::__private::Captures<&#l ()>)
    });
    let start = if tuple {
        quote!(debug_tuple)
    } else {
        quote!(debug_struct)
    };
    let doc = format!(
        "The fields of this `{ident}` under the GIL's token, for `{{:?}}`: \
         `{ident} {{ field: value, .. }}`."
    );
    Some(quote! {
        #[doc = #doc]
        #[inline]
        #vis fn #name<#lt>(&#lt self, #token: &#lt #krate::Gil<#domain>)
            -> impl ::core::fmt::Debug + #lt #(#captures)*
        where
            #(#bounds,)*
        {
            #krate::__private::debug_fn(move |#formatter| {
                let mut #out = #formatter.#start(#ident);
                #(#fields)*
                #out.finish()
            })
        }
    })
}

/// The constructor's doc: what it makes, and its parameters in order.
fn constructor_doc(input: &Input) -> String {
    let order: Vec<String> = input
        .fields
        .iter()
        .map(|f| match &f.member {
            syn::Member::Named(name) => format!("`{}`", name.unraw()),
            syn::Member::Unnamed(index) => format!("`{}`", index.index),
        })
        .collect();
    format!(
        "Creates a `{}` whose fields are protected by the GIL, from its fields in declaration \
         order: {}.",
        input.item.ident.unraw(),
        order.join(", ")
    )
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
                member: f.member.clone(),
                binding: f.binding.clone(),
                attrs: &f.attrs,
            })
            .collect(),
    };
    let outs: Vec<_> = input
        .fields
        .iter()
        .map(|f| {
            let (cfgs, binding, member) = (f.attrs.cfg_tokens(), &f.binding, &f.member);
            quote!(#cfgs #member: #binding.into_inner())
        })
        .collect();
    plain.items("global_lock", allow, inits, &outs)
}

/// `fields_mut`, and the `GilFields` impl it relies on, once per combination of the fields'
/// `#[cfg]` conditions: its tuple holds the fields that exist in that configuration. The impl is
/// for a private wrapper of `&self`, defined once (the first item of the second list), not for
/// the struct: an impl for a public struct would put its fields' types in a public interface,
/// which a private field type may not be (E0446).
fn fields_mut_variants(
    input: &Input,
    krate: &TokenStream,
    domain: &TokenStream,
    lt: &syn::Lifetime,
    vis: &TokenStream,
    name: &syn::Ident,
) -> Vec<(TokenStream, TokenStream)> {
    let ident = &input.item.ident;
    let (_, ty_generics, where_clause) = input.item.generics.split_for_impl();
    let wrapper = format_ident!("__GilFieldsOf", span = Span::mixed_site());
    let mut wrapper_generics = input.item.generics.clone();
    wrapper_generics.params.insert(
        0,
        syn::GenericParam::Lifetime(syn::LifetimeParam::new(lt.clone())),
    );
    let (w_impl, w_ty, w_where) = wrapper_generics.split_for_impl();
    let definition = quote! {
        /// `&self`, as `fields_mut` hands it to the runtime.
        struct #wrapper #wrapper_generics (&#lt #ident #ty_generics) #where_clause;
    };
    let mut conditions: Vec<&TokenStream> = Vec::new();
    for cfg in input.fields.iter().filter_map(|f| f.cfg.as_ref()) {
        if !conditions.iter().any(|c| c.to_string() == cfg.to_string()) {
            conditions.push(cfg);
        }
    }
    let doc = format!(
        "Borrows every field of this `{}` mutably at once, in declaration order.",
        input.item.ident.unraw()
    );
    (0..1_u32 << conditions.len())
        .map(|mask| {
            let on = |cfg: &TokenStream| {
                conditions
                    .iter()
                    .position(|c| c.to_string() == cfg.to_string())
                    .is_some_and(|i| mask & (1 << i) != 0)
            };
            let gate = (!conditions.is_empty()).then(|| {
                let parts = conditions.iter().enumerate().map(|(i, c)| {
                    if mask & (1 << i) == 0 {
                        quote!(not(#c))
                    } else {
                        quote!(#c)
                    }
                });
                quote!(#[cfg(all(#(#parts),*))])
            });
            let present: Vec<&Field> = input
                .fields
                .iter()
                .filter(|f| f.cfg.as_ref().map_or(true, on))
                .collect();
            let types: Vec<_> = present.iter().map(|f| &f.syn.ty).collect();
            let token = format_ident!("__gil_token", span = Span::mixed_site());
            let bindings: Vec<_> = (0..present.len())
                .map(|i| format_ident!("__gil_field_{}", i, span = Span::mixed_site()))
                .map(|b| quote!(#b))
                .collect();
            let pattern = nest(bindings.clone());
            let cells_type = nest(types.iter().map(|t| quote!(&#lt #krate::GilCell<#t, #domain>)).collect());
            let cells = nest(present.iter().map(|f| { let m = &f.member; quote!(&self.0.#m) }).collect());
            let method = quote! {
                #gate
                #[doc = #doc]
                #[inline]
                #vis fn #name<#lt>(&#lt self, #token: &#lt mut #krate::Gil<#domain>) -> (#(&#lt mut #types,)*) {
                    let #pattern = #krate::__private::fields_mut(#token, #wrapper(self));
                    (#(#bindings,)*)
                }
            };
            // SAFETY (of the generated impl): the contract holds by construction, whatever
            // `crate = path` names: the cells are distinct fields of `self`, so no two `&mut` alias. (A runtime check could not tell
            // two zero-sized fields at one offset from one field named twice.)
            let cells_impl = quote! {
                #gate
                #[automatically_derived]
                unsafe impl #w_impl #krate::__private::GilFields<#lt, #domain> for #wrapper #w_ty #w_where {
                    type __Cells = #cells_type;
                    #[inline]
                    fn __cells(self) -> Self::__Cells {
                        #cells
                    }
                }
            };
            (method, cells_impl)
        })
        .chain(std::iter::once((TokenStream::new(), definition)))
        .collect()
}

/// `(a, b, ..)` of at most 12 elements, nesting groups of 12 as often as needed.
fn nest(mut items: Vec<TokenStream>) -> TokenStream {
    while items.len() > 12 {
        items = items.chunks(12).map(|c| quote!((#(#c,)*))).collect();
    }
    quote!((#(#items,)*))
}
