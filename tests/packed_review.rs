//! Review of "`per_field_lock`: each mutex field's 1-byte lock beside its value": safe code that
//! tries to break the pairing of a `FieldCell` with its `RawFieldLock`, the guards' auto traits,
//! the generated `Debug`, and macro edge cases.
//!
//! Everything here is written without `unsafe`. What the review found is fixed, and each has its
//! test elsewhere: a stand-in lock or cell under `crate = path` that `Deref`s to another real one
//! (`tests/ui/per_field_lock/a_stand_in_*_under_crate_path_is_refused.rs`), a const parameter
//! named `f` in the generated `Debug` (`tests/ui-pass/per_field_lock/`); a padded `rw` field's
//! `Debug` is below. Derives written above the attribute see the struct as written: a `Default`
//! there misses the lock fields, a `Debug` shows the cells (documented).
#![forbid(unsafe_code)]
#![allow(dead_code)]
#![allow(
    clippy::many_single_char_names,
    clippy::non_minimal_cfg,
    reason = "fields named a to d, and `cfg(all())` as an always-true predicate on purpose"
)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use gilkit::field_lock::{lock_fields, FieldGuard, Handle};
use gilkit::per_field_lock;

// ---------------------------------------------------------------------------------------------
// Regression tests: things that held.
// ---------------------------------------------------------------------------------------------

/// Four `u64`s and their locks (`tests/per_field_lock.rs` checks their size).
#[per_field_lock]
struct Four {
    a: u64,
    b: u64,
    c: u64,
    d: u64,
}

/// Zero-sized fields still get one lock each: `lock_fields` neither collides two of them nor
/// deadlocks.
#[per_field_lock]
#[derive(Debug, Default)]
struct Zsts {
    a: (),
    b: (),
    c: std::marker::PhantomData<u8>,
    #[field(rw)]
    d: (),
}

#[test]
fn zero_sized_fields_have_distinct_locks() {
    let z = Zsts::new((), (), std::marker::PhantomData, ());
    // Three 1-byte locks beside the `RwFieldLock`, in its padding.
    assert_eq!(
        std::mem::size_of::<Zsts>(),
        std::mem::size_of::<gilkit::field_lock::RwFieldLock<()>>() * 2
    );
    let held = lock_fields((z.c(), z.a(), z.d(), z.b()));
    assert!(z.a().try_lock().is_none());
    assert!(z.b().try_lock().is_none());
    assert!(z.c().try_lock().is_none());
    drop(held);
    // Each is free again.
    let ga = z.a().lock();
    assert!(z.b().try_lock().is_some());
    drop(ga);
    assert_eq!(
        format!("{:?}", Zsts::default()),
        "Zsts { a: FieldLock(()), b: FieldLock(()), c: FieldLock(PhantomData<u8>), d: RwFieldLock(()) }"
    );
}

#[test]
fn same_zst_field_twice_in_lock_fields_panics_not_deadlocks() {
    let z = Zsts::default();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _g = lock_fields((z.a(), z.a()));
    }));
    assert!(r.is_err());
    assert!(z.a().try_lock().is_some(), "released after the panic");
}

/// In the struct's module, safe code swaps and replaces cells and locks through `&mut`, forgets
/// guards, and reaches values through `get_mut`: the borrow checker keeps each of these apart
/// from live guards, and the pairing of cell and lock is by field, so it survives.
impl Four {
    fn swap_with(&mut self, other: &mut Four) {
        std::mem::swap(&mut self.a, &mut other.a);
        std::mem::swap(&mut self.__gil_lock_a, &mut other.__gil_lock_b);
        std::mem::swap(&mut self.__gil_lock_b, &mut self.__gil_lock_c);
    }

    fn forget_then_get_mut(&mut self) -> u64 {
        std::mem::forget(self.a().lock());
        // The lock stays locked (the guard was forgotten), but `&mut` needs none.
        *self.a.get_mut() += 10;
        assert!(
            self.a().try_lock().is_none(),
            "still locked by the forgotten guard"
        );
        *self.a.get_mut()
    }
}

#[test]
fn module_code_moves_cells_and_locks_only_through_mut() {
    let mut x = Four::new(1, 2, 3, 4);
    let mut y = Four::new(5, 6, 7, 8);
    x.swap_with(&mut y);
    assert_eq!(*x.a().lock(), 5);
    assert_eq!(*y.a().lock(), 1);
    let g = x.b().lock();
    assert!(x.b().try_lock().is_none());
    assert!(x.c().try_lock().is_some());
    drop(g);
}

#[test]
fn forgotten_guard_then_get_mut() {
    // On a thread of its own: a forgotten guard leaves its validator entry behind.
    std::thread::spawn(|| {
        let mut x = Four::new(1, 2, 3, 4);
        assert_eq!(x.forget_then_get_mut(), 11);
        assert_eq!(*x.b().lock(), 2);
    })
    .join()
    .unwrap();
}

/// A guard passed by value into a function that drops it while another thread waits: the value
/// is reached through the cell, not a `&mut` kept in the guard (checked under Miri, both models).
fn bump_and_drop(mut g: FieldGuard<'_, u64>, ready: &AtomicBool) {
    *g += 1;
    ready.store(true, Ordering::Release);
    std::thread::yield_now();
    *g += 1;
    drop(g);
    // The other thread may write the value now; this frame must not touch it.
    std::thread::yield_now();
}

#[test]
fn guard_by_value_dropped_while_another_thread_waits() {
    let iters: u64 = if cfg!(miri) { 3 } else { 200 };
    let f = Handle::new(Four::new(0, 0, 0, 0));
    let ready = Handle::new(AtomicBool::new(false));
    let t = {
        let (f, ready) = (f.clone(), ready.clone());
        std::thread::spawn(move || {
            for _ in 0..iters {
                while !ready.swap(false, Ordering::Acquire) {
                    std::thread::yield_now();
                }
                let mut g = f.a().lock();
                *g += 100;
                let r: &mut u64 = &mut g;
                *r -= 99;
            }
        })
    };
    for _ in 0..iters {
        let g = f.a().lock();
        bump_and_drop(g, &ready);
        // Wait until the other thread took and released the lock.
        while ready.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
    }
    t.join().unwrap();
    assert_eq!(*f.a().lock(), 3 * iters);
}

/// Many threads, several fields, `lock_fields` in opposite orders and `try_lock` on the side.
#[test]
fn lock_fields_across_objects_under_contention() {
    let iters = if cfg!(miri) { 10 } else { 2000 };
    let x = Handle::new(Four::new(0, 0, 0, 0));
    let y = Handle::new(Four::new(0, 0, 0, 0));
    let hits = Handle::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..2)
        .map(|i| {
            let (x, y, hits) = (x.clone(), y.clone(), hits.clone());
            std::thread::spawn(move || {
                for _ in 0..iters {
                    if i == 0 {
                        let (mut a, mut b) = lock_fields((x.a(), y.a()));
                        *a += 1;
                        *b += 1;
                    } else {
                        let (mut b, mut a, mut d) = lock_fields((y.a(), x.a(), x.d()));
                        *a += 1;
                        *b += 1;
                        *d += 1;
                    }
                    if let Some(mut c) = x.c().try_lock() {
                        *c += 1;
                        hits.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*x.a().lock(), 2 * iters);
    assert_eq!(*y.a().lock(), 2 * iters);
    assert_eq!(*x.d().lock(), iters);
    assert_eq!(
        usize::try_from(*x.c().lock()).unwrap(),
        hits.load(Ordering::Relaxed)
    );
}

/// `Debug` reads a field under its lock, and says `<locked>` while a guard holds it; a thread
/// formatting while another writes is no race.
#[per_field_lock]
#[derive(Debug)]
struct Shown {
    d: u32,
    f: String,
    #[field(rw)]
    fmt: Vec<u8>,
    #[field(no_lock)]
    r#type: u8,
}

#[test]
fn debug_shows_fields_or_locked() {
    let s = Shown::new(1, "x".into(), vec![2], 3);
    assert_eq!(
        format!("{s:?}"),
        r#"Shown { d: FieldLock(1), f: FieldLock("x"), fmt: RwFieldLock([2]), type: 3 }"#
    );
    let g = s.f().lock();
    let w = s.fmt().write();
    assert_eq!(
        format!("{s:?}"),
        r"Shown { d: FieldLock(1), f: FieldLock(<locked>), fmt: RwFieldLock(<locked>), type: 3 }"
    );
    drop((g, w));
    assert_eq!(format!("{:?}", s.d()), "FieldLock(1)");
}

#[test]
fn debug_while_another_thread_writes() {
    let iters = if cfg!(miri) { 5 } else { 500 };
    let s = Handle::new(Shown::new(0, String::new(), Vec::new(), 0));
    let t = {
        let s = s.clone();
        std::thread::spawn(move || {
            for _ in 0..iters {
                *s.d().lock() += 1;
                s.f().lock().push('a');
            }
        })
    };
    for _ in 0..iters {
        let text = format!("{s:?}");
        assert!(text.starts_with("Shown { d: FieldLock("));
    }
    t.join().unwrap();
    assert_eq!(*s.d().lock(), iters);
}

// ---------------------------------------------------------------------------------------------
// Macro edge cases (valid input that must compile and behave).
// ---------------------------------------------------------------------------------------------

#[per_field_lock]
#[derive(Debug)]
struct Cfgs {
    #[cfg(any())]
    gone: u32,
    #[cfg(all())]
    kept: u32,
    #[cfg_attr(all(), field(rw))]
    rw_on: u32,
    #[cfg_attr(any(), field(rw))]
    rw_off: u32,
    #[cfg_attr(all(), field(no_lock))]
    plain: u32,
}

#[test]
fn cfg_and_cfg_attr_fields() {
    let c = Cfgs::new(1, 2, 3, 4);
    *c.kept().lock() += 1;
    *c.rw_on().write() += 1;
    *c.rw_off().lock() += 1;
    assert_eq!(
        format!("{c:?}"),
        "Cfgs { kept: FieldLock(2), rw_on: RwFieldLock(3), rw_off: FieldLock(4), plain: 4 }"
    );
    // `kept` and `rw_off` are split (2 locks), `rw_on` an RwFieldLock, `plain` plain.
    assert!(std::mem::size_of::<Cfgs>() <= 32);
}

#[per_field_lock]
#[derive(Debug)]
struct Generic<'a, T: Clone, F, const N: usize>
where
    T: Send,
{
    r: &'a str,
    arr: [T; N],
    t: T,
    f: F,
    #[field(no_lock)]
    n: [u8; N],
}

#[test]
fn generics_lifetimes_const_params() {
    let s = String::from("s");
    let g = Generic::new(&s, [1_u8, 2], 3_u8, 'f', [0; 2]);
    g.arr().lock()[0] = 9;
    assert_eq!(
        format!("{g:?}"),
        r#"Generic { r: FieldLock("s"), arr: FieldLock([9, 2]), t: FieldLock(3), f: FieldLock('f'), n: [0, 0] }"#
    );
}

#[per_field_lock]
#[derive(Debug)]
struct Raw {
    r#type: u32,
    r#match: u32,
    #[field(rw)]
    r#fn: u32,
}

#[test]
fn raw_identifiers() {
    let r = Raw::new(1, 2, 3);
    *r.r#type().lock() += 10;
    let (t, m) = lock_fields((r.r#match(), r.r#type()));
    assert_eq!((*t, *m), (2, 11));
    drop((t, m));
    assert_eq!(
        format!("{r:?}"),
        "Raw { type: FieldLock(11), match: FieldLock(2), fn: RwFieldLock(3) }"
    );
    assert!(r.r#type().class().name().ends_with("::Raw.type"));
}

mod twin {
    use gilkit::per_field_lock;

    #[per_field_lock(fields = PairFields, class = "Renamed", constructor = make)]
    #[derive(Debug, Default)]
    pub struct Pair {
        pub left: u32,
        #[field(rw)]
        pub right: String,
        #[field(no_lock)]
        pub id: u8,
    }
}

#[test]
fn twin_fields_class_and_constructor() {
    use twin::{Pair, PairFields};
    let p = Pair::from(PairFields {
        left: 1,
        right: "r".into(),
        id: 7,
    });
    assert!(p.left().class().name().ends_with("::Renamed.left"));
    *p.left().lock() = 5;
    let PairFields { left, right, id } = p.into_fields();
    assert_eq!((left, right.as_str(), id), (5, "r", 7));
    let d = Pair::default();
    assert_eq!(
        format!("{d:?}"),
        r#"Pair { left: FieldLock(0), right: RwFieldLock(""), id: 0 }"#
    );
    let m = Pair::make(2, String::new(), 1);
    assert_eq!(*m.left().lock(), 2);
}

#[per_field_lock(rc = biased)]
#[derive(Debug)]
struct Biased {
    a: u64,
    b: Vec<u8>,
}

#[per_field_lock(rc = atomic)]
struct Atomic<'a> {
    a: &'a str,
}

#[per_field_lock(rc = immortal)]
struct Immortal {
    a: u64,
}

#[test]
fn rc_modes() {
    let b = Biased::new(1, vec![]).into_handle();
    let b2 = b.clone();
    std::thread::spawn(move || {
        *b2.a().lock() += 1;
        b2.b().lock().push(1);
    })
    .join()
    .unwrap();
    assert_eq!(*b.a().lock(), 2);
    assert_eq!(
        format!("{:?}", *b),
        "Biased { a: FieldLock(2), b: FieldLock([1]) }"
    );
    let s = String::from("x");
    let a = Atomic::new(&s).into_handle();
    assert_eq!(*a.a().lock(), "x");
    drop(a);
    let i = Immortal::new(3).into_handle();
    *i.a().lock() += 1;
    assert_eq!(*i.a().lock(), 4);
}

macro_rules! make_struct {
    ($name:ident, $field:ident, $ty:ty) => {
        #[per_field_lock]
        #[derive(Debug)]
        struct $name {
            $field: $ty,
            fixed: u8,
        }

        impl $name {
            fn both(&self) -> ($ty, u8) {
                let (a, b) = lock_fields((self.$field(), self.fixed()));
                (*a, *b)
            }

            fn touch_raw(&mut self) {
                *self.fixed.get_mut() += 1;
            }
        }
    };
}

make_struct!(FromMacro, value, u16);

#[test]
fn struct_written_by_macro_rules() {
    let mut m = FromMacro::new(4, 5);
    m.touch_raw();
    assert_eq!(m.both(), (4, 6));
    assert_eq!(
        format!("{m:?}"),
        "FromMacro { value: FieldLock(4), fixed: FieldLock(6) }"
    );
}

#[per_field_lock]
#[cfg_attr(all(), cfg_attr(all(), derive(Debug)))]
#[cfg_attr(any(), derive(Debug))]
#[repr(C)]
struct NestedDebugReprC {
    a: u8,
    b: u64,
}

#[test]
fn nested_cfg_attr_debug_and_repr_c() {
    let n = NestedDebugReprC::new(1, 2);
    assert_eq!(
        format!("{n:?}"),
        "NestedDebugReprC { a: FieldLock(1), b: FieldLock(2) }"
    );
    // `repr(C)`: declaration order, no packing of locks: a, lock a, b, lock b.
    assert_eq!(std::mem::size_of::<NestedDebugReprC>(), 24);
}

#[per_field_lock]
#[derive(Debug)]
struct Deprecated {
    #[deprecated = "use b"]
    a: u8,
    b: u8,
}

#[test]
fn deprecated_field_in_debug() {
    let d = Deprecated::new(1, 2);
    assert_eq!(
        format!("{d:?}"),
        "Deprecated { a: FieldLock(1), b: FieldLock(2) }"
    );
}

#[per_field_lock(padded)]
#[derive(Debug)]
struct Padded {
    a: u8,
    #[field(rw)]
    b: u8,
}

#[test]
fn padded_debug_mutex_field() {
    let p = Padded::new(1, 2);
    assert!(format!("{p:?}").starts_with("Padded { a: FieldLock(1), b: "));
    let g = p.a().lock();
    assert!(format!("{p:?}").starts_with("Padded { a: FieldLock(<locked>), b: "));
    drop(g);
}

/// With `padded`, both kinds of field show as their locks, not as the `CachePadded` around them.
#[test]
fn padded_debug_rw_field_like_the_mutex_field() {
    let p = Padded::new(1, 2);
    assert_eq!(
        format!("{p:?}"),
        "Padded { a: FieldLock(1), b: RwFieldLock(2) }"
    );
}

/// A `Drop` that locks its own fields (through `&mut self`: no contention, no deadlock).
#[per_field_lock]
struct LocksInDrop {
    a: Vec<u8>,
    b: Handle<AtomicUsize>,
}

impl Drop for LocksInDrop {
    fn drop(&mut self) {
        let (a, b) = lock_fields((self.a(), self.b()));
        b.fetch_add(a.len(), Ordering::Relaxed);
        drop((a, b));
        self.a.get_mut().clear();
    }
}

#[test]
fn drop_that_locks_fields() {
    let n = Handle::new(AtomicUsize::new(0));
    drop(LocksInDrop::new(vec![1, 2, 3], n.clone()));
    assert_eq!(n.load(Ordering::Relaxed), 3);
}

/// A type whose `Debug` formats the object again: the field's lock is held by the `try_lock`
/// of the outer `Debug`, so the inner one sees `<locked>` rather than deadlocking.
#[per_field_lock]
#[derive(Debug)]
struct Recursive {
    inner: Reenter,
}

struct Reenter(std::sync::OnceLock<std::sync::Weak<Recursive>>);

impl std::fmt::Debug for Reenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.get().and_then(std::sync::Weak::upgrade) {
            Some(r) => write!(f, "Reenter({:?})", r.inner()),
            None => f.write_str("Reenter"),
        }
    }
}

#[test]
fn debug_that_reenters_its_object() {
    let r = std::sync::Arc::new(Recursive::new(Reenter(std::sync::OnceLock::new())));
    r.inner()
        .lock()
        .0
        .set(std::sync::Arc::downgrade(&r))
        .unwrap();
    assert_eq!(
        format!("{r:?}"),
        "Recursive { inner: FieldLock(Reenter(FieldLock(<locked>))) }"
    );
}
