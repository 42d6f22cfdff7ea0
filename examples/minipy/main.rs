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
//! cargo run --release --example minipy -- bench [--rounds N]    # the table, beside CPython
//! ```
//!
//! The language: ints (64-bit), floats, strings, lists, dicts, tuples, `if`/`elif`/`else`,
//! `while`, `for .. in`, `def`/`return`, calls, arithmetic, comparisons, indexing, `append`,
//! `pop`, `get`, `len`, `range`, `int`, `float`, `str`, `abs`, `print`, `import sys` (`argv`)
//! and `import threading` (`Thread(target=f, args=(..))`, `start`, `join`). No classes, no
//! exceptions (an exception ends its thread), no closures, no `global`. Function objects are
//! immortal, as literals are.

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
    if args.first().map(String::as_str) == Some("--strategy") {
        if args.len() < 2 {
            eprintln!("minipy: --strategy takes one of {}", STRATEGIES.join(", "));
            std::process::exit(2);
        }
        strategy = args.remove(1);
        args.remove(0);
    }
    let Some(file) = args.first() else {
        eprintln!(
            "usage: minipy [--strategy {}] FILE.py [ARGS..] | minipy bench [--rounds N]",
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
    if let Err(e) = run_source(&strategy, &source, &args, Output::Stdout) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each shipped program, on each strategy, prints what `CPython` printed (stored beside it).
    #[test]
    fn the_programs_print_what_cpython_prints() {
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
}
