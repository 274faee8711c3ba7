//! Turning a file's bytes into an AST with `ruff_python_parser`. Bytes that are not
//! text give DJM002; syntax errors give DJM001 at the parser's position, and the parser
//! recovers, so the rest of the file still has a tree. Nothing here panics, and deep
//! trees are torn down without recursion.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_python_parser::{Mode, ParseOptions};
use ruff_text_size::TextRange;

/// A parsed module, possibly recovered from syntax errors. Dropping a tree nested tens
/// of thousands of levels deep with the default recursive drop overflows the stack, so
/// `Drop` takes it apart with a worklist.
pub(crate) struct ParsedModule {
    pub(crate) body: Vec<Stmt>,
    /// Every syntax error the parser recovered from, in source order.
    pub(crate) errors: Vec<SyntaxError>,
}

/// One syntax error: the parser's words (`Expected ')', found newline`) and where.
#[derive(Clone, Debug)]
pub(crate) struct SyntaxError {
    pub(crate) message: String,
    pub(crate) range: TextRange,
}

/// Why a file's bytes are not Python source dormlint can read; the message says why.
pub(crate) struct Unreadable(pub(crate) String);

/// Decode a file's bytes as Python source: UTF-8 with an optional BOM, or the encoding
/// a PEP 263 declaration names (`# -*- coding: latin-1 -*-`); never NUL bytes.
pub(crate) fn decode(bytes: Vec<u8>) -> Result<String, Unreadable> {
    decode_source(bytes).map(|decoded| decoded.text)
}

/// A file's text, and whether it was decoded from an encoding other than UTF-8: such a
/// file gets no fix edits, since writing the fixed text back would change its bytes.
pub(crate) struct Decoded {
    pub(crate) text: String,
    pub(crate) transcoded: bool,
}

/// `decode`, saying whether the text was transcoded.
pub(crate) fn decode_source(bytes: Vec<u8>) -> Result<Decoded, Unreadable> {
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(Unreadable(format!(
            "the file contains a NUL byte at offset {at}: not Python source"
        )));
    }
    // A UTF-8 declaration changes nothing: the bytes are read as undeclared ones are.
    let declared = declared_encoding(&bytes).filter(|label| !is_utf_8(label));
    let text = match declared.as_deref() {
        None => String::from_utf8(bytes).map_err(|error| {
            Unreadable(format!(
                "the file is not valid UTF-8 (invalid byte at offset {}) and declares no other encoding",
                error.utf8_error().valid_up_to()
            ))
        })?,
        Some(label) => {
            let text = transcode(&bytes, label)?;
            return Ok(Decoded {
                transcoded: text.as_bytes() != bytes.as_slice(),
                text,
            });
        }
    };
    let mut text = text;
    if text.starts_with('\u{feff}') {
        // Keep offsets meaningful for editors: a BOM is replaced by nothing the user sees.
        text.replace_range(..3, "");
    }
    Ok(Decoded {
        text,
        transcoded: false,
    })
}

/// The encoding a PEP 263 comment declares, lower-cased with `_` as `-`: on the first
/// line, or on the second when the first is blank or a comment (as CPython reads it).
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let mut lines = bytes.split(|&b| b == b'\n');
    let first = lines.next()?;
    let first = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(first);
    if let Some(label) = coding_comment(first) {
        return Some(label);
    }
    let blank_or_comment = first
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\x0c' | b'\r'))
        .is_none_or(|&b| b == b'#');
    if blank_or_comment {
        return lines.next().and_then(coding_comment);
    }
    None
}

/// `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`, PEP 263's pattern.
fn coding_comment(line: &[u8]) -> Option<String> {
    let line = std::str::from_utf8(line).ok().or_else(|| {
        // Only the ASCII part of the comment matters.
        let end = line
            .iter()
            .position(|b| !b.is_ascii())
            .unwrap_or(line.len());
        std::str::from_utf8(&line[..end]).ok()
    })?;
    let comment = line
        .trim_start_matches([' ', '\t', '\x0c'])
        .strip_prefix('#')?;
    let at = comment.find("coding")?;
    let rest = &comment[at + "coding".len()..];
    let rest = rest.strip_prefix([':', '='])?;
    let label: String = rest
        .trim_start_matches([' ', '\t'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (!label.is_empty()).then(|| label.to_ascii_lowercase().replace('_', "-"))
}

fn is_utf_8(label: &str) -> bool {
    label == "utf-8" || label == "utf8" || label.starts_with("utf-8-")
}

/// Decodes `bytes` from the declared encoding. Latin-1 is decoded by hand: the WHATWG
/// tables `encoding_rs` follows read the label as windows-1252, which differs from
/// Python's latin-1 in 0x80-0x9F.
fn transcode(bytes: &[u8], label: &str) -> Result<String, Unreadable> {
    let latin_1 = matches!(
        label,
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "iso-latin-1" | "l1" | "8859" | "cp819"
    ) || label.starts_with("latin-1-")
        || label.starts_with("iso-8859-1-");
    if latin_1 {
        return Ok(bytes.iter().map(|&b| char::from(b)).collect());
    }
    let Some(encoding) = encoding_rs::Encoding::for_label(label.as_bytes()) else {
        return Err(Unreadable(format!(
            "the file declares the encoding `{label}`, which dormlint cannot decode"
        )));
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(Unreadable(format!(
            "the file is not valid `{label}` text, the encoding it declares"
        )));
    }
    Ok(text.into_owned())
}

/// Parses `text` as a module of the newest Python the parser knows (3.14): code valid
/// for any version parses as itself. Version-only complaints (a `match` statement
/// before 3.10) are not errors of the file.
pub(crate) fn parse_module(text: &str) -> ParsedModule {
    let options = ParseOptions::from(Mode::Module).with_target_version(ast::PythonVersion::PY314);
    let parsed = ruff_python_parser::parse_unchecked(text, options);
    let errors = parsed
        .errors()
        .iter()
        .map(|error| SyntaxError {
            // ruff's wording, and ruff's prefix: what a Python user knows from CPython.
            message: format!("SyntaxError: {}", error.error),
            range: error.location,
        })
        .collect();
    let body = match parsed.into_syntax() {
        ast::Mod::Module(module) => module.body.into_iter().collect(),
        ast::Mod::Expression(_) => Vec::new(),
    };
    ParsedModule { body, errors }
}

impl Drop for ParsedModule {
    fn drop(&mut self) {
        let mut work = Worklist::default();
        work.stmts.append(&mut self.body);
        work.run();
    }
}

#[derive(Default)]
struct Worklist {
    stmts: Vec<Stmt>,
    exprs: Vec<Expr>,
}

impl Worklist {
    fn run(&mut self) {
        loop {
            if let Some(stmt) = self.stmts.pop() {
                self.take_stmt(stmt);
            } else if let Some(expr) = self.exprs.pop() {
                self.take_expr(expr);
            } else {
                break;
            }
        }
    }

    #[expect(
        clippy::boxed_local,
        reason = "the AST hands us its boxes; we unbox them here"
    )]
    fn e(&mut self, expr: Box<Expr>) {
        self.exprs.push(*expr);
    }

    fn oe(&mut self, expr: Option<Box<Expr>>) {
        if let Some(expr) = expr {
            self.exprs.push(*expr);
        }
    }

    fn parameters(&mut self, parameters: ast::Parameters) {
        for parameter in parameters
            .posonlyargs
            .into_iter()
            .chain(parameters.args)
            .chain(parameters.kwonlyargs)
        {
            self.oe(parameter.default);
            self.oe(parameter.parameter.annotation);
        }
        for parameter in [parameters.vararg, parameters.kwarg].into_iter().flatten() {
            self.oe(parameter.annotation);
        }
    }

    fn arguments(&mut self, arguments: ast::Arguments) {
        self.exprs.extend(arguments.args);
        self.exprs
            .extend(arguments.keywords.into_iter().map(|k| k.value));
    }

    fn take_stmt(&mut self, stmt: Stmt) {
        match stmt {
            Stmt::FunctionDef(s) => {
                self.stmts.extend(s.body);
                self.exprs
                    .extend(s.decorator_list.into_iter().map(|d| d.expression));
                self.oe(s.returns);
                self.parameters(*s.parameters);
            }
            Stmt::ClassDef(s) => {
                self.stmts.extend(s.body);
                self.exprs
                    .extend(s.decorator_list.into_iter().map(|d| d.expression));
                if let Some(arguments) = s.arguments {
                    self.arguments(*arguments);
                }
            }
            Stmt::Return(s) => self.oe(s.value),
            Stmt::Delete(s) => self.exprs.extend(s.targets),
            Stmt::Assign(s) => {
                self.exprs.extend(s.targets);
                self.e(s.value);
            }
            Stmt::AugAssign(s) => {
                self.e(s.target);
                self.e(s.value);
            }
            Stmt::AnnAssign(s) => {
                self.e(s.target);
                self.e(s.annotation);
                self.oe(s.value);
            }
            Stmt::For(s) => {
                self.e(s.target);
                self.e(s.iter);
                self.stmts.extend(s.body);
                self.stmts.extend(s.orelse);
            }
            Stmt::While(s) => {
                self.e(s.test);
                self.stmts.extend(s.body);
                self.stmts.extend(s.orelse);
            }
            Stmt::If(s) => {
                self.e(s.test);
                self.stmts.extend(s.body);
                for clause in s.elif_else_clauses {
                    if let Some(test) = clause.test {
                        self.exprs.push(test);
                    }
                    self.stmts.extend(clause.body);
                }
            }
            Stmt::With(s) => {
                for item in s.items {
                    self.exprs.push(item.context_expr);
                    self.oe(item.optional_vars);
                }
                self.stmts.extend(s.body);
            }
            Stmt::Match(s) => {
                self.e(s.subject);
                for case in s.cases {
                    self.oe(case.guard);
                    self.stmts.extend(case.body);
                }
            }
            Stmt::Raise(s) => {
                self.oe(s.exc);
                self.oe(s.cause);
            }
            Stmt::Try(s) => {
                self.stmts.extend(s.body);
                self.stmts.extend(s.orelse);
                self.stmts.extend(s.finalbody);
                for ast::ExceptHandler::ExceptHandler(h) in s.handlers {
                    self.oe(h.type_);
                    self.stmts.extend(h.body);
                }
            }
            Stmt::Assert(s) => {
                self.e(s.test);
                self.oe(s.msg);
            }
            Stmt::Expr(s) => self.e(s.value),
            Stmt::TypeAlias(s) => {
                self.e(s.name);
                self.e(s.value);
            }
            Stmt::Import(_)
            | Stmt::ImportFrom(_)
            | Stmt::Global(_)
            | Stmt::Nonlocal(_)
            | Stmt::Pass(_)
            | Stmt::Break(_)
            | Stmt::Continue(_)
            | Stmt::IpyEscapeCommand(_) => {}
        }
    }

    fn comprehension(&mut self, generators: Vec<ast::Comprehension>) {
        for generator in generators {
            self.exprs.push(generator.target);
            self.exprs.push(generator.iter);
            self.exprs.extend(generator.ifs);
        }
    }

    fn take_expr(&mut self, expr: Expr) {
        match expr {
            Expr::BoolOp(e) => self.exprs.extend(e.values),
            Expr::Named(e) => {
                self.e(e.target);
                self.e(e.value);
            }
            Expr::BinOp(e) => {
                self.e(e.left);
                self.e(e.right);
            }
            Expr::UnaryOp(e) => self.e(e.operand),
            Expr::Lambda(e) => {
                self.e(e.body);
                if let Some(parameters) = e.parameters {
                    self.parameters(*parameters);
                }
            }
            Expr::If(e) => {
                self.e(e.test);
                self.e(e.body);
                self.e(e.orelse);
            }
            Expr::Dict(e) => {
                for item in e.items {
                    self.exprs.extend(item.key);
                    self.exprs.push(item.value);
                }
            }
            Expr::Set(e) => self.exprs.extend(e.elts),
            Expr::ListComp(e) => {
                self.e(e.elt);
                self.comprehension(e.generators);
            }
            Expr::SetComp(e) => {
                self.e(e.elt);
                self.comprehension(e.generators);
            }
            Expr::DictComp(e) => {
                self.oe(e.key);
                self.e(e.value);
                self.comprehension(e.generators);
            }
            Expr::Generator(e) => {
                self.e(e.elt);
                self.comprehension(e.generators);
            }
            Expr::Await(e) => self.e(e.value),
            Expr::Yield(e) => self.oe(e.value),
            Expr::YieldFrom(e) => self.e(e.value),
            Expr::Compare(e) => {
                self.e(e.left);
                self.exprs.extend(e.comparators);
            }
            Expr::Call(e) => {
                self.e(e.func);
                self.arguments(e.arguments);
            }
            Expr::Attribute(e) => self.e(e.value),
            Expr::Subscript(e) => {
                self.e(e.value);
                self.e(e.slice);
            }
            Expr::Starred(e) => self.e(e.value),
            Expr::List(e) => self.exprs.extend(e.elts),
            Expr::Tuple(e) => self.exprs.extend(e.elts),
            Expr::Slice(e) => {
                self.oe(e.lower);
                self.oe(e.upper);
                self.oe(e.step);
            }
            // Interpolated strings nest only as deep as their replacement fields, which
            // the parser bounds in practice; they drop the ordinary way.
            Expr::FString(_)
            | Expr::TString(_)
            | Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::EllipsisLiteral(_)
            | Expr::Name(_)
            | Expr::IpyEscapeCommand(_) => {}
        }
    }
}
