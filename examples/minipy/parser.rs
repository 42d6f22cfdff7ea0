//! The minipy parser: turns the lexer's tokens into the syntax tree of `ast`.
//!
//! A recursive-descent parser (precedence climbing for the operators) with Python 3's
//! precedence. It never panics, and it caps nesting at [`MAX_DEPTH`] levels, so that neither
//! the parser nor a recursive walk of the tree it returns can overflow the stack: the parser's
//! recursion (blocks, brackets, operands) is at most that deep, and so is every tree it
//! returns, counting a statement's enclosing blocks plus the height of its expressions.

use std::fmt;

use super::ast::{BinOp, CmpOp, Expr, Stmt, StmtKind, Target, UnaryOp};
use super::lexer::{tokenize, Tok, Token};

/// The deepest nesting the parser accepts. 100 nested brackets parse, 101 do not; and for each
/// statement, the number of blocks around it plus the height of its expressions (the number of
/// nodes below the root of each, on the longest path) is at most this.
pub const MAX_DEPTH: u32 = 100;

/// A syntax error, with the position (1-based line and column) where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// The line, counting from 1.
    pub line: u32,
    /// The column in characters, counting from 1.
    pub col: u32,
    /// What is wrong.
    pub msg: String,
}

impl fmt::Display for ParseError {
    /// Writes `line L, column C: MSG`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.col, self.msg)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole minipy program into its statements.
///
/// ```ignore
/// let stmts = parser::parse("x = 1\nprint(x + 2)\n")?;
/// assert_eq!(stmts.len(), 2);
/// ```
///
/// # Errors
///
/// Returns the first lexical or syntax error in source order, including uses of Python
/// features that minipy does not have (slices, `;`, chained comparisons, ...).
pub fn parse(source: &str) -> Result<Vec<Stmt>, ParseError> {
    let mut parser = Parser {
        tokens: tokenize(source),
        pos: 0,
        depth: 0,
        blocks: 0,
        in_function: false,
        in_loop: false,
    };
    parser.file()
}

/// Stands in for a token past the end; `tokenize` always ends with `Eof` or `Error`, so it is
/// never actually used.
static END: Token = Token {
    tok: Tok::Eof,
    line: 0,
    col: 0,
};

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// The depth of the parser's recursion, checked against `MAX_DEPTH`.
    depth: u32,
    /// The number of blocks around the current statement.
    blocks: u32,
    /// Inside a `def` (so `return` is allowed).
    in_function: bool,
    /// Inside a loop of the current function (so `break` and `continue` are allowed).
    in_loop: bool,
}

impl Parser {
    // ----- tokens -----

    fn token(&self) -> &Token {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .unwrap_or(&END)
    }

    fn peek(&self) -> &Tok {
        &self.token().tok
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        self.tokens
            .get(self.pos + ahead)
            .map_or(&END.tok, |t| &t.tok)
    }

    fn at(&self, tok: &Tok) -> bool {
        self.peek() == tok
    }

    /// Moves to the next token; stays on the last one (`Eof` or `Error`).
    fn skip(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.at(tok) {
            self.skip();
            true
        } else {
            false
        }
    }

    // ----- errors and depth -----

    fn error_at(line: u32, col: u32, msg: impl Into<String>) -> ParseError {
        ParseError {
            line,
            col,
            msg: msg.into(),
        }
    }

    /// An error at the current token; if that token is a lexical error, that error instead.
    fn error_here(&self, msg: impl Into<String>) -> ParseError {
        let token = self.token();
        match &token.tok {
            Tok::Error(lex_msg) => Self::error_at(token.line, token.col, lex_msg.clone()),
            _ => Self::error_at(token.line, token.col, msg),
        }
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        self.error_here(format!("expected {expected}, found {}", self.peek()))
    }

    fn expect(&mut self, tok: &Tok, expected: &str) -> Result<(), ParseError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn expect_name(&mut self, expected: &str) -> Result<String, ParseError> {
        if let Tok::Name(name) = self.peek() {
            let name = name.clone();
            self.skip();
            Ok(name)
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn position(&self) -> (u32, u32) {
        let token = self.token();
        (token.line, token.col)
    }

    fn too_deep(&self) -> ParseError {
        self.error_here(format!("too deeply nested (more than {MAX_DEPTH} levels)"))
    }

    /// Goes one level deeper into the recursion (a block, a bracket, an operand); an error
    /// beyond `MAX_DEPTH`. Every `enter` is paired with a `leave` on success.
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.too_deep());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Wraps a new expression node of the given height, refusing it if the blocks around it
    /// and its height add up to more than `MAX_DEPTH`.
    fn node(&self, expr: Expr, height: u32) -> Result<Node, ParseError> {
        if self.blocks + height > MAX_DEPTH {
            return Err(self.too_deep());
        }
        Ok(Node {
            expr: Box::new(expr),
            height,
        })
    }

    // ----- statements -----

    fn file(&mut self) -> Result<Vec<Stmt>, ParseError> {
        let mut body = Vec::new();
        while !matches!(self.peek(), Tok::Eof) {
            self.statement(&mut body)?;
        }
        Ok(body)
    }

    // Statement functions append to `out` rather than return a `Stmt`: a `Stmt` is large, and
    // returning one through each level of nested blocks would cost stack in debug builds.

    /// Parses one statement and appends it to `out`.
    fn statement(&mut self, out: &mut Vec<Stmt>) -> Result<(), ParseError> {
        match self.peek() {
            Tok::If => self.if_stmt(out),
            Tok::While => self.while_stmt(out),
            Tok::For => self.for_stmt(out),
            Tok::Def => self.def_stmt(out),
            Tok::Indent => Err(self.error_here("unexpected indent")),
            Tok::Elif => Err(self.error_here("'elif' without a matching 'if'")),
            Tok::Else => Err(self.error_here("'else' without a matching 'if'")),
            _ => self.simple_line(out),
        }
    }

    /// A simple statement and the end of its line, appended to `out`.
    fn simple_line(&mut self, out: &mut Vec<Stmt>) -> Result<(), ParseError> {
        let line = self.token().line;
        let kind = self.simple_stmt()?;
        self.expect_newline()?;
        out.push(Stmt { line, kind });
        Ok(())
    }

    fn expect_newline(&mut self) -> Result<(), ParseError> {
        if self.eat(&Tok::Newline) {
            Ok(())
        } else {
            Err(self.unexpected("end of line"))
        }
    }

    /// A statement that fits on one line (without its newline).
    fn simple_stmt(&mut self) -> Result<StmtKind, ParseError> {
        match self.peek() {
            Tok::Pass => {
                self.skip();
                Ok(StmtKind::Pass)
            }
            Tok::Break | Tok::Continue => {
                if !self.in_loop {
                    return Err(self.error_here(format!("{} outside a loop", self.peek())));
                }
                let kind = if matches!(self.peek(), Tok::Break) {
                    StmtKind::Break
                } else {
                    StmtKind::Continue
                };
                self.skip();
                Ok(kind)
            }
            Tok::Return => {
                if !self.in_function {
                    return Err(self.error_here("'return' outside a function"));
                }
                self.skip();
                if matches!(self.peek(), Tok::Newline) {
                    Ok(StmtKind::Return(None))
                } else {
                    Ok(StmtKind::Return(Some(*self.exprlist()?.expr)))
                }
            }
            Tok::Import => {
                self.skip();
                let name = self.expect_name("a module name")?;
                match self.peek() {
                    Tok::Dot => Err(self.error_here("dotted module names are not supported")),
                    Tok::Comma => Err(self.error_here("import one module per 'import' statement")),
                    _ => Ok(StmtKind::Import(name)),
                }
            }
            Tok::If | Tok::While | Tok::For | Tok::Def => Err(self.error_here(format!(
                "{} cannot follow ':' on the same line",
                self.peek()
            ))),
            _ => self.expr_stmt(),
        }
    }

    /// An expression statement, an assignment or an augmented assignment.
    fn expr_stmt(&mut self) -> Result<StmtKind, ParseError> {
        let (line, col) = self.position();
        let lhs = *self.exprlist()?.expr;
        let op = match self.peek() {
            Tok::Assign => {
                let target = to_target(lhs, line, col)?;
                self.skip();
                let value = *self.exprlist()?.expr;
                if matches!(self.peek(), Tok::Assign) {
                    return Err(self.error_here("chained assignment (a = b = c) is not supported"));
                }
                return Ok(StmtKind::Assign(target, value));
            }
            Tok::PlusAssign => BinOp::Add,
            Tok::MinusAssign => BinOp::Sub,
            Tok::StarAssign => BinOp::Mul,
            Tok::SlashAssign => BinOp::Div,
            Tok::DoubleSlashAssign => BinOp::FloorDiv,
            Tok::PercentAssign => BinOp::Mod,
            _ => return Ok(StmtKind::Expr(lhs)),
        };
        if !matches!(lhs, Expr::Name(_) | Expr::Index(..)) {
            return Err(Self::error_at(
                line,
                col,
                format!(
                    "augmented assignment to {} is not possible (a name or an item only)",
                    describe(&lhs)
                ),
            ));
        }
        let target = to_target(lhs, line, col)?;
        self.skip();
        let value = *self.exprlist()?.expr;
        Ok(StmtKind::AugAssign(target, op, value))
    }

    /// The body after a `:`: an indented block, or one simple statement on the same line.
    fn block(&mut self) -> Result<Vec<Stmt>, ParseError> {
        self.expect(&Tok::Colon, "':'")?;
        self.enter()?;
        self.blocks += 1;
        let mut body = Vec::new();
        if self.eat(&Tok::Newline) {
            if !self.eat(&Tok::Indent) {
                return Err(self.error_here("expected an indented block"));
            }
            while !self.eat(&Tok::Dedent) {
                self.statement(&mut body)?;
            }
        } else {
            self.simple_line(&mut body)?;
        }
        self.blocks -= 1;
        self.leave();
        Ok(body)
    }

    /// A loop body: `break` and `continue` are allowed inside.
    fn loop_body(&mut self) -> Result<Vec<Stmt>, ParseError> {
        let outer = std::mem::replace(&mut self.in_loop, true);
        let body = self.block()?;
        self.in_loop = outer;
        if matches!(self.peek(), Tok::Else) {
            return Err(self.error_here("'else' after a loop is not supported"));
        }
        Ok(body)
    }

    /// A condition and the block after it, for `if` and `elif`.
    fn branch(&mut self) -> Result<(Expr, Vec<Stmt>), ParseError> {
        self.skip();
        let cond = self.expr()?;
        let body = self.block()?;
        Ok((cond, body))
    }

    fn if_stmt(&mut self, out: &mut Vec<Stmt>) -> Result<(), ParseError> {
        let line = self.token().line;
        let mut branches = vec![self.branch()?];
        while matches!(self.peek(), Tok::Elif) {
            branches.push(self.branch()?);
        }
        let orelse = if self.eat(&Tok::Else) {
            self.block()?
        } else {
            Vec::new()
        };
        out.push(Stmt {
            line,
            kind: StmtKind::If(branches, orelse),
        });
        Ok(())
    }

    fn while_stmt(&mut self, out: &mut Vec<Stmt>) -> Result<(), ParseError> {
        let line = self.token().line;
        self.skip();
        let cond = self.expr()?;
        let body = self.loop_body()?;
        out.push(Stmt {
            line,
            kind: StmtKind::While(cond, body),
        });
        Ok(())
    }

    fn for_stmt(&mut self, out: &mut Vec<Stmt>) -> Result<(), ParseError> {
        let line = self.token().line;
        self.skip();
        let target = self.for_target()?;
        self.expect(&Tok::In, "'in'")?;
        let iter = *self.exprlist()?.expr;
        let body = self.loop_body()?;
        out.push(Stmt {
            line,
            kind: StmtKind::For(target, iter, body),
        });
        Ok(())
    }

    /// The target of a `for`, up to its `in`. Targets are parsed as postfix expressions, so
    /// that `in` is not read as a comparison.
    fn for_target(&mut self) -> Result<Target, ParseError> {
        let (line, col) = self.position();
        let first = *self.postfix()?.expr;
        let targets = if matches!(self.peek(), Tok::Comma) {
            let mut items = vec![first];
            while self.eat(&Tok::Comma) {
                if matches!(self.peek(), Tok::In) {
                    break;
                }
                items.push(*self.postfix()?.expr);
            }
            Expr::Tuple(items)
        } else {
            first
        };
        to_target(targets, line, col)
    }

    fn def_stmt(&mut self, out: &mut Vec<Stmt>) -> Result<(), ParseError> {
        let line = self.token().line;
        self.skip();
        let name = self.expect_name("a function name")?;
        let params = self.params()?;
        let outer = (self.in_function, self.in_loop);
        (self.in_function, self.in_loop) = (true, false);
        let body = self.block()?;
        (self.in_function, self.in_loop) = outer;
        out.push(Stmt {
            line,
            kind: StmtKind::Def(name, params, body),
        });
        Ok(())
    }

    /// The parameter list of a `def`, from its `(` to its `)`.
    fn params(&mut self) -> Result<Vec<String>, ParseError> {
        self.expect(&Tok::LParen, "'('")?;
        let mut params: Vec<String> = Vec::new();
        while !self.eat(&Tok::RParen) {
            if matches!(self.peek(), Tok::Star | Tok::DoubleStar) {
                return Err(self.error_here("*args and **kwargs parameters are not supported"));
            }
            let (line, col) = self.position();
            let param = self.expect_name("a parameter name or ')'")?;
            if params.contains(&param) {
                return Err(Self::error_at(
                    line,
                    col,
                    format!("duplicate parameter '{param}'"),
                ));
            }
            params.push(param);
            match self.peek() {
                Tok::Assign => {
                    return Err(self.error_here("default parameter values are not supported"))
                }
                Tok::Colon => {
                    return Err(self.error_here("parameter annotations are not supported"))
                }
                _ => {}
            }
            if !self.eat(&Tok::Comma) {
                self.expect(&Tok::RParen, "',' or ')'")?;
                break;
            }
        }
        Ok(params)
    }

    // ----- expressions -----
    //
    // Each function returns a `Node`: the expression, boxed (the tree stores boxes anyway, and a
    // small return value keeps debug builds' frames small), and its height, so that `node` can
    // cap the depth of the tree.

    /// Whether the current token can start an expression.
    fn starts_expr(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Name(_)
                | Tok::Int(_)
                | Tok::Float(_)
                | Tok::Str(_)
                | Tok::None
                | Tok::True
                | Tok::False
                | Tok::LParen
                | Tok::LBracket
                | Tok::LBrace
                | Tok::Minus
                | Tok::Plus
                | Tok::Not
                | Tok::Star
        )
    }

    /// Expressions separated by commas; more than one, or a trailing comma, make a tuple.
    fn exprlist(&mut self) -> Result<Node, ParseError> {
        let first = self.binary(TERNARY)?;
        if !matches!(self.peek(), Tok::Comma) {
            return Ok(first);
        }
        let mut height = first.height;
        let mut items = vec![*first.expr];
        while self.eat(&Tok::Comma) {
            if !self.starts_expr() {
                break;
            }
            let item = self.binary(TERNARY)?;
            height = height.max(item.height);
            items.push(*item.expr);
        }
        self.node(Expr::Tuple(items), height + 1)
    }

    /// A full expression, conditional expressions included.
    fn expr(&mut self) -> Result<Expr, ParseError> {
        Ok(*self.binary(TERNARY)?.expr)
    }

    /// The binary operator at the current token, if any: the operator, its precedence and the
    /// number of tokens it takes (`not in` and `is not` take two).
    fn binary_op(&self) -> Option<(Op, u8, usize)> {
        let found = match self.peek() {
            Tok::Or => (Op::Or, OR, 1),
            Tok::And => (Op::And, AND, 1),
            Tok::EqEq => (Op::Cmp(CmpOp::Eq), CMP, 1),
            Tok::NotEq => (Op::Cmp(CmpOp::Ne), CMP, 1),
            Tok::Lt => (Op::Cmp(CmpOp::Lt), CMP, 1),
            Tok::Le => (Op::Cmp(CmpOp::Le), CMP, 1),
            Tok::Gt => (Op::Cmp(CmpOp::Gt), CMP, 1),
            Tok::Ge => (Op::Cmp(CmpOp::Ge), CMP, 1),
            Tok::In => (Op::Cmp(CmpOp::In), CMP, 1),
            Tok::Is if matches!(self.peek_at(1), Tok::Not) => (Op::Cmp(CmpOp::IsNot), CMP, 2),
            Tok::Is => (Op::Cmp(CmpOp::Is), CMP, 1),
            Tok::Not if matches!(self.peek_at(1), Tok::In) => (Op::Cmp(CmpOp::NotIn), CMP, 2),
            Tok::Plus => (Op::Bin(BinOp::Add), ARITH, 1),
            Tok::Minus => (Op::Bin(BinOp::Sub), ARITH, 1),
            Tok::Star => (Op::Bin(BinOp::Mul), TERM, 1),
            Tok::Slash => (Op::Bin(BinOp::Div), TERM, 1),
            Tok::DoubleSlash => (Op::Bin(BinOp::FloorDiv), TERM, 1),
            Tok::Percent => (Op::Bin(BinOp::Mod), TERM, 1),
            Tok::DoubleStar => (Op::Bin(BinOp::Pow), POW, 1),
            _ => return None,
        };
        Some(found)
    }

    /// An expression whose operators are all of precedence `min` or tighter, by precedence
    /// climbing. From loosest to tightest: `x if c else y` (only when `min` is `TERNARY`), `or`,
    /// `and`, `not`, comparisons, `+ -`, `* / // %`, unary `- +`, `**`.
    ///
    /// Binary operators are left-associative, except `**`: its right operand is parsed at the
    /// unary level, so `2 ** 3 ** 2` is `2 ** (3 ** 2)` and `2 ** -1` works, and the operand of
    /// a unary minus is parsed at that level too, so `-2 ** 2` is `-(2 ** 2)`. A comparison
    /// right after a comparison is refused (no chains).
    fn binary(&mut self, min: u8) -> Result<Node, ParseError> {
        let mut lhs = match self.peek() {
            Tok::Not if min <= NOT => self.prefix(UnaryOp::Not, NOT)?,
            Tok::Minus => self.prefix(UnaryOp::Neg, UNARY)?,
            Tok::Plus => self.prefix(UnaryOp::Pos, UNARY)?,
            _ => self.postfix()?,
        };
        loop {
            if min == TERNARY && matches!(self.peek(), Tok::If) {
                return self.conditional(lhs);
            }
            let Some((op, prec, width)) = self.binary_op() else {
                break;
            };
            if prec < min {
                break;
            }
            for _ in 0..width {
                self.skip();
            }
            self.enter()?;
            let rhs = self.binary(if prec == POW { UNARY } else { prec + 1 })?;
            self.leave();
            let height = lhs.height.max(rhs.height) + 1;
            lhs = self.node(combine(lhs.expr, op, rhs.expr), height)?;
            if prec == CMP && self.binary_op().is_some_and(|(_, p, _)| p == CMP) {
                return Err(
                    self.error_here("chained comparisons (a < b < c) are not supported; use 'and'")
                );
            }
        }
        Ok(lhs)
    }

    /// A unary operator (the current token) and its operand, parsed at level `operand_min`.
    fn prefix(&mut self, op: UnaryOp, operand_min: u8) -> Result<Node, ParseError> {
        self.skip();
        self.enter()?;
        let operand = self.binary(operand_min)?;
        self.leave();
        self.node(Expr::Unary(op, operand.expr), operand.height + 1)
    }

    /// The rest of `body if cond else orelse`, from the `if`.
    fn conditional(&mut self, body: Node) -> Result<Node, ParseError> {
        self.skip();
        self.enter()?;
        let cond = self.binary(OR)?;
        if !matches!(self.peek(), Tok::Else) {
            return Err(self.unexpected("'else' in the conditional expression"));
        }
        self.skip();
        let orelse = self.binary(TERNARY)?;
        self.leave();
        let height = body.height.max(cond.height).max(orelse.height) + 1;
        self.node(Expr::IfElse(cond.expr, body.expr, orelse.expr), height)
    }

    /// An atom followed by calls, subscripts and attributes.
    fn postfix(&mut self) -> Result<Node, ParseError> {
        let mut node = self.atom()?;
        loop {
            node = match self.peek() {
                Tok::LParen => self.call(node)?,
                Tok::LBracket => self.subscript(node)?,
                Tok::Dot => self.attribute(node)?,
                _ => return Ok(node),
            };
        }
    }

    /// A call of `callee`, from its `(` to its `)`.
    fn call(&mut self, callee: Node) -> Result<Node, ParseError> {
        self.skip();
        self.enter()?;
        let mut height = callee.height;
        let mut args = Vec::new();
        let mut kwargs: Vec<(String, Expr)> = Vec::new();
        while !self.eat(&Tok::RParen) {
            if matches!(self.peek(), Tok::Star | Tok::DoubleStar) {
                return Err(self.error_here("argument unpacking (*, **) is not supported"));
            }
            if let (Tok::Name(name), Tok::Assign) = (self.peek(), self.peek_at(1)) {
                let name = name.clone();
                if kwargs.iter().any(|(k, _)| *k == name) {
                    return Err(self.error_here(format!("keyword argument '{name}' repeated")));
                }
                self.skip();
                self.skip();
                let value = self.binary(TERNARY)?;
                height = height.max(value.height);
                kwargs.push((name, *value.expr));
            } else {
                if !kwargs.is_empty() {
                    return Err(self.error_here("positional argument follows keyword argument"));
                }
                let arg = self.binary(TERNARY)?;
                self.refuse_comprehension()?;
                height = height.max(arg.height);
                args.push(*arg.expr);
            }
            if !self.eat(&Tok::Comma) {
                self.expect(&Tok::RParen, "',' or ')'")?;
                break;
            }
        }
        self.leave();
        self.node(Expr::Call(callee.expr, args, kwargs), height + 1)
    }

    /// A subscript of `container`, from its `[` to its `]`.
    fn subscript(&mut self, container: Node) -> Result<Node, ParseError> {
        self.skip();
        self.enter()?;
        if matches!(self.peek(), Tok::Colon) {
            return Err(self.error_here("slices are not supported"));
        }
        let index = self.exprlist()?;
        if matches!(self.peek(), Tok::Colon) {
            return Err(self.error_here("slices are not supported"));
        }
        self.expect(&Tok::RBracket, "']'")?;
        self.leave();
        let height = container.height.max(index.height) + 1;
        self.node(Expr::Index(container.expr, index.expr), height)
    }

    /// An attribute of `object`, from its `.`.
    fn attribute(&mut self, object: Node) -> Result<Node, ParseError> {
        self.skip();
        let name = self.expect_name("an attribute name")?;
        self.node(Expr::Attr(object.expr, name), object.height + 1)
    }

    fn refuse_comprehension(&self) -> Result<(), ParseError> {
        if matches!(self.peek(), Tok::For) {
            return Err(
                self.error_here("comprehensions and generator expressions are not supported")
            );
        }
        Ok(())
    }

    fn atom(&mut self) -> Result<Node, ParseError> {
        let expr = match self.peek() {
            Tok::Name(name) => Expr::Name(name.clone()),
            Tok::Int(n) => Expr::Int(*n),
            Tok::Float(x) => Expr::Float(*x),
            Tok::Str(_) => self.strings(),
            Tok::None => Expr::None,
            Tok::True => Expr::Bool(true),
            Tok::False => Expr::Bool(false),
            Tok::LParen => return self.bracketed(false),
            Tok::LBracket => return self.bracketed(true),
            Tok::LBrace => return self.dict(),
            Tok::Star => return Err(self.error_here("unpacking with '*' is not supported")),
            _ => return Err(self.unexpected("an expression")),
        };
        self.skip();
        self.node(expr, 0)
    }

    /// Adjacent string literals, joined into one string as in Python; stops on the last one.
    fn strings(&mut self) -> Expr {
        let mut text = String::new();
        while let Tok::Str(s) = self.peek() {
            text.push_str(s);
            if !matches!(self.peek_at(1), Tok::Str(_)) {
                break;
            }
            self.skip();
        }
        Expr::Str(text)
    }

    /// A parenthesized expression or a tuple, or a list if `is_list`; from the opening bracket.
    fn bracketed(&mut self, is_list: bool) -> Result<Node, ParseError> {
        self.skip();
        self.enter()?;
        let close = if is_list {
            &Tok::RBracket
        } else {
            &Tok::RParen
        };
        let mut height = 0;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        while !self.eat(close) {
            let item = self.binary(TERNARY)?;
            self.refuse_comprehension()?;
            height = height.max(item.height);
            items.push(*item.expr);
            trailing_comma = self.eat(&Tok::Comma);
            if !trailing_comma {
                self.expect(close, if is_list { "',' or ']'" } else { "',' or ')'" })?;
                break;
            }
        }
        self.leave();
        if is_list {
            self.node(Expr::List(items), height + 1)
        } else if items.len() == 1 && !trailing_comma {
            // Parentheses around one expression make no node.
            self.node(items.pop().unwrap_or(Expr::None), height)
        } else {
            self.node(Expr::Tuple(items), height + 1)
        }
    }

    /// A dict display, from its `{`.
    fn dict(&mut self) -> Result<Node, ParseError> {
        self.skip();
        self.enter()?;
        let mut height = 0;
        let mut pairs = Vec::new();
        while !self.eat(&Tok::RBrace) {
            let key = self.binary(TERNARY)?;
            self.refuse_comprehension()?;
            if matches!(self.peek(), Tok::Comma | Tok::RBrace) {
                return Err(self.error_here("set displays are not supported"));
            }
            self.expect(&Tok::Colon, "':'")?;
            let value = self.binary(TERNARY)?;
            self.refuse_comprehension()?;
            height = height.max(key.height).max(value.height);
            pairs.push((*key.expr, *value.expr));
            if !self.eat(&Tok::Comma) {
                self.expect(&Tok::RBrace, "',' or '}'")?;
                break;
            }
        }
        self.leave();
        self.node(Expr::Dict(pairs), height + 1)
    }
}

/// An expression being built, and its height: the number of nodes below it on its longest
/// path down to a leaf (0 for a name or a literal).
struct Node {
    expr: Box<Expr>,
    height: u32,
}

/// The binary operators, as `Parser::binary` finds them.
enum Op {
    Or,
    And,
    Cmp(CmpOp),
    Bin(BinOp),
}

// Precedence levels, loosest first (`not` and unary `- +` are prefix operators).
const TERNARY: u8 = 0;
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const ARITH: u8 = 5;
const TERM: u8 = 6;
const UNARY: u8 = 7;
const POW: u8 = 8;

/// Builds the expression `lhs op rhs`.
fn combine(lhs: Box<Expr>, op: Op, rhs: Box<Expr>) -> Expr {
    match op {
        Op::Or => Expr::Or(lhs, rhs),
        Op::And => Expr::And(lhs, rhs),
        Op::Cmp(op) => Expr::Compare(lhs, op, rhs),
        Op::Bin(op) => Expr::BinOp(lhs, op, rhs),
    }
}

/// Describes an expression for error messages about assignment.
fn describe(expr: &Expr) -> &'static str {
    match expr {
        Expr::None | Expr::Bool(_) | Expr::Int(_) | Expr::Float(_) | Expr::Str(_) => "a literal",
        Expr::Name(_) => "a name",
        Expr::Tuple(_) => "a tuple",
        Expr::List(_) => "a list",
        Expr::Dict(_) => "a dict display",
        Expr::BinOp(..) | Expr::Unary(..) => "an operator expression",
        Expr::Compare(..) => "a comparison",
        Expr::And(..) | Expr::Or(..) => "a boolean expression",
        Expr::IfElse(..) => "a conditional expression",
        Expr::Call(..) => "a function call",
        Expr::Attr(..) => "an attribute",
        Expr::Index(..) => "an item",
    }
}

/// Turns the left side of `=` (or a `for` target) into a `Target`; `line` and `col` are where it
/// starts.
fn to_target(expr: Expr, line: u32, col: u32) -> Result<Target, ParseError> {
    match expr {
        Expr::Name(name) => Ok(Target::Name(name)),
        Expr::Index(container, index) => Ok(Target::Index(*container, *index)),
        Expr::Tuple(items) | Expr::List(items) => items
            .into_iter()
            .map(|item| to_target(item, line, col))
            .collect::<Result<_, _>>()
            .map(Target::Tuple),
        Expr::Attr(..) => Err(Parser::error_at(
            line,
            col,
            "assignment to an attribute is not supported",
        )),
        other => Err(Parser::error_at(
            line,
            col,
            format!("cannot assign to {}", describe(&other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(src: &str) -> Vec<Stmt> {
        match parse(src) {
            Ok(stmts) => stmts,
            Err(e) => panic!("{src:?} failed: {e}"),
        }
    }

    fn parse_err(src: &str) -> ParseError {
        match parse(src) {
            Ok(stmts) => panic!("{src:?} parsed: {stmts:?}"),
            Err(e) => e,
        }
    }

    /// Asserts that `src` fails with a message containing `part`.
    fn assert_err(src: &str, part: &str) {
        let e = parse_err(src);
        assert!(e.msg.contains(part), "{src:?}: {e} (wanted {part:?})");
    }

    /// The expression of a one-statement program.
    fn expr(src: &str) -> Expr {
        let mut stmts = parse_ok(src);
        match stmts.pop().map(|s| s.kind) {
            Some(StmtKind::Expr(e)) if stmts.is_empty() => e,
            other => panic!("{src:?}: not one expression statement: {other:?}"),
        }
    }

    fn name(n: &str) -> Expr {
        Expr::Name(n.into())
    }

    fn int(n: i64) -> Expr {
        Expr::Int(n)
    }

    fn bin(a: Expr, op: BinOp, b: Expr) -> Expr {
        Expr::BinOp(Box::new(a), op, Box::new(b))
    }

    fn un(op: UnaryOp, a: Expr) -> Expr {
        Expr::Unary(op, Box::new(a))
    }

    fn cmp(a: Expr, op: CmpOp, b: Expr) -> Expr {
        Expr::Compare(Box::new(a), op, Box::new(b))
    }

    fn call(f: Expr, args: Vec<Expr>) -> Expr {
        Expr::Call(Box::new(f), args, Vec::new())
    }

    fn stmt(line: u32, kind: StmtKind) -> Stmt {
        Stmt { line, kind }
    }

    #[test]
    fn arithmetic_precedence_and_associativity() {
        assert_eq!(
            expr("1 + 2 * 3"),
            bin(int(1), BinOp::Add, bin(int(2), BinOp::Mul, int(3)))
        );
        assert_eq!(
            expr("1 - 2 - 3"),
            bin(bin(int(1), BinOp::Sub, int(2)), BinOp::Sub, int(3))
        );
        assert_eq!(
            expr("a // b % c / d"),
            bin(
                bin(
                    bin(name("a"), BinOp::FloorDiv, name("b")),
                    BinOp::Mod,
                    name("c")
                ),
                BinOp::Div,
                name("d")
            )
        );
        assert_eq!(
            expr("(1 + 2) * 3"),
            bin(bin(int(1), BinOp::Add, int(2)), BinOp::Mul, int(3))
        );
        assert_eq!(
            expr("2 ** 3 ** 2"),
            bin(int(2), BinOp::Pow, bin(int(3), BinOp::Pow, int(2)))
        );
        assert_eq!(
            expr("-2 ** 2"),
            un(UnaryOp::Neg, bin(int(2), BinOp::Pow, int(2)))
        );
        assert_eq!(
            expr("2 ** -1"),
            bin(int(2), BinOp::Pow, un(UnaryOp::Neg, int(1)))
        );
        assert_eq!(
            expr("a * -b"),
            bin(name("a"), BinOp::Mul, un(UnaryOp::Neg, name("b")))
        );
        assert_eq!(expr("- + x"), un(UnaryOp::Neg, un(UnaryOp::Pos, name("x"))));
        assert_eq!(
            expr("-x ** 0.5"),
            un(UnaryOp::Neg, bin(name("x"), BinOp::Pow, Expr::Float(0.5)))
        );
        assert_eq!(
            expr("-f(1)[2].y"),
            un(
                UnaryOp::Neg,
                Expr::Attr(
                    Box::new(Expr::Index(
                        Box::new(call(name("f"), vec![int(1)])),
                        Box::new(int(2))
                    )),
                    "y".into()
                )
            )
        );
    }

    #[test]
    fn boolean_comparison_and_conditional_precedence() {
        let (a, b, c) = (name("a"), name("b"), name("c"));
        assert_eq!(
            expr("a or b and c"),
            Expr::Or(
                Box::new(a.clone()),
                Box::new(Expr::And(Box::new(b.clone()), Box::new(c.clone())))
            )
        );
        assert_eq!(
            expr("a or b or c"),
            Expr::Or(
                Box::new(Expr::Or(Box::new(a.clone()), Box::new(b.clone()))),
                Box::new(c.clone())
            )
        );
        assert_eq!(
            expr("not a == b"),
            un(UnaryOp::Not, cmp(a.clone(), CmpOp::Eq, b.clone()))
        );
        assert_eq!(
            expr("not a and b"),
            Expr::And(Box::new(un(UnaryOp::Not, a.clone())), Box::new(b.clone()))
        );
        assert_eq!(
            expr("not not a"),
            un(UnaryOp::Not, un(UnaryOp::Not, a.clone()))
        );
        assert_eq!(
            expr("a + 1 < b * 2"),
            cmp(
                bin(a.clone(), BinOp::Add, int(1)),
                CmpOp::Lt,
                bin(b.clone(), BinOp::Mul, int(2))
            )
        );
        let ops = [
            ("==", CmpOp::Eq),
            ("!=", CmpOp::Ne),
            ("<", CmpOp::Lt),
            ("<=", CmpOp::Le),
            (">", CmpOp::Gt),
            (">=", CmpOp::Ge),
            ("in", CmpOp::In),
            ("not in", CmpOp::NotIn),
            ("is", CmpOp::Is),
            ("is not", CmpOp::IsNot),
        ];
        for (text, op) in ops {
            assert_eq!(
                expr(&format!("a {text} b")),
                cmp(a.clone(), op, b.clone()),
                "{text}"
            );
        }
        assert_eq!(
            expr("a is not None"),
            cmp(a.clone(), CmpOp::IsNot, Expr::None)
        );
        assert_eq!(
            expr("a if b else c"),
            Expr::IfElse(
                Box::new(b.clone()),
                Box::new(a.clone()),
                Box::new(c.clone())
            )
        );
        // The conditional is the loosest: `x + 1 if c else y or z`.
        assert_eq!(
            expr("x + 1 if c else y or z"),
            Expr::IfElse(
                Box::new(c.clone()),
                Box::new(bin(name("x"), BinOp::Add, int(1))),
                Box::new(Expr::Or(Box::new(name("y")), Box::new(name("z"))))
            )
        );
        // Right-nested: `a if b else c if d else e`.
        assert_eq!(
            expr("a if b else c if d else e"),
            Expr::IfElse(
                Box::new(b),
                Box::new(a),
                Box::new(Expr::IfElse(
                    Box::new(name("d")),
                    Box::new(c),
                    Box::new(name("e"))
                ))
            )
        );
    }

    #[test]
    fn literals() {
        assert_eq!(expr("0"), int(0));
        assert_eq!(expr("000"), int(0));
        assert_eq!(expr("9223372036854775807"), int(i64::MAX));
        assert_eq!(expr("1.5"), Expr::Float(1.5));
        assert_eq!(expr(".5"), Expr::Float(0.5));
        assert_eq!(expr("1e-3"), Expr::Float(0.001));
        assert_eq!(expr("2."), Expr::Float(2.0));
        assert_eq!(expr("2.5E+2"), Expr::Float(250.0));
        assert_eq!(expr("1.e2"), Expr::Float(100.0));
        assert_eq!(expr("None"), Expr::None);
        assert_eq!(expr("True"), Expr::Bool(true));
        assert_eq!(expr("False"), Expr::Bool(false));
        assert_eq!(expr(r#"'a\n\t\\\'\"b'"#), Expr::Str("a\n\t\\'\"b".into()));
        assert_eq!(expr(r#""it's""#), Expr::Str("it's".into()));
        assert_eq!(expr("''"), Expr::Str(String::new()));
        assert_eq!(expr("'ab' \"cd\""), Expr::Str("abcd".into()));
        assert_eq!(
            expr("'é # not a comment'"),
            Expr::Str("é # not a comment".into())
        );
    }

    #[test]
    fn displays_calls_and_subscripts() {
        assert_eq!(expr("()"), Expr::Tuple(vec![]));
        assert_eq!(expr("(1)"), int(1));
        assert_eq!(expr("(1,)"), Expr::Tuple(vec![int(1)]));
        assert_eq!(expr("(1, 2,)"), Expr::Tuple(vec![int(1), int(2)]));
        assert_eq!(expr("[]"), Expr::List(vec![]));
        assert_eq!(expr("[1, 2,]"), Expr::List(vec![int(1), int(2)]));
        assert_eq!(
            expr("[[1], []]"),
            Expr::List(vec![Expr::List(vec![int(1)]), Expr::List(vec![])])
        );
        assert_eq!(expr("{}"), Expr::Dict(vec![]));
        assert_eq!(
            expr("{'a': 1, 2: [3],}"),
            Expr::Dict(vec![
                (Expr::Str("a".into()), int(1)),
                (int(2), Expr::List(vec![int(3)]))
            ])
        );
        assert_eq!(expr("f()"), call(name("f"), vec![]));
        assert_eq!(expr("f(1, 2,)"), call(name("f"), vec![int(1), int(2)]));
        assert_eq!(
            expr("threading.Thread(target=run, args=(i, n))"),
            Expr::Call(
                Box::new(Expr::Attr(Box::new(name("threading")), "Thread".into())),
                vec![],
                vec![
                    ("target".into(), name("run")),
                    ("args".into(), Expr::Tuple(vec![name("i"), name("n")]))
                ]
            )
        );
        assert_eq!(
            expr("f(a, b=a == 1)"),
            Expr::Call(
                Box::new(name("f")),
                vec![name("a")],
                vec![("b".into(), cmp(name("a"), CmpOp::Eq, int(1)))]
            )
        );
        assert_eq!(
            expr("d[1, 2]"),
            Expr::Index(
                Box::new(name("d")),
                Box::new(Expr::Tuple(vec![int(1), int(2)]))
            )
        );
        assert_eq!(
            expr("a[i][j]"),
            Expr::Index(
                Box::new(Expr::Index(Box::new(name("a")), Box::new(name("i")))),
                Box::new(name("j"))
            )
        );
        assert_eq!(expr("1, 2"), Expr::Tuple(vec![int(1), int(2)]));
        assert_eq!(expr("1,"), Expr::Tuple(vec![int(1)]));
    }

    #[test]
    fn implicit_line_joining_inside_brackets() {
        let src = "x = [1,\n  2,\n# comment\n\n        3]\ny = f(\n1)\n";
        assert_eq!(
            parse_ok(src),
            vec![
                stmt(
                    1,
                    StmtKind::Assign(
                        Target::Name("x".into()),
                        Expr::List(vec![int(1), int(2), int(3)])
                    )
                ),
                stmt(
                    6,
                    StmtKind::Assign(Target::Name("y".into()), call(name("f"), vec![int(1)]))
                ),
            ]
        );
    }

    #[test]
    fn assignments() {
        let x = || Target::Name("x".into());
        assert_eq!(
            parse_ok("x = 1"),
            vec![stmt(1, StmtKind::Assign(x(), int(1)))]
        );
        assert_eq!(
            parse_ok("a[i] = 1, 2\n"),
            vec![stmt(
                1,
                StmtKind::Assign(
                    Target::Index(name("a"), name("i")),
                    Expr::Tuple(vec![int(1), int(2)])
                )
            )]
        );
        assert_eq!(
            parse_ok("a, (b, [c, d[0]]) = t"),
            vec![stmt(
                1,
                StmtKind::Assign(
                    Target::Tuple(vec![
                        Target::Name("a".into()),
                        Target::Tuple(vec![
                            Target::Name("b".into()),
                            Target::Tuple(vec![
                                Target::Name("c".into()),
                                Target::Index(name("d"), int(0))
                            ])
                        ])
                    ]),
                    name("t")
                )
            )]
        );
        let ops = [
            ("+=", BinOp::Add),
            ("-=", BinOp::Sub),
            ("*=", BinOp::Mul),
            ("/=", BinOp::Div),
            ("//=", BinOp::FloorDiv),
            ("%=", BinOp::Mod),
        ];
        for (text, op) in ops {
            assert_eq!(
                parse_ok(&format!("x {text} 2")),
                vec![stmt(1, StmtKind::AugAssign(x(), op, int(2)))]
            );
        }
        assert_eq!(
            parse_ok("a[0] -= 1"),
            vec![stmt(
                1,
                StmtKind::AugAssign(Target::Index(name("a"), int(0)), BinOp::Sub, int(1))
            )]
        );
    }

    #[test]
    fn compound_statements() {
        let src = "\
import sys
def f(a, b,):
    if a:
        return
    elif b:
        return a, b
    elif not b:
        pass
    else:
        return 1
for i, x in e:
    while x:
        break
    continue
if c: x = 1
else: g()
def h(): return 2
";
        let x = || Target::Name("x".into());
        assert_eq!(
            parse_ok(src),
            vec![
                stmt(1, StmtKind::Import("sys".into())),
                stmt(
                    2,
                    StmtKind::Def(
                        "f".into(),
                        vec!["a".into(), "b".into()],
                        vec![stmt(
                            3,
                            StmtKind::If(
                                vec![
                                    (name("a"), vec![stmt(4, StmtKind::Return(None))]),
                                    (
                                        name("b"),
                                        vec![stmt(
                                            6,
                                            StmtKind::Return(Some(Expr::Tuple(vec![
                                                name("a"),
                                                name("b")
                                            ])))
                                        )]
                                    ),
                                    (un(UnaryOp::Not, name("b")), vec![stmt(8, StmtKind::Pass)]),
                                ],
                                vec![stmt(10, StmtKind::Return(Some(int(1))))]
                            )
                        )]
                    )
                ),
                stmt(
                    11,
                    StmtKind::For(
                        Target::Tuple(vec![Target::Name("i".into()), x()]),
                        name("e"),
                        vec![
                            stmt(
                                12,
                                StmtKind::While(name("x"), vec![stmt(13, StmtKind::Break)])
                            ),
                            stmt(14, StmtKind::Continue),
                        ]
                    )
                ),
                stmt(
                    15,
                    StmtKind::If(
                        vec![(name("c"), vec![stmt(15, StmtKind::Assign(x(), int(1)))])],
                        vec![stmt(16, StmtKind::Expr(call(name("g"), vec![])))]
                    )
                ),
                stmt(
                    17,
                    StmtKind::Def(
                        "h".into(),
                        vec![],
                        vec![stmt(17, StmtKind::Return(Some(int(2))))]
                    )
                ),
            ]
        );
    }

    #[test]
    fn for_targets_and_iterables() {
        assert_eq!(
            parse_ok("for a[0] in 1, 2:\n  pass"),
            vec![stmt(
                1,
                StmtKind::For(
                    Target::Index(name("a"), int(0)),
                    Expr::Tuple(vec![int(1), int(2)]),
                    vec![stmt(2, StmtKind::Pass)]
                )
            )]
        );
        assert_eq!(
            parse_ok("for (a, b), in x: pass"),
            vec![stmt(
                1,
                StmtKind::For(
                    Target::Tuple(vec![Target::Tuple(vec![
                        Target::Name("a".into()),
                        Target::Name("b".into())
                    ])]),
                    name("x"),
                    vec![stmt(1, StmtKind::Pass)]
                )
            )]
        );
        assert_eq!(
            parse_ok("for x in a if c else b: pass")[0].kind,
            StmtKind::For(
                Target::Name("x".into()),
                Expr::IfElse(
                    Box::new(name("c")),
                    Box::new(name("a")),
                    Box::new(name("b"))
                ),
                vec![stmt(1, StmtKind::Pass)]
            )
        );
    }

    #[test]
    fn indentation() {
        let src = "\
if a:

        # a comment at any indentation
    if b:
      x = 1
# another

  # and another
    y = 2
z = 3";
        let assign = |n: &str, v: i64| StmtKind::Assign(Target::Name(n.into()), int(v));
        assert_eq!(
            parse_ok(src),
            vec![
                stmt(
                    1,
                    StmtKind::If(
                        vec![(
                            name("a"),
                            vec![
                                stmt(
                                    4,
                                    StmtKind::If(
                                        vec![(name("b"), vec![stmt(5, assign("x", 1))])],
                                        vec![]
                                    )
                                ),
                                stmt(9, assign("y", 2)),
                            ]
                        )],
                        vec![]
                    )
                ),
                stmt(10, assign("z", 3)),
            ]
        );
        // Several blocks closed at once, at the end of the input, with and without a newline.
        for end in ["", "\n", "\n\n   \n"] {
            let src = format!("while a:\n  while b:\n    while c:\n      pass{end}");
            assert_eq!(parse_ok(&src).len(), 1);
        }
        // Windows line endings.
        assert_eq!(parse_ok("if a:\r\n    x = 1\r\n\r\ny = 2\r\n").len(), 2);
        assert_eq!(parse_ok(""), vec![]);
        assert_eq!(parse_ok("\n\n# only a comment\n   \n"), vec![]);
    }

    #[test]
    fn indentation_errors() {
        let e = parse_err("if a:\n    x = 1\n  y = 2\n");
        assert_eq!((e.line, e.col), (3, 3));
        assert!(e.msg.contains("unindent does not match"), "{e}");
        let e = parse_err("x = 1\n    y = 2\n");
        assert_eq!((e.line, e.col, e.msg.as_str()), (2, 5, "unexpected indent"));
        assert_err("  x = 1\n", "unexpected indent");
        let e = parse_err("if a:\nx = 1\n");
        assert_eq!((e.line, e.msg.as_str()), (2, "expected an indented block"));
        assert_err("if a:\n", "expected an indented block");
        assert_err("if a:\n\tx = 1\n", "tab in indentation");
        assert_err("if a:\n  \tx = 1\n", "tab in indentation");
        assert_err("if a: x = 1\n    y = 2\n", "unexpected indent");
    }

    #[test]
    fn error_position_and_display() {
        let e = parse_err("x = 1\ny = (2 +)\n");
        assert_eq!((e.line, e.col), (2, 9));
        assert_eq!(
            e.to_string(),
            "line 2, column 9: expected an expression, found ')'"
        );
        // The first error in source order wins, even a syntax error before a lexical one.
        let e = parse_err("x = = 1\ny = 'unterminated\n");
        assert_eq!((e.line, e.col), (1, 5));
        let e = parse_err("x = 1\ny = 'unterminated\n");
        assert_eq!(
            (e.line, e.col, e.msg.as_str()),
            (2, 5, "unterminated string literal")
        );
    }

    #[test]
    fn refused_features() {
        let cases = [
            ("a = 1; b = 2", "';' is not supported"),
            ("a = b = 1", "chained assignment"),
            ("a < b < c", "chained comparisons"),
            ("a == b in c", "chained comparisons"),
            ("x[1:2]", "slices"),
            ("x[:2]", "slices"),
            ("x = '''doc'''", "triple-quoted"),
            ("x = \"\"\"doc\"\"\"", "triple-quoted"),
            ("x = f'{a}'", "string prefix 'f'"),
            ("x = b'a'", "string prefix 'b'"),
            ("x = r'a'", "string prefix 'r'"),
            ("x = 'a\\x41'", "unsupported escape"),
            ("x = 'abc", "unterminated string"),
            ("x = 'abc\\", "unterminated string"),
            ("x = 9223372036854775808", "does not fit in 64 bits"),
            ("x = 0x10", "invalid number literal"),
            ("x = 1_000", "invalid number literal"),
            ("x = 007", "leading zeros"),
            ("x = 1..2", "invalid number literal"),
            ("x **= 2", "'**=' is not supported"),
            ("x = ~1", "'~' is not supported"),
            ("x = a @ b", "'@' is not supported"),
            ("x = a << 1", "'<<' is not supported"),
            ("x = a ! b", "unexpected character '!'"),
            ("x = 1 + \\\n 2", "backslash"),
            ("(x := 1)", "':=' is not supported"),
            ("x = $", "unexpected character '$'"),
            ("café = 1", "unexpected character 'é'"),
            ("class A: pass", "'class' is not supported"),
            ("global x", "'global' is not supported"),
            ("f = lambda: 1", "'lambda' is not supported"),
            ("import os.path", "dotted module names"),
            ("import os, sys", "one module per"),
            ("import os as o", "'as' is not supported"),
            ("from os import path", "'from' is not supported"),
            ("def f(a, a): pass", "duplicate parameter 'a'"),
            ("def f(a=1): pass", "default parameter values"),
            ("def f(*a): pass", "*args"),
            ("def f(a: int): pass", "annotations"),
            ("def f(a) -> int: pass", "'->' is not supported"),
            ("f(*a)", "argument unpacking"),
            ("f(**a)", "argument unpacking"),
            ("f(a=1, b)", "positional argument follows keyword argument"),
            ("f(a=1, a=2)", "keyword argument 'a' repeated"),
            ("f(x for x in y)", "comprehensions"),
            ("[x for x in y]", "comprehensions"),
            ("{1, 2}", "set displays"),
            ("{1}", "set displays"),
            ("a, *b = c", "unpacking with '*'"),
            ("f() = 1", "cannot assign to a function call"),
            ("1 = x", "cannot assign to a literal"),
            ("a + b = 1", "cannot assign to an operator expression"),
            ("a.b = 1", "assignment to an attribute"),
            ("a, b += 1", "augmented assignment to a tuple"),
            ("a.b += 1", "augmented assignment to an attribute"),
            ("for f() in x: pass", "cannot assign to a function call"),
            ("return 1", "'return' outside a function"),
            ("break", "'break' outside a loop"),
            ("continue", "'continue' outside a loop"),
            (
                "while x:\n  def f():\n    break\n",
                "'break' outside a loop",
            ),
            ("while x:\n  pass\nelse:\n  pass\n", "'else' after a loop"),
            (
                "for x in y:\n  pass\nelse:\n  pass\n",
                "'else' after a loop",
            ),
            ("else:\n  pass\n", "'else' without a matching 'if'"),
            ("elif x:\n  pass\n", "'elif' without a matching 'if'"),
            (
                "if x: if y: pass",
                "'if' cannot follow ':' on the same line",
            ),
            (
                "if x: for y in z: pass",
                "'for' cannot follow ':' on the same line",
            ),
            ("x = (1, 2", "'(' was never closed"),
            ("x = [1, 2)", "does not match opening bracket '['"),
            ("x = 1)", "unmatched ')'"),
            ("x = a if b", "expected 'else'"),
            ("x = a not b", "expected end of line, found 'not'"),
            ("f(1 2)", "expected ',' or ')'"),
            ("if x pass", "expected ':'"),
            ("x = ", "expected an expression"),
            ("x = 1 +", "expected an expression"),
        ];
        for (src, part) in cases {
            assert_err(src, part);
        }
    }

    #[test]
    fn nesting_limit() {
        let deep = |open: &str, middle: &str, close: &str, n: usize| {
            format!("{}{middle}{}\n", open.repeat(n), close.repeat(n))
        };
        assert!(parse(&deep("(", "1", ")", 100)).is_ok());
        assert!(parse(&deep("[", "1", "]", 100)).is_ok());
        assert_err(&deep("(", "1", ")", 101), "too deeply nested");
        assert_err(&deep("[", "1", "]", 101), "too deeply nested");
        for n in [1_000, 100_000] {
            for (open, middle, close) in [
                ("(", "1", ")"),
                ("[", "", "]"),
                ("{1: ", "1", "}"),
                ("f(", "1", ")"),
                ("x[", "1", "]"),
                ("-", "1", ""),
                ("not ", "1", ""),
                ("1 if 1 else ", "1", ""),
            ] {
                assert_err(&deep(open, middle, close, n), "too deeply nested");
            }
            for chain in [" + 1", " ** 1", " or 1", ".b", "[0]", "(1)", " if 1 else 1"] {
                assert_err(&format!("x = a{}\n", chain.repeat(n)), "too deeply nested");
            }
        }
        // Left-nested trees count every level, not only the brackets and prefix operators.
        assert!(parse(&format!("x = {}a{}\n", "-".repeat(60), " + 1".repeat(40))).is_ok());
        assert_err(
            &format!("x = {}a{}\n", "-".repeat(60), " + 1".repeat(41)),
            "too deeply nested",
        );
        // Blocks count too, together with the expressions inside them.
        let nested_ifs = |levels: usize, last: &str| {
            let mut src = String::new();
            for level in 0..levels {
                src.push_str(&" ".repeat(level));
                src.push_str("if x:\n");
            }
            src.push_str(&" ".repeat(levels));
            src.push_str(last);
            src
        };
        assert!(parse(&nested_ifs(100, "pass\n")).is_ok());
        assert_err(&nested_ifs(101, "pass\n"), "too deeply nested");
        assert!(parse(&nested_ifs(90, &format!("x = {}1\n", "-".repeat(10)))).is_ok());
        assert_err(
            &nested_ifs(90, &format!("x = {}1\n", "-".repeat(11))),
            "too deeply nested",
        );
        // Long flat sequences are fine.
        let items = vec!["1"; 100_000].join(", ");
        assert!(parse(&format!("x = [{items}]\n")).is_ok());
        let stmts = "x = 1\n".repeat(10_000);
        assert_eq!(parse_ok(&stmts).len(), 10_000);
    }

    /// The height of an expression tree: 0 for a leaf.
    fn height(expr: &Expr) -> u32 {
        let max =
            |exprs: &mut dyn Iterator<Item = &Expr>| exprs.map(height).max().map_or(0, |h| h + 1);
        match expr {
            Expr::None
            | Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Float(_)
            | Expr::Str(_)
            | Expr::Name(_) => 0,
            Expr::Tuple(items) | Expr::List(items) => max(&mut items.iter()),
            Expr::Dict(pairs) => max(&mut pairs.iter().flat_map(|(k, v)| [k, v])),
            Expr::Unary(_, a) | Expr::Attr(a, _) => height(a) + 1,
            Expr::BinOp(a, _, b)
            | Expr::Compare(a, _, b)
            | Expr::And(a, b)
            | Expr::Or(a, b)
            | Expr::Index(a, b) => height(a).max(height(b)) + 1,
            Expr::IfElse(a, b, c) => height(a).max(height(b)).max(height(c)) + 1,
            Expr::Call(f, args, kwargs) => max(&mut std::iter::once(&**f)
                .chain(args)
                .chain(kwargs.iter().map(|(_, v)| v))),
        }
    }

    /// Mixes of every kind of nesting, at and around the limit: whatever parses is a tree no
    /// deeper than `MAX_DEPTH`, so the evaluator can walk it recursively.
    #[test]
    fn accepted_trees_are_at_most_max_depth_deep() {
        let wrappers = [
            ("-", ""),
            ("not ", ""),
            ("(", " + 1)"),
            ("1 * ", ""),
            ("(", ").x"),
            ("f(", ")"),
            ("a[", "]"),
            ("[1, ", "]"),
            ("{1: ", "}"),
            ("(1, ", ")"),
            ("(", " if a else b)"),
            ("(a if b else ", ")"),
            ("2 ** ", ""),
            ("(", ")(1)[2]"),
            ("(", " < 1)"),
        ];
        let mut rng = Rng(0x0123_4567_89AB_CDEF);
        let mut accepted = 0;
        for _ in 0..2_000 {
            let (mut open, mut close) = (String::new(), String::new());
            for _ in 0..rng.below(130) {
                let (o, c) = wrappers[rng.below(wrappers.len())];
                open.push_str(o);
                close.insert_str(0, c);
            }
            if let Ok(stmts) = parse(&format!("{open}a{close}\n")) {
                accepted += 1;
                let Some(StmtKind::Expr(e)) = stmts.first().map(|s| &s.kind) else {
                    panic!("not an expression: {stmts:?}");
                };
                assert!(
                    height(e) <= MAX_DEPTH,
                    "height {} for {open}a{close}",
                    height(e)
                );
            }
        }
        assert!(accepted > 100, "only {accepted} accepted");
    }

    /// The inputs at the nesting limit that take the most stack: at most 450 KiB in a debug
    /// build and 200 KiB in a release build when measured, so 1 MiB (half of a test thread's
    /// default) leaves a wide margin.
    #[test]
    fn deepest_inputs_fit_in_one_mebibyte_of_stack() {
        let nested =
            |open: &str, close: &str| format!("{}1{}\n", open.repeat(100), close.repeat(100));
        let mut blocks = String::new();
        for level in 0..99 {
            blocks.push_str(&" ".repeat(level));
            blocks.push_str(["if x:\n", "while x:\n", "for x in y:\n", "def f():\n"][level % 4]);
        }
        blocks.push_str(&" ".repeat(99));
        blocks.push_str("x[0] = -1\n");
        let inputs = vec![
            nested("(", ")"),
            nested("f(", ")"),
            nested("x[", "]"),
            nested("{1: ", "}"),
            nested("[", "]"),
            format!("x = 1{}\n", " if 1 else 1".repeat(99)),
            format!("x = {}{}1\n", "not ".repeat(50), "-".repeat(50)),
            blocks,
        ];
        let worker = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                for input in &inputs {
                    if let Err(e) = parse(input) {
                        panic!("{e}");
                    }
                }
            });
        assert!(worker.is_ok_and(|w| w.join().is_ok()));
    }

    /// A tiny deterministic generator (xorshift64*), so the fuzz test needs no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % (n as u64)).unwrap_or(0)
        }
    }

    const SAMPLE: &str = "\
import sys
def f(a, b):
    x = [1, 2.5, 'a\\n', {1: (2,)}]
    while a < b and not x:
        a += 1
        if a % 2 == 0: continue
        elif a is None:
            break
        else:
            x[0] = -a ** 2 if a else b // 3
    for i, j in g(a, k=b):
        print(i, j, x[i].y)
    return a, b
";

    /// Pieces of minipy (and of what it refuses) for the fuzz test to string together.
    #[rustfmt::skip]
    const FRAGMENTS: &[&str] = &[
        "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "==", "+", "-", "*", "**", "/", "//",
        "%", "+=", "<", ">=", "!=", "not", "in", "is", "and", "or", "if", "elif", "else", "while",
        "for", "def", "return", "break", "continue", "pass", "import", "None", "True", "x", "f",
        "1", "2.5", ".5", "1e5", "'s'", "\"t\"", "'", "\"", "\\", "#c", " ", "  ", "    ", "\n",
        "\n    ", "\t", "\r\n", ";", "é", "9999999999999999999999", "0x", "class", "lambda", "\u{0}",
    ];

    #[test]
    fn garbage_never_panics() {
        let fragments = FRAGMENTS;
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut inputs: Vec<String> = Vec::new();
        // Random token soups.
        for _ in 0..300 {
            let len = rng.below(40);
            let s: String = (0..len)
                .map(|_| fragments[rng.below(fragments.len())])
                .collect();
            inputs.push(s);
        }
        // Random characters.
        for _ in 0..100 {
            let len = rng.below(60);
            let s: String = (0..len)
                .map(|_| char::from_u32(u32::try_from(rng.below(200)).unwrap_or(0)).unwrap_or('?'))
                .collect();
            inputs.push(s);
        }
        // Every prefix of a valid program, and single-character mutations of it.
        let chars: Vec<char> = SAMPLE.chars().collect();
        for end in 0..=chars.len() {
            inputs.push(chars[..end].iter().collect());
        }
        for _ in 0..300 {
            let mut c = chars.clone();
            let at = rng.below(c.len());
            match rng.below(3) {
                0 => {
                    c.remove(at);
                }
                1 => c.insert(
                    at,
                    fragments[rng.below(fragments.len())]
                        .chars()
                        .next()
                        .unwrap_or(' '),
                ),
                _ => {
                    let other = rng.below(c.len());
                    c.swap(at, other);
                }
            }
            inputs.push(c.into_iter().collect());
        }
        assert!(parse(SAMPLE).is_ok());
        let mut errors = 0;
        for input in &inputs {
            match parse(input) {
                Ok(stmts) => {
                    let _ = format!("{stmts:?}");
                }
                Err(e) => {
                    errors += 1;
                    assert!(e.line >= 1 && e.col >= 1, "{input:?}: {e}");
                    assert!(!e.msg.is_empty());
                }
            }
        }
        assert!(
            errors > inputs.len() / 2,
            "most garbage should be refused ({errors} of {})",
            inputs.len()
        );
    }

    #[test]
    fn example_programs_parse() {
        for (name, src) in [
            ("nbody", include_str!("programs/nbody.py")),
            ("lists", include_str!("programs/lists.py")),
            ("words", include_str!("programs/words.py")),
            ("fib", include_str!("programs/fib.py")),
        ] {
            if let Err(e) = parse(src) {
                panic!("{name}.py: {e}");
            }
        }
    }
}
