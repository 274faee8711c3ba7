//! DJM101 queryset-truthiness: a queryset in a boolean context loads every row just to
//! learn whether there is one.

use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::{Checker, Deferred};
use crate::diagnostic::{Diagnostic, Fix};
use crate::registry::Rule;
use crate::rules::{model_rows, pending_or_report};

/// DJM101
pub(crate) fn queryset_truthiness(checker: &mut Checker, test: &Expr) {
    let value = checker.semantic.infer(test);
    let Some(info) = value.queryset() else {
        return;
    };
    // A prefetched relation is already in memory; a bounded slice loads a few rows.
    if info.prefetched || info.loads_few_rows() {
        return;
    }
    if crate::rules::preview_only_here(checker, Rule::QuerysetTruthiness, Some(info)) {
        return;
    }
    let shown = match test {
        Expr::Named(named) => named.target.as_ref(),
        _ => test,
    };
    let text = checker.snippet(shown.range());
    let receiver = crate::rules::receiver_snippet(checker, shown);
    let rows = model_rows(checker, info);
    // In `async def` the question is `await qs.aexists()`.
    let (awaited, exists) = if checker.semantic.in_async_function() {
        ("await ", "aexists")
    } else {
        ("", "exists")
    };
    let mut diagnostic = Diagnostic::new(
        Rule::QuerysetTruthiness,
        format!("`{text}` loads {rows} just to test whether there is one"),
        test.range(),
    )
    .with_help(format!(
        "use `{awaited}{receiver}.{exists}()`: the database checks for one row"
    ));
    if checker.pure_test && is_primary(test) {
        let source = checker.text(test.range());
        diagnostic = diagnostic.with_fix(Fix::replacement(
            format!("Use `{awaited}{receiver}.{exists}()`"),
            test.range(),
            format!("{awaited}{source}.{exists}()"),
        ));
    }
    pending_or_report(checker, test, diagnostic, |binding, diagnostic| {
        Deferred::UnlessEvaluated {
            binding,
            diagnostic,
            subject: text.to_string(),
            rows,
        }
    });
}

/// Expressions `.exists()` can be appended to without brackets.
pub(crate) fn is_primary(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Name(_) | Expr::Attribute(_) | Expr::Call(_) | Expr::Subscript(_)
    )
}
