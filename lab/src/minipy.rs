//! minipy, the interpreter of `examples/minipy`, included here for the `interp` workload.
#![allow(
    dead_code,
    clippy::many_single_char_names,
    clippy::similar_names,
    reason = "the lab uses the evaluator and the programs, not the command line; the evaluator's short names are its own"
)]

#[path = "../../examples/minipy/ast.rs"]
pub mod ast;
#[path = "../../examples/minipy/bench.rs"]
pub mod bench;
#[path = "../../examples/minipy/compile.rs"]
pub mod compile;
#[path = "../../examples/minipy/eval.rs"]
pub mod eval;
#[path = "../../examples/minipy/lexer.rs"]
pub mod lexer;
#[path = "../../examples/minipy/ops.rs"]
pub mod ops;
#[path = "../../examples/minipy/parser.rs"]
pub mod parser;
#[path = "../../examples/minipy/value.rs"]
pub mod value;

use std::time::Instant;

use crate::workloads::{Params, Sample, Strategy};

/// The input of each op: `fib(FIB_N)`, about 29 000 calls.
pub const FIB_N: u32 = 20;

/// The `interp` workload: minipy runs `fib.py` with one interpreter thread per lab thread, each
/// computing `fib(FIB_N)`, again and again for the cell's duration; an op is one `fib(FIB_N)`.
/// `gil` runs it under the GIL, `biased` free-threaded with biased counts, `atomic-rc` with
/// atomic counts.
pub fn run(strategy: Strategy, threads: usize, p: Params) -> Sample {
    let name = match strategy {
        Strategy::Gil => "gil",
        Strategy::Biased => "biased",
        _ => "atomic",
    };
    let (source, _) = bench::program("fib").expect("fib.py is shipped with minipy");
    let argv = ["fib.py".to_owned(), FIB_N.to_string(), threads.to_string()];
    let start = Instant::now();
    let mut ops = 0;
    while start.elapsed() < p.duration {
        let out = eval::run_source(
            name,
            &source,
            &argv,
            eval::Output::Buffer(std::sync::Mutex::default()),
        );
        out.expect("fib.py runs under every strategy");
        ops += threads as u64;
    }
    Sample {
        ops,
        elapsed: start.elapsed(),
        waits: Vec::new(),
        pauses: Vec::new(),
        bytes: None,
    }
}
