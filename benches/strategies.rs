//! Per-operation cost of the GIL against its baselines, measured in the same run.
//!
//! Run with `cargo bench --bench strategies`; compare the times within one group as ratios.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use gilkit::GilCell;

/// Incrementing a field: unsynchronized, and through the token with the GIL held.
fn field_access(c: &mut Criterion) {
    let mut group = c.benchmark_group("field access");
    let mut plain = 0_u64;
    group.bench_function("unsynchronized", |b| b.iter(|| *black_box(&mut plain) += 1));
    let cell = GilCell::new(0_u64);
    let mut g = gilkit::acquire();
    group.bench_function("gil held", |b| {
        b.iter(|| *black_box(&cell).get_mut(&mut g) += 1);
    });
    drop(g);
    group.finish();
}

/// Taking and letting go of the lock, with no other thread around.
fn acquire_release(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended acquire+release");
    let mutex = parking_lot::Mutex::new(0_u64);
    group.bench_function("parking_lot::Mutex", |b| {
        b.iter(|| drop(black_box(&mutex).lock()));
    });
    let std_mutex = std::sync::Mutex::new(0_u64);
    group.bench_function("std::sync::Mutex", |b| {
        b.iter(|| drop(black_box(&std_mutex).lock()));
    });
    group.bench_function("gil", |b| b.iter(|| drop(black_box(gilkit::acquire()))));
    group.finish();
}

criterion_group!(benches, field_access, acquire_release);
criterion_main!(benches);
