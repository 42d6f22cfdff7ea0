//! The evaluator: runs a compiled program under any strategy, on as many threads as it starts.
//!
//! Every object access goes through `gilkit::object`: a list's items are read and written inside
//! `Locked::with`, which under the GIL needs the GIL held and otherwise takes the list's own
//! lock, never two at once. The eval breaker (`Context::checkpoint`) runs every
//! [`CHECK_INTERVAL`] statements, as `CPython`'s does at backward jumps and calls.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use gilkit::object::{Atomic, Biased, Context, GlobalLock, Locked, Shared, Strategy};

use super::ast::{BinOp, UnaryOp};
use super::compile::{Compiled, Constant, Ex, Sk, St, Tg};
use super::ops::{binop, compare, get_item, inplace, overflow, set_item};
use super::value::{share_all, Builtin, Dict, Module, ThreadState, Value};

/// Statements between two eval-breaker checks.
pub const CHECK_INTERVAL: u32 = 64;

/// Python calls deeper than this raise `RecursionError`, as `CPython`'s default limit.
const MAX_DEPTH: u32 = 1000;

/// Stack for each interpreter thread: enough for `MAX_DEPTH` nested calls in a debug build.
pub const STACK_BYTES: usize = 256 << 20;

/// A Python exception, which ends the thread that raised it (minipy has no `try`).
#[derive(Debug)]
pub struct Error {
    pub kind: &'static str,
    pub msg: String,
    pub line: u32,
}

impl Error {
    /// An exception of class `kind`.
    pub fn new(kind: &'static str, msg: impl Into<String>) -> Self {
        Error {
            kind,
            msg: msg.into(),
            line: 0,
        }
    }

    fn at(mut self, line: u32) -> Self {
        if self.line == 0 {
            self.line = line;
        }
        self
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.kind, self.msg)
    }
}

type R<T> = Result<T, Error>;

/// Where `print` writes.
pub enum Output {
    /// The process's standard output.
    Stdout,
    /// A buffer, for tests and the lab.
    Buffer(Mutex<String>),
}

/// What every thread of a running program shares.
pub struct Program<S: Strategy> {
    code: Compiled,
    /// The literals, as immortal objects.
    constants: Vec<Value<S>>,
    /// The module's globals, behind one lock; threads read them through a cache.
    globals: Locked<S, Vec<Value<S>>>,
    /// Bumped after every write to `globals`: a thread whose cache is older reloads it.
    version: AtomicU64,
    argv: Value<S>,
    out: Output,
    /// Whether a thread ended with an exception.
    failed: AtomicBool,
}

/// The strategies, by the name the command line and the reports use.
pub const STRATEGIES: [&str; 3] = ["gil", "biased", "atomic"];

/// Parses and runs `source` under the strategy named `strategy`.
///
/// # Errors
/// A syntax error, an exception that ended the program, or a thread that ended with one.
pub fn run_source(
    strategy: &str,
    source: &str,
    argv: &[String],
    out: Output,
) -> Result<String, String> {
    let module = super::parser::parse(source).map_err(|e| format!("SyntaxError: {e}"))?;
    let code =
        super::compile::compile(&module).map_err(|e| format!("line {}: {}", e.line, e.msg))?;
    match strategy {
        "gil" => run::<GlobalLock>(code, argv, out),
        "biased" => run::<Biased>(code, argv, out),
        "atomic" => run::<Atomic>(code, argv, out),
        other => Err(format!(
            "unknown strategy '{other}': expected one of {}",
            STRATEGIES.join(", ")
        )),
    }
}

/// Runs `code` with `sys.argv == argv` under strategy `S`, on a thread of its own (with a stack
/// for deep recursion); returns what it printed if `out` was a buffer, or the exception that
/// ended the main thread, or a thread's failure.
pub fn run<S: Strategy>(code: Compiled, argv: &[String], out: Output) -> Result<String, String> {
    let argv = argv.to_vec();
    std::thread::Builder::new()
        .name("minipy-main".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            Context::<S>::enter(|cx| {
                let constants = code
                    .constants
                    .iter()
                    .map(|c| match c {
                        Constant::Str(s) => Value::Str(Shared::immortal(s.clone().into())),
                        Constant::Float(x) => Value::Float(Shared::immortal(*x)),
                    })
                    .collect();
                let globals = (0..code.globals.len()).map(|_| Value::Unbound).collect();
                let argv = Value::list(argv.into_iter().map(Value::str).collect());
                let program = Arc::new(Program {
                    code,
                    constants,
                    globals: Locked::new(globals),
                    version: AtomicU64::new(0),
                    argv,
                    out,
                    failed: AtomicBool::new(false),
                });
                let mut interp = Interp::new(&program, cx);
                let mut frame = Vec::new();
                let ran = interp.block(&program, cx, &program.code.body, &mut frame);
                // The program's objects die here, in the context (under the GIL, a handle
                // dropped outside it waits for the next thread to take the GIL).
                drop((frame, interp));
                let printed = match &program.out {
                    Output::Buffer(b) => std::mem::take(&mut *b.lock().unwrap()),
                    Output::Stdout => String::new(),
                };
                let failed = program.failed.load(Ordering::Relaxed);
                drop(program);
                ran.map_err(|e| format!("Traceback: {e}"))?;
                if failed {
                    return Err("a thread ended with an exception".to_owned());
                }
                Ok(printed)
            })
        })
        .map_err(|e| format!("cannot start the interpreter thread: {e}"))?
        .join()
        .map_err(|_| "the interpreter panicked".to_owned())?
}

/// What a statement did to the control flow.
enum Flow<S: Strategy> {
    Normal,
    Break,
    Continue,
    Return(Value<S>),
}

/// One interpreter thread's state.
struct Interp<S: Strategy> {
    /// This thread's copy of the globals, as of `seen`.
    cache: Vec<Value<S>>,
    seen: u64,
    ticks: u32,
    depth: u32,
}

impl<S: Strategy> Interp<S> {
    fn new(p: &Program<S>, cx: &mut Context<S>) -> Self {
        let mut interp = Interp {
            cache: Vec::new(),
            seen: u64::MAX,
            ticks: 0,
            depth: 0,
        };
        interp.reload(p, cx);
        interp
    }

    fn reload(&mut self, p: &Program<S>, cx: &mut Context<S>) {
        let version = p.version.load(Ordering::Acquire);
        self.cache = p.globals.with(cx, |g, t| share_all(g, t));
        self.seen = version;
    }

    fn global(&mut self, p: &Program<S>, cx: &mut Context<S>, i: usize) -> R<Value<S>> {
        if p.version.load(Ordering::Acquire) != self.seen {
            self.reload(p, cx);
        }
        match &self.cache[i] {
            Value::Unbound => Err(Error::new(
                "NameError",
                format!("name '{}' is not defined", p.code.globals[i]),
            )),
            v => Ok(v.share(cx.token())),
        }
    }

    fn set_global(&mut self, p: &Program<S>, cx: &mut Context<S>, i: usize, v: Value<S>) {
        let copy = v.share(cx.token());
        let old = p
            .globals
            .with(cx, |g, _| std::mem::replace(&mut g[i], copy));
        drop(old); // outside the lock
        let before = p.version.fetch_add(1, Ordering::Release);
        if before == self.seen {
            self.seen = before + 1;
            self.cache[i] = v;
        }
    }

    fn block(
        &mut self,
        p: &Arc<Program<S>>,
        cx: &mut Context<S>,
        body: &[St],
        frame: &mut Vec<Value<S>>,
    ) -> R<Flow<S>> {
        for st in body {
            match self.stmt(p, cx, st, frame).map_err(|e| e.at(st.line))? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    #[allow(clippy::too_many_lines, reason = "one arm per kind of statement")]
    fn stmt(
        &mut self,
        p: &Arc<Program<S>>,
        cx: &mut Context<S>,
        st: &St,
        frame: &mut Vec<Value<S>>,
    ) -> R<Flow<S>> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % CHECK_INTERVAL == 0 {
            cx.checkpoint();
        }
        match &st.kind {
            Sk::Expr(e) => {
                self.eval(p, cx, e, frame)?;
            }
            Sk::Assign(t, e) => {
                let v = self.eval(p, cx, e, frame)?;
                self.assign(p, cx, t, v, frame)?;
            }
            Sk::Aug(t, op, e) => self.aug(p, cx, t, op, e, frame)?,
            Sk::If(branches, orelse) => {
                for (cond, body) in branches {
                    if self.eval(p, cx, cond, frame)?.truthy(cx) {
                        return self.block(p, cx, body, frame);
                    }
                }
                return self.block(p, cx, orelse, frame);
            }
            Sk::While(cond, body) => {
                while self.eval(p, cx, cond, frame)?.truthy(cx) {
                    match self.block(p, cx, body, frame)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        ret @ Flow::Return(_) => return Ok(ret),
                    }
                }
            }
            Sk::ForRange(t, [start, stop, step], body) => {
                let mut bound = [0_i64; 3];
                for (b, e) in bound.iter_mut().zip([start, stop, step]) {
                    *b = self.eval(p, cx, e, frame)?.as_int().ok_or_else(|| {
                        Error::new("TypeError", "range() takes integer arguments")
                    })?;
                }
                let [mut i, stop, step] = bound;
                if step == 0 {
                    return Err(Error::new("ValueError", "range() arg 3 must not be zero"));
                }
                while (step > 0 && i < stop) || (step < 0 && i > stop) {
                    self.assign(p, cx, t, Value::Int(i), frame)?;
                    match self.block(p, cx, body, frame)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        ret @ Flow::Return(_) => return Ok(ret),
                    }
                    i += step;
                }
            }
            Sk::For(t, iter, body) => {
                let iter = self.eval(p, cx, iter, frame)?;
                let mut i = 0;
                while let Some(item) = Self::nth(cx, &iter, i)? {
                    self.assign(p, cx, t, item, frame)?;
                    match self.block(p, cx, body, frame)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        ret @ Flow::Return(_) => return Ok(ret),
                    }
                    i += 1;
                }
            }
            Sk::Def(index, t) => {
                // Function objects are immortal, as code constants are.
                let f = Value::Func(Shared::immortal(*index));
                self.assign(p, cx, t, f, frame)?;
            }
            Sk::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(p, cx, e, frame)?,
                    None => Value::None,
                };
                return Ok(Flow::Return(v));
            }
            Sk::Break => return Ok(Flow::Break),
            Sk::Continue => return Ok(Flow::Continue),
            Sk::Pass => {}
            Sk::Import(m, t) => self.assign(p, cx, t, Value::Module(*m), frame)?,
        }
        Ok(Flow::Normal)
    }

    /// Item `i` of an iterable, read afresh at each step (a list may change during the loop, as
    /// in Python).
    fn nth(cx: &mut Context<S>, iter: &Value<S>, i: usize) -> R<Option<Value<S>>> {
        Ok(match iter {
            Value::List(l) => l.with(cx, |items, t| items.get(i).map(|v| v.share(t))),
            Value::Tuple(items) => items.get(i).map(|v| v.share(cx.token())),
            Value::Str(s) => s.chars().nth(i).map(|c| Value::str(c.to_string())),
            Value::Dict(d) => d.with(cx, |d, t| d.entries.get(i).map(|(k, _)| k.share(t))),
            other => {
                return Err(Error::new(
                    "TypeError",
                    format!("'{}' object is not iterable", other.type_name()),
                ))
            }
        })
    }

    fn assign(
        &mut self,
        p: &Arc<Program<S>>,
        cx: &mut Context<S>,
        t: &Tg,
        v: Value<S>,
        frame: &mut Vec<Value<S>>,
    ) -> R<()> {
        match t {
            Tg::Local(i) => frame[*i] = v,
            Tg::Global(i) => self.set_global(p, cx, *i, v),
            Tg::Index(obj, index) => {
                let obj = self.eval(p, cx, obj, frame)?;
                let index = self.eval(p, cx, index, frame)?;
                set_item(cx, &obj, index, v)?;
            }
            Tg::Tuple(targets) => {
                let items: Vec<Value<S>> = match &v {
                    Value::Tuple(items) => share_all(items, cx.token()),
                    Value::List(l) => l.with(cx, |items, t| share_all(items, t)),
                    other => {
                        return Err(Error::new(
                            "TypeError",
                            format!("cannot unpack non-sequence {}", other.type_name()),
                        ))
                    }
                };
                if items.len() != targets.len() {
                    return Err(Error::new(
                        "ValueError",
                        format!(
                            "expected {} values to unpack, got {}",
                            targets.len(),
                            items.len()
                        ),
                    ));
                }
                for (t, item) in targets.iter().zip(items) {
                    self.assign(p, cx, t, item, frame)?;
                }
            }
        }
        Ok(())
    }

    fn aug(
        &mut self,
        p: &Arc<Program<S>>,
        cx: &mut Context<S>,
        t: &Tg,
        op: &BinOp,
        e: &Ex,
        frame: &mut Vec<Value<S>>,
    ) -> R<()> {
        match t {
            Tg::Local(i) => {
                let rhs = self.eval(p, cx, e, frame)?;
                let old = std::mem::replace(&mut frame[*i], Value::Unbound);
                if let Value::Unbound = old {
                    return Err(Error::new(
                        "UnboundLocalError",
                        "local variable used before assignment",
                    ));
                }
                frame[*i] = inplace(cx, op, old, &rhs)?;
            }
            Tg::Global(i) => {
                let old = self.global(p, cx, *i)?;
                let rhs = self.eval(p, cx, e, frame)?;
                let v = inplace(cx, op, old, &rhs)?;
                self.set_global(p, cx, *i, v);
            }
            Tg::Index(obj, index) => {
                let obj = self.eval(p, cx, obj, frame)?;
                let index = self.eval(p, cx, index, frame)?;
                let old = get_item(cx, &obj, &index)?;
                let rhs = self.eval(p, cx, e, frame)?;
                let v = inplace(cx, op, old, &rhs)?;
                set_item(cx, &obj, index, v)?;
            }
            Tg::Tuple(_) => {
                return Err(Error::new(
                    "SyntaxError",
                    "illegal expression for augmented assignment",
                ))
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_lines, reason = "one arm per kind of expression")]
    fn eval(
        &mut self,
        p: &Arc<Program<S>>,
        cx: &mut Context<S>,
        e: &Ex,
        frame: &mut Vec<Value<S>>,
    ) -> R<Value<S>> {
        Ok(match e {
            Ex::Int(i) => Value::Int(*i),
            Ex::None => Value::None,
            Ex::Bool(b) => Value::Bool(*b),
            Ex::Const(i) => p.constants[*i].share(cx.token()),
            Ex::Local(i) => match &frame[*i] {
                Value::Unbound => {
                    return Err(Error::new(
                        "UnboundLocalError",
                        "local variable referenced before assignment",
                    ))
                }
                v => v.share(cx.token()),
            },
            Ex::Global(i) => self.global(p, cx, *i)?,
            Ex::Builtin(b) => Value::Builtin(*b),
            Ex::Tuple(items) => Value::Tuple(Shared::new(self.evals(p, cx, items, frame)?.into())),
            Ex::List(items) => Value::list(self.evals(p, cx, items, frame)?),
            Ex::Dict(pairs) => {
                let mut dict = Dict::new();
                for (k, v) in pairs {
                    let k = self.eval(p, cx, k, frame)?;
                    let v = self.eval(p, cx, v, frame)?;
                    dict.insert(k, v)?;
                }
                Value::dict(dict)
            }
            Ex::Bin(a, op, b) => {
                let a = self.eval(p, cx, a, frame)?;
                let b = self.eval(p, cx, b, frame)?;
                binop(cx, op, &a, &b)?
            }
            Ex::Unary(op, a) => {
                let a = self.eval(p, cx, a, frame)?;
                match (op, &a) {
                    (UnaryOp::Not, _) => Value::Bool(!a.truthy(cx)),
                    (UnaryOp::Neg, Value::Float(x)) => Value::float(-**x),
                    (UnaryOp::Pos, Value::Float(_)) => a,
                    (_, _) => match a.as_int() {
                        Some(i) if matches!(op, UnaryOp::Neg) => {
                            Value::Int(i.checked_neg().ok_or_else(overflow)?)
                        }
                        Some(i) => Value::Int(i),
                        None => {
                            return Err(Error::new(
                                "TypeError",
                                format!("bad operand type for unary operator: '{}'", a.type_name()),
                            ))
                        }
                    },
                }
            }
            Ex::Cmp(a, op, b) => {
                let a = self.eval(p, cx, a, frame)?;
                let b = self.eval(p, cx, b, frame)?;
                Value::Bool(compare(cx, op, &a, &b)?)
            }
            Ex::And(a, b) => {
                let a = self.eval(p, cx, a, frame)?;
                if a.truthy(cx) {
                    self.eval(p, cx, b, frame)?
                } else {
                    a
                }
            }
            Ex::Or(a, b) => {
                let a = self.eval(p, cx, a, frame)?;
                if a.truthy(cx) {
                    a
                } else {
                    self.eval(p, cx, b, frame)?
                }
            }
            Ex::IfElse(c, a, b) => {
                if self.eval(p, cx, c, frame)?.truthy(cx) {
                    self.eval(p, cx, a, frame)?
                } else {
                    self.eval(p, cx, b, frame)?
                }
            }
            Ex::Call(f, args, kwargs) => {
                let f = self.eval(p, cx, f, frame)?;
                let args = self.evals(p, cx, args, frame)?;
                let mut named = Vec::with_capacity(kwargs.len());
                for (k, v) in kwargs {
                    named.push((k.as_str(), self.eval(p, cx, v, frame)?));
                }
                self.call(p, cx, &f, args, named)?
            }
            Ex::Method(obj, name, args) => {
                let obj = self.eval(p, cx, obj, frame)?;
                let args = self.evals(p, cx, args, frame)?;
                Self::method(p, cx, &obj, name, args)?
            }
            Ex::Attr(obj, name) => {
                let obj = self.eval(p, cx, obj, frame)?;
                match (&obj, name.as_str()) {
                    (Value::Module(Module::Sys), "argv") => p.argv.share(cx.token()),
                    (Value::Module(Module::Threading), "Thread") => Value::Builtin(Builtin::Thread),
                    _ => return Err(no_attribute(&obj, name)),
                }
            }
            Ex::Index(obj, index) => {
                let obj = self.eval(p, cx, obj, frame)?;
                let index = self.eval(p, cx, index, frame)?;
                get_item(cx, &obj, &index)?
            }
        })
    }

    fn evals(
        &mut self,
        p: &Arc<Program<S>>,
        cx: &mut Context<S>,
        es: &[Ex],
        frame: &mut Vec<Value<S>>,
    ) -> R<Vec<Value<S>>> {
        es.iter().map(|e| self.eval(p, cx, e, frame)).collect()
    }

    fn call(
        &mut self,
        p: &Arc<Program<S>>,
        cx: &mut Context<S>,
        f: &Value<S>,
        args: Vec<Value<S>>,
        kwargs: Vec<(&str, Value<S>)>,
    ) -> R<Value<S>> {
        match f {
            Value::Func(index) => {
                let func = &p.code.functions[**index];
                if !kwargs.is_empty() || args.len() != func.params {
                    return Err(Error::new(
                        "TypeError",
                        format!(
                            "{}() takes {} positional arguments ({} given; keywords unsupported)",
                            func.name,
                            func.params,
                            args.len()
                        ),
                    ));
                }
                if self.depth >= MAX_DEPTH {
                    return Err(Error::new(
                        "RecursionError",
                        "maximum recursion depth exceeded",
                    ));
                }
                let mut frame = args;
                frame.resize_with(func.locals, || Value::Unbound);
                self.depth += 1;
                let flow = self.block(p, cx, &func.body, &mut frame);
                self.depth -= 1;
                Ok(match flow? {
                    Flow::Return(v) => v,
                    _ => Value::None,
                })
            }
            Value::Builtin(Builtin::Thread) => {
                let mut target = None;
                let mut targs = Vec::new();
                for (k, v) in kwargs {
                    match (k, v) {
                        ("target", v) => target = Some(v),
                        ("args", Value::Tuple(items)) => targs = share_all(&items, cx.token()),
                        ("args", Value::List(l)) => {
                            targs = l.with(cx, |items, t| share_all(items, t));
                        }
                        (k, _) => {
                            return Err(Error::new(
                                "TypeError",
                                format!("Thread() got an unsupported keyword '{k}'"),
                            ))
                        }
                    }
                }
                let target =
                    target.ok_or_else(|| Error::new("TypeError", "Thread() needs target="))?;
                let state = ThreadState {
                    start: Some((target, targs)),
                    handle: None,
                };
                Ok(Value::Thread(Shared::new(Locked::new(state))))
            }
            Value::Builtin(b) if kwargs.is_empty() => builtin(p, cx, *b, &args),
            other => Err(Error::new(
                "TypeError",
                format!(
                    "'{}' object is not callable (or takes no keywords)",
                    other.type_name()
                ),
            )),
        }
    }

    fn method(
        p: &Arc<Program<S>>,
        cx: &mut Context<S>,
        obj: &Value<S>,
        name: &str,
        mut args: Vec<Value<S>>,
    ) -> R<Value<S>> {
        match (obj, name, args.len()) {
            (Value::List(l), "append", 1) => {
                let item = args.pop().unwrap_or(Value::None);
                l.with(cx, |items, _| items.push(item));
                Ok(Value::None)
            }
            (Value::List(l), "pop", 0) => l
                .with(cx, |items, _| items.pop())
                .ok_or_else(|| Error::new("IndexError", "pop from empty list")),
            (Value::Dict(d), "get", 1 | 2) => {
                let default = if args.len() == 2 {
                    args.pop().unwrap_or(Value::None)
                } else {
                    Value::None
                };
                let key = args.pop().unwrap_or(Value::None);
                d.with(cx, |d, t| {
                    Ok(d.find(&key)?.map(|i| d.entries[i].1.share(t)))
                })
                .map(|found| found.unwrap_or(default))
            }
            (Value::Thread(state), "start", 0) => {
                let Some((target, targs)) = state.with(cx, |s, _| s.start.take()) else {
                    return Err(Error::new(
                        "RuntimeError",
                        "threads can only be started once",
                    ));
                };
                let program = p.clone();
                let handle = std::thread::Builder::new()
                    .stack_size(STACK_BYTES)
                    .spawn(move || thread_main(&program, &target, targs))
                    .map_err(|e| {
                        Error::new("RuntimeError", format!("can't start new thread: {e}"))
                    })?;
                state.with(cx, |s, _| s.handle = Some(handle));
                Ok(Value::None)
            }
            (Value::Thread(state), "join", 0) => {
                if let Some(handle) = state.with(cx, |s, _| s.handle.take()) {
                    // The thread may need the GIL to finish: wait with it released.
                    let ok = cx.detach(|| handle.join().unwrap_or(false));
                    if !ok {
                        p.failed.store(true, Ordering::Relaxed);
                    }
                }
                Ok(Value::None)
            }
            (Value::Module(Module::Gc), "collect", 0) => {
                // The collector needs the world stopped: the program's other threads each hold
                // the program.
                if Arc::strong_count(p) > 1 {
                    return Err(Error::new(
                        "RuntimeError",
                        "gc.collect() while other threads run: minipy's collector needs them stopped",
                    ));
                }
                Ok(Value::Int(
                    i64::try_from(cx.collect_cycles()).unwrap_or(i64::MAX),
                ))
            }
            (Value::Module(Module::Gc), "disable" | "enable", 0) => Ok(Value::None),
            _ => Err(no_attribute(obj, name)),
        }
    }
}

/// A started thread: runs its target in a context of its own, and reports an exception as
/// `CPython` does ("Exception in thread"), to standard error.
fn thread_main<S: Strategy>(p: &Arc<Program<S>>, target: &Value<S>, args: Vec<Value<S>>) -> bool {
    Context::enter(|cx| {
        let mut interp = Interp::new(p, cx);
        match interp.call(p, cx, target, args, Vec::new()) {
            Ok(_) => true,
            Err(e) => {
                eprintln!("Exception in thread: {e}");
                false
            }
        }
    })
}

#[allow(clippy::too_many_lines, reason = "one arm per builtin")]
fn builtin<S: Strategy>(
    p: &Program<S>,
    cx: &mut Context<S>,
    b: Builtin,
    args: &[Value<S>],
) -> R<Value<S>> {
    let one = |args: &[Value<S>]| -> R<()> {
        if args.len() == 1 {
            Ok(())
        } else {
            Err(Error::new(
                "TypeError",
                format!("{b:?}() takes exactly one argument"),
            ))
        }
    };
    Ok(match b {
        Builtin::Print => {
            let mut line = String::new();
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                a.write_str(cx, &mut line);
            }
            line.push('\n');
            match &p.out {
                Output::Stdout => {
                    use std::io::Write as _;
                    let _ = std::io::stdout().lock().write_all(line.as_bytes());
                }
                Output::Buffer(buffer) => buffer.lock().unwrap().push_str(&line),
            }
            Value::None
        }
        Builtin::Len => {
            one(args)?;
            let n = match &args[0] {
                Value::Str(s) => s.chars().count(),
                Value::Tuple(t) => t.len(),
                Value::List(l) => l.with(cx, |items, _| items.len()),
                Value::Dict(d) => d.with(cx, |d, _| d.len()),
                other => {
                    return Err(Error::new(
                        "TypeError",
                        format!("object of type '{}' has no len()", other.type_name()),
                    ))
                }
            };
            Value::Int(i64::try_from(n).map_err(|_| overflow())?)
        }
        Builtin::Range => {
            let bounds: Vec<i64> = args
                .iter()
                .map(|a| {
                    a.as_int()
                        .ok_or_else(|| Error::new("TypeError", "range() takes integers"))
                })
                .collect::<R<_>>()?;
            let (start, stop, step) = match bounds[..] {
                [stop] => (0, stop, 1),
                [start, stop] => (start, stop, 1),
                [start, stop, step] if step != 0 => (start, stop, step),
                _ => {
                    return Err(Error::new(
                        "TypeError",
                        "range() takes 1 to 3 integers, step not 0",
                    ))
                }
            };
            let mut items = Vec::new();
            let mut i = start;
            while (step > 0 && i < stop) || (step < 0 && i > stop) {
                items.push(Value::Int(i));
                i += step;
            }
            Value::list(items)
        }
        Builtin::Int => {
            one(args)?;
            match &args[0] {
                Value::Str(s) => Value::Int(s.trim().parse().map_err(|_| {
                    Error::new(
                        "ValueError",
                        format!("invalid literal for int(): '{}'", &**s),
                    )
                })?),
                Value::Float(x) if x.is_finite() && x.abs() < 9.2e18 =>
                {
                    #[allow(clippy::cast_possible_truncation, reason = "int() truncates, in range")]
                    Value::Int(x.trunc() as i64)
                }
                v => Value::Int(v.as_int().ok_or_else(|| {
                    Error::new(
                        "TypeError",
                        format!("int() can't convert '{}'", v.type_name()),
                    )
                })?),
            }
        }
        Builtin::Float => {
            one(args)?;
            match &args[0] {
                Value::Str(s) => Value::float(s.trim().parse().map_err(|_| {
                    Error::new(
                        "ValueError",
                        format!("could not convert string to float: '{}'", &**s),
                    )
                })?),
                v => Value::float(v.as_f64().ok_or_else(|| {
                    Error::new(
                        "TypeError",
                        format!("float() can't convert '{}'", v.type_name()),
                    )
                })?),
            }
        }
        Builtin::Str => {
            one(args)?;
            let mut s = String::new();
            args[0].write_str(cx, &mut s);
            Value::str(s)
        }
        Builtin::Abs => {
            one(args)?;
            match &args[0] {
                Value::Float(x) => Value::float(x.abs()),
                v => Value::Int(
                    v.as_int()
                        .ok_or_else(|| Error::new("TypeError", "bad operand type for abs()"))?
                        .checked_abs()
                        .ok_or_else(overflow)?,
                ),
            }
        }
        Builtin::Thread => return Err(Error::new("TypeError", "Thread() takes keywords")),
    })
}

fn no_attribute<S: Strategy>(obj: &Value<S>, name: &str) -> Error {
    Error::new(
        "AttributeError",
        format!(
            "'{}' object has no attribute '{name}' in minipy",
            obj.type_name()
        ),
    )
}
