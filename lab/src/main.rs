//! The lab: every lock strategy against its baselines, on the same workloads and thread counts,
//! and `CPython` on the workloads it shares with them, so that each claim of the GIL debate
//! becomes a number with its spread.
//!
//! Run with `cargo run --release -p gilkit-lab` (about 100 s on 2 cores), or add `--help` for the
//! flags. Each cell is measured in several rounds (`--rounds`, 5), interleaved: round 1 of every
//! cell, then round 2 of every cell backwards, and so on, so that drift on a shared machine hits
//! every cell alike. `CPython` (`lab/cpython.py`, under `python3` or `--python PATH`) runs
//! once per round, as one more job of it. The lab prints a table (median and min–max of each
//! cell) and a claims summary whose verdicts hold only across the rounds, and writes
//! `target/lab/results.json` and `target/lab/throughput.svg`.
//!
//! `--ways-out` adds the seed's other ways out of the GIL (about 27 s more: 127 s in one run,
//! too long for the default run): a tracing collector (`dumpster`) and epoch-based reclamation
//! (`crossbeam-epoch`) beside the counts, on churn and on a cycle-heavy workload ([`collect`]);
//! worker processes on the CPU-bound workload, and the cost of moving a message between
//! processes ([`procs`]); tasks on tokio's current-thread runtime on the I/O-bound and mixed
//! workloads ([`tasks`]). `--quick` runs them too. Each has its claims in the summary
//! ([`ways`]).

mod chart;
mod collect;
mod cpython;
mod memory;
mod minipy;
mod procs;
mod report;
mod tasks;
mod ways;
mod workloads;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use workloads::{Params, Strategy, Workload};

/// Measure the lock strategies of `gil` against their baselines, and `CPython` beside them.
#[derive(Parser, Debug)]
#[allow(clippy::struct_excessive_bools, reason = "command-line flags")]
#[command(about, long_about = None)]
struct Args {
    /// Workloads to run (default: all).
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<Workload>,
    /// Strategies and baselines to run (default: all; `cpython` and `cpython-released` are
    /// measured by `lab/cpython.py`).
    #[arg(long, value_delimiter = ',')]
    strategies: Vec<Strategy>,
    /// Thread counts, at most twice the available parallelism (default: 1,2,4).
    #[arg(long, value_delimiter = ',')]
    threads: Vec<usize>,
    /// Rounds per cell, interleaved across cells [default: 5; 2 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: Option<u32>,
    /// How long each cell runs in each round, in milliseconds; the mixed workload runs four times
    /// as long.
    #[arg(long, default_value_t = 150)]
    duration_ms: u64,
    /// Rounds of CPU work per operation in the CPU-bound workloads.
    #[arg(long, default_value_t = 1000)]
    work: u32,
    /// How long each I/O operation blocks, in microseconds.
    #[arg(long, default_value_t = 200)]
    block_us: u64,
    /// The GIL's switch interval, in microseconds (`CPython`'s default: 5000); `CPython` runs
    /// with the same one.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    switch_interval_us: u64,
    /// The Python interpreter that runs `lab/cpython.py` (default: `python3`).
    #[arg(long, conflicts_with = "no_python")]
    python: Option<PathBuf>,
    /// Do not run `CPython`.
    #[arg(long)]
    no_python: bool,
    /// Runs one busy process beside the lab for the whole run, as a loaded machine has.
    #[arg(long)]
    background_load: bool,
    /// Adds the seed's other ways out to the default selection: a tracing collector, epoch
    /// reclamation and immortal counts (churn, cycles), worker processes (cpu-disjoint, and a
    /// message's round trip), tasks on one thread (io, io-many, mixed).
    #[arg(long)]
    ways_out: bool,
    /// A fast smoke run: 1 and 2 threads, 20 ms per cell, 2 rounds, the ways out included.
    #[arg(long)]
    quick: bool,
    /// Spin forever: the busy process of `--background-load`.
    #[arg(long, hide = true)]
    busy: bool,
    /// Be a worker process of the `processes` strategy, and do nothing else.
    #[arg(long, hide = true)]
    worker: Option<procs::Worker>,
    /// The worker's index: its thread index in the threads' version of the workload.
    #[arg(long, hide = true, default_value_t = 0)]
    worker_index: usize,
    /// Where the JSON and the chart go.
    #[arg(long, default_value = "target/lab")]
    out: PathBuf,
}

/// One round of one cell.
#[derive(Debug)]
pub struct Round {
    /// Operations done (the CPU thread's, in the mixed workload).
    pub ops: u64,
    /// Wall-clock time of the run.
    pub seconds: f64,
    /// The I/O thread's waits for the lock (mixed workload; `CPython`: every sleep's lateness),
    /// sorted.
    pub waits: Vec<Duration>,
    /// The collections' pauses (cycles), or the workers' start-ups (processes), sorted.
    pub pauses: Vec<Duration>,
    /// The workers' private resident memory, in bytes, averaged (processes).
    pub bytes: Option<f64>,
}

impl Round {
    /// Operations per second.
    #[allow(clippy::cast_precision_loss, reason = "op counts stay far below 2^52")]
    pub fn throughput(&self) -> f64 {
        self.ops as f64 / self.seconds
    }

    /// The `q`-quantile of the waits, in seconds.
    pub fn wait(&self, q: f64) -> Option<f64> {
        quantile(&self.waits, q)
    }

    /// The `q`-quantile of the pauses, in seconds.
    pub fn pause(&self, q: f64) -> Option<f64> {
        quantile(&self.pauses, q)
    }
}

/// The `q`-quantile of sorted durations, in seconds; `None` without any.
pub fn quantile(sorted: &[Duration], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short vector"
    )]
    let index = (last as f64 * q).round() as usize;
    sorted.get(index).map(Duration::as_secs_f64)
}

/// One measured cell of the lab: every round of one workload, strategy and thread count.
#[derive(Debug)]
pub struct Cell {
    /// What ran.
    pub workload: Workload,
    /// How it was protected.
    pub strategy: Strategy,
    /// On how many threads.
    pub threads: usize,
    /// One entry per round, in the order they ran.
    pub rounds: Vec<Round>,
}

impl Cell {
    /// Operations per second, per round.
    pub fn throughput(&self) -> Vec<f64> {
        self.rounds.iter().map(Round::throughput).collect()
    }

    /// The `q`-quantile of the waits, per round, in seconds; `None` without waits.
    pub fn wait(&self, q: f64) -> Option<Vec<f64>> {
        self.rounds.iter().map(|r| r.wait(q)).collect()
    }

    /// The `q`-quantile of the pauses, per round, in seconds; `None` without pauses.
    pub fn pause(&self, q: f64) -> Option<Vec<f64>> {
        self.rounds.iter().map(|r| r.pause(q)).collect()
    }

    /// The workers' memory, per round, in bytes; `None` where it was not measured.
    pub fn bytes(&self) -> Option<Vec<f64>> {
        self.rounds.iter().map(|r| r.bytes).collect()
    }
}

/// The name clap uses for a value, for tables and JSON.
pub fn name(value: &impl ValueEnum) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if let Some(worker) = args.worker {
        return Ok(procs::worker(worker, args.work, args.worker_index)?);
    }
    if args.busy {
        let mut x = 0_u64;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
    let machine = report::Machine::now();
    gilkit::set_switch_interval(Duration::from_micros(args.switch_interval_us));
    let _load = args.background_load.then(BusyProcess::start).transpose()?;
    // Naming a workload of the ways out brings their strategies into the default selection.
    let ways_out = args.ways_out || args.quick || args.workloads.iter().any(|w| w.is_way_out());
    let workloads = or_all(args.workloads.clone(), |w| ways_out || !w.is_way_out());
    let mut strategies = or_all(args.strategies.clone(), |s| ways_out || !s.is_way_out());
    if args.no_python {
        println!("CPython: skipped (--no-python)");
        strategies.retain(|s| !s.is_cpython());
    }
    let threads = thread_counts(&args)?;
    let rounds = args.rounds.unwrap_or(if args.quick { 2 } else { 5 });
    let params = Params {
        duration: Duration::from_millis(if args.quick { 20 } else { args.duration_ms }),
        work: args.work,
        block: Duration::from_micros(args.block_us),
    };
    let mut cells = plan(&workloads, &strategies, &threads);
    let mut python = cells
        .iter()
        .any(|c| c.strategy.is_cpython())
        .then(|| cpython::Python::new(args.python.unwrap_or_else(|| "python3".into())));
    println!("{machine}\n{}", report::settings(rounds, params));
    // Memory first, while the collectors' registries hold nothing of the cells.
    let bytes = strategies
        .iter()
        .any(|s| s.is_way_out())
        .then(collect::bytes);
    let mut transfers = strategies
        .contains(&Strategy::Processes)
        .then(procs::Transfers::default);
    measure(&mut cells, rounds, params, &mut python, &mut transfers)?;
    let ways = bytes.map(|bytes| ways::Extras { bytes, transfers });
    let run = report::Run {
        machine,
        rounds,
        params,
        python: python.and_then(|py| py.version),
        strategies,
        ways,
    };

    report::table(&cells);
    if let Some(extras) = &run.ways {
        ways::table(&cells, extras);
    }
    std::fs::create_dir_all(&args.out)?;
    let json = args.out.join("results.json");
    let svg = args.out.join("throughput.svg");
    let claims = report::claims(&cells, &run);
    std::fs::write(
        &json,
        serde_json::to_string_pretty(&report::json(&cells, &run, &claims))?,
    )?;
    chart::draw(&cells, &run, &svg)?;
    println!(
        "\nClaims (each holds, or does NOT hold, only when all {rounds} rounds agree; \
         otherwise it is inconclusive):"
    );
    for claim in &claims {
        println!("- {claim}");
    }
    println!("\nwrote {} and {}", json.display(), svg.display());
    Ok(())
}

/// The thread counts to run: the flag's, or the defaults that this machine allows.
fn thread_counts(args: &Args) -> Result<Vec<usize>, String> {
    let parallelism = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut threads = if args.threads.is_empty() {
        let defaults: &[usize] = if args.quick { &[1, 2] } else { &[1, 2, 4] };
        defaults
            .iter()
            .copied()
            .filter(|&t| t <= 2 * parallelism)
            .collect()
    } else {
        args.threads.clone()
    };
    threads.sort_unstable();
    threads.dedup();
    match threads.iter().find(|&&t| t == 0 || t > 2 * parallelism) {
        Some(too_many) => Err(format!(
            "--threads {too_many}: thread counts go from 1 to twice the available parallelism ({})",
            2 * parallelism
        )),
        None => Ok(threads),
    }
}

/// Every cell to measure, in table order, with no rounds yet.
fn plan(workloads: &[Workload], strategies: &[Strategy], threads: &[usize]) -> Vec<Cell> {
    let mut cells = Vec::new();
    for &workload in workloads {
        for &strategy in strategies {
            let counts = match workload {
                Workload::Mixed => &[2][..],
                Workload::IoMany => &[tasks::IO_MANY][..],
                _ => threads,
            };
            for &threads in counts.iter().filter(|&&t| strategy.runs(workload, t)) {
                cells.push(Cell {
                    workload,
                    strategy,
                    threads,
                    rounds: Vec::new(),
                });
            }
        }
    }
    cells
}

/// One job of a round: a cell measured here, every `CPython` cell, by its script, or the round
/// trips of messages between processes.
#[derive(Clone, Copy)]
enum Job {
    Here(usize),
    Cpython,
    Transfers,
}

/// Measures every cell `rounds` times, interleaved: each round runs every job once, every other
/// round backwards (A, B, B, A), so that drift on a shared machine hits every cell alike. If
/// `CPython` fails, the lab says so and goes on without it.
fn measure(
    cells: &mut Vec<Cell>,
    rounds: u32,
    params: Params,
    python: &mut Option<cpython::Python>,
    transfers: &mut Option<procs::Transfers>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut jobs: Vec<Job> = (0..cells.len())
        .filter(|&i| !cells[i].strategy.is_cpython())
        .map(Job::Here)
        .collect();
    if python.is_some() {
        jobs.push(Job::Cpython);
    }
    if transfers.is_some() {
        jobs.push(Job::Transfers);
    }
    let bar = ProgressBar::new(u64::from(rounds) * jobs.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} (eta {eta})")?,
    );
    for round in 0..rounds {
        let mut order = jobs.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        for job in order {
            match job {
                Job::Here(i) => {
                    let c = &cells[i];
                    bar.set_message(format!(
                        "round {}: {} / {} / {}t",
                        round + 1,
                        name(&c.workload),
                        name(&c.strategy),
                        c.threads
                    ));
                    let mut p = params;
                    if c.workload == Workload::Mixed {
                        p.duration *= 4;
                    }
                    let sample = workloads::run(c.workload, c.strategy, c.threads, p);
                    let (mut waits, mut pauses) = (sample.waits, sample.pauses);
                    waits.sort_unstable();
                    pauses.sort_unstable();
                    cells[i].rounds.push(Round {
                        ops: sample.ops,
                        seconds: sample.elapsed.as_secs_f64(),
                        waits,
                        pauses,
                        bytes: sample.bytes,
                    });
                }
                Job::Transfers => {
                    bar.set_message(format!("round {}: messages", round + 1));
                    if let Some(t) = transfers.as_mut() {
                        t.measure_round()?;
                    }
                }
                Job::Cpython => {
                    bar.set_message(format!("round {}: CPython", round + 1));
                    if let Some(Err(e)) = python.as_mut().map(|py| py.measure(cells, params)) {
                        bar.suspend(|| {
                            println!("CPython: no figures ({e}); the lab goes on without it");
                        });
                        *python = None;
                    }
                }
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    // A cell that missed a round (CPython's, when its script failed) is left out.
    cells.retain(|c| c.rounds.len() == rounds as usize);
    Ok(())
}

/// The busy process of `--background-load`: this binary again, spinning; killed when dropped.
struct BusyProcess(std::process::Child);

impl BusyProcess {
    fn start() -> std::io::Result<Self> {
        let child = std::process::Command::new(std::env::current_exe()?)
            .arg("--busy")
            .stdin(std::process::Stdio::null())
            .spawn()?;
        println!("background load: one busy process (pid {})", child.id());
        Ok(Self(child))
    }
}

impl Drop for BusyProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The values chosen on the command line, or else every value that `by_default` lets in.
fn or_all<T: ValueEnum + Clone>(chosen: Vec<T>, by_default: impl Fn(&T) -> bool) -> Vec<T> {
    if chosen.is_empty() {
        T::value_variants()
            .iter()
            .filter(|v| by_default(v))
            .cloned()
            .collect()
    } else {
        chosen
    }
}
