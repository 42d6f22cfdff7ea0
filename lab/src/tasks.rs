//! The seed's third way out: asynchronous programming. The I/O-bound and mixed workloads run as
//! tasks on tokio's current-thread runtime: one thread, no GIL, no lock (the object is plain
//! `Cell`s, which only that thread touches), and a task runs until it awaits.
//!
//! What is the same as the threads' workloads: the op (an increment of field 0, then a block of
//! the same length; in mixed, the CPU task's `work(0, W)` into field 0 and the I/O task's
//! increment of field 1), and the cell's time, from before the runtime is built to the last
//! task's end. What is not:
//! - the block is `tokio::time::sleep`, and tokio's timer counts whole milliseconds: a 200 µs
//!   sleep lasts about 1 ms (the `io` rows show it), where `thread::sleep` lasts about 270 µs.
//!   `io-many` blocks for [`IO_MANY_BLOCK`] (1 ms) on both sides, so that its comparison is not
//!   the timer's;
//! - the mixed workload's wait is the I/O task's lateness, from its sleep's deadline to the
//!   moment it runs again (the threads' is from the end of the sleep to having the lock), so it
//!   includes the timer's rounding up to the next millisecond: the `async` row, whose CPU task
//!   yields after every op, shows that floor.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::task::{spawn_local, yield_now, LocalSet};

use crate::workloads::{work, Params, Sample, Strategy, Workload, FIELDS};

/// Waiters in the `io-many` workload: threads under the GIL, or tasks on one thread.
pub const IO_MANY: usize = 1024;
/// How long each `io-many` op blocks, on both sides: tokio's timer resolution.
pub const IO_MANY_BLOCK: Duration = Duration::from_millis(1);
/// Ops of CPU work between two yields of `async-convoy`'s CPU task: about 6 ms at the default
/// 1000 rounds per op, near the GIL's 5 ms switch interval.
pub const HOG_OPS: u64 = 4096;

/// The parameters of `io-many`: the block is [`IO_MANY_BLOCK`].
pub fn io_many(p: Params) -> Params {
    Params {
        block: IO_MANY_BLOCK,
        ..p
    }
}

/// The lab's object, for tasks of one thread.
type Fields = [Cell<u64>; FIELDS];

/// Runs `workload` (`io`, or `mixed`) as `tasks` tasks (mixed: two) on a new current-thread
/// runtime.
pub fn run(workload: Workload, strategy: Strategy, tasks: usize, p: Params) -> Sample {
    let start = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
    let obj: Rc<Fields> = Rc::default();
    let stop = Rc::new(Cell::new(false));
    let (ops, waits) = LocalSet::new().block_on(&runtime, async {
        if workload == Workload::Mixed {
            let every = if strategy == Strategy::AsyncConvoy {
                HOG_OPS
            } else {
                1
            };
            mixed(&obj, &stop, every, p).await
        } else {
            (io(&obj, &stop, tasks, p).await, Vec::new())
        }
    });
    drop(runtime);
    Sample {
        ops,
        elapsed: start.elapsed(),
        waits,
        ..Sample::default()
    }
}

/// `tasks` tasks, each an increment then a sleep of `p.block`, until the window ends.
async fn io(obj: &Rc<Fields>, stop: &Rc<Cell<bool>>, tasks: usize, p: Params) -> u64 {
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (obj, stop) = (Rc::clone(obj), Rc::clone(stop));
            spawn_local(async move {
                let mut n = 0;
                while !stop.get() {
                    obj[0].set(obj[0].get() + 1);
                    tokio::time::sleep(p.block).await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    tokio::time::sleep(p.duration).await;
    stop.set(true);
    let mut ops = 0;
    for h in handles {
        ops += h.await.expect("an I/O task panicked");
    }
    ops
}

/// One CPU-bound task (yielding every `every` ops) and one I/O-bound task; returns the CPU
/// task's ops and the I/O task's lateness after each sleep.
async fn mixed(
    obj: &Rc<Fields>,
    stop: &Rc<Cell<bool>>,
    every: u64,
    p: Params,
) -> (u64, Vec<Duration>) {
    let cpu = {
        let (obj, stop) = (Rc::clone(obj), Rc::clone(stop));
        spawn_local(async move {
            let mut n = 0;
            while !stop.get() {
                obj[0].set(obj[0].get().wrapping_add(work(0, p.work)));
                n += 1;
                if n % every == 0 {
                    yield_now().await;
                }
            }
            n
        })
    };
    let io = {
        let (obj, stop) = (Rc::clone(obj), Rc::clone(stop));
        spawn_local(async move {
            let mut waits = Vec::new();
            while !stop.get() {
                let due = Instant::now() + p.block;
                tokio::time::sleep_until(due.into()).await;
                waits.push(due.elapsed());
                obj[1].set(obj[1].get() + 1);
            }
            waits
        })
    };
    tokio::time::sleep(p.duration).await;
    stop.set(true);
    (
        cpu.await.expect("the CPU task panicked"),
        io.await.expect("the I/O task panicked"),
    )
}
