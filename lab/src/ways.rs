//! The seed's other ways out of the GIL, reported: a table of what their cells measured beside
//! the throughput (collection pauses, workers' start-up and memory, messages' round trips, bytes
//! per object), and one claim each, computed from the rounds as the others are.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::collect::{Bytes, COLLECT_EVERY};
use crate::procs::{Transfers, SIZES};
use crate::report::{
    claim, find, ops, per_second, ratio, scaling, seconds, show, times, Claim, Finding, Unit,
};
use crate::tasks::{HOG_OPS, IO_MANY, IO_MANY_BLOCK};
use crate::workloads::{Strategy as S, Workload as W};
use crate::{name, Cell};

/// What the ways out measured outside their cells.
pub struct Extras {
    /// Bytes per object, and what a dropped cycle leaves, measured before the cells ran.
    pub bytes: Bytes,
    /// Messages' round trips, once per round, when `processes` ran.
    pub transfers: Option<Transfers>,
}

/// Bytes, with a binary prefix: `(4.00, " MiB")`.
fn bytes(v: f64) -> (String, &'static str) {
    let (scale, unit) = [(1_048_576.0, " MiB"), (1024.0, " KiB")]
        .into_iter()
        .find(|(scale, _)| v >= *scale)
        .unwrap_or((1.0, " B"));
    (crate::report::sig3(v / scale), unit)
}

/// A size of [`SIZES`] as `4 KiB`.
fn size(s: usize) -> String {
    #[allow(clippy::cast_precision_loss, reason = "message sizes are small")]
    let (n, unit) = bytes(s as f64);
    format!("{}{unit}", n.trim_end_matches('0').trim_end_matches('.'))
}

/// A figure with its unit, once.
fn one(v: f64, unit: Unit) -> String {
    let (n, u) = unit(v);
    format!("{n}{u}")
}

/// The table of the ways out, printed after the main one.
pub fn table(cells: &[Cell], extras: &Extras) {
    let pauses: Vec<&Cell> = cells.iter().filter(|c| c.workload == W::Cycles).collect();
    if !pauses.is_empty() {
        println!(
            "\ncycles: each thread calls its collector every {COLLECT_EVERY} ops; the pause of \
             each call"
        );
        for c in pauses {
            let q = |q| c.pause(q).map_or_else(String::new, |v| show(&v, seconds));
            println!(
                "  {:<9} {}t  pause p50 {}, p99 {}, max {}",
                name(&c.strategy),
                c.threads,
                q(0.5),
                q(0.99),
                q(1.0)
            );
        }
    }
    for c in cells.iter().filter(|c| c.strategy == S::Processes) {
        let start = c.pause(0.5).map_or_else(String::new, |v| show(&v, seconds));
        let memory = c.bytes().map_or_else(String::new, |v| show(&v, bytes));
        println!(
            "processes {}: start-up (spawn to ready) p50 {start}; private memory per worker {memory}",
            c.threads
        );
    }
    if let Some(t) = &extras.transfers {
        println!(
            "\nround trip of one message: process (pipes, both ways) | thread (mpsc, the Vec moved)"
        );
        for (k, &s) in SIZES.iter().enumerate() {
            println!(
                "  {:>7}  {} | {}",
                size(s),
                show(&t.process[k], seconds),
                show(&t.thread[k], seconds)
            );
        }
        println!(
            "  start (spawn to first echo): process {} | thread {}",
            show(&t.process_start, seconds),
            show(&t.thread_start, seconds)
        );
    }
    let b = &extras.bytes;
    let list = |v: &[(S, f64)]| {
        v.iter()
            .map(|(s, n)| format!("{} {}", name(s), one(*n, bytes)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "\nbytes per object, as the allocator is asked (handle included): churn's object: {}; a \
         cycle's node: {}",
        list(&b.churn),
        list(&b.node)
    );
    println!(
        "bytes left per dropped two-node cycle: {}",
        b.leaked
            .iter()
            .map(|(what, n)| format!("{what} {}", one(*n, bytes)))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// The extras as JSON.
pub fn json(extras: &Extras) -> Value {
    let pairs = |v: &[(S, f64)]| {
        v.iter()
            .map(|(s, n)| (name(s), json!(n)))
            .collect::<serde_json::Map<_, _>>()
    };
    let b = &extras.bytes;
    json!({
        "bytes_per_object_measured": {
            "churn": pairs(&b.churn),
            "cycle_node": pairs(&b.node),
        },
        "bytes_left_per_cycle": b.leaked.iter()
            .map(|(what, n)| ((*what).to_owned(), json!(n)))
            .collect::<serde_json::Map<_, _>>(),
        "round_trip_seconds": extras.transfers.as_ref().map(|t| json!({
            "sizes": SIZES,
            "process": t.process,
            "thread": t.thread,
            "process_start": t.process_start,
            "thread_start": t.thread_start,
        })),
    })
}

/// One claim for each way out, and one for the counts they stand beside.
pub fn claims(cells: &[Cell], extras: &Extras) -> Vec<Claim> {
    vec![
        gc_cost_claim(cells, extras),
        leak_claim(extras),
        epoch_claim(cells),
        process_claim(cells),
        process_cost_claim(cells, extras),
        async_claim(cells),
        async_convoy_claim(cells),
    ]
}

/// The seed: languages with a collector lose single-threaded speed.
fn gc_cost_claim(cells: &[Cell], extras: &Extras) -> Claim {
    let churn = |s| ops(cells, W::Churn, s, 1);
    let cycles = |s| ops(cells, W::Cycles, s, 1);
    let finding = churn(S::Dumpster)
        .zip(churn(S::AtomicRc))
        .zip(cycles(S::Dumpster).zip(cycles(S::AtomicRc)))
        .map(|((gc, rc), (gc_cycles, rc_cycles))| {
            let (on_churn, on_cycles) = (ratio(&gc, &rc), ratio(&gc_cycles, &rc_cycles));
            let mut figures = format!(
                "dumpster's throughput over atomic-rc's, one thread: churn {}, cycles {}",
                show(&on_churn, times),
                show(&on_cycles, times)
            );
            let beside: Vec<String> = [S::Biased, S::Immortal, S::Epoch]
                .into_iter()
                .filter_map(|s| {
                    Some(format!(
                        "{} {}",
                        name(&s),
                        show(&ratio(&churn(s)?, &rc), times)
                    ))
                })
                .collect();
            if !beside.is_empty() {
                let _ = write!(
                    figures,
                    " (churn, others over atomic-rc: {})",
                    beside.join(", ")
                );
            }
            for s in [S::AtomicRc, S::Dumpster] {
                if let Some(c) = find(cells, W::Cycles, s, 1) {
                    let q = |q| c.pause(q).map_or_else(String::new, |v| show(&v, seconds));
                    let _ = write!(
                        figures,
                        "; {} pause p50 {}, p99 {}, max {}",
                        name(&s),
                        q(0.5),
                        q(0.99),
                        q(1.0)
                    );
                }
            }
            let node = |s| {
                extras
                    .bytes
                    .node
                    .iter()
                    .find(|(n, _)| *n == s)
                    .map_or_else(String::new, |(_, b)| one(*b, bytes))
            };
            let _ = write!(
                figures,
                "; a node: atomic-rc {}, dumpster {}",
                node(S::AtomicRc),
                node(S::Dumpster)
            );
            Finding::new(
                figures,
                on_churn
                    .iter()
                    .zip(&on_cycles)
                    .map(|(&a, &b)| a < 1.0 && b < 1.0),
            )
        });
    claim(
        "garbage collection costs single-threaded speed, as the seed says (dumpster's one-thread \
         throughput below atomic-rc's on churn and on cycles, atomic-rc running collect_cycles)",
        finding,
        None,
    )
}

/// Counts leak cycles and need the cycle collector; the tracing collector frees them by itself.
fn leak_claim(extras: &Extras) -> Claim {
    let left = |what: &str| {
        extras
            .bytes
            .leaked
            .iter()
            .find(|(w, _)| *w == what)
            .map(|(_, b)| *b)
    };
    let finding = left("counts alone")
        .zip(left("atomic-rc, after collect_cycles"))
        .zip(left("dumpster, no call"))
        .map(|((counts, collected), traced)| {
            let figures = extras
                .bytes
                .leaked
                .iter()
                .map(|(w, b)| format!("{w} {}", one(*b, bytes)))
                .collect::<Vec<_>>()
                .join(", ");
            let small = 0.1 * counts;
            Finding::new(
                format!("bytes left per dropped cycle: {figures}"),
                [counts > 0.0 && collected <= small && traced <= small],
            )
        });
    claim(
        "counting leaks cycles and needs a cycle collector; tracing does not (per dropped \
         two-node cycle, counts alone leave its bytes, atomic-rc after collect_cycles and \
         dumpster without any call leave under a tenth of that)",
        finding,
        None,
    )
}

/// Reclamation without counts scales where one shared count does not.
fn epoch_claim(cells: &[Cell]) -> Claim {
    let finding = scaling(cells, W::Churn, S::Epoch)
        .zip(scaling(cells, W::Churn, S::AtomicRc))
        .map(|(epoch, atomic)| {
            let more = [S::Immortal, S::Dumpster]
                .into_iter()
                .filter_map(|s| {
                    Some(format!(
                        ", {} {}",
                        name(&s),
                        show(&scaling(cells, W::Churn, s)?, times)
                    ))
                })
                .collect::<String>();
            Finding::new(
                format!(
                    "epoch {}, atomic-rc {}{more}",
                    show(&epoch, times),
                    show(&atomic, times)
                ),
                epoch.iter().zip(&atomic).map(|(&e, &a)| e > 1.6 && a < 1.3),
            )
        });
    claim(
        "epoch-based reclamation, with no count, scales where a shared count does not (churn from \
         1 to 2 threads: epoch over 1.6x, atomic-rc under 1.3x)",
        finding,
        None,
    )
}

/// Processes run CPU-bound work in parallel, as released threads do.
fn process_claim(cells: &[Cell]) -> Claim {
    let finding = scaling(cells, W::CpuDisjoint, S::Processes).map(|r| {
        let beside = [S::GilReleased, S::Gil]
            .into_iter()
            .filter_map(|s| {
                Some(format!(
                    ", {} {}",
                    name(&s),
                    show(&scaling(cells, W::CpuDisjoint, s)?, times)
                ))
            })
            .collect::<String>();
        let one_thread = ops(cells, W::CpuDisjoint, S::Processes, 1)
            .zip(ops(cells, W::CpuDisjoint, S::GilReleased, 1))
            .map_or_else(String::new, |(p, g)| {
                format!(
                    "; one process at {} of one released thread",
                    show(&ratio(&p, &g), times)
                )
            });
        Finding::new(
            format!("processes {}{beside}{one_thread}", show(&r, times)),
            r.iter().map(|&r| r > 1.6),
        )
    });
    claim(
        "processes run CPU-bound work in parallel, as releasing the GIL does (worker processes on \
         cpu-disjoint scale over 1.6x from 1 to 2)",
        finding,
        None,
    )
}

/// What processes cost: start-up, memory, and copies of every message.
fn process_cost_claim(cells: &[Cell], extras: &Extras) -> Claim {
    let finding = extras.transfers.as_ref().map(|t| {
        let start = ratio(&t.process_start, &t.thread_start);
        let last = SIZES.len() - 1;
        let big = ratio(&t.process[last], &t.thread[last]);
        let trips = SIZES
            .iter()
            .enumerate()
            .map(|(k, &s)| format!("{} {}", size(s), show(&t.process[k], seconds)))
            .collect::<Vec<_>>()
            .join(", ");
        let memory = find(cells, W::CpuDisjoint, S::Processes, 1)
            .and_then(Cell::bytes)
            .map_or_else(String::new, |m| {
                format!("; private memory per worker {}", show(&m, bytes))
            });
        Finding::new(
            format!(
                "start: process {}, thread {} ({}); round trip through pipes {trips}; \
                 4 MiB: {} a move between threads{memory}",
                show(&t.process_start, seconds),
                show(&t.thread_start, seconds),
                show(&start, times),
                show(&big, times)
            ),
            start.iter().zip(&big).map(|(&s, &b)| s > 10.0 && b > 10.0),
        )
    });
    claim(
        "processes pay to start and to talk (a worker process takes over 10x a thread's time to \
         start, and a 4 MiB message's round trip through pipes over 10x its move between threads)",
        finding,
        None,
    )
}

/// Many waits on one core: tasks against threads under the GIL.
fn async_claim(cells: &[Cell]) -> Claim {
    let finding = ops(cells, W::IoMany, S::Async, IO_MANY)
        .zip(ops(cells, W::IoMany, S::GilReleased, IO_MANY))
        .map(|(tasks, threads)| {
            let r = ratio(&tasks, &threads);
            #[allow(clippy::cast_precision_loss, reason = "a small count")]
            let ideal = IO_MANY as f64 / IO_MANY_BLOCK.as_secs_f64();
            Finding::new(
                format!(
                    "async {}, gil-released {} (all waiting: {}); async over gil-released {}",
                    show(&tasks, per_second),
                    show(&threads, per_second),
                    one(ideal, per_second),
                    show(&r, times)
                ),
                r.iter().map(|&r| r > 1.0),
            )
        });
    claim(
        format!(
            "async wins where there are many waits on one core (io-many, {IO_MANY} waiters each \
             blocking {}: tasks on one thread do more ops/s than threads under the GIL)",
            one(IO_MANY_BLOCK.as_secs_f64(), seconds)
        ),
        finding,
        None,
    )
}

/// A CPU-bound task that rarely yields delays every task on its thread.
fn async_convoy_claim(cells: &[Cell]) -> Claim {
    let finding = find(cells, W::Mixed, S::AsyncConvoy, 2).and_then(|hog| {
        let p50 = hog.wait(0.5)?;
        let p99 = hog.wait(0.99)?;
        #[allow(clippy::cast_precision_loss, reason = "a small count")]
        let slice: Vec<f64> = hog
            .throughput()
            .iter()
            .map(|t| HOG_OPS as f64 / t)
            .collect();
        let polite = find(cells, W::Mixed, S::Async, 2)
            .and_then(|c| Some((c.wait(0.5)?, c.wait(0.99)?)))
            .map_or_else(String::new, |(a, b)| {
                format!(
                    "; async (yields every op) p50 {}, p99 {}",
                    show(&a, seconds),
                    show(&b, seconds)
                )
            });
        let gil = find(cells, W::Mixed, S::Gil, 2)
            .and_then(|c| c.wait(0.5))
            .map_or_else(String::new, |g| format!("; gil p50 {}", show(&g, seconds)));
        Some(Finding::new(
            format!(
                "async-convoy I/O wait p50 {}, p99 {}, its CPU task's slice {}{polite}{gil}",
                show(&p50, seconds),
                show(&p99, seconds),
                show(&slice, seconds)
            ),
            p50.iter().zip(&slice).map(|(&w, &s)| w > 0.5 * s),
        ))
    });
    claim(
        format!(
            "on one thread, a CPU-bound task that yields only every {HOG_OPS} ops delays every \
             other task, the convoy by another name (the I/O task's wait p50 over half the CPU \
             task's slice between yields)"
        ),
        finding,
        None,
    )
}
