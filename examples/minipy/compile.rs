//! Resolves the syntax tree for the evaluator: each name becomes a local slot, a global slot or a
//! builtin, string and float literals become immortal constants, and `for .. in range(..)` a
//! counting loop.
//!
//! Scoping is Python's without closures: in a function, a name assigned anywhere in its body (or a
//! parameter) is local; any other name is a module global, read-only from functions (there is no
//! `global` statement), or else a builtin.

use std::collections::{HashMap, HashSet};

use super::ast::{BinOp, CmpOp, Expr, Stmt, StmtKind, Target, UnaryOp};
use super::value::{Builtin, Module};

/// A resolved expression.
pub enum Ex {
    /// An int, `None` or a bool: no object.
    Int(i64),
    None,
    Bool(bool),
    /// An immortal constant: `Program::constants[i]`.
    Const(usize),
    Local(usize),
    Global(usize),
    Builtin(Builtin),
    Tuple(Vec<Ex>),
    List(Vec<Ex>),
    Dict(Vec<(Ex, Ex)>),
    Bin(Box<Ex>, BinOp, Box<Ex>),
    Unary(UnaryOp, Box<Ex>),
    Cmp(Box<Ex>, CmpOp, Box<Ex>),
    And(Box<Ex>, Box<Ex>),
    Or(Box<Ex>, Box<Ex>),
    IfElse(Box<Ex>, Box<Ex>, Box<Ex>),
    Call(Box<Ex>, Vec<Ex>, Vec<(String, Ex)>),
    /// `obj.name(args)`, without making a bound method.
    Method(Box<Ex>, String, Vec<Ex>),
    Attr(Box<Ex>, String),
    Index(Box<Ex>, Box<Ex>),
}

/// A resolved assignment target.
pub enum Tg {
    Local(usize),
    Global(usize),
    Index(Ex, Ex),
    Tuple(Vec<Tg>),
}

/// A resolved statement, with its line for errors.
pub struct St {
    pub line: u32,
    pub kind: Sk,
}

/// The kinds of resolved statement.
pub enum Sk {
    Expr(Ex),
    Assign(Tg, Ex),
    Aug(Tg, BinOp, Ex),
    If(Vec<(Ex, Vec<St>)>, Vec<St>),
    While(Ex, Vec<St>),
    /// `for t in range(start, stop, step)`, counting without a list.
    ForRange(Tg, [Ex; 3], Vec<St>),
    For(Tg, Ex, Vec<St>),
    /// `def`: binds function `Program::functions[i]`.
    Def(usize, Tg),
    Return(Option<Ex>),
    Break,
    Continue,
    Pass,
    Import(Module, Tg),
}

/// A compiled function.
pub struct Function {
    pub name: String,
    pub params: usize,
    pub locals: usize,
    pub body: Vec<St>,
}

/// A literal that becomes an immortal object.
pub enum Constant {
    Str(String),
    Float(f64),
}

/// A compiled program.
pub struct Compiled {
    pub body: Vec<St>,
    pub functions: Vec<Function>,
    pub constants: Vec<Constant>,
    pub globals: Vec<String>,
}

/// A compile error: a line and a message.
pub struct CompileError {
    pub line: u32,
    pub msg: String,
}

/// Resolves a parsed module.
pub fn compile(module: &[Stmt]) -> Result<Compiled, CompileError> {
    let mut assigned = Vec::new();
    collect_assigned(module, &mut assigned);
    let mut c = Compiler {
        globals: HashMap::new(),
        global_names: Vec::new(),
        functions: Vec::new(),
        constants: Vec::new(),
        module_assigned: assigned.into_iter().collect(),
    };
    let body = c.block(module, None)?;
    Ok(Compiled {
        body,
        functions: c.functions,
        constants: c.constants,
        globals: c.global_names,
    })
}

struct Compiler {
    globals: HashMap<String, usize>,
    global_names: Vec<String>,
    functions: Vec<Function>,
    constants: Vec<Constant>,
    /// Names the module assigns: they shadow the builtins.
    module_assigned: HashSet<String>,
}

/// A function's locals, by name.
type Scope = HashMap<String, usize>;

impl Compiler {
    fn global(&mut self, name: &str) -> usize {
        if let Some(&i) = self.globals.get(name) {
            return i;
        }
        self.global_names.push(name.to_owned());
        self.globals
            .insert(name.to_owned(), self.global_names.len() - 1);
        self.global_names.len() - 1
    }

    fn name(&mut self, name: &str, scope: Option<&Scope>) -> Ex {
        if let Some(&i) = scope.and_then(|s| s.get(name)) {
            return Ex::Local(i);
        }
        match Builtin::named(name) {
            Some(b) if !self.module_assigned.contains(name) => Ex::Builtin(b),
            _ => Ex::Global(self.global(name)),
        }
    }

    fn target(&mut self, t: &Target, scope: Option<&Scope>) -> Result<Tg, CompileError> {
        Ok(match t {
            Target::Name(n) => match scope.and_then(|s| s.get(n)) {
                Some(&i) => Tg::Local(i),
                None => Tg::Global(self.global(n)),
            },
            Target::Index(obj, index) => {
                Tg::Index(self.expr(obj, scope)?, self.expr(index, scope)?)
            }
            Target::Tuple(items) => Tg::Tuple(
                items
                    .iter()
                    .map(|t| self.target(t, scope))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    fn block(&mut self, body: &[Stmt], scope: Option<&Scope>) -> Result<Vec<St>, CompileError> {
        body.iter().map(|s| self.stmt(s, scope)).collect()
    }

    fn stmt(&mut self, s: &Stmt, scope: Option<&Scope>) -> Result<St, CompileError> {
        let kind = match &s.kind {
            StmtKind::Expr(e) => Sk::Expr(self.expr(e, scope)?),
            StmtKind::Assign(t, e) => Sk::Assign(self.target(t, scope)?, self.expr(e, scope)?),
            StmtKind::AugAssign(t, op, e) => {
                Sk::Aug(self.target(t, scope)?, op.clone(), self.expr(e, scope)?)
            }
            StmtKind::If(branches, orelse) => Sk::If(
                branches
                    .iter()
                    .map(|(c, b)| Ok((self.expr(c, scope)?, self.block(b, scope)?)))
                    .collect::<Result<_, _>>()?,
                self.block(orelse, scope)?,
            ),
            StmtKind::While(c, b) => Sk::While(self.expr(c, scope)?, self.block(b, scope)?),
            StmtKind::For(t, iter, b) => {
                let target = self.target(t, scope)?;
                let body = self.block(b, scope)?;
                match self.range_args(iter, scope)? {
                    Some(bounds) => Sk::ForRange(target, bounds, body),
                    None => Sk::For(target, self.expr(iter, scope)?, body),
                }
            }
            StmtKind::Def(name, params, body) => {
                let mut assigned = params.clone();
                collect_assigned(body, &mut assigned);
                let mut locals = Scope::new();
                for n in assigned {
                    let next = locals.len();
                    locals.entry(n).or_insert(next);
                }
                if locals.len() < params.len() {
                    return Err(CompileError {
                        line: s.line,
                        msg: format!("duplicate parameter in function '{name}'"),
                    });
                }
                let body = self.block(body, Some(&locals))?;
                self.functions.push(Function {
                    name: name.clone(),
                    params: params.len(),
                    locals: locals.len(),
                    body,
                });
                let target = self.target(&Target::Name(name.clone()), scope)?;
                Sk::Def(self.functions.len() - 1, target)
            }
            StmtKind::Return(e) => Sk::Return(e.as_ref().map(|e| self.expr(e, scope)).transpose()?),
            StmtKind::Break => Sk::Break,
            StmtKind::Continue => Sk::Continue,
            StmtKind::Pass => Sk::Pass,
            StmtKind::Import(name) => {
                let module = match name.as_str() {
                    "sys" => Module::Sys,
                    "threading" => Module::Threading,
                    "gc" => Module::Gc,
                    _ => {
                        return Err(CompileError {
                            line: s.line,
                            msg: format!(
                                "ModuleNotFoundError: no module named '{name}' (minipy has sys, \
                                 threading and gc)"
                            ),
                        })
                    }
                };
                Sk::Import(module, self.target(&Target::Name(name.clone()), scope)?)
            }
        };
        Ok(St { line: s.line, kind })
    }

    /// The bounds of `range(..)` if `iter` is a call of the builtin `range`.
    fn range_args(
        &mut self,
        iter: &Expr,
        scope: Option<&Scope>,
    ) -> Result<Option<[Ex; 3]>, CompileError> {
        let Expr::Call(f, args, kwargs) = iter else {
            return Ok(None);
        };
        let Expr::Name(name) = &**f else {
            return Ok(None);
        };
        if !matches!(self.name(name, scope), Ex::Builtin(Builtin::Range))
            || !kwargs.is_empty()
            || args.is_empty()
            || args.len() > 3
        {
            return Ok(None);
        }
        let mut args: Vec<Ex> = args
            .iter()
            .map(|a| self.expr(a, scope))
            .collect::<Result<_, _>>()?;
        if args.len() == 1 {
            args.insert(0, Ex::Int(0));
        }
        if args.len() == 2 {
            args.push(Ex::Int(1));
        }
        let [a, b, c]: [Ex; 3] = args.try_into().map_err(|_| CompileError {
            line: 0,
            msg: "range takes at most 3 arguments".into(),
        })?;
        Ok(Some([a, b, c]))
    }

    fn exprs(&mut self, es: &[Expr], scope: Option<&Scope>) -> Result<Vec<Ex>, CompileError> {
        es.iter().map(|e| self.expr(e, scope)).collect()
    }

    fn boxed(&mut self, e: &Expr, scope: Option<&Scope>) -> Result<Box<Ex>, CompileError> {
        Ok(Box::new(self.expr(e, scope)?))
    }

    fn expr(&mut self, e: &Expr, scope: Option<&Scope>) -> Result<Ex, CompileError> {
        Ok(match e {
            Expr::None => Ex::None,
            Expr::Bool(b) => Ex::Bool(*b),
            Expr::Int(i) => Ex::Int(*i),
            Expr::Float(x) => {
                self.constants.push(Constant::Float(*x));
                Ex::Const(self.constants.len() - 1)
            }
            Expr::Str(s) => {
                self.constants.push(Constant::Str(s.clone()));
                Ex::Const(self.constants.len() - 1)
            }
            Expr::Name(n) => self.name(n, scope),
            Expr::Tuple(items) => Ex::Tuple(self.exprs(items, scope)?),
            Expr::List(items) => Ex::List(self.exprs(items, scope)?),
            Expr::Dict(pairs) => Ex::Dict(
                pairs
                    .iter()
                    .map(|(k, v)| Ok((self.expr(k, scope)?, self.expr(v, scope)?)))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::BinOp(a, op, b) => {
                Ex::Bin(self.boxed(a, scope)?, op.clone(), self.boxed(b, scope)?)
            }
            Expr::Unary(op, a) => Ex::Unary(op.clone(), self.boxed(a, scope)?),
            Expr::Compare(a, op, b) => {
                Ex::Cmp(self.boxed(a, scope)?, op.clone(), self.boxed(b, scope)?)
            }
            Expr::And(a, b) => Ex::And(self.boxed(a, scope)?, self.boxed(b, scope)?),
            Expr::Or(a, b) => Ex::Or(self.boxed(a, scope)?, self.boxed(b, scope)?),
            Expr::IfElse(c, a, b) => Ex::IfElse(
                self.boxed(c, scope)?,
                self.boxed(a, scope)?,
                self.boxed(b, scope)?,
            ),
            Expr::Call(f, args, kwargs) => {
                let args = self.exprs(args, scope)?;
                if let (Expr::Attr(obj, name), true) = (&**f, kwargs.is_empty()) {
                    return Ok(Ex::Method(self.boxed(obj, scope)?, name.clone(), args));
                }
                let kwargs = kwargs
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.expr(v, scope)?)))
                    .collect::<Result<_, _>>()?;
                Ex::Call(self.boxed(f, scope)?, args, kwargs)
            }
            Expr::Attr(obj, name) => Ex::Attr(self.boxed(obj, scope)?, name.clone()),
            Expr::Index(obj, index) => {
                Ex::Index(self.boxed(obj, scope)?, self.boxed(index, scope)?)
            }
        })
    }
}

/// The names a block assigns (not looking into nested functions' bodies), in order.
fn collect_assigned(body: &[Stmt], out: &mut Vec<String>) {
    fn target(t: &Target, out: &mut Vec<String>) {
        match t {
            Target::Name(n) => out.push(n.clone()),
            Target::Index(..) => {}
            Target::Tuple(items) => items.iter().for_each(|t| target(t, out)),
        }
    }
    for s in body {
        match &s.kind {
            StmtKind::Assign(t, _) | StmtKind::AugAssign(t, _, _) => target(t, out),
            StmtKind::For(t, _, b) => {
                target(t, out);
                collect_assigned(b, out);
            }
            StmtKind::If(branches, orelse) => {
                for (_, b) in branches {
                    collect_assigned(b, out);
                }
                collect_assigned(orelse, out);
            }
            StmtKind::While(_, b) => collect_assigned(b, out),
            StmtKind::Def(name, _, _) | StmtKind::Import(name) => out.push(name.clone()),
            _ => {}
        }
    }
}
