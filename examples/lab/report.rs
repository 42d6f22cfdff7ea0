//! The table, the JSON, the chart and the claims, all computed from the measured cells.

use std::path::Path;
use std::time::Duration;

use plotters::prelude::*;
use serde_json::{json, Value};

use crate::workloads::{Params, Strategy, Workload};
use crate::{name, Cell};

fn find(cells: &[Cell], w: Workload, s: Strategy, t: usize) -> Option<&Cell> {
    cells
        .iter()
        .find(|c| c.workload == w && c.strategy == s && c.threads == t)
}

fn throughput(cells: &[Cell], w: Workload, s: Strategy, t: usize) -> Option<f64> {
    find(cells, w, s, t).map(Cell::throughput)
}

/// Throughput at 2 threads over 1 thread; not a measure of parallelism below 2 cores.
fn scaling(cells: &[Cell], w: Workload, s: Strategy) -> Option<f64> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if cores < 2 {
        return None;
    }
    Some(throughput(cells, w, s, 2)? / throughput(cells, w, s, 1)?)
}

/// The `q`-quantile of sorted waits.
fn quantile(sorted: &[Duration], q: f64) -> Option<Duration> {
    let last = sorted.len().checked_sub(1)?;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short vector"
    )]
    let index = (last as f64 * q).round() as usize;
    sorted.get(index).copied()
}

fn micros(d: Option<Duration>) -> Value {
    d.map_or(Value::Null, |d| json!(d.as_secs_f64() * 1e6))
}

/// The table on the terminal.
pub fn table(cells: &[Cell]) {
    println!(
        "{:<13} {:<13} {:>7} {:>12} {:>9} {:>11} {:>11}",
        "workload", "strategy", "threads", "Mops/s", "vs 1 thr", "wait p50", "wait p99"
    );
    for c in cells {
        let vs_one = throughput(cells, c.workload, c.strategy, 1)
            .filter(|_| c.threads > 1)
            .map_or_else(String::new, |one| format!("{:.2}x", c.throughput() / one));
        let wait = |q| quantile(&c.waits, q).map_or_else(String::new, |d| format!("{d:.1?}"));
        println!(
            "{:<13} {:<13} {:>7} {:>12.3} {:>9} {:>11} {:>11}",
            name(&c.workload),
            name(&c.strategy),
            c.threads,
            c.throughput() / 1e6,
            vs_one,
            wait(0.5),
            wait(0.99),
        );
    }
}

/// Every measurement, the parameters, the memory per object and the claims.
pub fn json(cells: &[Cell], params: Params, strategies: &[Strategy]) -> Value {
    json!({
        "params": {
            "duration_ms": params.duration.as_secs_f64() * 1e3,
            "work_rounds": params.work,
            "block_us": params.block.as_secs_f64() * 1e6,
            "switch_interval_us": gilkit::switch_interval().as_secs_f64() * 1e6,
            "available_parallelism": std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        },
        "cells": cells.iter().map(|c| json!({
            "workload": name(&c.workload),
            "strategy": name(&c.strategy),
            "threads": c.threads,
            "ops": c.ops,
            "seconds": c.seconds,
            "ops_per_second": c.throughput(),
            "io_wait_p50_us": micros(quantile(&c.waits, 0.5)),
            "io_wait_p99_us": micros(quantile(&c.waits, 0.99)),
            "io_wait_samples": c.waits.len(),
        })).collect::<Vec<_>>(),
        "bytes_per_object": strategies.iter().map(|s| (name(s), json!(s.bytes_per_object()))).collect::<serde_json::Map<_, _>>(),
        "claims": claims(cells, strategies),
    })
}

/// Throughput against threads, one panel per workload (the mixed workload has one thread count).
pub fn chart(cells: &[Cell], path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let panels: Vec<Workload> = [
        Workload::Access,
        Workload::CpuSame,
        Workload::CpuDisjoint,
        Workload::Io,
        Workload::Churn,
    ]
    .into_iter()
    .filter(|w| cells.iter().any(|c| c.workload == *w))
    .collect();
    let root = SVGBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE)?;
    let areas = root.split_evenly((2, 3));
    let max_threads = cells.iter().map(|c| c.threads).max().unwrap_or(1);
    for (workload, area) in panels.iter().zip(areas.iter()) {
        let mine: Vec<&Cell> = cells.iter().filter(|c| c.workload == *workload).collect();
        let (lo, hi) = mine
            .iter()
            .map(|c| c.throughput() / 1e6)
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{} (Mops/s, log)", name(workload)),
                ("sans-serif", 18),
            )
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(1..max_threads, (lo / 2.0..hi * 2.0).log_scale())?;
        chart.configure_mesh().x_desc("threads").draw()?;
        let mut strategies: Vec<Strategy> = mine.iter().map(|c| c.strategy).collect();
        strategies.dedup();
        for (i, strategy) in strategies.iter().enumerate() {
            let points: Vec<(usize, f64)> = mine
                .iter()
                .filter(|c| c.strategy == *strategy)
                .map(|c| (c.threads, c.throughput() / 1e6))
                .collect();
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(name(strategy))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, color.filled())),
            )?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// One line per claim of the trade-off, each with the number that confirms or refutes it.
pub fn claims(cells: &[Cell], strategies: &[Strategy]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut claim = |text: &str, finding: Option<(String, bool)>| {
        lines.push(match finding {
            Some((number, true)) => format!("{text}: {number} -> holds"),
            Some((number, false)) => format!("{text}: {number} -> does NOT hold"),
            None => format!("{text}: not measured in this run"),
        });
    };
    lock_claims(cells, &mut claim);
    count_claims(cells, strategies, &mut claim);
    lines
}

/// A claim's text and, if the run measured it, the number and whether it holds.
type Claim<'a> = &'a mut dyn FnMut(&str, Option<(String, bool)>);

/// The claims about locks: the GIL, releasing it, and a lock per field.
fn lock_claims(cells: &[Cell], claim: Claim) {
    use Strategy as S;
    use Workload as W;

    claim(
        "a single lock adds no per-access overhead",
        throughput(cells, W::Access, S::Unsync, 1)
            .zip(throughput(cells, W::Access, S::Gil, 1))
            .map(|(u, g)| {
                (
                    format!(
                        "GIL-held access takes {:.2}x the time of unsynchronized access",
                        u / g
                    ),
                    u / g <= 1.1,
                )
            }),
    );
    claim(
        "the GIL makes CPU-bound threads run one at a time",
        scaling(cells, W::CpuDisjoint, S::Gil).map(|r| {
            (
                format!("2 threads do {r:.2}x the work of 1 (parallel would be 2x)"),
                r < 1.3,
            )
        }),
    );
    claim(
        "I/O-bound threads are barely hurt",
        scaling(cells, W::Io, S::GilReleased).map(|r| {
            let held = scaling(cells, W::Io, S::Gil).map_or_else(String::new, |h| {
                format!("; {h:.2}x if the GIL is held across the block")
            });
            (
                format!("I/O with the GIL released scales {r:.2}x from 1 to 2 threads{held}"),
                r > 1.6,
            )
        }),
    );
    claim(
        "releasing the GIL around work restores parallelism (as numpy does)",
        scaling(cells, W::CpuDisjoint, S::GilReleased).zip(scaling(cells, W::CpuDisjoint, S::Gil)).map(|(rel, held)| {
            (format!("work done released scales {rel:.2}x from 1 to 2 threads, against {held:.2}x holding the GIL"), rel > held * 1.3)
        }),
    );
    claim(
        "a lock per field costs lock traffic on every access",
        throughput(cells, W::Access, S::Gil, 1).zip(throughput(cells, W::Access, S::PerField, 1)).map(|(g, f)| {
            let bare = throughput(cells, W::Access, S::ParkingLot, 1).map_or_else(String::new, |b| format!(" ({:.2}x a bare parking_lot::Mutex)", b / f));
            (format!("per_field_lock access takes {:.2}x the time of GIL-held access, on one thread{bare}", g / f), g / f > 1.5)
        }),
    );
    claim(
        "fine-grained locks run in parallel on disjoint data",
        scaling(cells, W::CpuDisjoint, S::PerField)
            .zip(scaling(cells, W::CpuDisjoint, S::StdMutex))
            .map(|(r, coarse)| {
                let gil = scaling(cells, W::CpuDisjoint, S::Gil)
                    .map_or_else(String::new, |g| format!(", the GIL {g:.2}x"));
                (
                    format!(
                        "per_field_lock scales {r:.2}x from 1 to 2 threads on disjoint fields; \
                         one std::sync::Mutex around the object {coarse:.2}x{gil}"
                    ),
                    r > 1.5 && r > 1.3 * coarse,
                )
            }),
    );
}

/// The claims about reference counts, latency under the GIL, and memory.
fn count_claims(cells: &[Cell], strategies: &[Strategy], claim: Claim) {
    use Strategy as S;
    use Workload as W;
    claim(
        "atomic counts cost more than plain ones, and biased counts recover most of it",
        throughput(cells, W::Churn, S::Rc, 1)
            .zip(throughput(cells, W::Churn, S::AtomicRc, 1))
            .zip(throughput(cells, W::Churn, S::Biased, 1))
            .map(|((rc, atomic), biased)| {
                let arc = throughput(cells, W::Churn, S::Arc, 1)
                    .map_or_else(String::new, |arc| format!(", Arc {:.2}x", rc / arc));
                (
                    format!(
                        "clone+drop on the owner thread takes, against Rc: atomic_rc {:.2}x{arc}, biased {:.2}x",
                        rc / atomic,
                        rc / biased
                    ),
                    // "Most of it": biased keeps less than half of the atomic overhead over Rc.
                    atomic < rc && rc / biased - 1.0 < 0.5 * (rc / atomic - 1.0),
                )
            }),
    );
    claim(
        "under a CPU-bound GIL holder, an I/O thread waits about one switch interval per operation (the convoy effect of bpo-7946)",
        find(cells, W::Mixed, S::Gil, 2).and_then(|c| {
            let (p50, p99) = (quantile(&c.waits, 0.5)?, quantile(&c.waits, 0.99)?);
            let interval = gilkit::switch_interval();
            let released = find(cells, W::Mixed, S::GilReleased, 2).and_then(|c| quantile(&c.waits, 0.5)).map_or_else(String::new, |d| format!("; {d:.1?} p50 if the CPU work releases the GIL"));
            Some((
                format!("I/O wait p50 {p50:.1?}, p99 {p99:.1?} with a {interval:.1?} switch interval{released}"),
                p50.as_secs_f64() > 0.5 * interval.as_secs_f64(),
            ))
        }),
    );
    claim(
        "the priority policy beats the convoy: I/O wait p99 at most 0.05 x the switch interval, the CPU thread keeping 90 % of its throughput under CPython's policy",
        find(cells, W::Mixed, S::GilPriority, 2).zip(find(cells, W::Mixed, S::Gil, 2)).and_then(|(prio, interval_policy)| {
            let p99 = quantile(&prio.waits, 0.99)?;
            let interval = gilkit::switch_interval();
            let kept = prio.throughput() / interval_policy.throughput();
            Some((
                format!("I/O wait p99 {p99:.1?} ({:.3} x the {interval:.1?} interval), CPU thread at {:.0} % of its throughput beside the interval policy's I/O thread", p99.as_secs_f64() / interval.as_secs_f64(), 100.0 * kept),
                p99.as_secs_f64() <= 0.05 * interval.as_secs_f64() && kept >= 0.9,
            ))
        }),
    );
    let memory: Vec<String> = strategies
        .iter()
        .map(|s| format!("{} {} B", name(s), s.bytes_per_object()))
        .collect();
    // Every way of making the object safe to share costs bytes over the bare fields.
    let bare = Strategy::Unsync.bytes_per_object();
    let all_cost_more = strategies
        .iter()
        .filter(|s| **s != Strategy::Unsync)
        .all(|s| s.bytes_per_object() > bare);
    claim(
        &format!(
            "using memory to clean memory: bytes per object of {} u64 fields, with its counts and handle",
            crate::workloads::FIELDS
        ),
        Some((memory.join(", "), all_cost_more)),
    );
}
