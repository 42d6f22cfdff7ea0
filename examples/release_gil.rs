//! CPU work done with the GIL released scales with threads; the same work done while holding
//! the GIL does not. This is what numpy does around its kernels.
//!
//! Each thread runs the same number of work items; each item is some CPU work followed by one
//! update of a shared GIL-protected total. Run with `cargo run --release --example release_gil`.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use gilkit::GilCell;

/// Work items per thread.
const ITEMS: u64 = 2_000;

/// About a microsecond of CPU work that the optimizer cannot remove.
fn work(seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..1_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x) & 1
}

/// Runs `ITEMS` items on each of `threads` threads; returns the wall-clock time.
fn run(threads: u64, release: bool, total: &GilCell<u64>) -> Duration {
    let start = Instant::now();
    thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                gilkit::with_gil(|g| {
                    for i in 0..ITEMS {
                        let v = if release {
                            g.allow_threads(|| work(t * ITEMS + i))
                        } else {
                            work(t * ITEMS + i)
                        };
                        *total.get_mut(g) += v;
                        g.checkpoint();
                    }
                });
            });
        }
    });
    start.elapsed()
}

fn main() {
    let total = GilCell::new(0);
    let cores = thread::available_parallelism().map_or(1, std::num::NonZero::get) as u64;
    for release in [false, true] {
        let one = run(1, release, &total);
        let many = run(cores, release, &total);
        // Throughput at `cores` threads over 1 thread: `cores` times the work in `many`.
        #[allow(clippy::cast_precision_loss, reason = "small thread counts")]
        let speedup = cores as f64 * one.as_secs_f64() / many.as_secs_f64();
        let how = if release {
            "GIL released around the work"
        } else {
            "GIL held during the work "
        };
        println!("{how}: 1 thread {one:>10.2?}, {cores} threads {many:>10.2?} for {cores}x the work: {speedup:.2}x throughput");
    }
    gilkit::with_gil(|g| assert!(*total.get(g) > 0));
}
