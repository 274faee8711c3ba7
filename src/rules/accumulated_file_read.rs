//! DJM506 accumulated-file-read: whole files concatenated onto one string in a loop.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::TextRange;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;

/// `x = x + open(p).read()`, `x = x + p.read_text() + "\n"`.
pub(crate) fn assignment(checker: &mut Checker, targets: &[Expr], value: &Expr, range: TextRange) {
    let [Expr::Name(target)] = targets else {
        return;
    };
    let Expr::BinOp(binop) = value else {
        return;
    };
    if binop.op != ast::Operator::Add || leftmost_operand(value) != Some(target.id.as_str()) {
        return;
    }
    if concatenates_whole_read(value, 0) {
        report(checker, target.id.as_str(), range);
    }
}

/// `x += f.read()`.
pub(crate) fn augmented(checker: &mut Checker, target: &Expr, value: &Expr, range: TextRange) {
    let Expr::Name(target) = target else {
        return;
    };
    if concatenates_whole_read(value, 0) {
        report(checker, target.id.as_str(), range);
    }
}

fn leftmost_operand(expr: &Expr) -> Option<&str> {
    match expr {
        // `x = x * 2 + f.read()` still grows `x`.
        Expr::BinOp(binop) => leftmost_operand(&binop.left),
        Expr::Name(name) => Some(name.id.as_str()),
        _ => None,
    }
}

/// Whether a whole-file read is one of the pieces of the value (through string methods
/// such as `.decode()` or `.strip()`), not hidden in a call like `len(...)`.
fn concatenates_whole_read(expr: &Expr, depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    match expr {
        // `+`, and `%` or `*` of a read (`x += f.read() % args`): the file's text is
        // in the result either way.
        Expr::BinOp(binop) => {
            concatenates_whole_read(&binop.left, depth + 1)
                || concatenates_whole_read(&binop.right, depth + 1)
        }
        Expr::Call(call) => {
            let Expr::Attribute(attribute) = call.func.as_ref() else {
                return false;
            };
            match attribute.attr.as_str() {
                "read" => call.arguments.args.is_empty() && call.arguments.keywords.is_empty(),
                "read_text" | "read_bytes" => true,
                "decode" | "strip" | "rstrip" | "lstrip" | "lower" | "upper" | "replace" => {
                    concatenates_whole_read(&attribute.value, depth + 1)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

fn report(checker: &mut Checker, target: &str, range: TextRange) {
    if checker.semantic.enclosing_loops().is_empty() || !checker.enabled(Rule::AccumulatedFileRead)
    {
        return;
    }
    checker.report(
        Diagnostic::new(
            Rule::AccumulatedFileRead,
            format!("`{target}` grows by a whole file on every pass: all the files' contents are held at once, and each concatenation copies what came before"),
            range,
        )
        .with_help("process each file as it is read, or collect the parts in a list and join once"),
    );
}
