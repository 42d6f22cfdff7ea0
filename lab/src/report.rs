//! The table, the JSON and the claims, all computed from the measured rounds; the machine they
//! ran on.

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::workloads::{Params, Strategy, Workload};
use crate::{name, Cell};

/// The machine, as it was when the lab started.
pub struct Machine {
    pub cores: usize,
    /// The CPU model from `/proc/cpuinfo`.
    pub cpu: String,
    /// `rustc --version` of the `rustc` on the path.
    pub rustc: String,
    /// UTC.
    pub date: String,
    /// The 1, 5 and 15 minute load averages from `/proc/loadavg`.
    pub load: String,
}

impl Machine {
    pub fn now() -> Self {
        let read = |path| std::fs::read_to_string(path).unwrap_or_default();
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find_map(|l| Some(l.split_once(':')?).filter(|(k, _)| k.trim() == "model name"))
            .map_or_else(|| "unknown CPU".to_owned(), |(_, v)| v.trim().to_owned());
        let load = read("/proc/loadavg")
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        let rustc = std::process::Command::new("rustc")
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map_or_else(|| "rustc (unknown)".to_owned(), |v| v.trim().to_owned());
        Self {
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            cpu,
            rustc,
            date: utc_now(),
            load: if load.is_empty() {
                "unknown".into()
            } else {
                load
            },
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cores ({}), {}, {}, load average {} at start",
            self.cores, self.cpu, self.rustc, self.date, self.load
        )
    }
}

/// The current time, `2026-04-14 03:21 UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// What one run was: where, how, and with which strategies.
pub struct Run {
    pub machine: Machine,
    pub rounds: u32,
    pub params: Params,
    /// `CPython 3.11.7`, when the script ran.
    pub python: Option<String>,
    pub strategies: Vec<Strategy>,
    /// What the ways out measured beside their cells (`--ways-out`).
    pub ways: Option<crate::ways::Extras>,
}

/// How the cells ran, printed before the table and in the chart's caption.
pub fn settings(rounds: u32, p: Params) -> String {
    format!(
        "{rounds} rounds x {} per cell (mixed: {}), switch interval {}, I/O block {}, \
         {} xorshift rounds of CPU work per op",
        duration(p.duration.as_secs_f64()),
        duration(4.0 * p.duration.as_secs_f64()),
        duration(gilkit::switch_interval().as_secs_f64()),
        duration(p.block.as_secs_f64()),
        p.work,
    )
}

/// A figure measured once per round: its median and its range.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// `None` for no values.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => v[n / 2],
            _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        };
        Some(Self {
            median,
            min: v[0],
            max: v[n - 1],
        })
    }

    /// `5.10 ms (5.02–5.21)`: the median, then the range, with the unit once when they share it.
    pub fn show(&self, unit: Unit) -> String {
        let ((m, mu), (lo, lu), (hi, hu)) = (unit(self.median), unit(self.min), unit(self.max));
        if lu == mu && hu == mu {
            format!("{m}{mu} ({lo}–{hi})")
        } else {
            format!("{m}{mu} ({lo}{lu}–{hi}{hu})")
        }
    }

    fn json(&self) -> Value {
        json!({ "median": self.median, "min": self.min, "max": self.max })
    }
}

/// A figure's formatter: the number, and its unit.
pub type Unit = fn(f64) -> (String, &'static str);

/// Three significant figures.
pub fn sig3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small digit count, clamped at zero"
    )]
    let decimals = (2.0 - v.abs().log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// A rate with an SI prefix: `(4.06, " G")`.
pub fn per_second(v: f64) -> (String, &'static str) {
    let (scale, prefix) = [(1e9, " G"), (1e6, " M"), (1e3, " k")]
        .into_iter()
        .find(|(scale, _)| v >= *scale)
        .unwrap_or((1.0, " "));
    (sig3(v / scale), prefix)
}

/// Seconds in the unit that suits them: `(5.10, " ms")`.
pub fn seconds(v: f64) -> (String, &'static str) {
    let (scale, unit) = [(1.0, " s"), (1e-3, " ms"), (1e-6, " µs")]
        .into_iter()
        .find(|(scale, _)| v >= *scale)
        .unwrap_or((1e-9, " ns"));
    (sig3(v / scale), unit)
}

/// A ratio: `(1.85, "x")`.
pub fn times(v: f64) -> (String, &'static str) {
    (sig3(v), "x")
}

/// Seconds as one string: `5.10 ms`.
pub fn duration(v: f64) -> String {
    let (n, unit) = seconds(v);
    format!("{n}{unit}")
}

pub(crate) fn find(cells: &[Cell], w: Workload, s: Strategy, t: usize) -> Option<&Cell> {
    cells
        .iter()
        .find(|c| c.workload == w && c.strategy == s && c.threads == t)
}

/// Operations per second of one cell, per round.
pub(crate) fn ops(cells: &[Cell], w: Workload, s: Strategy, t: usize) -> Option<Vec<f64>> {
    find(cells, w, s, t).map(Cell::throughput)
}

/// `a / b` per round: both were measured in the same round.
pub(crate) fn ratio(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a / b).collect()
}

/// Throughput at 2 threads over 1 thread, per round; not a measure of parallelism below 2 cores.
pub(crate) fn scaling(cells: &[Cell], w: Workload, s: Strategy) -> Option<Vec<f64>> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if cores < 2 {
        return None;
    }
    Some(ratio(&ops(cells, w, s, 2)?, &ops(cells, w, s, 1)?))
}

/// Per-round figures as `median (min–max)`.
pub(crate) fn show(values: &[f64], unit: Unit) -> String {
    Spread::of(values).map_or_else(String::new, |s| s.show(unit))
}

/// The table on the terminal: median and range over the rounds of every cell.
pub fn table(cells: &[Cell]) {
    let header = [
        "workload",
        "strategy",
        "threads",
        "ops/s",
        "vs 1 thread",
        "I/O wait p50",
        "I/O wait p99",
    ];
    let rows: Vec<[String; 7]> = cells
        .iter()
        .map(|c| {
            let vs_one = ops(cells, c.workload, c.strategy, 1)
                .filter(|_| c.threads > 1)
                .map_or_else(String::new, |one| {
                    show(&ratio(&c.throughput(), &one), times)
                });
            let wait = |q| c.wait(q).map_or_else(String::new, |w| show(&w, seconds));
            [
                name(&c.workload),
                name(&c.strategy),
                c.threads.to_string(),
                show(&c.throughput(), per_second),
                vs_one,
                wait(0.5),
                wait(0.99),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cols: [&str; 7]| {
        let mut out = String::new();
        for (i, (col, w)) in cols.iter().zip(widths).enumerate() {
            // Names go left, figures right.
            let _ = if i < 2 {
                write!(out, "{col:<w$}  ")
            } else {
                write!(out, "{col:>w$}  ")
            };
        }
        println!("{}", out.trim_end());
    };
    line(header);
    for row in &rows {
        line(row.each_ref().map(String::as_str));
    }
}

/// Every measurement, the parameters, the machine, the memory per object and the claims.
pub fn json(cells: &[Cell], run: &Run, claims: &[Claim]) -> Value {
    let spread = |v: Option<Vec<f64>>, scale: f64| {
        v.and_then(|v| Spread::of(&v.iter().map(|x| x * scale).collect::<Vec<_>>()))
            .map_or(Value::Null, |s| s.json())
    };
    let m = &run.machine;
    json!({
        "machine": {
            "cores": m.cores,
            "cpu": m.cpu,
            "rustc": m.rustc,
            "date": m.date,
            "load_average_at_start": m.load,
        },
        "params": {
            "rounds": run.rounds,
            "duration_ms": run.params.duration.as_secs_f64() * 1e3,
            "mixed_duration_ms": 4.0 * run.params.duration.as_secs_f64() * 1e3,
            "work_rounds": run.params.work,
            "block_us": run.params.block.as_secs_f64() * 1e6,
            "switch_interval_us": gilkit::switch_interval().as_secs_f64() * 1e6,
        },
        "python": run.python,
        "cells": cells.iter().map(|c| json!({
            "workload": name(&c.workload),
            "strategy": name(&c.strategy),
            "threads": c.threads,
            "ops_per_second": spread(Some(c.throughput()), 1.0),
            "io_wait_p50_us": spread(c.wait(0.5), 1e6),
            "io_wait_p99_us": spread(c.wait(0.99), 1e6),
            "pause_p50_us": spread(c.pause(0.5), 1e6),
            "pause_p99_us": spread(c.pause(0.99), 1e6),
            "pause_max_us": spread(c.pause(1.0), 1e6),
            "worker_private_bytes": spread(c.bytes(), 1.0),
            "rounds": c.rounds.iter().map(|r| json!({
                "ops": r.ops,
                "seconds": r.seconds,
                "io_wait_p50_us": r.wait(0.5).map(|w| w * 1e6),
                "io_wait_p99_us": r.wait(0.99).map(|w| w * 1e6),
                "io_wait_samples": r.waits.len(),
                "pause_p50_us": r.pause(0.5).map(|w| w * 1e6),
                "pause_p99_us": r.pause(0.99).map(|w| w * 1e6),
                "pause_max_us": r.pause(1.0).map(|w| w * 1e6),
                "pauses": r.pauses.len(),
                "worker_private_bytes": r.bytes,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "bytes_per_object": run.strategies.iter()
            .filter_map(|s| Some((name(s), json!(s.bytes_per_object()?))))
            .collect::<serde_json::Map<_, _>>(),
        "ways_out": run.ways.as_ref().map(crate::ways::json),
        "claims": claims.iter().map(Claim::json).collect::<Vec<_>>(),
    })
}

/// Whether a claim holds across the rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every round is on the holding side of the threshold.
    Holds,
    /// Every round is on the failing side.
    Fails,
    /// The rounds disagree.
    Inconclusive,
}

impl Verdict {
    fn of(rounds: impl IntoIterator<Item = bool>) -> Self {
        let (mut holding, mut failing) = (0, 0);
        for holds in rounds {
            if holds {
                holding += 1;
            } else {
                failing += 1;
            }
        }
        match (holding, failing) {
            (_, 0) => Self::Holds,
            (0, _) => Self::Fails,
            _ => Self::Inconclusive,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Holds => "holds",
            Self::Fails => "does NOT hold",
            Self::Inconclusive => "inconclusive",
        })
    }
}

/// What a run found for one claim: its figures, and the verdict of their rounds.
pub struct Finding {
    pub figures: String,
    pub verdict: Verdict,
}

impl Finding {
    /// `holds`: whether each round is on the holding side.
    pub(crate) fn new(figures: String, holds: impl IntoIterator<Item = bool>) -> Self {
        Self {
            figures,
            verdict: Verdict::of(holds),
        }
    }
}

/// One claim of the trade-off, with what this run found for the lab and for `CPython`.
pub struct Claim {
    /// The claim, with the threshold it is held to.
    pub text: String,
    pub ours: Option<Finding>,
    pub cpython: Option<Finding>,
}

impl Claim {
    fn json(&self) -> Value {
        let finding = |f: &Option<Finding>| {
            f.as_ref().map_or(
                Value::Null,
                |f| json!({ "figures": f.figures, "verdict": f.verdict.to_string() }),
            )
        };
        json!({ "claim": self.text, "lab": finding(&self.ours), "cpython": finding(&self.cpython) })
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ours {
            Some(ours) => write!(f, "{}: {} -> {}", self.text, ours.figures, ours.verdict)?,
            None => write!(f, "{}: not measured in this run", self.text)?,
        }
        if let Some(py) = &self.cpython {
            write!(f, " | CPython: {} -> {}", py.figures, py.verdict)?;
        }
        Ok(())
    }
}

/// Every claim of the trade-off, each with the figures that confirm or refute it.
pub fn claims(cells: &[Cell], run: &Run) -> Vec<Claim> {
    let mut claims = gil_claims(cells);
    claims.extend(field_claims(cells));
    claims.push(count_claim(cells));
    claims.extend(convoy_claims(cells));
    claims.push(memory_claim(run));
    claims.push(interp_claim(cells));
    if let Some(extras) = &run.ways {
        claims.extend(crate::ways::claims(cells, extras));
    }
    claims
}

pub(crate) fn claim(
    text: impl Into<String>,
    ours: Option<Finding>,
    cpython: Option<Finding>,
) -> Claim {
    Claim {
        text: text.into(),
        ours,
        cpython,
    }
}

/// The claims about the GIL and releasing it, each with `CPython`'s figure where it has one.
fn gil_claims(cells: &[Cell]) -> Vec<Claim> {
    use Strategy as S;
    use Workload as W;
    // Per round: 2 threads do under 1.3x the work of 1.
    let serial = |s| {
        let r = scaling(cells, W::CpuDisjoint, s)?;
        let holds: Vec<bool> = r.iter().map(|&r| r < 1.3).collect();
        Some(Finding::new(
            format!("{} {}", name(&s), show(&r, times)),
            holds,
        ))
    };
    // Per round: 2 threads do over 1.6x the work of 1.
    let io_scales = |s| {
        let r = scaling(cells, W::Io, s)?;
        let holds: Vec<bool> = r.iter().map(|&r| r > 1.6).collect();
        Some(Finding::new(
            format!("{} {}", name(&s), show(&r, times)),
            holds,
        ))
    };
    // Per round: released scaling over 1.3x held scaling.
    let release_helps = |released, held| {
        let (rel, kept) = (
            scaling(cells, W::CpuDisjoint, released)?,
            scaling(cells, W::CpuDisjoint, held)?,
        );
        let gain = ratio(&rel, &kept);
        Some(Finding::new(
            format!(
                "{} scales {}, {} {}; the ratio {}",
                name(&released),
                show(&rel, times),
                name(&held),
                show(&kept, times),
                show(&gain, times)
            ),
            gain.iter().map(|&g| g > 1.3),
        ))
    };
    let access = ops(cells, W::Access, S::Unsync, 1)
        .zip(ops(cells, W::Access, S::Gil, 1))
        .map(|(u, g)| {
            let r = ratio(&u, &g);
            Finding::new(show(&r, times), r.iter().map(|&r| r <= 1.1))
        });
    let mut io = io_scales(S::GilReleased);
    if let (Some(f), Some(held)) = (&mut io, scaling(cells, W::Io, S::Gil)) {
        let _ = write!(
            f.figures,
            "; gil (held across the block) {}",
            show(&held, times)
        );
    }
    let domains = scaling(cells, W::CpuDisjoint, S::GilDomains).map(|r| {
        let gil = scaling(cells, W::CpuDisjoint, S::Gil)
            .map_or_else(String::new, |g| format!(", one GIL {}", show(&g, times)));
        Finding::new(
            format!("gil-domains {}{gil}", show(&r, times)),
            r.iter().map(|&r| r >= 1.9),
        )
    });
    vec![
        claim(
            "a single lock adds no per-access overhead (GIL-held access takes at most 1.1x the \
             time of unsynchronized access)",
            access,
            None,
        ),
        claim(
            "the GIL makes CPU-bound threads run one at a time (2 threads do under 1.3x the work \
             of 1; parallel would be 2x)",
            serial(S::Gil),
            serial(S::Cpython),
        ),
        claim(
            "I/O-bound threads are barely hurt (with the GIL released across the block, 2 threads \
             do over 1.6x the work of 1)",
            io,
            io_scales(S::CpythonReleased),
        ),
        claim(
            "releasing the GIL around work restores parallelism, as numpy does (its 1-to-2-thread \
             scaling over 1.3x that of holding the GIL)",
            release_helps(S::GilReleased, S::Gil),
            release_helps(S::CpythonReleased, S::Cpython),
        ),
        claim(
            "GIL domains restore parallelism, as PEP 684's per-interpreter GIL (one domain per \
             thread scales at least 1.9x from 1 to 2 threads on CPU-bound work)",
            domains,
            None,
        ),
    ]
}

/// The interpreter claim: minipy's threads run one at a time under the GIL and in parallel
/// free-threaded, on the same code and the same object model.
fn interp_claim(cells: &[Cell]) -> Claim {
    use Strategy as S;
    use Workload as W;
    let found = scaling(cells, W::Interp, S::Biased)
        .zip(scaling(cells, W::Interp, S::Gil))
        .map(|(free, gil)| {
            let holds = free.iter().zip(&gil).map(|(&f, &g)| f > 1.6 && g < 1.3);
            Finding::new(
                format!("biased {}, gil {}", show(&free, times), show(&gil, times)),
                holds,
            )
        });
    claim(
        "one interpreter, two object models: minipy's fib.py scales free-threaded and not under \
         the GIL (2 threads over 1.6x the work of 1 with a lock per object and biased counts, \
         under 1.3x under the GIL)",
        found,
        None,
    )
}

/// The claims about a lock per field.
fn field_claims(cells: &[Cell]) -> Vec<Claim> {
    use Strategy as S;
    use Workload as W;
    let cost = ops(cells, W::Access, S::Gil, 1)
        .zip(ops(cells, W::Access, S::PerField, 1))
        .map(|(g, f)| {
            let r = ratio(&g, &f);
            let bare = ops(cells, W::Access, S::ParkingLot, 1).map_or_else(String::new, |b| {
                format!(
                    " ({} a bare parking_lot::Mutex)",
                    show(&ratio(&b, &f), times)
                )
            });
            Finding::new(
                format!("{}{bare}", show(&r, times)),
                r.iter().map(|&r| r > 1.5),
            )
        });
    let parallel = scaling(cells, W::CpuDisjoint, S::PerField)
        .zip(scaling(cells, W::CpuDisjoint, S::StdMutex))
        .map(|(r, coarse)| {
            let gil = scaling(cells, W::CpuDisjoint, S::Gil)
                .map_or_else(String::new, |g| format!(", gil {}", show(&g, times)));
            Finding::new(
                format!(
                    "per-field {}, std-mutex {}{gil}",
                    show(&r, times),
                    show(&coarse, times)
                ),
                r.iter().zip(&coarse).map(|(&r, &c)| r > 1.5 && r > 1.3 * c),
            )
        });
    let padded = ops(cells, W::AccessDisjoint, S::PerFieldPadded, 2)
        .zip(ops(cells, W::AccessDisjoint, S::PerField, 2))
        .zip(ops(cells, W::AccessDisjoint, S::ParkingLotPadded, 2))
        .map(|((padded, plain), bare)| {
            let (gain, cost) = (ratio(&padded, &plain), ratio(&bare, &padded));
            let bytes = |s: S| s.bytes_per_object().map_or(0, |b| b);
            Finding::new(
                format!(
                    "per-field-padded over per-field {}; padded parking_lot over per-field-padded \
                     {}; bytes per object {} against {}",
                    show(&gain, times),
                    show(&cost, times),
                    bytes(S::PerFieldPadded),
                    bytes(S::PerField)
                ),
                gain.iter().zip(&cost).map(|(&g, &c)| g > 1.3 && c <= 1.3),
            )
        });
    vec![
        claim(
            "padding each field lock to a cache line of its own removes false sharing (2 threads \
             incrementing disjoint fields: per_field_lock(padded) does over 1.3x the work of \
             per_field_lock, and padded parking_lot mutexes at most 1.3x its work)",
            padded,
            None,
        ),
        claim(
            "a lock per field costs lock traffic on every access (per_field_lock access over 1.5x \
             the time of GIL-held access, on one thread)",
            cost,
            None,
        ),
        claim(
            "fine-grained locks run in parallel on disjoint data (per_field_lock scales over 1.5x \
             from 1 to 2 threads on disjoint fields, and over 1.3x as well as one std::sync::Mutex \
             around the object)",
            parallel,
            None,
        ),
    ]
}

/// The claim about atomic and biased reference counts.
fn count_claim(cells: &[Cell]) -> Claim {
    use Strategy as S;
    let churn = |s| ops(cells, Workload::Churn, s, 1);
    let finding = churn(S::Rc)
        .zip(churn(S::AtomicRc))
        .zip(churn(S::Biased))
        .map(|((rc, atomic), biased)| {
            let (atomic, biased) = (ratio(&rc, &atomic), ratio(&rc, &biased));
            let arc = churn(S::Arc).map_or_else(String::new, |arc| {
                format!(", arc {}", show(&ratio(&rc, &arc), times))
            });
            let local_ratio = |s, name| {
                churn(s).map_or_else(String::new, |local| {
                    format!(", {name} (LocalRc) {}", show(&ratio(&rc, &local), times))
                })
            };
            let local = local_ratio(S::BiasedLocal, "biased-local")
                + &local_ratio(S::HybridLocal, "hybrid-local");
            Finding::new(
                format!(
                    "clone+drop on the owner thread takes, against Rc: atomic-rc {}{arc}, biased \
                     {}{local}",
                    show(&atomic, times),
                    show(&biased, times)
                ),
                atomic
                    .iter()
                    .zip(&biased)
                    .map(|(&a, &b)| a > 1.0 && b - 1.0 < 0.5 * (a - 1.0)),
            )
        });
    claim(
        "atomic counts cost more than plain ones, and biased counts recover most of it (atomic-rc \
         slower than Rc, and biased keeps under half of atomic-rc's overhead over Rc)",
        finding,
        None,
    )
}

/// The claims about an I/O thread's wait beside a CPU-bound one: the convoy effect and the
/// priority policy. Both name the switch interval they ran with.
fn convoy_claims(cells: &[Cell]) -> Vec<Claim> {
    use Strategy as S;
    use Workload as W;
    let interval = gilkit::switch_interval().as_secs_f64();
    // Per round: the wait p50 over half the switch interval.
    let convoy = |s, what: &str| {
        let c = find(cells, W::Mixed, s, 2)?;
        let (p50, p99) = (c.wait(0.5)?, c.wait(0.99)?);
        Some(Finding::new(
            format!(
                "{} {what} p50 {}, p99 {}",
                name(&s),
                show(&p50, seconds),
                show(&p99, seconds)
            ),
            p50.iter().map(|&w| w > 0.5 * interval),
        ))
    };
    let mut ours = convoy(S::Gil, "I/O wait");
    let released = find(cells, W::Mixed, S::GilReleased, 2).and_then(|c| c.wait(0.5));
    if let (Some(f), Some(rel)) = (&mut ours, released) {
        let _ = write!(
            f.figures,
            "; gil-released (the CPU work releases the GIL) p50 {}",
            show(&rel, seconds)
        );
    }
    // Per round: p99 at most 0.05x the interval, and 0.9x of the CPU thread's throughput kept.
    let priority = find(cells, W::Mixed, S::GilPriority, 2)
        .zip(find(cells, W::Mixed, S::Gil, 2))
        .and_then(|(prio, plain)| {
            let p99 = prio.wait(0.99)?;
            let kept = ratio(&prio.throughput(), &plain.throughput());
            let of_interval: Vec<f64> = p99.iter().map(|w| w / interval).collect();
            Some(Finding::new(
                format!(
                    "gil-priority I/O wait p99 {} ({} of the interval), CPU thread at {} of gil's",
                    show(&p99, seconds),
                    show(&of_interval, times),
                    show(&kept, times)
                ),
                of_interval
                    .iter()
                    .zip(&kept)
                    .map(|(&w, &k)| w <= 0.05 && k >= 0.9),
            ))
        });
    let interval = duration(interval);
    vec![
        claim(
            format!(
                "under a CPU-bound GIL holder, an I/O thread waits about one switch interval per \
                 operation, the convoy effect of bpo-7946 (its wait p50 over half the {interval} \
                 switch interval this run used)"
            ),
            ours,
            convoy(S::Cpython, "sleep lateness"),
        ),
        claim(
            format!(
                "the priority policy beats the convoy (I/O wait p99 at most 0.05x the {interval} \
                 switch interval, the CPU thread keeping 0.9x of its throughput under CPython's \
                 policy)"
            ),
            priority,
            None,
        ),
    ]
}

/// The claim about memory: computed, not measured, so the same in every round.
fn memory_claim(run: &Run) -> Claim {
    let memory: Vec<String> = run
        .strategies
        .iter()
        .filter_map(|s| Some(format!("{} {} B", name(s), s.bytes_per_object()?)))
        .collect();
    // Every way of making the object safe to share costs bytes over the bare fields.
    let bare = Strategy::Unsync.bytes_per_object();
    let all_cost_more = run
        .strategies
        .iter()
        .filter(|s| **s != Strategy::Unsync && s.bytes_per_object().is_some())
        .all(|s| s.bytes_per_object() > bare);
    claim(
        format!(
            "using memory to clean memory (bytes per object of {} u64 fields, with its counts and \
             handle: every strategy more than unsync)",
            crate::workloads::FIELDS
        ),
        Some(Finding::new(memory.join(", "), [all_cost_more])),
        None,
    )
}
