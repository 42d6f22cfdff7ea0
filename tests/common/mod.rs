//! Helpers shared by the integration test files (`mod common;` in each).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The message of a caught panic, whether it was a `&str` or a formatted `String`.
#[allow(
    dead_code,
    reason = "used by the files that catch panics, not by every one that includes this"
)]
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// The iteration count that `GIL_STRESS_ITERS` sets for the stress tests, if it is set (the
/// Miri and sanitizer scripts set it low and high); each test scales it and has its own default.
#[allow(
    dead_code,
    reason = "used by the stress tests only, not by every file that includes this"
)]
pub fn stress_iters() -> Option<usize> {
    std::env::var("GIL_STRESS_ITERS").ok()?.parse().ok()
}

/// What a live [`Canary`] holds; a dropped one holds something else.
#[allow(dead_code, reason = "used by the count reviews only")]
pub const MAGIC: u64 = 0x0DDC_0FFE_E0DD_F00D;

/// A value that checks, when read and when dropped, that it is alive, and counts its drops.
#[allow(dead_code, reason = "used by the count reviews only")]
pub struct Canary {
    magic: u64,
    pub drops: Arc<AtomicUsize>,
}

#[allow(dead_code, reason = "used by the count reviews only")]
impl Canary {
    pub fn new(drops: &Arc<AtomicUsize>) -> Self {
        Self {
            magic: MAGIC,
            drops: Arc::clone(drops),
        }
    }

    pub fn check(&self) {
        assert_eq!(self.magic, MAGIC, "a read of a dropped value");
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        assert_eq!(self.magic, MAGIC, "a double drop");
        self.magic = 0xDEAD;
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// A small deterministic generator (xorshift).
#[allow(dead_code, reason = "used by the count reviews only")]
pub struct Rng(u64);

#[allow(dead_code, reason = "used by the count reviews only")]
impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}
