//! DJM103 queryset-membership: `x in qs` loads every row to look for one.

use ruff_python_ast::{self as ast, CmpOp};
use ruff_text_size::Ranged;

use crate::checker::{Checker, Deferred};
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::rules::{model_rows, pending_or_report};

/// DJM103
pub(crate) fn queryset_membership(checker: &mut Checker, compare: &ast::ExprCompare) {
    let [op] = &*compare.ops else {
        return;
    };
    if !matches!(op, CmpOp::In | CmpOp::NotIn) {
        return;
    }
    let container = &compare.comparators[0];
    let value = checker.semantic.infer(container);
    let Some(info) = value.queryset() else {
        return;
    };
    // A prefetched relation is already in memory; a bounded slice loads a few rows.
    if info.prefetched || info.loads_few_rows() {
        return;
    }
    if crate::rules::preview_only_here(checker, Rule::QuerysetMembership, Some(info)) {
        return;
    }
    let needle = checker.snippet(compare.left.range());
    let haystack = checker.snippet(container.range());
    let rows = model_rows(checker, info);
    let operator = if *op == CmpOp::In { "in" } else { "not in" };
    let help = if info.yields_values {
        "filter the queryset on the value and call `.exists()`: the database looks for one row"
            .to_string()
    } else {
        let receiver = crate::rules::receiver_snippet(checker, container);
        format!("use `{receiver}.filter(pk={needle}.pk).exists()`: the database looks for one row")
    };
    let diagnostic = Diagnostic::new(
        Rule::QuerysetMembership,
        format!("`{needle} {operator} {haystack}` loads {rows} to look for one"),
        compare.range(),
    )
    .with_help(help);
    pending_or_report(checker, container, diagnostic, |binding, diagnostic| {
        Deferred::UnlessEvaluated {
            binding,
            diagnostic,
            subject: haystack.to_string(),
            rows,
        }
    });
}
