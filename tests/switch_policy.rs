//! `SwitchPolicy`: with `Priority`, a thread coming back from `allow_threads` gets the GIL at the
//! holder's next checkpoint, without waiting a switch interval (bpo-7946's fix of the convoy
//! effect). Its own test binary: it sets the process-wide switch interval and policy.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gil::SwitchPolicy;

#[test]
fn a_thread_back_from_allow_threads_gets_the_gil_at_the_next_checkpoint() {
    // An interval far longer than the test: under `Interval` the returning thread would ask only
    // after an hour. Under `Priority` it asks at once.
    gil::set_switch_interval(Duration::from_secs(3600));
    gil::set_switch_policy(SwitchPolicy::Priority);
    assert_eq!(gil::switch_policy(), SwitchPolicy::Priority);
    let started = AtomicBool::new(false);
    let holding = AtomicBool::new(false);
    let returned = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            gil::with_gil(|g| {
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
            let mut g = gil::acquire();
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
    gil::set_switch_policy(SwitchPolicy::Interval);
    gil::set_switch_interval(gil::DEFAULT_SWITCH_INTERVAL);
}
