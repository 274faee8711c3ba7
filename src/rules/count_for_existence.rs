//! DJM104 count-for-existence: `qs.count() > 0` counts every matching row to learn
//! whether there is one.

use ruff_python_ast::{self as ast, CmpOp, Expr};
use ruff_text_size::Ranged;
use ruff_text_size::TextRange;

use crate::checker::Checker;
use crate::diagnostic::{Diagnostic, Fix};
use crate::registry::Rule;

/// The queryset a count is asked of, as the fix rewrites it.
#[derive(Clone, Copy)]
struct Receiver {
    range: TextRange,
    /// Brackets wrap it (`(a | b).count()`: the range leaves them out).
    wrapped: bool,
    /// `await qs.acount()`: the fix is `await qs.aexists()`.
    awaited: bool,
}

/// `qs.count()` (or `await qs.acount()`) on a queryset or manager, or None.
fn count_receiver<'a>(checker: &Checker<'a>, expr: &Expr) -> Option<Receiver> {
    let (call, awaited) = match expr {
        Expr::Call(call) => (call, false),
        Expr::Await(awaited) => match awaited.value.as_ref() {
            Expr::Call(call) => (call, true),
            _ => return None,
        },
        _ => return None,
    };
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return None;
    };
    let method = if awaited { "acount" } else { "count" };
    if attribute.attr.as_str() != method
        || !call.arguments.args.is_empty()
        || !call.arguments.keywords.is_empty()
    {
        return None;
    }
    let receiver = checker.semantic.infer(&attribute.value);
    let info = receiver.query_source()?;
    // A prefetched relation counts its cached rows: no query at all. On a few rows (one
    // row, a bounded slice, superusers, content types) COUNT and EXISTS cost the same.
    if info.prefetched
        || info.loads_few_rows()
        || crate::rules::preview_only_here(checker, Rule::CountForExistence, Some(info))
    {
        return None;
    }
    // Only `)`, blanks and `.count` lie between the receiver and the end of `.count`.
    let after = TextRange::new(attribute.value.range().end(), attribute.range().end());
    Some(Receiver {
        range: attribute.value.range(),
        wrapped: checker.text(after).contains(')'),
        awaited,
    })
}

fn int_constant(expr: &Expr) -> Option<i64> {
    crate::semantic::literal::int(expr)
}

/// DJM104: `qs.count() > 0`, `== 0`, `0 < qs.count()`, ...
pub(crate) fn count_compared_to_zero(checker: &mut Checker, compare: &ast::ExprCompare) {
    let ([op], [right]) = (&*compare.ops, &*compare.comparators) else {
        return;
    };
    let (receiver, op, constant) =
        match (count_receiver(checker, &compare.left), int_constant(right)) {
            (Some(receiver), Some(constant)) => (receiver, *op, constant),
            _ => match (int_constant(&compare.left), count_receiver(checker, right)) {
                (Some(constant), Some(receiver)) => (receiver, mirror(*op), constant),
                _ => return,
            },
        };
    let exists = match (op, constant) {
        (CmpOp::Gt, 0) | (CmpOp::GtE, 1) | (CmpOp::NotEq, 0) => true,
        (CmpOp::Eq, 0) | (CmpOp::Lt, 1) | (CmpOp::LtE, 0) => false,
        _ => return,
    };
    let question = exists_call(checker, receiver);
    let replacement = if exists {
        question
    } else {
        format!("not {question}")
    };
    report(checker, compare.range(), receiver, &replacement);
}

/// DJM104: `if qs.count():`, `not qs.count()`.
pub(crate) fn count_as_truth_value(checker: &mut Checker, test: &Expr) {
    let Some(receiver) = count_receiver(checker, test) else {
        return;
    };
    let replacement = exists_call(checker, receiver);
    report(checker, test.range(), receiver, &replacement);
}

/// `qs.exists()`, or `await qs.aexists()`, with the receiver's brackets when it had
/// them, so that `(a | b).count() > 0` becomes `(a | b).exists()`, not
/// `a | b.exists()`.
fn exists_call(checker: &Checker, receiver: Receiver) -> String {
    let source = checker.text(receiver.range);
    let source = if receiver.wrapped {
        format!("({source})")
    } else {
        source.to_string()
    };
    if receiver.awaited {
        format!("await {source}.aexists()")
    } else {
        format!("{source}.exists()")
    }
}

fn report(checker: &mut Checker, range: TextRange, receiver: Receiver, replacement: &str) {
    let text = checker.snippet(range);
    let shown = if replacement.chars().count() <= 60 {
        replacement.to_string()
    } else if receiver.awaited {
        "….aexists()".to_string()
    } else {
        "….exists()".to_string()
    };
    let diagnostic = Diagnostic::new(
        Rule::CountForExistence,
        format!("`{text}` counts every matching row just to learn whether there is one"),
        range,
    )
    .with_help(format!(
        "use `{shown}`: the database stops at the first row"
    ));
    // The replacement keeps only the receiver's text: never drop a comment around it.
    let outside = checker
        .text(range)
        .replacen(checker.text(receiver.range), "", 1);
    if outside.contains('#') {
        checker.report(diagnostic);
        return;
    }
    checker.report(diagnostic.with_fix(Fix::replacement(
        format!("Use `{shown}`"),
        range,
        replacement.to_string(),
    )));
}

/// `0 < x` reads as `x > 0`.
fn mirror(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::LtE => CmpOp::GtE,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::GtE => CmpOp::LtE,
        other => other,
    }
}

/// A `.count()` compared to zero that DJM203 reports as a query run for every row of a
/// loop is that loop's finding, not a second one: `.exists()` in its place still
/// queries once per row, and fetching before the loop removes both. One root cause,
/// one finding: the DJM104 is dropped while the DJM203 stands. Called on a file's
/// findings once `noqa` and `per-file-ignores` have had their say, so that silencing
/// the DJM203 brings the DJM104 back; a `# noqa: DJM104` there is still used.
pub(crate) fn leave_counts_run_per_row_to_query_in_loop(diagnostics: &mut Vec<Diagnostic>) {
    let per_row: Vec<TextRange> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.rule == Rule::QueryInLoop)
        .flat_map(|diagnostic| {
            let queries = diagnostic
                .secondary
                .iter()
                .filter(|(_, label)| label != "the loop")
                .map(|(range, _)| *range);
            std::iter::once(diagnostic.range).chain(queries)
        })
        .collect();
    if per_row.is_empty() {
        return;
    }
    diagnostics.retain(|diagnostic| {
        diagnostic.rule != Rule::CountForExistence
            || !per_row
                .iter()
                .any(|range| diagnostic.range.contains_range(*range))
    });
}
