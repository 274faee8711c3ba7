//! DJM105 import-time-queryset: a queryset evaluated while a module is imported runs
//! its query at start-up and keeps the rows for the life of the process.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;
use ruff_text_size::TextRange;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::rules::is_builtin_call;
use crate::semantic::Value;

const EVALUATING_BUILTINS: &[&str] =
    &["list", "tuple", "set", "frozenset", "sorted", "dict", "len"];

/// DJM105: `list(qs)`, `dict(qs)`, `len(qs)`, ... at module or class level.
pub(crate) fn evaluating_call(checker: &mut Checker, call: &ast::ExprCall) {
    if !checker.semantic.at_import_time() {
        return;
    }
    let Some(first) = call.arguments.args.first() else {
        return;
    };
    if !EVALUATING_BUILTINS
        .iter()
        .any(|name| is_builtin_call(checker, call, name))
    {
        return;
    }
    if checker.semantic.infer(first).queryset().is_some() {
        report(checker, call.range());
    }
}

/// DJM105: a comprehension over a queryset at module or class level.
pub(crate) fn import_time_comprehension(
    checker: &mut Checker,
    comprehension: &Expr,
    _iter: &Expr,
    iterated: &Value,
) {
    if checker.semantic.at_import_time() && iterated.queryset().is_some() {
        report(checker, comprehension.range());
    }
}

/// DJM105: a module-level `for` loop over a queryset.
pub(crate) fn import_time_loop(checker: &mut Checker, iter: &Expr, iterated: &Value) {
    if checker.semantic.at_import_time() && iterated.queryset().is_some() {
        report(checker, iter.range());
    }
}

fn report(checker: &mut Checker, range: TextRange) {
    let text = checker.snippet(range);
    checker.report(
        Diagnostic::new(
            Rule::ImportTimeQueryset,
            format!(
                "`{text}` runs its query when the module is imported and keeps every row for the life of the process"
            ),
            range,
        )
        .with_help(
            "evaluate it inside a function, or hand over the lazy queryset itself (a callable `choices`, `ModelChoiceField(queryset=...)`)",
        ),
    );
}
