//! The expansion of all three attributes compiles cleanly under the strictest lint sets, for
//! structs written by a local `macro_rules!` (rows 3 and 11 of issue 17), with deprecated, `cfg`
//! and documented fields. `cargo clippy --all-targets -- -D warnings` checks it.
// `forbid`, not `deny`: an `allow` of these in the generated code would be an error.
#![forbid(
    unsafe_code,
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block,
    clippy::missing_inline_in_public_items
)]
#![deny(
    warnings,
    missing_docs,
    unreachable_pub,
    unused_qualifications,
    rust_2018_idioms,
    deprecated
)]
#![deny(clippy::all, clippy::pedantic, clippy::nursery)]
#![deny(
    clippy::missing_const_for_fn,
    clippy::missing_docs_in_private_items,
    clippy::pub_underscore_fields,
    clippy::allow_attributes_without_reason,
    clippy::absolute_paths,
    clippy::std_instead_of_core,
    clippy::used_underscore_binding,
    clippy::used_underscore_items,
    clippy::pattern_type_mismatch,
    clippy::shadow_unrelated,
    clippy::min_ident_chars,
    clippy::single_char_lifetime_names,
    clippy::impl_trait_in_params,
    clippy::exhaustive_structs
)]

/// Writes one struct per strategy, as a user's helper macro would.
macro_rules! strategies {
    ($($name:ident),*) => {
        /// Locked field by field.
        #[gilkit::per_field_lock]
        #[non_exhaustive]
        pub struct Locked {
            /// A counter.
            pub hits: u64,
            /// Replaced by `hits`.
            #[deprecated(note = "use `hits`")]
            pub old_hits: u64,
            /// Only on unix.
            #[cfg(unix)]
            #[field(rw)]
            pub unix_only: u8,
            /// Read-write where it holds.
            #[cfg_attr(all(), field(rw))]
            pub names: Vec<String>,
            /// Private.
            id: u32,
        }

        /// Behind the GIL.
        #[gilkit::global_lock]
        #[non_exhaustive]
        pub struct Global<T: Send = u8> {
            /// A counter.
            pub hits: u64,
            /// Replaced by `hits`.
            #[deprecated]
            pub old_hits: u64,
            /// Only on unix.
            #[cfg(unix)]
            pub unix_only: u8,
            /// Generic.
            pub(crate) value: T,
        }

        /// Shared by atomic counts.
        #[gilkit::atomic_rc]
        #[non_exhaustive]
        pub struct Shared<const N: usize = 2> {
            /// Data.
            pub data: [u8; N],
            /// Replaced by `data`.
            #[deprecated]
            pub old: u8,
        }

        $(
            /// One more per name.
            #[gilkit::per_field_lock]
            #[non_exhaustive]
            pub struct $name {
                /// A value.
                pub value: u8,
            }
        )*
    };
}

strategies!(Extra);

#[test]
fn strict_expansion_from_a_macro_is_usable() {
    #[cfg(unix)]
    let locked = Locked::new(1, 2, 3, Vec::new(), 4);
    #[cfg(not(unix))]
    let locked = Locked::new(1, 2, Vec::new(), 4);
    *locked.hits().lock() += 1;
    locked.names().write().push("a".to_owned());
    assert_eq!(*locked.id().lock(), 4);
    #[cfg(unix)]
    let global = Global::new(1, 2, 3, 4_u8);
    #[cfg(not(unix))]
    let global = Global::new(1, 2, 4_u8);
    gilkit::with_gil(|token| assert_eq!(*global.value.get(token), 4));
    #[expect(deprecated, reason = "the deprecated field is set on purpose")]
    let shared: SharedRc = Shared {
        data: [1, 2],
        old: 0,
    }
    .into_handle();
    assert_eq!(shared.data, [1, 2]);
    assert_eq!(*Extra::new(5).value().lock(), 5);
}
