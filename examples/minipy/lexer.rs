//! The minipy lexer: turns source text into tokens, with `Indent`/`Dedent` for blocks.
//!
//! Indentation is spaces only. Blank lines and `#` comments produce no tokens, and newlines
//! inside `()`, `[]` and `{}` are ignored. The first error stops the lexer: it becomes the last
//! token (`Tok::Error`), so that the parser reports it only when it gets that far, after any
//! syntax error earlier in the source.

use std::fmt;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier that is not a keyword.
    Name(String),
    /// A decimal integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A string literal, escapes resolved.
    Str(String),
    /// `def`
    Def,
    /// `return`
    Return,
    /// `if`
    If,
    /// `elif`
    Elif,
    /// `else`
    Else,
    /// `while`
    While,
    /// `for`
    For,
    /// `in`
    In,
    /// `not`
    Not,
    /// `and`
    And,
    /// `or`
    Or,
    /// `is`
    Is,
    /// `None`
    None,
    /// `True`
    True,
    /// `False`
    False,
    /// `break`
    Break,
    /// `continue`
    Continue,
    /// `pass`
    Pass,
    /// `import`
    Import,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `//`
    DoubleSlash,
    /// `%`
    Percent,
    /// `**`
    DoubleStar,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=`
    Assign,
    /// `+=`
    PlusAssign,
    /// `-=`
    MinusAssign,
    /// `*=`
    StarAssign,
    /// `/=`
    SlashAssign,
    /// `//=`
    DoubleSlashAssign,
    /// `%=`
    PercentAssign,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `.`
    Dot,
    /// The end of a logical line.
    Newline,
    /// The start of a more indented block.
    Indent,
    /// The end of an indented block.
    Dedent,
    /// The end of the input.
    Eof,
    /// A lexical error; always the last token.
    Error(String),
}

impl fmt::Display for Tok {
    /// Describes the token for error messages: `name 'x'`, `'+'`, `end of line`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Tok::Name(n) => return write!(f, "name '{n}'"),
            Tok::Int(_) | Tok::Float(_) => "number",
            Tok::Str(_) => "string",
            Tok::Def => "'def'",
            Tok::Return => "'return'",
            Tok::If => "'if'",
            Tok::Elif => "'elif'",
            Tok::Else => "'else'",
            Tok::While => "'while'",
            Tok::For => "'for'",
            Tok::In => "'in'",
            Tok::Not => "'not'",
            Tok::And => "'and'",
            Tok::Or => "'or'",
            Tok::Is => "'is'",
            Tok::None => "'None'",
            Tok::True => "'True'",
            Tok::False => "'False'",
            Tok::Break => "'break'",
            Tok::Continue => "'continue'",
            Tok::Pass => "'pass'",
            Tok::Import => "'import'",
            Tok::Plus => "'+'",
            Tok::Minus => "'-'",
            Tok::Star => "'*'",
            Tok::Slash => "'/'",
            Tok::DoubleSlash => "'//'",
            Tok::Percent => "'%'",
            Tok::DoubleStar => "'**'",
            Tok::EqEq => "'=='",
            Tok::NotEq => "'!='",
            Tok::Lt => "'<'",
            Tok::Le => "'<='",
            Tok::Gt => "'>'",
            Tok::Ge => "'>='",
            Tok::Assign => "'='",
            Tok::PlusAssign => "'+='",
            Tok::MinusAssign => "'-='",
            Tok::StarAssign => "'*='",
            Tok::SlashAssign => "'/='",
            Tok::DoubleSlashAssign => "'//='",
            Tok::PercentAssign => "'%='",
            Tok::LParen => "'('",
            Tok::RParen => "')'",
            Tok::LBracket => "'['",
            Tok::RBracket => "']'",
            Tok::LBrace => "'{'",
            Tok::RBrace => "'}'",
            Tok::Comma => "','",
            Tok::Colon => "':'",
            Tok::Dot => "'.'",
            Tok::Newline => "end of line",
            Tok::Indent => "indent",
            Tok::Dedent => "dedent",
            Tok::Eof => "end of input",
            Tok::Error(msg) => msg,
        };
        f.write_str(s)
    }
}

/// A token and where it starts (line and column count from 1; columns count characters).
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// The line of its first character.
    pub line: u32,
    /// The column of its first character.
    pub col: u32,
}

/// Python keywords that minipy does not support; using one is a lexical error.
const UNSUPPORTED_KEYWORDS: &[&str] = &[
    "as", "assert", "async", "await", "class", "del", "except", "finally", "from", "global",
    "lambda", "nonlocal", "raise", "try", "with", "yield",
];

/// Splits `source` into tokens.
///
/// The result always ends with `Tok::Eof`, or with `Tok::Error` at the first lexical error.
/// Before `Eof` come a `Newline` (if the last line has tokens) and one `Dedent` per open block.
pub fn tokenize(source: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        chars: source.chars().collect(),
        pos: 0,
        line: 1,
        col: 1,
        tokens: Vec::new(),
        indents: vec![0],
        brackets: Vec::new(),
        at_line_start: true,
    };
    if let Err((line, col, msg)) = lexer.run() {
        lexer.tokens.push(Token {
            tok: Tok::Error(msg),
            line,
            col,
        });
    }
    lexer.tokens
}

/// A lexical error: line, column, message.
type LexError = (u32, u32, String);

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: u32,
    col: u32,
    tokens: Vec<Token>,
    /// The indentation widths of the open blocks; the first is 0.
    indents: Vec<usize>,
    /// The open brackets, innermost last, with where each was opened.
    brackets: Vec<(char, u32, u32)>,
    /// True at the start of a line outside brackets, before its indentation is measured.
    at_line_start: bool,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    fn push(&mut self, tok: Tok, line: u32, col: u32) {
        self.tokens.push(Token { tok, line, col });
    }

    fn err<T>(&self, msg: impl Into<String>) -> Result<T, LexError> {
        Err((self.line, self.col, msg.into()))
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    fn run(&mut self) -> Result<(), LexError> {
        loop {
            if self.at_line_start && !self.indentation()? {
                continue;
            }
            let (line, col) = (self.line, self.col);
            let Some(c) = self.peek() else { break };
            match c {
                ' ' | '\t' => {
                    self.bump();
                }
                '\r' if self.peek_at(1) == Some('\n') => {
                    self.bump();
                }
                '\n' => {
                    self.bump();
                    if self.brackets.is_empty() {
                        self.push(Tok::Newline, line, col);
                        self.at_line_start = true;
                    }
                }
                '#' => self.skip_comment(),
                '0'..='9' => self.number()?,
                '.' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => self.number()?,
                'a'..='z' | 'A'..='Z' | '_' => self.word()?,
                '"' | '\'' => {
                    let s = self.string()?;
                    self.push(Tok::Str(s), line, col);
                }
                _ => {
                    let tok = self.operator()?;
                    self.push(tok, line, col);
                }
            }
        }
        if let Some(&(open, line, col)) = self.brackets.last() {
            return Err((line, col, format!("'{open}' was never closed")));
        }
        let (line, col) = (self.line, self.col);
        if self.tokens.last().is_some_and(|t| t.tok != Tok::Newline) {
            self.push(Tok::Newline, line, col);
        }
        for _ in 1..self.indents.len() {
            self.push(Tok::Dedent, line, col);
        }
        self.push(Tok::Eof, line, col);
        Ok(())
    }

    /// Measures the indentation of a line. Returns false if the line is blank or a comment
    /// (consumed up to its newline), true once `Indent`/`Dedent` tokens are pushed.
    fn indentation(&mut self) -> Result<bool, LexError> {
        let mut width = 0usize;
        while self.peek() == Some(' ') {
            self.bump();
            width += 1;
        }
        match self.peek() {
            Some('\t') => return self.err("tab in indentation (minipy indents with spaces only)"),
            Some('\r') if self.peek_at(1) == Some('\n') => {
                self.bump();
                self.bump();
                return Ok(false);
            }
            Some('\n') => {
                self.bump();
                return Ok(false);
            }
            Some('#') => {
                self.skip_comment();
                return Ok(false);
            }
            None => {
                self.at_line_start = false;
                return Ok(false);
            }
            Some(_) => {}
        }
        self.at_line_start = false;
        let (line, col) = (self.line, self.col);
        let current = self.indents.last().copied().unwrap_or(0);
        if width > current {
            self.indents.push(width);
            self.push(Tok::Indent, line, col);
        } else {
            while self.indents.last().is_some_and(|&w| w > width) {
                self.indents.pop();
                self.push(Tok::Dedent, line, col);
            }
            if self.indents.last().copied().unwrap_or(0) != width {
                return self.err("unindent does not match any outer indentation level");
            }
        }
        Ok(true)
    }

    fn digits(&mut self, text: &mut String) {
        while let Some(c) = self.peek().filter(char::is_ascii_digit) {
            text.push(c);
            self.bump();
        }
    }

    fn number(&mut self) -> Result<(), LexError> {
        let (line, col) = (self.line, self.col);
        let mut text = String::new();
        let mut is_float = false;
        self.digits(&mut text);
        if self.peek() == Some('.') {
            is_float = true;
            text.push('.');
            self.bump();
            self.digits(&mut text);
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let sign = matches!(self.peek_at(1), Some('+' | '-'));
            let first = self.peek_at(if sign { 2 } else { 1 });
            if first.is_some_and(|d| d.is_ascii_digit()) {
                is_float = true;
                text.push('e');
                self.bump();
                if sign {
                    text.extend(self.bump());
                }
                self.digits(&mut text);
            }
        }
        if self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return Err((
                line,
                col,
                "invalid number literal (minipy has decimal ints and floats only)".into(),
            ));
        }
        let tok = if is_float {
            match text.parse::<f64>() {
                Ok(x) => Tok::Float(x),
                Err(_) => return Err((line, col, format!("invalid float literal '{text}'"))),
            }
        } else {
            if text.len() > 1 && text.starts_with('0') && text.bytes().any(|b| b != b'0') {
                return Err((
                    line,
                    col,
                    "leading zeros in decimal integer literals are not permitted".into(),
                ));
            }
            match text.parse::<i64>() {
                Ok(n) => Tok::Int(n),
                Err(_) => {
                    return Err((
                        line,
                        col,
                        format!("integer literal {text} does not fit in 64 bits"),
                    ))
                }
            }
        };
        self.push(tok, line, col);
        Ok(())
    }

    fn word(&mut self) -> Result<(), LexError> {
        let (line, col) = (self.line, self.col);
        let mut text = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            text.push(c);
            self.bump();
        }
        if matches!(self.peek(), Some('"' | '\''))
            && matches!(
                text.to_ascii_lowercase().as_str(),
                "r" | "u" | "f" | "b" | "br" | "rb" | "fr" | "rf"
            )
        {
            return Err((
                line,
                col,
                format!(
                    "string prefix '{text}' is not supported (no f-strings, bytes or raw strings)"
                ),
            ));
        }
        let tok = match text.as_str() {
            "def" => Tok::Def,
            "return" => Tok::Return,
            "if" => Tok::If,
            "elif" => Tok::Elif,
            "else" => Tok::Else,
            "while" => Tok::While,
            "for" => Tok::For,
            "in" => Tok::In,
            "not" => Tok::Not,
            "and" => Tok::And,
            "or" => Tok::Or,
            "is" => Tok::Is,
            "None" => Tok::None,
            "True" => Tok::True,
            "False" => Tok::False,
            "break" => Tok::Break,
            "continue" => Tok::Continue,
            "pass" => Tok::Pass,
            "import" => Tok::Import,
            kw if UNSUPPORTED_KEYWORDS.contains(&kw) => {
                return Err((line, col, format!("'{kw}' is not supported by minipy")));
            }
            _ => Tok::Name(text),
        };
        self.push(tok, line, col);
        Ok(())
    }

    fn string(&mut self) -> Result<String, LexError> {
        let (line, col) = (self.line, self.col);
        let Some(quote) = self.bump() else {
            return self.err("expected a string");
        };
        if self.peek() == Some(quote) && self.peek_at(1) == Some(quote) {
            return Err((line, col, "triple-quoted strings are not supported".into()));
        }
        let mut s = String::new();
        loop {
            match self.peek() {
                None | Some('\n') => return Err((line, col, "unterminated string literal".into())),
                Some('\\') => {
                    self.bump();
                    let escaped = match self.peek() {
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('\\') => '\\',
                        Some('\'') => '\'',
                        Some('"') => '"',
                        None | Some('\n') => {
                            return Err((line, col, "unterminated string literal".into()));
                        }
                        Some(other) => {
                            let msg = format!("unsupported escape sequence '\\{other}'");
                            return self.err(format!("{msg} (minipy has \\n \\t \\\\ \\' \\\")"));
                        }
                    };
                    self.bump();
                    s.push(escaped);
                }
                Some(c) => {
                    self.bump();
                    if c == quote {
                        return Ok(s);
                    }
                    s.push(c);
                }
            }
        }
    }

    /// Lexes an operator or bracket; the current character is not a space, digit, letter or quote.
    fn operator(&mut self) -> Result<Tok, LexError> {
        let (line, col) = (self.line, self.col);
        let Some(c) = self.bump() else {
            return self.err("unexpected end of input");
        };
        let next = self.peek();
        let next2 = self.peek_at(1);
        let unsupported = |op: &str| {
            Err((
                line,
                col,
                format!("operator '{op}' is not supported by minipy"),
            ))
        };
        let (tok, extra) = match (c, next, next2) {
            ('+', Some('='), _) => (Tok::PlusAssign, 1),
            ('+', ..) => (Tok::Plus, 0),
            ('-', Some('='), _) => (Tok::MinusAssign, 1),
            ('-', Some('>'), _) => return unsupported("->"),
            ('-', ..) => (Tok::Minus, 0),
            ('*', Some('*'), Some('=')) => return unsupported("**="),
            ('*', Some('*'), _) => (Tok::DoubleStar, 1),
            ('*', Some('='), _) => (Tok::StarAssign, 1),
            ('*', ..) => (Tok::Star, 0),
            ('/', Some('/'), Some('=')) => (Tok::DoubleSlashAssign, 2),
            ('/', Some('/'), _) => (Tok::DoubleSlash, 1),
            ('/', Some('='), _) => (Tok::SlashAssign, 1),
            ('/', ..) => (Tok::Slash, 0),
            ('%', Some('='), _) => (Tok::PercentAssign, 1),
            ('%', ..) => (Tok::Percent, 0),
            ('=', Some('='), _) => (Tok::EqEq, 1),
            ('=', ..) => (Tok::Assign, 0),
            ('!', Some('='), _) => (Tok::NotEq, 1),
            ('<', Some('='), _) => (Tok::Le, 1),
            ('<', Some('<'), _) => return unsupported("<<"),
            ('<', ..) => (Tok::Lt, 0),
            ('>', Some('='), _) => (Tok::Ge, 1),
            ('>', Some('>'), _) => return unsupported(">>"),
            ('>', ..) => (Tok::Gt, 0),
            (':', Some('='), _) => return unsupported(":="),
            (':', ..) => (Tok::Colon, 0),
            (',', ..) => (Tok::Comma, 0),
            ('.', ..) => (Tok::Dot, 0),
            ('(' | '[' | '{', ..) => {
                self.brackets.push((c, line, col));
                let tok = match c {
                    '(' => Tok::LParen,
                    '[' => Tok::LBracket,
                    _ => Tok::LBrace,
                };
                (tok, 0)
            }
            (')' | ']' | '}', ..) => {
                let (open, tok) = match c {
                    ')' => ('(', Tok::RParen),
                    ']' => ('[', Tok::RBracket),
                    _ => ('{', Tok::RBrace),
                };
                match self.brackets.pop() {
                    Some((o, ..)) if o == open => (tok, 0),
                    Some((o, ..)) => {
                        return Err((
                            line,
                            col,
                            format!("closing bracket '{c}' does not match opening bracket '{o}'"),
                        ))
                    }
                    None => return Err((line, col, format!("unmatched '{c}'"))),
                }
            }
            (';', ..) => {
                return Err((
                    line,
                    col,
                    "';' is not supported: put each statement on its own line".into(),
                ))
            }
            ('\\', ..) => {
                return Err((
                    line,
                    col,
                    "backslash line continuation is not supported".into(),
                ))
            }
            ('@' | '&' | '|' | '^' | '~', ..) => return unsupported(&c.to_string()),
            _ => return Err((line, col, format!("unexpected character {c:?}"))),
        };
        for _ in 0..extra {
            self.bump();
        }
        Ok(tok)
    }
}
