//! The operators of minipy's values: arithmetic, comparisons, indexing.
//!
//! A container's items are shared out of its lock before they are compared or combined, so no
//! two objects' locks are ever held together.

use gilkit::object::{Context, Shared, Strategy};

use super::ast::{BinOp, CmpOp};
use super::eval::Error;
use super::value::{share_all, Value};

type R<T> = Result<T, Error>;

/// An int result beyond 64 bits.
pub fn overflow() -> Error {
    Error::new("OverflowError", "int too large for minipy's 64-bit ints")
}

/// A list's index, counted from the end if negative.
fn list_index(len: usize, index: &Value<impl Strategy>) -> R<usize> {
    let i = index
        .as_int()
        .ok_or_else(|| Error::new("TypeError", "indices must be integers"))?;
    let len = i64::try_from(len).map_err(|_| overflow())?;
    let i = if i < 0 { i + len } else { i };
    if (0..len).contains(&i) {
        Ok(usize::try_from(i).unwrap_or(usize::MAX))
    } else {
        Err(Error::new("IndexError", "index out of range"))
    }
}

pub fn get_item<S: Strategy>(cx: &mut Context<S>, obj: &Value<S>, index: &Value<S>) -> R<Value<S>> {
    match obj {
        Value::List(l) => l.with(cx, |items, t| {
            Ok(items[list_index(items.len(), index)?].share(t))
        }),
        Value::Tuple(items) => Ok(items[list_index(items.len(), index)?].share(cx.token())),
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            Ok(Value::str(
                chars[list_index(chars.len(), index)?].to_string(),
            ))
        }
        Value::Dict(d) => d.with(cx, |d, t| match d.find(index)? {
            Some(i) => Ok(d.entries[i].1.share(t)),
            None => Err(Error::new("KeyError", "key not found")),
        }),
        other => Err(Error::new(
            "TypeError",
            format!("'{}' object is not subscriptable", other.type_name()),
        )),
    }
}

pub fn set_item<S: Strategy>(
    cx: &mut Context<S>,
    obj: &Value<S>,
    index: Value<S>,
    v: Value<S>,
) -> R<()> {
    let old = match obj {
        Value::List(l) => l.with(cx, |items, _| {
            let i = list_index(items.len(), &index)?;
            Ok(std::mem::replace(&mut items[i], v))
        })?,
        Value::Dict(d) => {
            d.with(cx, |d, _| d.insert(index, v))?;
            Value::None
        }
        other => {
            return Err(Error::new(
                "TypeError",
                format!(
                    "'{}' object does not support item assignment",
                    other.type_name()
                ),
            ))
        }
    };
    drop(old); // the old item goes outside the lock
    Ok(())
}

/// `a op= b`: a list's `+=` extends it in place, as Python's does; everything else is `a op b`.
pub fn inplace<S: Strategy>(
    cx: &mut Context<S>,
    op: &BinOp,
    a: Value<S>,
    b: &Value<S>,
) -> R<Value<S>> {
    if let (BinOp::Add, Value::List(l), Value::List(other)) = (op, &a, b) {
        let items = other.with(cx, |items, t| share_all(items, t));
        l.with(cx, |mine, _| mine.extend(items));
        return Ok(a);
    }
    binop(cx, op, &a, b)
}

pub fn binop<S: Strategy>(
    cx: &mut Context<S>,
    op: &BinOp,
    a: &Value<S>,
    b: &Value<S>,
) -> R<Value<S>> {
    if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
        return int_op(op, x, y);
    }
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return float_op(op, x, y).map(Value::float);
    }
    let repeat = |n: i64| usize::try_from(n.max(0)).unwrap_or(0);
    Ok(match (op, a, b) {
        (BinOp::Add, Value::Str(x), Value::Str(y)) => Value::str(format!("{}{}", &**x, &**y)),
        (BinOp::Mul, Value::Str(s), n) | (BinOp::Mul, n, Value::Str(s)) if n.as_int().is_some() => {
            Value::str(s.repeat(repeat(n.as_int().unwrap_or(0))))
        }
        (BinOp::Add, Value::List(x), Value::List(y)) => {
            let mut items = x.with(cx, |items, t| share_all(items, t));
            items.extend(y.with(cx, |items, t| share_all(items, t)));
            Value::list(items)
        }
        (BinOp::Mul, Value::List(l), n) if n.as_int().is_some() => {
            let items = l.with(cx, |items, t| share_all(items, t));
            let mut out = Vec::new();
            for _ in 0..repeat(n.as_int().unwrap_or(0)) {
                out.extend(items.iter().map(|v| v.share(cx.token())));
            }
            Value::list(out)
        }
        _ => {
            return Err(Error::new(
                "TypeError",
                format!(
                    "unsupported operand type(s) for {op:?}: '{}' and '{}'",
                    a.type_name(),
                    b.type_name()
                ),
            ))
        }
    })
}

fn int_op<S: Strategy>(op: &BinOp, x: i64, y: i64) -> R<Value<S>> {
    let zero = || Error::new("ZeroDivisionError", "integer division or modulo by zero");
    Ok(Value::Int(match op {
        BinOp::Add => x.checked_add(y).ok_or_else(overflow)?,
        BinOp::Sub => x.checked_sub(y).ok_or_else(overflow)?,
        BinOp::Mul => x.checked_mul(y).ok_or_else(overflow)?,
        BinOp::Div => {
            if y == 0 {
                return Err(Error::new("ZeroDivisionError", "division by zero"));
            }
            #[allow(
                clippy::cast_precision_loss,
                reason = "Python's true division rounds too"
            )]
            return Ok(Value::float(x as f64 / y as f64));
        }
        BinOp::FloorDiv => {
            if y == 0 {
                return Err(zero());
            }
            let q = x.checked_div(y).ok_or_else(overflow)?;
            if (x % y != 0) && ((x < 0) != (y < 0)) {
                q - 1
            } else {
                q
            }
        }
        BinOp::Mod => {
            if y == 0 {
                return Err(zero());
            }
            let r = x.checked_rem(y).ok_or_else(overflow)?;
            if r != 0 && ((r < 0) != (y < 0)) {
                r + y
            } else {
                r
            }
        }
        BinOp::Pow => match u32::try_from(y) {
            Ok(e) => x.checked_pow(e).ok_or_else(overflow)?,
            Err(_) if y < 0 => {
                #[allow(clippy::cast_precision_loss, reason = "a negative power is a float")]
                return float_op(op, x as f64, y as f64).map(Value::float);
            }
            Err(_) => return Err(overflow()),
        },
    }))
}

fn float_op(op: &BinOp, x: f64, y: f64) -> R<f64> {
    let zero = || Error::new("ZeroDivisionError", "float division by zero");
    Ok(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div | BinOp::FloorDiv | BinOp::Mod if y == 0.0 => return Err(zero()),
        BinOp::Div => x / y,
        BinOp::FloorDiv => (x / y).floor(),
        BinOp::Mod => {
            let r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r + y
            } else {
                r
            }
        }
        BinOp::Pow => {
            if x == 0.0 && y < 0.0 {
                return Err(Error::new(
                    "ZeroDivisionError",
                    "0.0 cannot be raised to a negative power",
                ));
            }
            x.powf(y)
        }
    })
}

pub fn compare<S: Strategy>(
    cx: &mut Context<S>,
    op: &CmpOp,
    a: &Value<S>,
    b: &Value<S>,
) -> R<bool> {
    Ok(match op {
        CmpOp::Eq => equal(cx, a, b),
        CmpOp::Ne => !equal(cx, a, b),
        CmpOp::Is => identical(a, b),
        CmpOp::IsNot => !identical(a, b),
        CmpOp::In => contains(cx, b, a)?,
        CmpOp::NotIn => !contains(cx, b, a)?,
        CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
            let ordering = match (a, b) {
                (Value::Str(x), Value::Str(y)) => x.cmp(y),
                _ => match (a.as_int(), b.as_int(), a.as_f64(), b.as_f64()) {
                    (Some(x), Some(y), _, _) => x.cmp(&y),
                    (_, _, Some(x), Some(y)) => x
                        .partial_cmp(&y)
                        .ok_or_else(|| Error::new("ValueError", "comparison with nan"))?,
                    _ => {
                        return Err(Error::new(
                            "TypeError",
                            format!(
                                "'<' not supported between instances of '{}' and '{}'",
                                a.type_name(),
                                b.type_name()
                            ),
                        ))
                    }
                },
            };
            match op {
                CmpOp::Lt => ordering.is_lt(),
                CmpOp::Le => ordering.is_le(),
                CmpOp::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            }
        }
    })
}

fn identical<S: Strategy>(a: &Value<S>, b: &Value<S>) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => Shared::ptr_eq(x, y),
        (Value::Str(x), Value::Str(y)) => Shared::ptr_eq(x, y),
        (Value::Tuple(x), Value::Tuple(y)) => Shared::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => Shared::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => Shared::ptr_eq(x, y),
        (Value::Func(x), Value::Func(y)) => Shared::ptr_eq(x, y),
        (Value::Thread(x), Value::Thread(y)) => Shared::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => x == y,
        (Value::Module(x), Value::Module(y)) => x == y,
        _ => false,
    }
}

#[allow(clippy::float_cmp, reason = "Python's `==` on floats is exact")]
/// `a == b`. A list's items are shared out of its lock before they are compared, so no two
/// locks are held together.
fn equal<S: Strategy>(cx: &mut Context<S>, a: &Value<S>, b: &Value<S>) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => **x == **y,
        (Value::List(x), Value::List(y)) => {
            if Shared::ptr_eq(x, y) {
                return true;
            }
            let xs = x.with(cx, |items, t| share_all(items, t));
            let ys = y.with(cx, |items, t| share_all(items, t));
            xs.len() == ys.len() && xs.iter().zip(&ys).all(|(a, b)| equal(cx, a, b))
        }
        (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| equal(cx, a, b))
        }
        _ => match (a.as_int(), b.as_int(), a.as_f64(), b.as_f64()) {
            (Some(x), Some(y), _, _) => x == y,
            (_, _, Some(x), Some(y)) => x == y,
            _ => identical(a, b),
        },
    }
}

/// `item in container`.
fn contains<S: Strategy>(cx: &mut Context<S>, container: &Value<S>, item: &Value<S>) -> R<bool> {
    Ok(match container {
        Value::Dict(d) => d.with(cx, |d, _| d.find(item))?.is_some(),
        Value::List(l) => {
            let items = l.with(cx, |items, t| share_all(items, t));
            items.iter().any(|v| equal(cx, v, item))
        }
        Value::Tuple(items) => items.iter().any(|v| equal(cx, v, item)),
        Value::Str(s) => match item {
            Value::Str(sub) => s.contains(&***sub),
            _ => {
                return Err(Error::new(
                    "TypeError",
                    "'in <string>' requires string as left operand",
                ))
            }
        },
        other => {
            return Err(Error::new(
                "TypeError",
                format!("argument of type '{}' is not iterable", other.type_name()),
            ))
        }
    })
}
