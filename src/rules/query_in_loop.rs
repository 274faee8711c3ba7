//! DJM203 query-in-loop: a single-result query inside a loop over a queryset that uses
//! the loop variable runs once per row.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::{Checker, NameWatch};
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::semantic::value::SINGLE_RESULT_METHODS;

/// Before the call's parts are walked: whether it is a candidate. Then the walk notes
/// whether any queryset loop variable is used inside it.
pub(crate) fn enter_call(checker: &mut Checker, call: &ast::ExprCall) -> bool {
    if !checker.enabled(Rule::QueryInLoop) {
        return false;
    }
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return false;
    };
    let method = attribute.attr.as_str();
    if !SINGLE_RESULT_METHODS.contains(&method) {
        return false;
    }
    let receiver = checker.semantic.infer(&attribute.value);
    let Some(info) = receiver.query_source() else {
        return false;
    };
    // A prefetched relation answers count/exists/first/last from its cache.
    if info.prefetched && method != "get" && method != "aggregate" {
        return false;
    }
    // A row locked one at a time is locked on purpose (a worker claiming rows, a
    // re-read under lock to guard a race): batching it would hold every lock at once.
    if info.locks_rows {
        return false;
    }
    // Under `if prev != key: prev = key` the query runs once per group of rows.
    if checker.semantic.change_guards > 0
        || crate::rules::preview_only_here(checker, Rule::QueryInLoop, Some(info))
    {
        return false;
    }
    let names = checker.semantic.queryset_loop_variables();
    if names.is_empty() {
        return false;
    }
    checker.name_watches.push(NameWatch { names, seen: false });
    true
}

/// DJM203, once the call's parts are walked.
pub(crate) fn exit_call(checker: &mut Checker, call: &ast::ExprCall) {
    let Some(watch) = checker.name_watches.pop() else {
        return;
    };
    if !watch.seen {
        return;
    }
    let Some(outer) = checker
        .semantic
        .enclosing_loops()
        .iter()
        .rev()
        .find(|frame| frame.queryset.is_some())
    else {
        return;
    };
    let (outer_id, outer_range) = (outer.id, outer.iter_range);
    let text = checker.snippet(call.range());
    let outer = checker.snippet(outer_range);
    // One loop, one finding: the loop is the root cause, each further query per row a
    // label on the first.
    if let Some((index, first, count)) = checker.queries_per_row.get_mut(&outer_id) {
        *count += 1;
        let diagnostic = &mut checker.diagnostics[*index];
        let more = super::more(*count - 1, "query", "queries");
        diagnostic.message = format!("`{first}` and {more} run once for every row of `{outer}`");
        diagnostic
            .secondary
            .push((call.range(), "another query for every row".to_string()));
        return;
    }
    checker
        .queries_per_row
        .insert(outer_id, (checker.diagnostics.len(), text.clone(), 1));
    let mut diagnostic = Diagnostic::new(
        Rule::QueryInLoop,
        format!("`{text}` runs one query for every row of `{outer}`"),
        call.range(),
    )
    .with_help(
        "fetch it for all rows before the loop: `select_related`/`prefetch_related`, `annotate(...)`, or one `filter(..._in=...)` or `in_bulk()` query",
    );
    diagnostic
        .secondary
        .push((outer_range, "the loop".to_string()));
    checker.report(diagnostic);
}
