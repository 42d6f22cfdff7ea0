//! Attribute macros of [`gil`](https://docs.rs/gil). Use them through the `gil` crate, which
//! documents them with examples.

mod atomic_rc;
mod common;
mod global_lock;

use proc_macro::TokenStream;

/// Puts every field of a struct behind the GIL. See `gil::global_lock` for the documentation.
#[proc_macro_attribute]
pub fn global_lock(args: TokenStream, input: TokenStream) -> TokenStream {
    global_lock::expand(args.into(), input.into()).into()
}

/// Shares a struct through atomic reference counts, with no global lock.
///
/// Generates, next to the struct `Name`:
/// - the handle type `NameRc` (`gil::refcount::AtomicRc<Name>`; rename it with `handle = ...`),
///   whose `Deref` gives shared access to the fields (never `&mut`);
/// - `Name::into_rc(self)`, the constructor of a handle in the chosen mode;
/// - a compile-time check that every field is `Send + Sync`, naming the field that is not;
/// - live-object accounting: `gil::stats::live::<Name>()`.
///
/// Options (comma-separated, each at most once): `biased` (a non-atomic count for the thread
/// that calls `into_rc`), `immortal` (never counted, never freed), `handle = Ident`. `biased`
/// and `immortal` exclude each other.
///
/// ```ignore
/// #[gil::atomic_rc(biased)]
/// pub struct Node {
///     pub value: u32,
/// }
///
/// let node: NodeRc = Node { value: 1 }.into_rc();
/// let other = node.clone(); // a plain increment on this (the owner) thread
/// assert_eq!(other.value, 1);
/// ```
#[proc_macro_attribute]
pub fn atomic_rc(args: TokenStream, input: TokenStream) -> TokenStream {
    atomic_rc::expand(args.into(), input.into()).into()
}
