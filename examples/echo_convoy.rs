//! The convoy effect (bpo-7946) on a real socket: a TCP echo server under the GIL, beside a
//! CPU-bound thread, under each [`gilkit::SwitchPolicy`], and the same server under `CPython`.
//!
//! The server (on 127.0.0.1, an ephemeral port) holds the GIL for its connection, as a Python
//! thread does, and lets go of it only around the blocking socket calls: `allow_threads` around
//! the read and around the write, as `CPython`'s `recv` and `sendall` do (`--write-under-gil`
//! writes the reply with the GIL held: one release per request instead of two). Under the GIL it
//! counts each request in a `GilCell` and builds the reply. A client thread of the same process,
//! not under the GIL, sends 64-byte messages, waits for each echo, and counts round trips per
//! second. The cells:
//!
//! - A: the server alone;
//! - B: the server beside a CPU-bound thread that holds the GIL and calls `checkpoint()` between
//!   slices of work, policy `Interval` (`CPython`'s: the server waits up to a whole switch
//!   interval for the GIL after each blocking call);
//! - C: the same, policy `Priority` (a thread back from `allow_threads` gets the GIL at the CPU
//!   thread's next checkpoint);
//! - E: a control, the same CPU-bound thread not under the GIL: what sharing the cores costs
//!   the server, without the GIL;
//! - D: the CPU-bound thread alone, for its throughput.
//!
//! The cells run in alternating rounds (A B C E D, D E C B A, ...) in one process, and what counts
//! are the ratios of each round, printed as median and min–max: requests per second with the CPU
//! thread ÷ alone, and the CPU thread's slices per second ÷ alone (what the priority policy costs
//! it). Where a Python is found, `examples/echo_convoy.py` runs the same server under `CPython` at
//! the same switch interval (its client in a separate process), alone and beside a CPU-bound
//! thread: `CPython`'s figure collapses (Skvortsov measured ~30 000 → ~100 requests per second on
//! Python 3.9). The goal of issue 13 is ≥ 50 % of the alone figure under `Priority`.
//!
//! Run it with `cargo run --release --example echo_convoy` (about 25 s); flags: `--seconds` per
//! cell (1), `--rounds` (3), `--switch-interval-us` (5000), `--python PATH`, `--no-python`,
//! `--write-under-gil`. On a small or busy machine the spreads are wide: add rounds.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use gilkit::{GilCell, SwitchPolicy};

/// Bytes per request (and per reply).
const MESSAGE: usize = 64;
/// Steps of xorshift per slice of the CPU-bound thread (about 1.5 µs; the lab's unit of work):
/// how often it calls `checkpoint()`.
const SLICE_STEPS: u32 = 1_000;
/// No socket call waits longer than this: a stuck cell ends with an error, not a hang.
const IO_TIMEOUT: Duration = Duration::from_secs(3);

/// Requests per second of a TCP echo server under the GIL, alone and beside a CPU-bound thread.
#[derive(Parser, Debug)]
#[command(about, long_about = None)]
struct Args {
    /// How long each cell measures, in seconds.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Rounds of the five cells (A B C E D, then D E C B A, ...).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,
    /// The switch interval, in microseconds (the GIL's, and `sys.setswitchinterval`'s).
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..))]
    switch_interval_us: u64,
    /// The Python interpreter to run `examples/echo_convoy.py` with (default: `python3`).
    #[arg(long, conflicts_with = "no_python")]
    python: Option<PathBuf>,
    /// Skip the `CPython` figures.
    #[arg(long)]
    no_python: bool,
    /// Write the reply with the GIL held: release it around the read only.
    #[arg(long)]
    write_under_gil: bool,
}

/// One cell of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// The server alone.
    Alone,
    /// The server and the CPU-bound thread, [`SwitchPolicy::Interval`].
    Interval,
    /// The server and the CPU-bound thread, [`SwitchPolicy::Priority`].
    Priority,
    /// The server and the CPU-bound thread, the latter not under the GIL (a control).
    NoGil,
    /// The CPU-bound thread alone.
    CpuAlone,
}

impl Cell {
    /// In the order of the even rounds; odd rounds run it backwards.
    const ALL: [Self; 5] = [
        Self::Alone,
        Self::Interval,
        Self::Priority,
        Self::NoGil,
        Self::CpuAlone,
    ];
}

/// What one cell measured.
#[derive(Debug, Clone, Copy, Default)]
struct Measured {
    /// Round trips per second (0 without the server).
    requests: f64,
    /// The CPU-bound thread's slices per second, over the same window (0 without it).
    slices: f64,
}

gilkit::model::statics! {
    /// Requests counted by the server, under the GIL.
    static SERVED: GilCell<u64> = GilCell::new(0);
    /// What the CPU-bound thread computes, under the GIL, so that its work is not optimized away.
    static CHECKSUM: GilCell<u64> = GilCell::new(0);
}

fn main() {
    let args = Args::parse();
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= 600.0) {
        eprintln!("echo_convoy: --seconds must be in (0, 600]");
        std::process::exit(2);
    }
    let window = Duration::from_secs_f64(args.seconds);
    let interval = Duration::from_micros(args.switch_interval_us);
    gilkit::set_switch_interval(interval);
    println!(
        "echo_convoy: TCP echo on 127.0.0.1, {MESSAGE}-byte requests, GIL released around the {}; \
         {} round(s) of {:.2} s per cell; switch interval {} µs; the CPU thread checkpoints every \
         {SLICE_STEPS} xorshift steps",
        if args.write_under_gil {
            "read only"
        } else {
            "read and the write"
        },
        args.rounds,
        args.seconds,
        args.switch_interval_us
    );

    // results[cell][round]
    let mut results = vec![Vec::new(); Cell::ALL.len()];
    for round in 0..args.rounds {
        eprintln!("echo_convoy: round {} of {}", round + 1, args.rounds);
        let mut order = Cell::ALL;
        if round % 2 == 1 {
            order.reverse();
        }
        for cell in order {
            match run_cell(cell, window, !args.write_under_gil) {
                Ok(m) => results[cell as usize].push(m),
                Err(e) => {
                    eprintln!("echo_convoy: round {} cell {cell:?} failed: {e}", round + 1);
                    results[cell as usize].push(Measured::default());
                }
            }
        }
    }
    gilkit::set_switch_policy(SwitchPolicy::default());
    gilkit::set_switch_interval(gilkit::DEFAULT_SWITCH_INTERVAL);
    let served = gilkit::with_gil(|g| *SERVED.get(g));
    report_rust(&results, served);

    if args.no_python {
        println!("CPython: skipped (--no-python)");
    } else {
        let python = args
            .python
            .clone()
            .unwrap_or_else(|| PathBuf::from("python3"));
        match run_python(&python, &args) {
            Ok(py) => report_python(&py),
            Err(e) => println!("CPython: no figures ({}: {e})", python.display()),
        }
    }
}

/// A slice of CPU work that the optimizer cannot remove.
fn work(seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..SLICE_STEPS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    std::hint::black_box(x)
}

/// Runs one cell: sets the policy, starts the threads it needs, measures for `window`, and
/// stops and joins every thread before it returns.
fn run_cell(cell: Cell, window: Duration, release_write: bool) -> io::Result<Measured> {
    gilkit::set_switch_policy(if cell == Cell::Priority {
        SwitchPolicy::Priority
    } else {
        SwitchPolicy::Interval
    });
    let with_cpu = cell != Cell::Alone;
    // The connection is made before any thread starts: connect completes through the listen
    // backlog, so accept returns at once, and a failure is an error here, not a hang.
    let connection = if cell == Cell::CpuAlone {
        None
    } else {
        Some(connect()?)
    };
    let stop = AtomicBool::new(false);
    let slices = AtomicU64::new(0);
    thread::scope(|s| {
        let under_gil = cell != Cell::NoGil;
        let (stop, slices) = (&stop, &slices);
        let cpu = with_cpu.then(|| s.spawn(move || cpu_bound(under_gil, stop, slices)));
        if with_cpu {
            // Measure only once the CPU thread works (holding the GIL, if it takes it).
            let deadline = Instant::now() + IO_TIMEOUT;
            while slices.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(1));
            }
        }
        let measured = if let Some((client, server)) = connection {
            let handler = s.spawn(move || serve(server, release_write));
            let client = s.spawn(move || round_trips(client, window, slices));
            let measured = client.join();
            // The client has shut its side down: the handler sees the end and returns.
            let handler = handler.join();
            match (measured, handler) {
                (Ok(m), Ok(())) => m,
                _ => Err(io::Error::other("a thread panicked")),
            }
        } else {
            let start = Instant::now();
            let before = slices.load(Ordering::Relaxed);
            thread::sleep(window);
            let done = slices.load(Ordering::Relaxed) - before;
            Ok(Measured {
                requests: 0.0,
                slices: per_second(done, start.elapsed()),
            })
        };
        stop.store(true, Ordering::Relaxed);
        if let Some(cpu) = cpu {
            if cpu.join().is_err() {
                return Err(io::Error::other("the CPU thread panicked"));
            }
        }
        measured
    })
}

/// A connected pair on loopback: (client side, server side), with timeouts and no Nagle.
fn connect() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let client = TcpStream::connect_timeout(&listener.local_addr()?, IO_TIMEOUT)?;
    let (server, _) = listener.accept()?;
    for stream in [&client, &server] {
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
    }
    Ok((client, server))
}

/// The echo handler: holds the GIL for the whole connection, and lets go of it around each
/// blocking socket call. Returns when the client closes, or on any socket error or timeout.
fn serve(mut stream: TcpStream, release_write: bool) {
    gilkit::with_gil(|g| {
        let mut buf = [0u8; 4096];
        let mut reply = Vec::with_capacity(MESSAGE);
        loop {
            let n = match g.allow_threads(|| stream.read(&mut buf)) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            // The request's work under the GIL: count it, build the reply.
            *SERVED.get_mut(g) += 1;
            reply.clear();
            reply.extend_from_slice(&buf[..n]);
            let written = if release_write {
                g.allow_threads(|| stream.write_all(&reply))
            } else {
                stream.write_all(&reply)
            };
            if written.is_err() {
                break;
            }
        }
    });
}

/// The client: round trips for `window` (after a short warm-up), counting them, and the CPU
/// thread's slices over the same window. Shuts the connection down before it returns.
fn round_trips(
    mut stream: TcpStream,
    window: Duration,
    slices: &AtomicU64,
) -> io::Result<Measured> {
    let mut request = [0u8; MESSAGE];
    let mut reply = [0u8; MESSAGE];
    let mut seq = 0u64;
    let mut one = |stream: &mut TcpStream| -> io::Result<()> {
        seq += 1;
        request[..8].copy_from_slice(&seq.to_le_bytes());
        stream.write_all(&request)?;
        stream.read_exact(&mut reply)?;
        if reply == request {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the echo differs from the request",
            ))
        }
    };
    let result = (|| {
        let warm_up = Instant::now();
        while warm_up.elapsed() < (window / 10).min(Duration::from_millis(100)) {
            one(&mut stream)?;
        }
        let start = Instant::now();
        let before = slices.load(Ordering::Relaxed);
        let mut done = 0u64;
        while start.elapsed() < window {
            one(&mut stream)?;
            done += 1;
        }
        let elapsed = start.elapsed();
        let slices_done = slices.load(Ordering::Relaxed) - before;
        Ok(Measured {
            requests: per_second(done, elapsed),
            slices: per_second(slices_done, elapsed),
        })
    })();
    // Whatever happened, the handler must see the end of the connection.
    let _ = stream.shutdown(Shutdown::Both);
    result
}

/// The CPU-bound thread: slices of work under the GIL, a checkpoint between them, until `stop`;
/// or the same work without the GIL, for the control.
fn cpu_bound(under_gil: bool, stop: &AtomicBool, slices: &AtomicU64) {
    if !under_gil {
        let mut n = 0u64;
        let mut sum = 0u64;
        while !stop.load(Ordering::Relaxed) {
            sum = sum.wrapping_add(work(n));
            n += 1;
            slices.store(n, Ordering::Relaxed);
        }
        std::hint::black_box(sum);
        return;
    }
    gilkit::with_gil(|g| {
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let x = work(n);
            let sum = CHECKSUM.get_mut(g);
            *sum = sum.wrapping_add(x);
            n += 1;
            slices.store(n, Ordering::Relaxed);
            g.checkpoint();
        }
    });
}

#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Median, min and max of some ratios (at least one).
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        };
        Self {
            median,
            min: values[0],
            max: values[n - 1],
        }
    }

    /// As percentages: `12.3 % (11.0–14.2 %)`.
    fn percent(&self) -> String {
        format!(
            "{} % ({}–{} %)",
            pct(self.median),
            pct(self.min),
            pct(self.max)
        )
    }

    /// Whether "at least `goal`" holds across the spread, fails across it, or neither.
    fn verdict(&self, goal: f64) -> &'static str {
        if self.min >= goal {
            "met"
        } else if self.max < goal {
            "not met"
        } else {
            "inconclusive (the spread straddles it)"
        }
    }
}

/// A ratio as a percentage, with more digits when it is small.
fn pct(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p < 1.0 {
        format!("{p:.2}")
    } else if p < 10.0 {
        format!("{p:.1}")
    } else {
        format!("{p:.0}")
    }
}

/// Ratios of each round: `num[i] / den[i]`.
fn ratios(num: &[Measured], den: &[Measured], f: impl Fn(&Measured) -> f64) -> Vec<f64> {
    num.iter()
        .zip(den)
        .map(|(n, d)| {
            let d = f(d);
            if d > 0.0 {
                f(n) / d
            } else {
                0.0
            }
        })
        .collect()
}

fn report_rust(results: &[Vec<Measured>], served: u64) {
    let cell = |c: Cell| results[c as usize].as_slice();
    let req = |m: &Measured| m.requests;
    let cpu = |m: &Measured| m.slices;
    let median = |c: Cell, f: fn(&Measured) -> f64| Spread::of(cell(c).iter().map(f).collect());
    println!("Rust GIL, absolute figures (median over rounds; machines differ, see the ratios):");
    for (c, what) in [
        (Cell::Alone, "A alone                       "),
        (Cell::Interval, "B CPU thread, Interval        "),
        (Cell::Priority, "C CPU thread, Priority        "),
        (Cell::NoGil, "E CPU thread without the GIL  "),
    ] {
        println!("  {what}{:>9.0} req/s", median(c, req).median);
    }
    let d = median(Cell::CpuAlone, cpu).median;
    println!(
        "  D CPU thread alone            {d:>9.0} slices/s ({:.2} µs per slice)",
        1e6 / d.max(1e-9)
    );
    println!("  (the server counted {served} requests under the GIL, warm-ups included)");
    println!("Rust GIL, ratios per round, median (min–max):");
    println!(
        "  (÷ E compares like with like: the same threads on the same cores, only the GIL differs)"
    );
    println!(
        "                        req/s ÷ A           req/s ÷ E           CPU thread ÷ D      CPU thread ÷ E"
    );
    let mut goal = None;
    for (c, what) in [
        (Cell::Interval, "B Interval          "),
        (Cell::Priority, "C Priority          "),
        (Cell::NoGil, "E no GIL (control)  "),
    ] {
        let io = Spread::of(ratios(cell(c), cell(Cell::Alone), req));
        let net = Spread::of(ratios(cell(c), cell(Cell::NoGil), req));
        let work = Spread::of(ratios(cell(c), cell(Cell::CpuAlone), cpu));
        let work_net = Spread::of(ratios(cell(c), cell(Cell::NoGil), cpu));
        let (shown, work_shown) = if c == Cell::NoGil {
            (String::from("-"), String::from("-"))
        } else {
            (net.percent(), work_net.percent())
        };
        println!(
            "  {what}  {:<20}{shown:<20}{:<20}{work_shown}",
            io.percent(),
            work.percent()
        );
        if c == Cell::Priority {
            goal = Some((io.verdict(0.5), net.verdict(0.5)));
        }
    }
    if let Some((alone, net)) = goal {
        println!("Goal, Priority ≥ 50 % of A (alone), across the spread: {alone}");
        println!("      Priority ≥ 50 % of E (the same threads, no GIL):   {net}");
    }
}

/// What `echo_convoy.py` printed.
struct Python {
    version: String,
    alone: Vec<f64>,
    with_cpu: Vec<f64>,
    /// The control: a CPU-bound process beside the server, not under its GIL.
    no_gil: Vec<f64>,
}

/// Runs `examples/echo_convoy.py` under `python`, bounded in time, and parses its line.
fn run_python(python: &Path, args: &Args) -> Result<Python, String> {
    // Beside the sources this was built from, or else under the current directory.
    let script = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/echo_convoy.py"),
        PathBuf::from("examples/echo_convoy.py"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .ok_or("examples/echo_convoy.py is missing")?;
    let mut child = Command::new(python)
        .arg(&script)
        .args(["--seconds", &args.seconds.to_string()])
        .args(["--rounds", &args.rounds.to_string()])
        .args(["--switch-interval-us", &args.switch_interval_us.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => "not found".to_owned(),
            _ => e.to_string(),
        })?;
    // Three cells a round, each its window plus start-up; then a generous margin.
    let limit = Duration::from_secs_f64(3.0 * f64::from(args.rounds) * (args.seconds + 3.0) + 30.0);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < limit => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("killed after {limit:.0?}"));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e.to_string());
            }
        }
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut err);
    }
    if !status.success() {
        let last = err.lines().last().map_or("", str::trim);
        let sep = if last.is_empty() { "" } else { ": " };
        return Err(format!("echo_convoy.py exited with {status}{sep}{last}"));
    }
    parse_python(&out).ok_or_else(|| format!("no figures in its output: {}", out.trim()))
}

/// Parses `echo_convoy.py: python=3.11.7 alone=1.0,2.0 with_cpu=1.0,2.0`.
fn parse_python(out: &str) -> Option<Python> {
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("echo_convoy.py:"))?;
    let mut py = Python {
        version: String::new(),
        alone: Vec::new(),
        with_cpu: Vec::new(),
        no_gil: Vec::new(),
    };
    let numbers = |v: &str| -> Option<Vec<f64>> { v.split(',').map(|x| x.parse().ok()).collect() };
    for field in line.split_whitespace() {
        let (key, value) = field.split_once('=')?;
        match key {
            "python" => value.clone_into(&mut py.version),
            "alone" => py.alone = numbers(value)?,
            "with_cpu" => py.with_cpu = numbers(value)?,
            "no_gil" => py.no_gil = numbers(value)?,
            _ => {}
        }
    }
    let usable = !py.alone.is_empty()
        && py.alone.len() == py.with_cpu.len()
        && py.alone.len() == py.no_gil.len();
    usable.then_some(py)
}

fn report_python(py: &Python) {
    let ratio = |num: &[f64], den: &[f64]| {
        Spread::of(
            num.iter()
                .zip(den)
                .map(|(n, d)| if *d > 0.0 { n / d } else { 0.0 })
                .collect(),
        )
    };
    let median = |v: &[f64]| Spread::of(v.to_vec()).median;
    println!(
        "CPython {}: the same server in Python, its client in another process; median over rounds, \
         ratios per round median (min–max):",
        py.version
    );
    println!(
        "  alone {:.0} req/s; beside a CPU-bound thread {:.0} req/s, {} of alone, {} of the \
         control (a CPU-bound process, not under the GIL: {:.0} req/s)",
        median(&py.alone),
        median(&py.with_cpu),
        ratio(&py.with_cpu, &py.alone).percent(),
        ratio(&py.with_cpu, &py.no_gil).percent(),
        median(&py.no_gil),
    );
}
