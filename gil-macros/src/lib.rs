//! Attribute macros of [`gilkit`](https://docs.rs/gilkit). Use them through the `gilkit` crate, which
//! documents them with examples.

mod atomic_rc;
mod common;
mod global_lock;
mod per_field_lock;

use proc_macro::TokenStream;

/// (The attribute `gilkit::global_lock`, documented there.)
#[proc_macro_attribute]
pub fn global_lock(args: TokenStream, input: TokenStream) -> TokenStream {
    global_lock::expand(args.into(), input.into()).into()
}

/// (The attribute `gilkit::per_field_lock`, documented there.)
#[proc_macro_attribute]
pub fn per_field_lock(args: TokenStream, input: TokenStream) -> TokenStream {
    per_field_lock::expand(args.into(), input.into()).into()
}

/// (The attribute `gilkit::atomic_rc`, documented there.)
#[proc_macro_attribute]
pub fn atomic_rc(args: TokenStream, input: TokenStream) -> TokenStream {
    atomic_rc::expand(args.into(), input.into()).into()
}

#[cfg(test)]
mod tests {
    //! Expansions checked as text, where a compile test cannot look: rustdoc links.

    use quote::quote;

    /// Row 10 of issue 17: with `crate = ::locks`, nothing generated names `::gilkit`, doc links
    /// included.
    #[test]
    fn crate_path_reaches_generated_docs_and_paths() {
        let expansions = [
            crate::per_field_lock::expand(
                quote!(crate = ::locks),
                quote!(
                    struct S {
                        a: u8,
                    }
                ),
            ),
            crate::global_lock::expand(
                quote!(crate = ::locks),
                quote!(
                    struct S {
                        a: u8,
                    }
                ),
            ),
            crate::atomic_rc::expand(
                quote!(crate = ::locks),
                quote!(
                    struct S {
                        a: u8,
                    }
                ),
            ),
        ];
        for expansion in expansions.map(|e| e.to_string()) {
            assert!(!expansion.contains("compile_error"), "{expansion}");
            assert!(!expansion.contains(" gil ::"), "{expansion}");
            assert!(!expansion.contains("::gilkit"), "{expansion}");
            assert!(expansion.contains(":: locks ::"), "{expansion}");
        }
        let locked = crate::per_field_lock::expand(
            quote!(crate = ::locks),
            quote!(
                struct S {
                    a: u8,
                }
            ),
        );
        assert!(
            locked
                .to_string()
                .contains("(::locks::field_lock::lock_fields)"),
            "{locked}"
        );
    }
}
