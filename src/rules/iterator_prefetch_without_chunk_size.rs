//! DJM204 iterator-prefetch-without-chunk-size: `.iterator()` on a queryset with
//! `prefetch_related` and no `chunk_size`.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::semantic::has_chunk_size;

/// DJM204
pub(crate) fn iterator_prefetch_without_chunk_size(checker: &mut Checker, call: &ast::ExprCall) {
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return;
    };
    if attribute.attr.as_str() != "iterator" {
        return;
    }
    if has_chunk_size(call) {
        return;
    }
    let receiver = checker.semantic.infer(&attribute.value);
    let Some(info) = receiver.query_source() else {
        return;
    };
    if info.prefetch.is_empty() {
        return;
    }
    let relations = info
        .prefetch
        .iter()
        .map(|relation| format!("\"{relation}\""))
        .collect::<Vec<_>>()
        .join(", ");
    checker.report(
        Diagnostic::new(
            Rule::IteratorPrefetchWithoutChunkSize,
            format!(
                "`.iterator()` without `chunk_size` drops `prefetch_related({relations})`: Django 4.1-4.2 skip the prefetch and query once per row, Django 5.0+ raise `ValueError`"
            ),
            call.range(),
        )
        .with_help("pass a chunk size, e.g. `.iterator(chunk_size=2000)`, so each chunk is prefetched"),
    );
}
