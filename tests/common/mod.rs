//! Helpers shared by the integration test files (`mod common;` in each).

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
