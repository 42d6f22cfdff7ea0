//! The seed's second way out: processes. The CPU-bound workload runs in worker processes, each
//! this binary again (`lab --worker cpu`, a hidden flag, as `--background-load` re-executes it
//! with `--busy`), with its own copy of the object; each sends its ops back over its stdout pipe.
//! [`Transfers`] measures the other price: a message's round trip through pipes, per size,
//! beside the same message moved between two threads.
//!
//! What is the same as the threads' `cpu-disjoint`: worker `i` does the same op (`work(i, W)`
//! added to field `i % FIELDS`), checks a stop flag every 32 ops as the threads do, and the cell's
//! time runs from before the first spawn to the last result, so start-up and exit are paid inside
//! it, as thread spawn and join are for threads. What is not: the object is each worker's own copy
//! (no lock, nothing shared), which is what processes give.

use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::workloads::{until_stopped, work, Params, Plain, Sample, FIELDS};

/// What a worker process does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Worker {
    /// Says `ready`, runs the CPU-bound op on its own object until its stdin closes, then prints
    /// `ops N rss_anon B`.
    Cpu,
    /// Echoes length-prefixed messages from stdin to stdout until stdin closes.
    Echo,
}

/// The worker's side: runs `kind` in this process, talking over stdin and stdout.
pub fn worker(kind: Worker, rounds: u32, index: usize) -> std::io::Result<()> {
    match kind {
        Worker::Cpu => {
            let mut out = std::io::stdout().lock();
            let stop = AtomicBool::new(false);
            let ops = thread::scope(|s| {
                let worker = s.spawn(|| {
                    let mut obj = Plain::default();
                    until_stopped(&stop, || {
                        black_box(&mut obj.fields)[index % FIELDS] += work(index as u64, rounds);
                    })
                });
                // Ready once the work runs; then wait for the parent to close stdin.
                let ready = writeln!(out, "ready").and_then(|()| out.flush());
                let _ = std::io::stdin().lock().read_to_end(&mut Vec::new());
                stop.store(true, Relaxed);
                let ops = worker.join().expect("the worker's thread panicked");
                ready.map(|()| ops)
            })?;
            let rss = private_resident_bytes().unwrap_or(0);
            writeln!(out, "ops {ops} rss_anon {rss}")?;
            out.flush()
        }
        Worker::Echo => {
            let mut input = BufReader::new(std::io::stdin().lock());
            let mut out = std::io::stdout().lock();
            let mut message = Vec::new();
            loop {
                let mut header = [0; 8];
                if input.read_exact(&mut header).is_err() {
                    return Ok(()); // stdin closed: done
                }
                let len = usize::try_from(u64::from_le_bytes(header)).unwrap_or(usize::MAX);
                message.resize(len, 0);
                input.read_exact(&mut message)?;
                out.write_all(&header)?;
                out.write_all(&message)?;
                out.flush()?;
            }
        }
    }
}

/// This process's private resident memory (`RssAnon` in `/proc/self/status`), in bytes: its own
/// heap and stacks, which a thread would have shared. `None` off Linux.
fn private_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Starts one worker of `kind` with piped stdin and stdout.
fn spawn(kind: Worker, rounds: u32, index: usize) -> Child {
    let exe = std::env::current_exe().expect("the lab's own path");
    Command::new(exe)
        .args(["--worker", crate::name(&kind).as_str()])
        .args(["--work", &rounds.to_string()])
        .args(["--worker-index", &index.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the lab cannot start itself as a worker")
}

/// `cpu-disjoint` in `processes` worker processes: the ops of all, each worker's start-up (from
/// before its spawn to its `ready`, read here) as the sample's pauses, and the workers' mean
/// private resident memory as its bytes.
pub fn cpu(processes: usize, p: Params) -> Sample {
    let start = Instant::now();
    let mut children: Vec<(Instant, Child)> = (0..processes)
        .map(|i| (Instant::now(), spawn(Worker::Cpu, p.work, i)))
        .collect();
    let results: Vec<(Duration, u64, u64)> = thread::scope(|s| {
        let readers: Vec<_> = children
            .iter_mut()
            .map(|(spawned, child)| {
                let (spawned, stdout) = (*spawned, child.stdout.take().expect("piped"));
                s.spawn(move || {
                    let mut lines = BufReader::new(stdout).lines();
                    let mut next = || lines.next().and_then(Result::ok).unwrap_or_default();
                    let ready = next();
                    let started = spawned.elapsed();
                    assert_eq!(ready, "ready", "a worker did not start");
                    let last = next();
                    let field = |key: &str| -> u64 {
                        let mut words = last.split_whitespace();
                        words
                            .position(|w| w == key)
                            .and_then(|_| words.next()?.parse().ok())
                            .unwrap_or_else(|| panic!("a worker said {last:?}"))
                    };
                    (started, field("ops"), field("rss_anon"))
                })
            })
            .collect();
        thread::sleep(p.duration);
        for (_, child) in &mut children {
            drop(child.stdin.take()); // the stop signal
        }
        readers
            .into_iter()
            .map(|r| r.join().expect("a reader panicked"))
            .collect()
    });
    for (_, child) in &mut children {
        let _ = child.wait();
    }
    let elapsed = start.elapsed();
    #[allow(clippy::cast_precision_loss, reason = "byte counts far below 2^52")]
    let bytes = results.iter().map(|r| r.2 as f64).sum::<f64>() / results.len().max(1) as f64;
    Sample {
        ops: results.iter().map(|r| r.1).sum(),
        elapsed,
        pauses: results.iter().map(|r| r.0).collect(),
        bytes: Some(bytes),
        ..Sample::default()
    }
}

/// The message sizes whose round trip [`Transfers`] measures.
pub const SIZES: [usize; 4] = [64, 4 << 10, 256 << 10, 4 << 20];

/// Round trips of messages, per size, between this process and an echo worker over its pipes,
/// and between this thread and an echo thread over `std::sync::mpsc` (the `Vec` moved, not
/// copied: what threads would do), and what starting each costs. One median per round.
#[derive(Default)]
pub struct Transfers {
    /// Per size of [`SIZES`], the median round trip of each round through pipes, in seconds.
    pub process: [Vec<f64>; SIZES.len()],
    /// The same, between two threads.
    pub thread: [Vec<f64>; SIZES.len()],
    /// From before the spawn to the first 64 B echo back, per round, in seconds.
    pub process_start: Vec<f64>,
    /// From before the spawn to the first 64 B echo back from a new thread, per round.
    pub thread_start: Vec<f64>,
}

/// Round trips timed per size: enough for a median, few for the large ones.
fn trips(size: usize) -> usize {
    ((8 << 20) / size).clamp(8, 200)
}

/// The median of `v`.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

impl Transfers {
    /// The processes' half of a round, with `child` an echo worker spawned at `spawned`.
    fn through_pipes(&mut self, child: &mut Child, spawned: Instant) -> std::io::Result<()> {
        let (to, from) = (
            child.stdin.as_mut().expect("piped"),
            child.stdout.as_mut().expect("piped"),
        );
        let mut round_trip = |message: &[u8], back: &mut Vec<u8>| -> std::io::Result<()> {
            to.write_all(message)?;
            back.resize(message.len(), 0);
            from.read_exact(back)
        };
        let mut back = Vec::new();
        round_trip(&framed(SIZES[0]), &mut back)?;
        self.process_start.push(spawned.elapsed().as_secs_f64());
        for (k, &size) in SIZES.iter().enumerate() {
            let message = framed(size);
            let mut times = Vec::new();
            for _ in 0..trips(size) {
                let start = Instant::now();
                round_trip(&message, &mut back)?;
                times.push(start.elapsed().as_secs_f64());
                assert!(back == message, "the echo worker garbled a message");
            }
            self.process[k].push(median(times));
        }
        Ok(())
    }

    /// Measures one round: a new echo worker and a new echo thread, every size.
    pub fn measure_round(&mut self) -> std::io::Result<()> {
        // Processes.
        let spawned = Instant::now();
        let mut child = spawn(Worker::Echo, 0, 0);
        let measured = self.through_pipes(&mut child, spawned);
        drop(child.stdin.take()); // the worker ends at the end of its input
        child.wait()?;
        measured?;
        // Threads.
        let spawned = Instant::now();
        let (to, there) = mpsc::channel::<Vec<u8>>();
        let (here, from) = mpsc::channel::<Vec<u8>>();
        let echo = thread::spawn(move || {
            for message in there {
                if here.send(message).is_err() {
                    break;
                }
            }
        });
        let mut message = framed(SIZES[0]);
        let round_trip = move |m: Vec<u8>| -> Vec<u8> {
            to.send(m).expect("the echo thread is alive");
            from.recv().expect("the echo thread is alive")
        };
        message = round_trip(message);
        self.thread_start.push(spawned.elapsed().as_secs_f64());
        drop(message);
        for (k, &size) in SIZES.iter().enumerate() {
            let mut message = framed(size);
            let mut times = Vec::new();
            for _ in 0..trips(size) {
                let start = Instant::now();
                message = round_trip(message);
                times.push(start.elapsed().as_secs_f64());
            }
            black_box(&message);
            self.thread[k].push(median(times));
        }
        drop(round_trip); // closes the channel: the echo thread ends
        echo.join().expect("the echo thread panicked");
        Ok(())
    }
}

/// A message of `size` bytes (`0xAB`, no newline), after its 8-byte little-endian length.
fn framed(size: usize) -> Vec<u8> {
    let mut m = (size as u64).to_le_bytes().to_vec();
    m.resize(8 + size, 0xAB);
    m
}
