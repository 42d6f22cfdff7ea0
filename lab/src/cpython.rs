//! `CPython` on the lab's workloads: runs `lab/cpython.py` and reads the JSON it prints.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use serde_json::Value;

use crate::workloads::{Params, Strategy, Workload};
use crate::{name, Cell, Round};

/// The interpreter that runs the script, and what it said it is.
pub struct Python {
    path: PathBuf,
    /// `CPython 3.11.7`, once it has run.
    pub version: Option<String>,
}

impl Python {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            version: None,
        }
    }

    /// Runs the script once over every `CPython` cell of `cells`, and adds one round to each.
    pub fn measure(&mut self, cells: &mut [Cell], p: Params) -> Result<(), String> {
        let mine: Vec<usize> = (0..cells.len())
            .filter(|&i| cells[i].strategy.is_cpython())
            .collect();
        let specs: Vec<String> = mine
            .iter()
            .map(|&i| {
                let c = &cells[i];
                format!("{}:{}:{}", name(&c.workload), name(&c.strategy), c.threads)
            })
            .collect();
        // Each cell its window (the mixed one four times), then a generous margin.
        let windows: u32 = mine
            .iter()
            .map(|&i| {
                if cells[i].workload == Workload::Mixed {
                    4
                } else {
                    1
                }
            })
            .sum();
        let limit = p.duration * windows + Duration::from_secs(30);
        let out = self.run_script(&specs.join(","), p, limit)?;
        let report: Value = serde_json::from_str(&out)
            .map_err(|e| format!("cpython.py printed no JSON ({e}): {}", out.trim()))?;
        let text = |key: &str| report[key].as_str().unwrap_or("?").to_owned();
        let mut version = format!("{} {}", text("implementation"), text("version"));
        if report["gil_enabled"] == Value::Bool(false) {
            version.push_str(" (free-threaded: the GIL is off)");
        }
        self.version = Some(version);
        let measured = report["cells"]
            .as_array()
            .ok_or("cpython.py gave no cells")?;
        for m in measured {
            let (cell, round) = parse_cell(m).ok_or_else(|| format!("cpython.py gave {m}"))?;
            let target = mine
                .iter()
                .find(|&&i| {
                    let c = &cells[i];
                    (c.workload, c.strategy, c.threads) == cell
                })
                .ok_or_else(|| format!("cpython.py gave a cell not asked for: {m}"))?;
            cells[*target].rounds.push(round);
        }
        if measured.len() == mine.len() {
            Ok(())
        } else {
            Err(format!(
                "cpython.py gave {} cells for {} asked",
                measured.len(),
                mine.len()
            ))
        }
    }

    /// Runs the script on `cells`, killing it after `limit`; returns what it printed.
    fn run_script(&self, cells: &str, p: Params, limit: Duration) -> Result<String, String> {
        // Beside the sources this was built from, or else under the current directory.
        let script = [
            Path::new(env!("CARGO_MANIFEST_DIR")).join("cpython.py"),
            PathBuf::from("lab/cpython.py"),
        ]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or("lab/cpython.py is missing")?;
        let mut child = Command::new(&self.path)
            .arg(&script)
            .args(["--cells", cells])
            .args([
                "--duration-ms",
                &(p.duration.as_secs_f64() * 1e3).to_string(),
            ])
            .args(["--work", &p.work.to_string()])
            .args(["--block-us", &(p.block.as_secs_f64() * 1e6).to_string()])
            .args([
                "--switch-interval-us",
                &(gilkit::switch_interval().as_secs_f64() * 1e6).to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!("{}: not found", self.path.display()),
                _ => format!("{}: {e}", self.path.display()),
            })?;
        // Read stdout while it runs, so that a long output cannot fill the pipe and stall it.
        let mut stdout = child.stdout.take().ok_or("no stdout")?;
        let reader = std::thread::spawn(move || {
            let mut out = String::new();
            stdout.read_to_string(&mut out).map(|_| out)
        });
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if start.elapsed() < limit => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                outcome => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(match outcome {
                        Err(e) => e.to_string(),
                        _ => format!("cpython.py killed after {limit:.0?}"),
                    });
                }
            }
        };
        let out = reader
            .join()
            .map_err(|_| "the reader panicked")?
            .map_err(|e| e.to_string())?;
        if status.success() {
            return Ok(out);
        }
        let mut err = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut err);
        }
        let last = err.lines().last().map_or("", str::trim);
        Err(format!(
            "{} cpython.py exited with {status}: {last}",
            self.path.display()
        ))
    }
}

/// One cell of the script's JSON: its key and its round.
fn parse_cell(m: &Value) -> Option<((Workload, Strategy, usize), Round)> {
    let workload = Workload::from_str(m["workload"].as_str()?, false).ok()?;
    let strategy = Strategy::from_str(m["strategy"].as_str()?, false).ok()?;
    let threads = usize::try_from(m["threads"].as_u64()?).ok()?;
    let mut waits: Vec<Duration> = m["waits_us"]
        .as_array()?
        .iter()
        // A sleep can return a hair early on some clocks: no negative lateness.
        .map(|w| Some(Duration::from_secs_f64(w.as_f64()?.max(0.0) / 1e6)))
        .collect::<Option<_>>()?;
    waits.sort_unstable();
    let round = Round {
        ops: m["ops"].as_u64()?,
        seconds: m["seconds"].as_f64()?,
        waits,
        pauses: Vec::new(),
        bytes: None,
    };
    Some(((workload, strategy, threads), round))
}
