//! A second review of `#[per_field_lock]`'s field locks: safe code (no `unsafe`) that tries to
//! pair one value with two locks, or one lock with two order keys or classes, with and without
//! `crate = path`. What it broke (stand-ins for `CachePadded`, `RwFieldLock` and `LockClass`
//! under `crate = path` that `Deref` to a sibling's lock or to another class) is now refused at
//! compile time: `tests/ui/per_field_lock/stand_ins_under_crate_path_are_refused.rs`. What held
//! is below.
#![forbid(unsafe_code)]
#![allow(dead_code)]
#![allow(
    clippy::unused_self,
    reason = "the probes' inherent methods take `&self` to win over the trait's fallback"
)]

use gilkit::per_field_lock;

// ---------------------------------------------------------------------------------------------
// Regression tests: things that held.
// ---------------------------------------------------------------------------------------------

/// A trait in scope with a method named `__gil_field` for the real cell: the inherent method is
/// found first (same autoref step), so the accessor still pairs the cell with its own lock.
mod trait_in_scope {
    use gilkit::field_lock::{Field, FieldCell, LockClass, RawFieldLock};

    pub trait Hijack {
        fn __gil_field<'a, F, L, O: ?Sized>(
            &'a self,
            field: &'a F,
            lock: &'a L,
            class: &'static LockClass,
            object: &'a O,
            index: u32,
        ) -> Field<'a, u64>;
    }

    impl Hijack for FieldCell<u64> {
        fn __gil_field<'a, F, L, O: ?Sized>(
            &'a self,
            _: &'a F,
            _: &'a L,
            _: &'static LockClass,
            _: &'a O,
            _: u32,
        ) -> Field<'a, u64> {
            panic!("the user's method was called")
        }
    }

    #[gilkit::per_field_lock]
    pub struct S {
        pub x: u64,
    }

    pub fn lock_once() {
        let _ = std::mem::size_of::<RawFieldLock>();
        let s = S::new(1);
        *s.x().lock() += 1;
        assert_eq!(*s.x().lock(), 2);
    }
}

#[test]
fn a_trait_method_named_like_the_accessors_is_not_called() {
    trait_in_scope::lock_once();
}

/// In the struct's module: a guard forgotten (its lock stays locked), then the locks and cells of
/// two fields and two objects swapped through `&mut`. Every cell is still read only under the lock
/// beside it; the forgotten lock moves with the swap, and no guard outlives the `&mut`.
#[per_field_lock]
struct Swappy {
    a: Vec<u64>,
    b: Vec<u64>,
}

#[test]
fn swapping_cells_and_locks_through_mut_keeps_one_lock_per_cell() {
    let mut s = Swappy::new(vec![1], vec![2]);
    let mut t = Swappy::new(vec![3], vec![4]);
    // Forgotten on a thread of its own, whose validator records die with it.
    std::thread::scope(|scope| {
        scope.spawn(|| std::mem::forget(s.a().lock()));
    });
    std::mem::swap(&mut s.__gil_lock_a, &mut s.__gil_lock_b);
    std::mem::swap(&mut s.a, &mut t.a);
    std::mem::swap(&mut s.__gil_lock_b, &mut t.__gil_lock_b);
    s.b.get_mut().push(5);
    // `s.a` (was `t.a`) is free; `t.b`'s lock is the forgotten one.
    assert_eq!(*s.a().lock(), [3]);
    assert!(t.b().try_lock().is_none());
    assert_eq!(*s.b().lock(), [2, 5]);
    assert_eq!(*t.a().lock(), [1]);
    drop(s);
    // `t.b` is locked for good, but owned: `get_mut` needs no lock.
    assert_eq!(*t.b.get_mut(), [4]);
}

/// Whether a type is `Send` / `Sync`, asked of concrete types without a compile error (an
/// inherent method, where the bound holds, wins over the trait's fallback).
struct Probe<T: ?Sized>(std::marker::PhantomData<T>);
trait Fallback {
    fn send(&self) -> bool {
        false
    }
    fn sync(&self) -> bool {
        false
    }
}
impl<T: ?Sized> Fallback for Probe<T> {}
impl<T: ?Sized + Send> Probe<T> {
    fn send(&self) -> bool {
        true
    }
}
impl<T: ?Sized + Sync> ProbeSync<T> {
    fn sync(&self) -> bool {
        true
    }
}
struct ProbeSync<T: ?Sized>(std::marker::PhantomData<T>);
impl<T: ?Sized> Fallback for ProbeSync<T> {}

macro_rules! traits_of {
    ($t:ty) => {
        (
            Probe::<$t>(std::marker::PhantomData).send(),
            ProbeSync::<$t>(std::marker::PhantomData).sync(),
        )
    };
}

#[per_field_lock]
struct NotSend {
    rc: std::rc::Rc<u64>,
}

#[per_field_lock]
struct NotSync {
    cell: std::cell::Cell<u64>,
}

#[test]
fn auto_traits_follow_the_field_type() {
    use gilkit::field_lock::{Field, FieldGuard};
    use std::cell::Cell;
    use std::rc::Rc;
    // (Send, Sync)
    // `Sync` for a `Sync` value, with the validator compiled in or out alike.
    assert_eq!(traits_of!(FieldGuard<'static, u64>), (false, true));
    assert_eq!(traits_of!(FieldGuard<'static, Cell<u64>>), (false, false));
    assert_eq!(traits_of!(FieldGuard<'static, Rc<u64>>), (false, false));
    assert_eq!(traits_of!(Field<'static, u64>), (true, true));
    assert_eq!(traits_of!(Field<'static, Cell<u64>>), (true, true));
    assert_eq!(traits_of!(Field<'static, Rc<u64>>), (false, false));
    assert_eq!(traits_of!(NotSend), (false, false));
    // A `Mutex<Cell<_>>` is `Sync`, and so is a struct whose field lock guards a `Cell`.
    assert_eq!(traits_of!(NotSync), (true, true));
    // A field of a `Sync` but not `Send` value: nothing is `Send` or `Sync`.
    assert_eq!(
        traits_of!(FieldGuard<'static, std::sync::MutexGuard<'static, ()>>),
        (false, false)
    );
}
