//! DJM102 queryset-len: `len(qs)` loads every row to count them.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::{Checker, Deferred};
use crate::diagnostic::{Diagnostic, Fix};
use crate::registry::Rule;
use crate::rules::queryset_truthiness::is_primary;
use crate::rules::{is_builtin_call, model_rows, pending_or_report};

/// DJM102
pub(crate) fn queryset_len(checker: &mut Checker, call: &ast::ExprCall) {
    if !is_builtin_call(checker, call, "len") || call.arguments.args.len() != 1 {
        return;
    }
    // At import time DJM105 reports the same call with the worse consequence.
    if checker.semantic.at_import_time() && checker.enabled(Rule::ImportTimeQueryset) {
        return;
    }
    let argument: &Expr = &call.arguments.args[0];
    let value = checker.semantic.infer(argument);
    let Some(info) = value.queryset() else {
        return;
    };
    // A prefetched relation is already in memory; a bounded slice loads a few rows.
    if info.prefetched || info.loads_few_rows() {
        return;
    }
    if crate::rules::preview_only_here(checker, Rule::QuerysetLen, Some(info)) {
        return;
    }
    let text = checker.snippet(argument.range());
    let shown_receiver = crate::rules::receiver_snippet(checker, argument);
    let rows = model_rows(checker, info);
    let source = checker.text(argument.range());
    // In `async def` the queryset is counted with `await qs.acount()`.
    let (awaited, count) = if checker.semantic.in_async_function() {
        ("await ", "acount")
    } else {
        ("", "count")
    };
    // A multi-line argument keeps its continuation lines only inside parentheses.
    let receiver = if is_primary(argument) && !source.contains('\n') {
        source.to_string()
    } else {
        format!("({source})")
    };
    // The replacement drops what lies between `len(` and the argument: never a comment.
    let call_text = checker.text(call.range());
    let outside = call_text.replacen(source, "", 1);
    let diagnostic = Diagnostic::new(
        Rule::QuerysetLen,
        format!("`len({text})` loads {rows} into memory just to count them"),
        call.range(),
    )
    .with_help(format!(
        "use `{awaited}{shown_receiver}.{count}()`: the database counts the rows"
    ));
    let diagnostic = if outside.contains('#') {
        diagnostic
    } else {
        diagnostic.with_fix(Fix::replacement(
            format!("Use `{awaited}{shown_receiver}.{count}()`"),
            call.range(),
            format!("{awaited}{receiver}.{count}()"),
        ))
    };
    pending_or_report(checker, argument, diagnostic, |binding, diagnostic| {
        Deferred::UnlessEvaluated {
            binding,
            diagnostic,
            subject: text.to_string(),
            rows,
        }
    });
}
