//! `minipy bench`: each program on 1 and 2 threads under each strategy, in alternating rounds,
//! beside `CPython` running the same files.

use std::process::Command;
use std::time::{Duration, Instant};

use super::eval::{run_source, Output, STRATEGIES};

/// The shipped programs, in the order of the table.
pub const PROGRAMS: [&str; 4] = ["nbody", "lists", "words", "fib"];

/// A program's source and what `CPython` printed for it on its default (small) input.
pub fn program(name: &str) -> Result<(String, String), String> {
    Ok(match name {
        "nbody" => (
            include_str!("programs/nbody.py"),
            include_str!("programs/nbody.out"),
        ),
        "lists" => (
            include_str!("programs/lists.py"),
            include_str!("programs/lists.out"),
        ),
        "words" => (
            include_str!("programs/words.py"),
            include_str!("programs/words.out"),
        ),
        "fib" => (
            include_str!("programs/fib.py"),
            include_str!("programs/fib.out"),
        ),
        other => {
            return Err(format!(
                "no program '{other}': expected one of {PROGRAMS:?}"
            ))
        }
    })
    .map(|(s, o)| (s.to_owned(), o.to_owned()))
}

/// The input size of a program's `# bench: N=..` line.
pub fn bench_n(source: &str) -> Result<u64, String> {
    source
        .lines()
        .find_map(|l| l.strip_prefix("# bench: N="))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| "a program has no `# bench: N=..` line".to_owned())
}

/// Seconds of one run of `name` with input `n` on `threads` threads under `strategy`.
pub fn time_run(
    strategy: &str,
    source: &str,
    name: &str,
    n: u64,
    threads: u32,
) -> Result<f64, String> {
    let argv = [format!("{name}.py"), n.to_string(), threads.to_string()];
    let start = Instant::now();
    run_source(
        strategy,
        source,
        &argv,
        Output::Buffer(std::sync::Mutex::default()),
    )?;
    Ok(start.elapsed().as_secs_f64())
}

/// Seconds of `python3 FILE N THREADS`, less the interpreter's own start-up (measured beside it).
fn time_cpython(file: &std::path::Path, n: u64, threads: u32) -> Option<f64> {
    let run = |args: &[String]| -> Option<Duration> {
        let start = Instant::now();
        let ok = Command::new("python3")
            .args(args)
            .output()
            .ok()?
            .status
            .success();
        ok.then(|| start.elapsed())
    };
    let startup = run(&["-c".into(), "import sys, threading".into()])?;
    let total = run(&[
        file.display().to_string(),
        n.to_string(),
        threads.to_string(),
    ])?;
    Some(total.saturating_sub(startup).as_secs_f64())
}

/// A median and a range.
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(values: &[f64]) -> Spread {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Spread {
            median: v.get(v.len() / 2).copied().unwrap_or(f64::NAN),
            min: v.first().copied().unwrap_or(f64::NAN),
            max: v.last().copied().unwrap_or(f64::NAN),
        }
    }

    /// `1.00 (0.98–1.02)`.
    fn show(&self) -> String {
        format!("{:.2} ({:.2}–{:.2})", self.median, self.min, self.max)
    }

    /// "met", "missed" or "inconclusive" for a target the whole range must meet.
    fn verdict(&self, met: impl Fn(f64) -> bool) -> &'static str {
        match (met(self.min), met(self.max)) {
            (true, true) => "met",
            (false, false) => "missed",
            _ => "inconclusive",
        }
    }
}

/// One program's timings: per strategy (and `CPython` last), per round, 1 and 2 threads.
struct Timings {
    one: Vec<Vec<f64>>,
    two: Vec<Vec<f64>>,
}

/// Runs the bench and prints the table.
pub fn main(args: &[String]) -> Result<(), String> {
    let mut rounds = 3_usize;
    let mut scale = 1.0_f64;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |what: &str| {
            it.next()
                .and_then(|v| v.parse::<f64>().ok())
                .ok_or_else(|| format!("{arg} takes {what}"))
        };
        match arg.as_str() {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a count"
            )]
            "--rounds" => rounds = (value("a count")?.max(1.0)) as usize,
            "--scale" => scale = value("a factor")?,
            other => {
                return Err(format!(
                    "unknown option {other}: expected --rounds N, --scale F"
                ))
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("minipy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let python = Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    let python_version = python.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "minipy bench: {rounds} rounds, strategies alternating in each; {cores} cores; times are \
         medians over rounds, ratios are medians of per-round ratios (min–max)"
    );
    let started = Instant::now();
    let mut all = Vec::new();
    for name in PROGRAMS {
        let (source, _) = program(name)?;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a size"
        )]
        let n = ((bench_n(&source)? as f64) * scale).max(1.0) as u64;
        let file = dir.join(format!("{name}.py"));
        std::fs::write(&file, &source).map_err(|e| e.to_string())?;
        let columns = STRATEGIES.len() + 1;
        let mut t = Timings {
            one: vec![Vec::new(); columns],
            two: vec![Vec::new(); columns],
        };
        for round in 0..rounds {
            for k in 0..columns {
                let k = (k + round) % columns; // a different order each round
                let (one, two) = if k < STRATEGIES.len() {
                    let s = STRATEGIES[k];
                    (
                        time_run(s, &source, name, n, 1)?,
                        time_run(s, &source, name, n, 2)?,
                    )
                } else if python_version.is_some() {
                    match (time_cpython(&file, n, 1), time_cpython(&file, n, 2)) {
                        (Some(a), Some(b)) => (a, b),
                        _ => continue,
                    }
                } else {
                    continue;
                };
                t.one[k].push(one);
                t.two[k].push(two);
            }
        }
        print_program(name, n, &t, python_version.as_deref());
        all.push((name, t));
    }
    print_targets(&all);
    println!("(bench took {:.0} s)", started.elapsed().as_secs_f64());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn print_program(name: &str, n: u64, t: &Timings, python: Option<&str>) {
    println!();
    println!("{name} (N={n})      1 thread    ÷ gil, 1 thread     2 threads ÷ 1 (throughput)");
    for (k, label) in STRATEGIES.iter().copied().chain(python).enumerate() {
        if t.one[k].is_empty() {
            continue;
        }
        let vs_gil = if k == 0 {
            "1.00".to_owned()
        } else {
            Spread::of(&per_round(&t.one[k], &t.one[0], |a, b| a / b)).show()
        };
        let scaling = Spread::of(&per_round(&t.one[k], &t.two[k], |one, two| 2.0 * one / two));
        println!(
            "  {label:<16} {:>7.3} s   {vs_gil:<19} {}",
            Spread::of(&t.one[k]).median,
            scaling.show()
        );
    }
}

/// `f` of the two series, round by round.
fn per_round(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

fn print_targets(all: &[(&str, Timings)]) {
    println!();
    println!("targets (verdicts over the whole range of rounds):");
    for (k, strategy) in STRATEGIES.iter().enumerate() {
        let (goal, met): (&str, fn(f64) -> bool) = if k == 0 {
            ("≤ 1.05", |x| x <= 1.05)
        } else {
            ("≥ 1.8", |x| x >= 1.8)
        };
        for (name, t) in all {
            let s = Spread::of(&per_round(&t.one[k], &t.two[k], |one, two| 2.0 * one / two));
            println!(
                "  {strategy}, 2 threads ÷ 1 {goal}: {name} {} {}",
                s.show(),
                s.verdict(met)
            );
        }
    }
    for (k, strategy) in STRATEGIES.iter().enumerate().skip(1) {
        // The geometric mean of the per-program overheads, round by round.
        let rounds = all.iter().map(|(_, t)| t.one[k].len()).min().unwrap_or(0);
        let means: Vec<f64> = (0..rounds)
            .map(|r| {
                let logs: f64 = all
                    .iter()
                    .map(|(_, t)| (t.one[k][r] / t.one[0][r]).ln())
                    .sum();
                #[allow(clippy::cast_precision_loss, reason = "four programs")]
                (logs / all.len() as f64).exp()
            })
            .collect();
        let s = Spread::of(&means);
        println!(
            "  {strategy} ÷ gil on 1 thread, geometric mean of the programs ≤ 1.10: {} {}",
            s.show(),
            s.verdict(|x| x <= 1.10)
        );
    }
    if let Some((_, t)) = all.iter().find(|(name, _)| *name == "fib") {
        let s = Spread::of(&per_round(&t.one[1], &t.one[2], |biased, atomic| {
            biased / atomic
        }));
        println!(
            "  biased ÷ atomic counts on fib, 1 thread: {} (Choi et al. report 0.775: 22.5 % less time)",
            s.show()
        );
    }
}
