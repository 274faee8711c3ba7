//! Turning a file's bytes into an AST. Every failure becomes a tool diagnostic
//! (DJM001 for Python that does not parse, DJM002 for bytes that are not UTF-8 text),
//! never a panic, and deep trees are torn down without recursion.

use rustpython_parser::ast::{self, Expr, Stmt};
use rustpython_parser::text_size::{TextRange, TextSize};
use rustpython_parser::{Mode, parse};

/// A parsed module. Dropping a tree nested tens of thousands of levels deep with the
/// default recursive drop overflows the stack, so `Drop` takes it apart with a worklist.
pub(crate) struct ParsedModule {
    pub(crate) body: Vec<Stmt>,
}

pub(crate) enum SourceError {
    /// Not text dormlint can read; the message says why.
    Unreadable(String),
    /// Text that is not valid Python: the parser's words and where it stopped.
    Syntax { message: String, offset: TextSize },
}

/// Decode a file's bytes as Python source: UTF-8, optional BOM, no NUL bytes.
pub(crate) fn decode(bytes: Vec<u8>) -> Result<String, SourceError> {
    if let Some(at) = memchr_nul(&bytes) {
        return Err(SourceError::Unreadable(format!(
            "the file contains a NUL byte at offset {at}: not Python source"
        )));
    }
    let mut text = String::from_utf8(bytes).map_err(|error| {
        SourceError::Unreadable(format!(
            "the file is not valid UTF-8 (invalid byte at offset {})",
            error.utf8_error().valid_up_to()
        ))
    })?;
    if text.starts_with('\u{feff}') {
        // Keep offsets meaningful for editors: a BOM is replaced by nothing the user sees.
        text.replace_range(..3, "");
    }
    Ok(text)
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}

/// Parses `text`; if it fails on syntax newer than the parser knows, masks that syntax
/// (offsets unchanged) and parses again. The error reported is the first parse's.
pub(crate) fn parse_module(text: &str, path: &str) -> Result<ParsedModule, SourceError> {
    match parse_once(text, path) {
        Ok(module) => Ok(module),
        Err(error) => match crate::modern::mask(text) {
            Some(masked) => parse_once(&masked, path).map_err(|_| error),
            None => Err(error),
        },
    }
}

fn parse_once(text: &str, path: &str) -> Result<ParsedModule, SourceError> {
    match parse(text, Mode::Module, path) {
        Ok(ast::Mod::Module(module)) => Ok(ParsedModule { body: module.body }),
        Ok(_) => Ok(ParsedModule { body: Vec::new() }),
        Err(error) => Err(SourceError::Syntax {
            message: error.error.to_string(),
            offset: error.offset.min(TextSize::of(text)),
        }),
    }
}

impl SourceError {
    pub(crate) fn range(&self) -> TextRange {
        match self {
            SourceError::Unreadable(_) => TextRange::default(),
            SourceError::Syntax { offset, .. } => TextRange::empty(*offset),
        }
    }
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

    #[expect(
        clippy::boxed_local,
        reason = "the AST hands us its boxes; we unbox them here"
    )]
    fn args(&mut self, args: Box<ast::Arguments>) {
        let args = *args;
        for arg in args
            .posonlyargs
            .into_iter()
            .chain(args.args)
            .chain(args.kwonlyargs)
        {
            self.oe(arg.default);
            self.oe(arg.def.annotation);
        }
    }

    fn take_stmt(&mut self, stmt: Stmt) {
        match stmt {
            Stmt::FunctionDef(s) => {
                self.stmts.extend(s.body);
                self.exprs.extend(s.decorator_list);
                self.oe(s.returns);
                self.args(s.args);
            }
            Stmt::AsyncFunctionDef(s) => {
                self.stmts.extend(s.body);
                self.exprs.extend(s.decorator_list);
                self.oe(s.returns);
                self.args(s.args);
            }
            Stmt::ClassDef(s) => {
                self.stmts.extend(s.body);
                self.exprs.extend(s.decorator_list);
                self.exprs.extend(s.bases);
                self.exprs.extend(s.keywords.into_iter().map(|k| k.value));
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
            Stmt::AsyncFor(s) => {
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
                self.stmts.extend(s.orelse);
            }
            Stmt::With(s) => {
                for item in s.items {
                    self.exprs.push(item.context_expr);
                    self.oe(item.optional_vars);
                }
                self.stmts.extend(s.body);
            }
            Stmt::AsyncWith(s) => {
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
            Stmt::TryStar(s) => {
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
            | Stmt::Continue(_) => {}
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
            Expr::NamedExpr(e) => {
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
                self.args(e.args);
            }
            Expr::IfExp(e) => {
                self.e(e.test);
                self.e(e.body);
                self.e(e.orelse);
            }
            Expr::Dict(e) => {
                self.exprs.extend(e.keys.into_iter().flatten());
                self.exprs.extend(e.values);
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
                self.e(e.key);
                self.e(e.value);
                self.comprehension(e.generators);
            }
            Expr::GeneratorExp(e) => {
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
                self.exprs.extend(e.args);
                self.exprs.extend(e.keywords.into_iter().map(|k| k.value));
            }
            Expr::FormattedValue(e) => {
                self.e(e.value);
                self.oe(e.format_spec);
            }
            Expr::JoinedStr(e) => self.exprs.extend(e.values),
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
            Expr::Constant(_) | Expr::Name(_) => {}
        }
    }
}
