//! Per-operation cost of `AtomicRc` in its modes against `Arc` and `Rc`, measured in one run.
//!
//! Run with `cargo bench --bench atomic_rc`; compare the times within one group as ratios.
//! Each iteration is one clone and one drop of a handle, with no other thread touching the count.

use std::hint::black_box;
use std::rc::Rc;
use std::sync::{mpsc, Arc};

use criterion::{criterion_group, criterion_main, Criterion};
use gilkit::refcount::{AtomicRc, Mode};

/// Clone+drop on the thread that made the object.
fn clone_drop(c: &mut Criterion) {
    eprintln!(
        "handle sizes: AtomicRc<u64> = {} bytes, Arc<u64> = {} bytes, Rc<u64> = {} bytes",
        size_of::<AtomicRc<u64>>(),
        size_of::<Arc<u64>>(),
        size_of::<Rc<u64>>(),
    );
    let mut group = c.benchmark_group("clone+drop");
    let arc = Arc::new(0_u64);
    group.bench_function("Arc", |b| {
        b.iter(|| drop(black_box(black_box(&arc).clone())));
    });
    let rc = Rc::new(0_u64);
    group.bench_function("Rc", |b| b.iter(|| drop(black_box(black_box(&rc).clone()))));
    for (name, mode) in [
        ("AtomicRc atomic", Mode::Atomic),
        ("AtomicRc biased, owner thread", Mode::Biased),
        ("AtomicRc immortal", Mode::Immortal),
    ] {
        let handle = AtomicRc::with_mode(0_u64, mode);
        group.bench_function(name, |b| {
            b.iter(|| drop(black_box(black_box(&handle).clone())));
        });
    }
    group.finish();
}

/// Clone+drop of a biased object on a thread that is not its owner, against `Arc` on the same
/// thread: while the owner is alive and idle (unmerged: a compare-and-swap decrement), and after
/// it exited (merged: a `fetch_sub`).
fn non_owner_clone_drop(c: &mut Criterion) {
    let (to_bench, from_owner) = mpsc::channel();
    let (done, wait) = mpsc::channel::<()>();
    let owner = std::thread::spawn(move || {
        let handle = AtomicRc::with_mode(0_u64, Mode::Biased);
        to_bench.send(handle.clone()).unwrap();
        wait.recv().unwrap(); // stays alive, so the object stays unmerged
    });
    let biased = from_owner.recv().unwrap();
    let mut group = c.benchmark_group("clone+drop on a non-owner thread");
    let arc = Arc::new(0_u64);
    group.bench_function("Arc", |b| {
        b.iter(|| drop(black_box(black_box(&arc).clone())));
    });
    group.bench_function("AtomicRc biased, non-owner", |b| {
        b.iter(|| drop(black_box(black_box(&biased).clone())));
    });
    done.send(()).unwrap();
    owner.join().unwrap(); // the owner exited: its exit merged the object
    group.bench_function("AtomicRc biased, owner exited (merged)", |b| {
        b.iter(|| drop(black_box(black_box(&biased).clone())));
    });
    group.finish();
}

criterion_group!(benches, clone_drop, non_owner_clone_drop);
criterion_main!(benches);
