//! Forced switches: with `SwitchPolicy::Priority`, a thread coming back from `allow_threads` gets
//! the GIL at the holder's next checkpoint, without waiting a switch interval (bpo-7946's fix of
//! the convoy effect); a checkpoint that would switch while holding a field lock is refused. Its
//! own test binary: it sets the process-wide switch interval and policy, one test at a time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gilkit::SwitchPolicy;

/// The tests here change process-wide settings: one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn a_thread_back_from_allow_threads_gets_the_gil_at_the_next_checkpoint() {
    let _s = serial();
    // An interval far longer than the test: under `Interval` the returning thread would ask only
    // after an hour. Under `Priority` it asks at once.
    gilkit::set_switch_interval(Duration::from_secs(3600));
    gilkit::set_switch_policy(SwitchPolicy::Priority);
    assert_eq!(gilkit::switch_policy(), SwitchPolicy::Priority);
    let started = AtomicBool::new(false);
    let holding = AtomicBool::new(false);
    let returned = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            gilkit::with_gil(|g| {
                started.store(true, Ordering::Release);
                // Releases the GIL, and comes back only once the other thread holds it.
                g.allow_threads(|| {
                    while !holding.load(Ordering::Acquire) {
                        std::thread::yield_now();
                    }
                });
                returned.store(true, Ordering::Relaxed);
            });
        });
        s.spawn(|| {
            // Only once the other thread holds the GIL: it must come back from `allow_threads`,
            // not wait for a first acquisition (which asks only after the interval).
            while !started.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
            let mut g = gilkit::acquire();
            holding.store(true, Ordering::Release);
            let start = Instant::now();
            while !returned.load(Ordering::Relaxed) {
                g.checkpoint(); // hands the GIL to the returning thread
                                // Not a timing assertion: a bound, so that a broken policy fails instead of
                                // spinning for the whole hour.
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "the returning thread did not ask for the GIL at once"
                );
            }
            assert!(g.stats().forced_switches >= 1);
        });
    });
    gilkit::set_switch_policy(SwitchPolicy::Interval);
    gilkit::set_switch_interval(gilkit::DEFAULT_SWITCH_INTERVAL);
}

#[gilkit::per_field_lock]
struct Counter {
    hits: u64,
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the validator is compiled out of release builds"
)]
#[cfg_attr(
    miri,
    ignore = "spins until another thread's timed wait runs out, which Miri may not schedule"
)]
fn a_checkpoint_that_would_switch_while_holding_a_field_lock_is_refused() {
    let _s = serial();
    gilkit::set_switch_interval(Duration::from_micros(1));
    let counter = Counter::new(0);
    let refused = std::thread::scope(|s| {
        let mut g = gilkit::acquire();
        s.spawn(|| gilkit::with_gil(|_| {})); // asks for the GIL after 1 µs
        let guard = counter.hits().lock();
        let start = Instant::now();
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| loop {
            g.checkpoint();
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the waiter never asked"
            );
        }));
        drop((guard, g));
        refused
    });
    gilkit::set_switch_interval(gilkit::DEFAULT_SWITCH_INTERVAL);
    let payload = refused.expect_err("the checkpoint must refuse to switch");
    let message = payload.downcast_ref::<String>().map_or("", String::as_str);
    assert!(
        message.contains("checkpoint while this thread holds 1 field lock"),
        "{message}"
    );
}
