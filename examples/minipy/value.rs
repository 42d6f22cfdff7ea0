//! minipy's values: one object model for every strategy, written against `gilkit::object`.
//!
//! Heap objects are counted handles ([`Shared`]); the mutable ones (lists, dicts, threads) keep
//! their state behind their object's lock ([`Locked`]). Ints are unboxed `i64`s (as a tagged
//! pointer would be; overflow is an error, not a big int), floats are boxed as in `CPython`.

use std::fmt::Write as _;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::thread::JoinHandle;

use gilkit::object::{Context, Locked, Shared, Strategy, Token, Traverse};
use gilkit::refcount::Visitor;

use super::eval::Error;

/// A minipy value.
pub enum Value<S: Strategy> {
    /// A local read before it was assigned.
    Unbound,
    /// `None`.
    None,
    /// `True`, `False`.
    Bool(bool),
    /// An int, unboxed.
    Int(i64),
    /// A float, boxed.
    Float(Shared<S, f64>),
    /// A string.
    Str(Shared<S, Box<str>>),
    /// A tuple.
    Tuple(Shared<S, Box<[Value<S>]>>),
    /// A list: its items behind the list's lock.
    List(Shared<S, Locked<S, List<S>>>),
    /// A dict, behind its lock.
    Dict(Shared<S, Locked<S, Dict<S>>>),
    /// A function: an index into the program's functions.
    Func(Shared<S, usize>),
    /// A builtin function.
    Builtin(Builtin),
    /// `sys` or `threading`.
    Module(Module),
    /// A `threading.Thread`.
    Thread(Shared<S, Locked<S, ThreadState<S>>>),
}

/// The builtin functions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Builtin {
    /// `print(*args)`.
    Print,
    /// `len(x)`.
    Len,
    /// `range(..)`, outside a `for` (a list).
    Range,
    /// `int(x)`.
    Int,
    /// `float(x)`.
    Float,
    /// `str(x)`.
    Str,
    /// `abs(x)`.
    Abs,
    /// `threading.Thread(target=f, args=(..))`.
    Thread,
}

impl Builtin {
    /// The builtin of this name, if there is one (modules' members are not here).
    pub fn named(name: &str) -> Option<Builtin> {
        Some(match name {
            "print" => Builtin::Print,
            "len" => Builtin::Len,
            "range" => Builtin::Range,
            "int" => Builtin::Int,
            "float" => Builtin::Float,
            "str" => Builtin::Str,
            "abs" => Builtin::Abs,
            _ => return None,
        })
    }
}

/// The importable modules.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Module {
    /// `sys`: `argv`.
    Sys,
    /// `threading`: `Thread`.
    Threading,
    /// `gc`: `collect()` runs the cycle collector, which exists under `atomic` only (under `gil`
    /// and `biased` it returns 0, and a cycle leaks); `disable()` and `enable()` do nothing
    /// (minipy never collects by itself).
    Gc,
}

/// A list's items, and its mark in the count of live containers.
pub struct List<S: Strategy> {
    items: Vec<Value<S>>,
    _live: LiveMark,
}

impl<S: Strategy> List<S> {
    /// A list of `items`.
    pub fn new(items: Vec<Value<S>>) -> Self {
        List {
            items,
            _live: LiveMark::new(),
        }
    }
}

impl<S: Strategy> Deref for List<S> {
    type Target = Vec<Value<S>>;

    fn deref(&self) -> &Vec<Value<S>> {
        &self.items
    }
}

impl<S: Strategy> DerefMut for List<S> {
    fn deref_mut(&mut self) -> &mut Vec<Value<S>> {
        &mut self.items
    }
}

/// What the cycle collector sees of a list: its items (as `CPython`'s `list_traverse`).
impl<S: Strategy> Traverse<S> for List<S> {
    fn traverse(&self, visitor: &mut Visitor<'_>) {
        self.items.iter().for_each(|item| item.visit(visitor));
    }

    fn clear(&mut self) {
        self.items.clear();
    }
}

/// What the cycle collector sees of a dict: its keys and values.
impl<S: Strategy> Traverse<S> for Dict<S> {
    fn traverse(&self, visitor: &mut Visitor<'_>) {
        for (key, value) in &self.entries {
            key.visit(visitor);
            value.visit(visitor);
        }
    }

    fn clear(&mut self) {
        *self = Dict::new();
    }
}

/// Lists and dicts alive, counted from `count_live` on (the `--live` option): so that a leaked
/// cycle shows. The bench does not count (a shared counter would cost the threads a cache line).
static LIVE: AtomicIsize = AtomicIsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

/// Counts the lists and dicts made from now on while they live.
pub fn count_live() {
    COUNTING.store(true, Ordering::Relaxed);
}

/// How many counted lists and dicts are alive.
pub fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// A container's place in `LIVE`, if it was made while counting.
struct LiveMark(bool);

impl LiveMark {
    fn new() -> Self {
        let counted = COUNTING.load(Ordering::Relaxed);
        if counted {
            LIVE.fetch_add(1, Ordering::Relaxed);
        }
        LiveMark(counted)
    }
}

impl Drop for LiveMark {
    fn drop(&mut self) {
        if self.0 {
            LIVE.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// A thread object: what `start` runs, then the running thread.
pub struct ThreadState<S: Strategy> {
    /// The target and its arguments, until `start`.
    pub start: Option<(Value<S>, Vec<Value<S>>)>,
    /// The running thread, until `join`; it returns whether the target succeeded.
    pub handle: Option<JoinHandle<bool>>,
}

impl<S: Strategy> Value<S> {
    /// A new handle to the same value (an increment for a heap object).
    pub fn share(&self, t: Token<'_, S>) -> Value<S> {
        match self {
            Value::Unbound => Value::Unbound,
            Value::None => Value::None,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(x) => Value::Float(x.share(t)),
            Value::Str(s) => Value::Str(s.share(t)),
            Value::Tuple(x) => Value::Tuple(x.share(t)),
            Value::List(x) => Value::List(x.share(t)),
            Value::Dict(x) => Value::Dict(x.share(t)),
            Value::Func(x) => Value::Func(x.share(t)),
            Value::Builtin(b) => Value::Builtin(*b),
            Value::Module(m) => Value::Module(*m),
            Value::Thread(x) => Value::Thread(x.share(t)),
        }
    }

    /// A new float.
    pub fn float(x: f64) -> Value<S> {
        Value::Float(Shared::new(x))
    }

    /// A new string.
    pub fn str(s: impl Into<Box<str>>) -> Value<S> {
        Value::Str(Shared::new(s.into()))
    }

    /// A new list, tracked by the cycle collector.
    pub fn list(items: Vec<Value<S>>) -> Value<S> {
        Value::List(Shared::new_collected(Locked::new(List::new(items))))
    }

    /// A new dict, tracked by the cycle collector.
    pub fn dict(dict: Dict<S>) -> Value<S> {
        Value::Dict(Shared::new_collected(Locked::new(dict)))
    }

    /// Shows the cycle collector the object this value holds, if it is one.
    fn visit(&self, visitor: &mut Visitor<'_>) {
        match self {
            Value::Float(x) => x.visit(visitor),
            Value::Str(x) => x.visit(visitor),
            Value::Tuple(x) => x.visit(visitor),
            Value::List(x) => x.visit(visitor),
            Value::Dict(x) => x.visit(visitor),
            Value::Func(x) => x.visit(visitor),
            Value::Thread(x) => x.visit(visitor),
            Value::Unbound
            | Value::None
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Builtin(_)
            | Value::Module(_) => {}
        }
    }

    /// Python's type name, for errors.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Unbound => "unbound",
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Func(_) => "function",
            Value::Builtin(_) => "builtin_function_or_method",
            Value::Module(_) => "module",
            Value::Thread(_) => "Thread",
        }
    }

    /// Python's truth value.
    pub fn truthy(&self, cx: &mut Context<S>) -> bool {
        match self {
            Value::Unbound | Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(x) => **x != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Tuple(t) => !t.is_empty(),
            Value::List(l) => l.with(cx, |items, _| !items.is_empty()),
            Value::Dict(d) => d.with(cx, |d, _| d.len() != 0),
            _ => true,
        }
    }

    /// The number, as a float, if this is an int, a bool or a float.
    pub fn as_f64(&self) -> Option<f64> {
        #[allow(
            clippy::cast_precision_loss,
            reason = "Python's int to float conversion rounds too"
        )]
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Float(x) => Some(**x),
            _ => None,
        }
    }

    /// The int, if this is an int or a bool.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// `str(self)`, appended to `out`.
    pub fn write_str(&self, cx: &mut Context<S>, out: &mut String) {
        match self {
            Value::Str(s) => out.push_str(s),
            _ => self.write_repr(cx, out),
        }
    }

    /// `repr(self)`, appended to `out`. A container's items are shared out of its lock first, so
    /// no two locks are ever held together.
    pub fn write_repr(&self, cx: &mut Context<S>, out: &mut String) {
        match self {
            Value::Unbound => out.push_str("<unbound>"),
            Value::None => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(i) => write!(out, "{i}").unwrap(),
            Value::Float(x) => out.push_str(&float_repr(**x)),
            Value::Str(s) => str_repr(s, out),
            Value::Tuple(items) => {
                out.push('(');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_repr(cx, out);
                }
                out.push_str(if items.len() == 1 { ",)" } else { ")" });
            }
            Value::List(list) => {
                let items = list.with(cx, |items, t| share_all(items, t));
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_repr(cx, out);
                }
                out.push(']');
            }
            Value::Dict(dict) => {
                let entries = dict.with(cx, |d, t| {
                    d.entries
                        .iter()
                        .map(|(k, v)| (k.share(t), v.share(t)))
                        .collect::<Vec<_>>()
                });
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_repr(cx, out);
                    out.push_str(": ");
                    v.write_repr(cx, out);
                }
                out.push('}');
            }
            Value::Func(_) => out.push_str("<function>"),
            Value::Builtin(b) => write!(out, "<built-in function {b:?}>").unwrap(),
            Value::Module(m) => write!(out, "<module {m:?}>").unwrap(),
            Value::Thread(_) => out.push_str("<Thread>"),
        }
    }
}

/// New handles to every item, taken under the container's lock.
pub fn share_all<S: Strategy>(items: &[Value<S>], t: Token<'_, S>) -> Vec<Value<S>> {
    items.iter().map(|v| v.share(t)).collect()
}

/// Python's `repr` of a string: single quotes unless it holds one and no double quote.
fn str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                write!(out, "\\x{:02x}", c as u32).unwrap();
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's `repr` of a float: the shortest string that reads back to it, in fixed notation
/// between 1e-4 and 1e16 and in scientific notation outside.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let abs = x.abs();
    if abs == 0.0 || (1e-4..1e16).contains(&abs) {
        let s = format!("{x:?}");
        if s.contains('e') {
            // Rust switches to scientific notation at other bounds: write it out.
            format!("{x}")
        } else {
            s
        }
    } else {
        let s = format!("{x:e}"); // `1.5e-7`: Python writes `1.5e-07`
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
        format!("{mantissa}e{sign}{digits:0>2}")
    }
}

/// A dict: entries in insertion order, found through an open-addressing index of their hashes.
pub struct Dict<S: Strategy> {
    /// The entries, in insertion order (no deletion in minipy).
    pub entries: Vec<(Value<S>, Value<S>)>,
    /// Entry indices by hash, `u32::MAX` for an empty slot; its length is a power of two.
    table: Vec<u32>,
    _live: LiveMark,
}

impl<S: Strategy> Dict<S> {
    /// An empty dict.
    pub fn new() -> Self {
        Dict {
            entries: Vec::new(),
            table: vec![u32::MAX; 8],
            _live: LiveMark::new(),
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The index of `key`'s entry, if it has one.
    pub fn find(&self, key: &Value<S>) -> Result<Option<usize>, Error> {
        let hash = hash(key)?;
        let mask = self.table.len() - 1;
        let mut slot = usize::try_from(hash).unwrap_or(usize::MAX) & mask;
        loop {
            match self.table[slot] {
                u32::MAX => return Ok(None),
                i if key_eq(&self.entries[i as usize].0, key) => return Ok(Some(i as usize)),
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: Value<S>, value: Value<S>) -> Result<(), Error> {
        if let Some(i) = self.find(&key)? {
            self.entries[i].1 = value;
            return Ok(());
        }
        if (self.entries.len() + 1) * 3 > self.table.len() * 2 {
            self.grow()?;
        }
        let index = u32::try_from(self.entries.len())
            .map_err(|_| Error::new("MemoryError", "dict too large"))?;
        self.place(hash(&key)?, index);
        self.entries.push((key, value));
        Ok(())
    }

    fn place(&mut self, hash: u64, index: u32) {
        let mask = self.table.len() - 1;
        let mut slot = usize::try_from(hash).unwrap_or(usize::MAX) & mask;
        while self.table[slot] != u32::MAX {
            slot = (slot + 1) & mask;
        }
        self.table[slot] = index;
    }

    fn grow(&mut self) -> Result<(), Error> {
        self.table = vec![u32::MAX; self.table.len() * 2];
        for i in 0..self.entries.len() {
            let h = hash(&self.entries[i].0)?;
            self.place(h, u32::try_from(i).unwrap_or(u32::MAX));
        }
        Ok(())
    }
}

/// A hash of a hashable value: equal keys (`1`, `1.0`, `True`) hash alike.
fn hash<S: Strategy>(key: &Value<S>) -> Result<u64, Error> {
    fn mix(h: u64, x: u64) -> u64 {
        (h ^ x).wrapping_mul(0x0100_0000_01b3).rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15
    }
    #[allow(clippy::cast_sign_loss, reason = "a hash takes the bits")]
    Ok(match key {
        Value::None => 0x5eed,
        Value::Bool(b) => mix(0, u64::from(*b)),
        Value::Int(i) => mix(0, *i as u64),
        #[allow(
            clippy::cast_possible_truncation,
            reason = "only integral floats in range"
        )]
        Value::Float(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => mix(0, (**x as i64) as u64),
        Value::Float(x) => mix(1, x.to_bits()),
        Value::Str(s) => s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        }),
        Value::Tuple(items) => {
            let mut h = 0x7e57;
            for item in items.iter() {
                h = mix(h, hash(item)?);
            }
            h
        }
        other => {
            return Err(Error::new(
                "TypeError",
                format!("unhashable type: '{}'", other.type_name()),
            ))
        }
    })
}

#[allow(clippy::float_cmp, reason = "Python's `==` on floats is exact")]
/// Equality of two hashable keys.
fn key_eq<S: Strategy>(a: &Value<S>, b: &Value<S>) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => **x == **y,
        (Value::None, Value::None) => true,
        (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| key_eq(a, b))
        }
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => match (a.as_int(), b.as_int()) {
                (Some(i), Some(j)) => i == j,
                _ => x == y,
            },
            _ => false,
        },
    }
}
