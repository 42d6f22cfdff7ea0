//! minipy: a small interpreter for a subset of Python, whose objects are shared between
//! interpreter threads under any of gilkit's strategies, chosen at run time.
//!
//! The interpreter is written once against `gilkit::object` and runs under:
//! - `gil`: the GIL (`GlobalLock`), with an eval breaker every 64 statements, as `CPython`;
//! - `biased`: free-threaded, a lock per object and biased counts (PEP 703), immortal constants;
//! - `atomic`: the same with plain atomic counts, to isolate what biasing buys.
//!
//! ```text
//! cargo run --example minipy -- FILE.py [ARGS..]                 # runs a script (strategy: gil)
//! cargo run --example minipy -- --strategy biased FILE.py [ARGS..]
//! cargo run --example minipy -- --strategy atomic --live FILE.py # and the containers it leaked
//! cargo run --release --example minipy -- bench [--rounds N]    # the table, beside CPython
//! ```
//!
//! The language: ints (64-bit), floats, strings, lists, dicts, tuples, `if`/`elif`/`else`,
//! `while`, `for .. in`, `def`/`return`, calls, arithmetic, comparisons, indexing, `append`,
//! `pop`, `get`, `len`, `range`, `int`, `float`, `str`, `abs`, `print`, `import sys` (`argv`)
//! and `import threading` (`Thread(target=f, args=(..))`, `start`, `join`). No classes, no
//! exceptions (an exception ends its thread), no closures, no `global`. Function objects are
//! immortal, as literals are.
//!
//! Reference cycles: lists and dicts are tracked by the cycle collector, which `gc.collect()`
//! runs under `atomic` (with the program's other threads finished: it needs the world stopped).
//! Under `gil` and `biased` there is none, and a cycle leaks, as under any plain counting;
//! `programs/cycles.py` shows both. Tuples are not tracked: a cycle through one leaks everywhere.

#![allow(
    clippy::many_single_char_names,
    clippy::similar_names,
    reason = "the evaluator's short names (p: program, cx: context, e: expression, t: target) and range bounds"
)]

mod ast;
mod bench;
mod compile;
mod eval;
mod lexer;
mod ops;
mod parser;
mod value;

use eval::{run_source, Output, STRATEGIES};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("bench") {
        if let Err(e) = bench::main(&args[1..]) {
            eprintln!("minipy bench: {e}");
            std::process::exit(2);
        }
        return;
    }
    let mut strategy = "gil".to_owned();
    let mut count_live = false;
    loop {
        match args.first().map(String::as_str) {
            Some("--strategy") => {
                if args.len() < 2 {
                    eprintln!("minipy: --strategy takes one of {}", STRATEGIES.join(", "));
                    std::process::exit(2);
                }
                strategy = args.remove(1);
                args.remove(0);
            }
            Some("--live") => {
                count_live = true;
                args.remove(0);
            }
            _ => break,
        }
    }
    let Some(file) = args.first() else {
        eprintln!(
            "usage: minipy [--strategy {}] [--live] FILE.py [ARGS..] | minipy bench [--rounds N]",
            STRATEGIES.join("|")
        );
        std::process::exit(2);
    };
    let source = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("minipy: cannot read {file}: {e}");
            std::process::exit(2);
        }
    };
    if count_live {
        value::count_live();
    }
    if let Err(e) = run_source(&strategy, &source, &args, Output::Stdout) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    if count_live {
        eprintln!(
            "minipy: {} lists and dicts alive after the program (kept alive by reference cycles)",
            value::live()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serializes the tests that run programs: the count of live containers is the process's.
    static RUNNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// Each shipped program, on each strategy, prints what `CPython` printed (stored beside it).
    #[test]
    fn the_programs_print_what_cpython_prints() {
        let _alone = RUNNING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for name in bench::PROGRAMS {
            let (source, expected) = bench::program(name).unwrap();
            for strategy in STRATEGIES {
                let argv = [format!("{name}.py")];
                let out = run_source(
                    strategy,
                    &source,
                    &argv,
                    Output::Buffer(std::sync::Mutex::default()),
                );
                assert_eq!(
                    out.as_deref(),
                    Ok(expected.as_str()),
                    "{name} under {strategy}"
                );
            }
        }
    }

    /// `programs/cycles.py` makes 100 self-referencing lists and 100 dicts, and keeps one
    /// reachable cycle. Under plain counting (`gil`, `biased`) all of them outlive the program;
    /// under `atomic`, `gc.collect()` frees the 200, and only the reachable one is left.
    #[test]
    fn self_referencing_lists_leak_under_plain_counting_and_the_collector_frees_them() {
        let _alone = RUNNING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let source = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/minipy/programs/cycles.py"
        ))
        .unwrap();
        value::count_live();
        for strategy in STRATEGIES {
            let before = value::live();
            let argv = ["cycles.py".to_owned(), "100".to_owned()];
            let buffer = Output::Buffer(std::sync::Mutex::default());
            let out = run_source(strategy, &source, &argv, buffer).unwrap();
            let leaked = value::live() - before;
            let (found, left) = if strategy == "atomic" {
                (200, 1)
            } else {
                (0, 201)
            };
            assert_eq!(
                out,
                format!(
                    "unreachable containers found: {found}\nfound by a second run: 0\n\
                     the reachable cycle is whole: True\n"
                ),
                "{strategy}"
            );
            assert_eq!(leaked, left, "{strategy}: containers left alive");
        }
    }
}
