//! Real deadlock detection for running programs, on `parking_lot`'s `deadlock_detection`.
//!
//! Enabled by the `deadlock-detection` feature. The feature makes every `parking_lot` lock record
//! which thread waits for which, which costs time on every contended lock, so keep it for tests
//! and debugging.

use std::fmt;
use std::time::Duration;

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{deadlock, thread, Arc};

/// One thread caught in a deadlock.
#[derive(Debug, Clone)]
#[cfg_attr(docsrs, doc(cfg(feature = "deadlock-detection")))]
pub struct DeadlockedThread {
    /// The id of the thread.
    pub thread_id: thread::ThreadId,
    /// Where the thread is blocked, as resolved by `backtrace`.
    pub backtrace: String,
}

/// The deadlocks found by one check: each cycle is a list of the threads in it.
#[derive(Debug, Clone)]
#[cfg_attr(docsrs, doc(cfg(feature = "deadlock-detection")))]
pub struct DeadlockReport {
    /// The cycles of threads waiting on each other.
    pub cycles: Vec<Vec<DeadlockedThread>>,
}

impl fmt::Display for DeadlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "gil: {} deadlock(s) detected", self.cycles.len())?;
        for (i, cycle) in self.cycles.iter().enumerate() {
            writeln!(f, "deadlock #{i}: {} threads", cycle.len())?;
            for t in cycle {
                writeln!(f, "  thread {:?}:\n{}", t.thread_id, t.backtrace)?;
            }
        }
        Ok(())
    }
}

/// Checks once for threads blocked on each other in a cycle.
///
/// ```
/// # use gil_runtime as gilkit;
/// assert!(gilkit::field_lock::check_deadlock().is_none());
/// ```
#[must_use]
#[cfg_attr(docsrs, doc(cfg(feature = "deadlock-detection")))]
pub fn check_deadlock() -> Option<DeadlockReport> {
    let cycles: Vec<Vec<DeadlockedThread>> = deadlock::check_deadlock()
        .iter()
        .map(|cycle| {
            cycle
                .iter()
                .map(|t| DeadlockedThread {
                    thread_id: t.thread_id(),
                    backtrace: format!("{:?}", t.backtrace()),
                })
                .collect()
        })
        .collect();
    (!cycles.is_empty()).then_some(DeadlockReport { cycles })
}

/// A thread that checks for deadlocks every interval; it stops when dropped.
#[must_use = "the watchdog stops as soon as it is dropped"]
#[cfg_attr(docsrs, doc(cfg(feature = "deadlock-detection")))]
pub struct Watchdog {
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Watchdog")
    }
}

/// Starts a watchdog thread that calls `on_deadlock` with a report each time a check every
/// `interval` finds threads deadlocked on `parking_lot` locks (field locks included).
///
/// ```
/// # use gil_runtime as gilkit;
/// use std::time::Duration;
///
/// let watchdog = gilkit::field_lock::spawn_deadlock_watchdog(Duration::from_millis(10), |report| {
///     eprintln!("{report}");
/// });
/// drop(watchdog); // stops and joins the thread
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "deadlock-detection")))]
pub fn spawn_deadlock_watchdog(
    interval: Duration,
    on_deadlock: impl Fn(&DeadlockReport) + Send + 'static,
) -> Watchdog {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = thread::spawn(move || {
        while !flag.load(Ordering::Acquire) {
            thread::park_timeout(interval);
            if let Some(report) = check_deadlock() {
                on_deadlock(&report);
            }
        }
    });
    Watchdog {
        stop,
        thread: Some(thread),
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}
