//! The syntax tree of minipy, the Python subset: what `parser::parse` produces and the
//! evaluator runs.

/// One statement, with the line (1-based) of its first token.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// The line of the statement's first token, counting from 1.
    pub line: u32,
    /// What the statement is.
    pub kind: StmtKind,
}

/// The kinds of statement.
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect: `f(x)`, or a bare tuple `a, b`.
    Expr(Expr),
    /// `a = e`, `a[i] = e`, `a, b = e` (a chained `a = b = e` is a parse error).
    Assign(Target, Expr),
    /// `a += e`, `a[i] -= e`; the target is a `Name` or an `Index`, never a `Tuple`.
    AugAssign(Target, BinOp, Expr),
    /// The `if` and `elif` branches in order, each a condition and its body, then the `else`
    /// body (empty if there is none).
    If(Vec<(Expr, Vec<Stmt>)>, Vec<Stmt>),
    /// `while cond: body` (no `while`/`else`).
    While(Expr, Vec<Stmt>),
    /// `for target in iterable: body` (no `for`/`else`).
    For(Target, Expr, Vec<Stmt>),
    /// `def name(params): body`, positional parameters only, all distinct.
    Def(String, Vec<String>, Vec<Stmt>),
    /// `return` or `return e` (only inside a `def`).
    Return(Option<Expr>),
    /// `break` (only inside a loop of the same function).
    Break,
    /// `continue` (only inside a loop of the same function).
    Continue,
    /// `pass`.
    Pass,
    /// `import name`: one name, no dots.
    Import(String),
}

/// What an assignment or a `for` loop stores into.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A variable: `a`.
    Name(String),
    /// An item of a container: `container[index]`.
    Index(Expr, Expr),
    /// Unpacking: `a, b`, `(a, b)` or `[a, b]`, nested as written.
    Tuple(Vec<Target>),
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// A decimal integer literal (it fits in an `i64`; `-5` is `Unary(Neg, Int(5))`).
    Int(i64),
    /// A float literal: `1.5`, `.5`, `1e-3`, `2.`.
    Float(f64),
    /// A string literal, escapes resolved (adjacent literals are joined, as in Python).
    Str(String),
    /// A variable.
    Name(String),
    /// A tuple: `(a, b)`, `(a,)`, `()`, or a bare `a, b` where the grammar allows it.
    Tuple(Vec<Expr>),
    /// A list display: `[a, b]`.
    List(Vec<Expr>),
    /// A dict display: `{k: v, ...}`, pairs in source order.
    Dict(Vec<(Expr, Expr)>),
    /// A binary arithmetic operation.
    BinOp(Box<Expr>, BinOp, Box<Expr>),
    /// A unary operation: `-e`, `+e`, `not e`.
    Unary(UnaryOp, Box<Expr>),
    /// One comparison (a chained `a < b < c` is a parse error).
    Compare(Box<Expr>, CmpOp, Box<Expr>),
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// `body if cond else orelse`, stored as `IfElse(cond, body, orelse)`.
    IfElse(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A call: the callee, the positional arguments, then the keyword arguments in order.
    Call(Box<Expr>, Vec<Expr>, Vec<(String, Expr)>),
    /// An attribute: `e.name`.
    Attr(Box<Expr>, String),
    /// A subscript: `e[i]` (no slices; `e[a, b]` indexes with the tuple `(a, b)`).
    Index(Box<Expr>, Box<Expr>),
}

/// Binary arithmetic operators.
#[derive(Debug, Clone, PartialEq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `//`
    FloorDiv,
    /// `%`
    Mod,
    /// `**`
    Pow,
}

/// Unary operators.
#[derive(Debug, Clone, PartialEq)]
pub enum UnaryOp {
    /// `-e`
    Neg,
    /// `+e`
    Pos,
    /// `not e`
    Not,
}

/// Comparison operators.
#[derive(Debug, Clone, PartialEq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `not in`
    NotIn,
    /// `is`
    Is,
    /// `is not`
    IsNot,
}
