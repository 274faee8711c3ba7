//! The rules, one file each, and the dispatch from the checker's node kinds to them.
//! Each entry point is named after what it is handed; each rule decides by asking the
//! semantic model.

pub(crate) mod count_for_existence;
pub(crate) mod import_time_queryset;
pub(crate) mod instance_keyed_container;
pub(crate) mod iterator_prefetch_without_chunk_size;
pub(crate) mod missing_iterator;
pub(crate) mod nested_queryset_loop;
pub(crate) mod query_in_loop;
pub(crate) mod queryset_len;
pub(crate) mod queryset_membership;
pub(crate) mod queryset_truthiness;

use rustpython_parser::ast::{self, Expr};

use crate::checker::Checker;
use crate::registry::Rule;
use crate::semantic::Value;
use crate::semantic::index::last_segment;

/// An expression whose truth value is taken (`if`, `while`, `not`, `assert`, ...).
pub(crate) fn boolean_context(checker: &mut Checker, test: &Expr) {
    if checker.enabled(Rule::QuerysetTruthiness) {
        queryset_truthiness::queryset_truthiness(checker, test);
    }
    if checker.enabled(Rule::CountForExistence) {
        count_for_existence::count_as_truth_value(checker, test);
    }
}

pub(crate) fn comparison(checker: &mut Checker, compare: &ast::ExprCompare) {
    if checker.enabled(Rule::QuerysetMembership) {
        queryset_membership::queryset_membership(checker, compare);
    }
    if checker.enabled(Rule::CountForExistence) {
        count_for_existence::count_compared_to_zero(checker, compare);
    }
}

pub(crate) fn call(checker: &mut Checker, call: &ast::ExprCall) {
    if checker.enabled(Rule::QuerysetLen) {
        queryset_len::queryset_len(checker, call);
    }
    if checker.enabled(Rule::ImportTimeQueryset) {
        import_time_queryset::evaluating_call(checker, call);
    }
    if checker.enabled(Rule::IteratorPrefetchWithoutChunkSize) {
        iterator_prefetch_without_chunk_size::iterator_prefetch_without_chunk_size(checker, call);
    }
    if checker.enabled(Rule::InstanceKeyedContainer) {
        instance_keyed_container::check_method_insert(checker, call);
    }
}

/// The iterable of a `for` statement or of a comprehension's generator.
pub(crate) fn iteration(checker: &mut Checker, iter: &Expr, iterated: &Value, statement: bool) {
    let nested_reported = checker.enabled(Rule::NestedQuerysetLoop)
        && nested_queryset_loop::nested_queryset_loop(checker, iter, iterated);
    if checker.enabled(Rule::MissingIterator) && !nested_reported {
        missing_iterator::missing_iterator(checker, iter, iterated);
    }
    if checker.enabled(Rule::ImportTimeQueryset) && statement {
        import_time_queryset::import_time_loop(checker, iter, iterated);
    }
}

/// A whole comprehension, once, with its first iterable.
pub(crate) fn comprehension(
    checker: &mut Checker,
    comprehension: &Expr,
    iter: &Expr,
    iterated: &Value,
) {
    if checker.enabled(Rule::ImportTimeQueryset) {
        import_time_queryset::import_time_comprehension(checker, comprehension, iter, iterated);
    }
}

/// Decorators of a function definition (the cache rules hook in here).
pub(crate) fn checked_decorators(_checker: &mut Checker, _decorators: &[Expr]) {}

/// "every matching `Student` row (16 fields each)", as precise as the index allows.
pub(crate) fn model_rows(checker: &Checker, info: &crate::semantic::QuerysetInfo) -> String {
    if info.yields_values {
        return "every matching row's values".to_string();
    }
    if info.narrowed {
        return match info.model.as_deref() {
            Some(model) => format!("every matching `{}` row", last_segment(model)),
            None => "every matching row".to_string(),
        };
    }
    match info.model.as_deref() {
        Some(qualified) => match checker.semantic.index.model_field_count(qualified) {
            0 => format!("every matching `{}` row", last_segment(qualified)),
            1 => format!(
                "every matching `{}` row (1 field each)",
                last_segment(qualified)
            ),
            fields => format!(
                "every matching `{}` row ({fields} fields each)",
                last_segment(qualified)
            ),
        },
        None => "every matching row".to_string(),
    }
}

/// A finding on a queryset held in a name waits for the end of the file ("evaluated
/// later" decides); one on an expression written inline is final at once.
pub(crate) fn pending_or_report(
    checker: &mut Checker,
    queryset: &Expr,
    diagnostic: crate::diagnostic::Diagnostic,
    deferred: impl FnOnce(
        crate::semantic::BindingId,
        crate::diagnostic::Diagnostic,
    ) -> crate::checker::Deferred,
) {
    let binding = match queryset {
        Expr::Name(name) => checker.semantic.resolve(name.id.as_str()),
        // `if orders := Order.objects.filter(...):` is judged by what happens to `orders`.
        Expr::NamedExpr(named) => match named.target.as_ref() {
            Expr::Name(name) => checker.semantic.resolve(name.id.as_str()),
            _ => None,
        },
        _ => None,
    };
    match binding {
        Some(binding) => {
            let item = deferred(binding, diagnostic);
            checker.deferred.push(item);
        }
        None => checker.report(diagnostic),
    }
}

/// A call of the builtin `name`, not of something the file bound to that name.
pub(crate) fn is_builtin_call(checker: &Checker, call: &ast::ExprCall, name: &str) -> bool {
    matches!(call.func.as_ref(), Expr::Name(func) if func.id.as_str() == name)
        && checker.semantic.resolve(name).is_none()
}
