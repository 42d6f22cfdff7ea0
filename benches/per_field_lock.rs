//! Per-operation cost of `#[per_field_lock]` against a bare `parking_lot::Mutex`, in one run, and
//! the memory a lock per field costs.
//!
//! Run with `cargo bench --bench per_field_lock`; compare the times within one group as ratios.
//! Release builds compile the lock-order validator out, so this measures the lock itself; with
//! `--features lock-order-validation` it measures the lock and the validator: the validator's
//! cost is the ratio to `parking_lot` in that build over the ratio in the plain one.

use std::hint::black_box;
use std::mem::size_of;
use std::time::Duration;

use criterion::{criterion_group, Criterion};
use gilkit::field_lock::lock_fields;
use gilkit::per_field_lock;

/// The plain struct, for `size_of`.
#[allow(dead_code, reason = "only measured")]
struct PlainAccount {
    balance: u64,
    history: Vec<u64>,
    id: u32,
}

/// The same struct with a lock per field.
#[per_field_lock]
#[allow(dead_code, reason = "only `balance` is benchmarked")]
struct Account {
    balance: u64,
    #[field(rw)]
    history: Vec<u64>,
    #[field(no_lock)]
    id: u32,
}

/// Two counters, plain, for `size_of`.
#[allow(dead_code, reason = "only measured")]
struct PlainPair {
    a: u64,
    b: u64,
}

/// Two counters, each behind its own lock.
#[per_field_lock]
struct Pair {
    a: u64,
    b: u64,
}

/// Taking and letting go of one lock and incrementing, with no other thread around.
fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended lock+increment+unlock");
    let mutex = parking_lot::Mutex::new(0_u64);
    group.bench_function("parking_lot::Mutex", |b| {
        b.iter(|| *black_box(&mutex).lock() += 1);
    });
    let account = Account::new(0, Vec::new(), 1);
    group.bench_function("per_field_lock field", |b| {
        b.iter(|| *black_box(&account).balance().lock() += 1);
    });
    group.finish();

    let mut group = c.benchmark_group("uncontended two locks");
    let (m1, m2) = (
        parking_lot::Mutex::new(0_u64),
        parking_lot::Mutex::new(0_u64),
    );
    group.bench_function("two parking_lot::Mutex, fixed order", |b| {
        b.iter(|| {
            let (mut x, mut y) = (black_box(&m1).lock(), black_box(&m2).lock());
            *x += 1;
            *y += 1;
        });
    });
    let pair = Pair::new(0, 0);
    group.bench_function("two fields of one object, nested", |b| {
        b.iter(|| {
            let mut x = black_box(&pair).a().lock();
            let mut y = black_box(&pair).b().lock();
            *x += 1;
            *y += 1;
        });
    });
    let (from, to) = (Pair::new(0, 0), Pair::new(0, 0));
    group.bench_function("lock_fields of two objects", |b| {
        b.iter(|| {
            let (mut x, mut y) = lock_fields((black_box(&from).a(), black_box(&to).a()));
            *x += 1;
            *y += 1;
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = uncontended
}

fn main() {
    println!(
        "size_of: plain {{u64, Vec<u64>, u32}} = {} B, #[per_field_lock] (mutex, rw, no_lock) = {} B",
        size_of::<PlainAccount>(),
        size_of::<Account>()
    );
    println!(
        "size_of: plain {{u64, u64}} = {} B, #[per_field_lock] = {} B",
        size_of::<PlainPair>(),
        size_of::<Pair>()
    );
    benches();
    Criterion::default().configure_from_args().final_summary();
}
