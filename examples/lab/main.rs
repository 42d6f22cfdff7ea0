//! The lab: every lock strategy against its baselines, on the same workloads and thread counts,
//! so that each claim of the GIL debate becomes a number.
//!
//! Run with `cargo run --release --example lab` (about a minute on 2 cores), or add `--help` for
//! the flags. It prints a table and a claims summary, and writes `target/lab/results.json` and
//! `target/lab/throughput.svg`.

mod report;
mod workloads;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use workloads::{Params, Strategy, Workload};

/// Measure the lock strategies of `gilkit` against their baselines.
#[derive(Parser, Debug)]
#[command(about, long_about = None)]
struct Args {
    /// Workloads to run (default: all).
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<Workload>,
    /// Strategies and baselines to run (default: all).
    #[arg(long, value_delimiter = ',')]
    strategies: Vec<Strategy>,
    /// Thread counts, at most twice the available parallelism (default: 1,2,4).
    #[arg(long, value_delimiter = ',')]
    threads: Vec<usize>,
    /// How long each cell runs, in milliseconds; the mixed workload runs four times as long.
    #[arg(long, default_value_t = 500)]
    duration_ms: u64,
    /// Rounds of CPU work per operation in the CPU-bound workloads.
    #[arg(long, default_value_t = 1000)]
    work: u32,
    /// How long each I/O operation blocks, in microseconds.
    #[arg(long, default_value_t = 200)]
    block_us: u64,
    /// The GIL's switch interval, in microseconds (`CPython`'s default: 5000).
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    switch_interval_us: u64,
    /// Runs one busy process beside the lab for the whole run, as a loaded machine has.
    #[arg(long)]
    background_load: bool,
    /// A fast smoke run: 1 and 2 threads, 20 ms per cell.
    #[arg(long)]
    quick: bool,
    /// Spin forever: the busy process of `--background-load`.
    #[arg(long, hide = true)]
    busy: bool,
    /// Where the JSON and the chart go.
    #[arg(long, default_value = "target/lab")]
    out: PathBuf,
}

/// One measured cell of the lab.
#[derive(Debug)]
pub struct Cell {
    /// What ran.
    pub workload: Workload,
    /// How it was protected.
    pub strategy: Strategy,
    /// On how many threads.
    pub threads: usize,
    /// Operations done (the CPU thread's, in the mixed workload).
    pub ops: u64,
    /// Wall-clock time of the run.
    pub seconds: f64,
    /// The I/O thread's waits for the lock (mixed workload), sorted.
    pub waits: Vec<Duration>,
}

impl Cell {
    /// Operations per second.
    #[allow(clippy::cast_precision_loss, reason = "op counts stay far below 2^52")]
    pub fn throughput(&self) -> f64 {
        self.ops as f64 / self.seconds
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
    if args.busy {
        let mut x = 0_u64;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
    gilkit::set_switch_interval(Duration::from_micros(args.switch_interval_us));
    let _load = args.background_load.then(BusyProcess::start).transpose()?;
    let parallelism = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let workloads = or_all(args.workloads);
    let strategies = or_all(args.strategies);
    let mut threads = if args.threads.is_empty() {
        // The defaults, trimmed to what this machine allows.
        let defaults: &[usize] = if args.quick { &[1, 2] } else { &[1, 2, 4] };
        defaults
            .iter()
            .copied()
            .filter(|&t| t <= 2 * parallelism)
            .collect()
    } else {
        args.threads
    };
    threads.sort_unstable();
    threads.dedup();
    if let Some(&too_many) = threads.iter().find(|&&t| t == 0 || t > 2 * parallelism) {
        return Err(format!(
            "--threads {too_many}: thread counts go from 1 to twice the available parallelism ({})",
            2 * parallelism
        )
        .into());
    }
    let params = Params {
        duration: Duration::from_millis(if args.quick { 20 } else { args.duration_ms }),
        work: args.work,
        block: Duration::from_micros(args.block_us),
    };

    let plan: Vec<(Workload, Strategy, usize)> = workloads
        .iter()
        .flat_map(|&w| strategies.iter().map(move |&s| (w, s)))
        .flat_map(|(w, s)| {
            let counts = if w == Workload::Mixed {
                vec![2]
            } else {
                threads.clone()
            };
            counts
                .into_iter()
                .filter(move |&t| s.runs(w, t))
                .map(move |t| (w, s, t))
        })
        .collect();

    let bar = ProgressBar::new(plan.len() as u64).with_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} {msg} (eta {eta})",
    )?);
    let mut cells = Vec::with_capacity(plan.len());
    for (workload, strategy, threads) in plan {
        bar.set_message(format!(
            "{} / {} / {threads}t",
            name(&workload),
            name(&strategy)
        ));
        let mut p = params;
        if workload == Workload::Mixed {
            p.duration *= 4;
        }
        let sample = workloads::run(workload, strategy, threads, p);
        let mut waits = sample.waits;
        waits.sort_unstable();
        cells.push(Cell {
            workload,
            strategy,
            threads,
            ops: sample.ops,
            seconds: sample.elapsed.as_secs_f64(),
            waits,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();

    report::table(&cells);
    std::fs::create_dir_all(&args.out)?;
    let json = args.out.join("results.json");
    let chart = args.out.join("throughput.svg");
    std::fs::write(
        &json,
        serde_json::to_string_pretty(&report::json(&cells, params, &strategies))?,
    )?;
    report::chart(&cells, &chart)?;
    println!("\nClaims (computed from this run):");
    for line in report::claims(&cells, &strategies) {
        println!("- {line}");
    }
    println!("\nwrote {} and {}", json.display(), chart.display());
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

fn or_all<T: ValueEnum + Clone>(chosen: Vec<T>) -> Vec<T> {
    if chosen.is_empty() {
        T::value_variants().to_vec()
    } else {
        chosen
    }
}
