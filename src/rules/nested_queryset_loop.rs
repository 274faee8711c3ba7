//! DJM202 nested-queryset-loop: an inner loop whose queryset is evaluated again on every
//! pass of an outer loop over another queryset.

use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::semantic::Value;

/// DJM202. Returns whether it reported, so DJM201 does not report the same iterable.
pub(crate) fn nested_queryset_loop(checker: &mut Checker, iter: &Expr, iterated: &Value) -> bool {
    let (info, is_iterator) = match iterated {
        Value::Queryset(info) => (info, false),
        Value::Iterator(info) => (info, true),
        _ => return false,
    };
    // At most one row per pass is DJM203's single-result query, not a nested loop.
    // Under `if prev != key: prev = key` the inner query runs once per group of rows.
    if info.prefetched
        || info.single_row
        || checker.semantic.change_guards > 0
        || crate::rules::preview_only_here(checker, Rule::NestedQuerysetLoop, Some(info))
    {
        return false;
    }
    let Some(outer) = checker
        .semantic
        .enclosing_loops()
        .iter()
        .find(|frame| frame.queryset.is_some())
    else {
        return false;
    };
    let (outer_id, outer_range) = (outer.id, outer.iter_range);
    let reevaluated = match iter {
        // A name bound before the outer loop keeps its result cache between passes; one
        // bound inside it is a new queryset each time.
        // Evaluated already in this pass (a comprehension above): this loop reads the
        // result cache, and the finding belongs to that first evaluation.
        Expr::Name(name) => checker
            .semantic
            .resolve(name.id.as_str())
            .is_some_and(|binding| {
                checker.semantic.binding(binding).loops.contains(&outer_id)
                    && checker.semantic.use_counts(binding).evaluations == 0
            }),
        other => is_iterator || builds_query(other),
    };
    if !reevaluated {
        return false;
    }
    let inner = checker.snippet(iter.range());
    let outer = checker.snippet(outer_range);
    let mut diagnostic = Diagnostic::new(
        Rule::NestedQuerysetLoop,
        format!(
            "`{inner}` is queried again on every pass of the loop over `{outer}`: one query and a fresh set of row objects per outer row"
        ),
        iter.range(),
    )
    .with_help(
        "load the inner rows once before the outer loop (`prefetch_related`, or a dict keyed by the foreign key's id)",
    );
    diagnostic
        .secondary
        .push((outer_range, "outer loop".to_string()));
    checker.report(diagnostic);
    true
}

/// An expression that makes a new query when evaluated: a call chain, possibly sliced.
fn builds_query(expr: &Expr) -> bool {
    match expr {
        Expr::Call(_) => true,
        Expr::Subscript(subscript) => builds_query(&subscript.value),
        _ => false,
    }
}
