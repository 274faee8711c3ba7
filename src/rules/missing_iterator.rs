//! DJM201 missing-iterator: in a batch job, a loop over a whole queryset keeps every row
//! in the result cache until the loop is over.

use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::{Checker, Deferred};
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::rules::model_rows;
use crate::semantic::Value;

/// DJM201
pub(crate) fn missing_iterator(checker: &mut Checker, iter: &Expr, iterated: &Value) {
    let Some(info) = iterated.queryset() else {
        return;
    };
    // Bounded slices and `pk__in=<batch>` are the batching idiom; one object's related
    // rows are as many as its relation holds, not a table; a prefetched relation is
    // already in memory.
    if info.loads_few_rows() || info.batch_bounded || info.related || info.prefetched {
        return;
    }
    if crate::rules::preview_only_here(checker, Rule::MissingIterator, Some(info)) {
        return;
    }
    let Some(function) = checker.semantic.current_function() else {
        return;
    };
    let text = checker.snippet(iter.range());
    let rows = model_rows(checker, info);
    let diagnostic = Diagnostic::new(
        Rule::MissingIterator,
        format!(
            "looping over `{text}` loads {rows} into the result cache at once and keeps them until the loop ends"
        ),
        iter.range(),
    )
    .with_help(if checker.semantic.in_async_function() {
        format!("stream the rows with `async for ... in {text}.aiterator(chunk_size=2000)`")
    } else {
        format!("stream the rows with `{text}.iterator(chunk_size=2000)`")
    });
    let binding = match iter {
        Expr::Name(name) => checker.semantic.resolve(name.id.as_str()),
        _ => None,
    };
    // Bound before an enclosing loop: every pass iterates it again, and the result cache
    // is what spares a query per pass. `.iterator()` would query every time.
    if binding.is_some_and(|binding| checker.semantic.repeats_in_loop(binding)) {
        return;
    }
    checker.deferred.push(Deferred::MissingIterator {
        binding,
        function: Some(function),
        diagnostic,
    });
}
