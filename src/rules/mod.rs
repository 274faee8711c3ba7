//! The rules, one file each, and the dispatch from the checker's node kinds to them.
//! Each entry point is named after what it is handed; each rule decides by asking the
//! semantic model.

pub(crate) mod accumulated_file_read;
pub(crate) mod aggregate_in_python;
pub(crate) mod celery_without_child_recycling;
pub(crate) mod count_for_existence;
pub(crate) mod debug_in_production;
pub(crate) mod evaluate_then_slice;
pub(crate) mod foreign_key_per_row;
pub(crate) mod growing_global_container;
pub(crate) mod gunicorn_without_max_requests;
pub(crate) mod import_time_queryset;
pub(crate) mod instance_keyed_container;
pub(crate) mod iterator_prefetch_without_chunk_size;
pub(crate) mod iterator_without_server_side_cursor;
pub(crate) mod method_cache;
pub(crate) mod missing_iterator;
pub(crate) mod nested_queryset_loop;
pub(crate) mod oversized_cache;
pub(crate) mod pickled_queryset;
pub(crate) mod query_in_loop;
pub(crate) mod queryset_len;
pub(crate) mod queryset_membership;
pub(crate) mod queryset_truthiness;
pub(crate) mod tracemalloc_left_on;
pub(crate) mod unbounded_cache;
pub(crate) mod unbounded_cascade_delete;
pub(crate) mod unpaginated_list_view;
pub(crate) mod uwsgi_without_max_requests;

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::registry::{PreviewContext, Rule};
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
    if checker.enabled(Rule::IteratorWithoutServerSideCursor) {
        iterator_without_server_side_cursor::iterator_call(checker, call);
    }
    growing_global_container::method_call(checker, call);
    if checker.enabled(Rule::AggregateInPython) {
        aggregate_in_python::aggregate_in_python(checker, call);
    }
    if checker.enabled(Rule::PickledQueryset) {
        pickled_queryset::pickled_queryset(checker, call);
    }
    if checker.enabled(Rule::ForeignKeyPerRow) {
        foreign_key_per_row::call(checker, call);
    }
    if checker.enabled(Rule::UnboundedCascadeDelete) {
        unbounded_cascade_delete::unbounded_cascade_delete(checker, call);
    }
    growing_global_container::instantiation(checker, call);
    // Resolve names only for the calls these rules can be about.
    let callee = match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str(),
        Expr::Attribute(attribute) => attribute.attr.as_str(),
        _ => "",
    };
    if checker.enabled(Rule::TracemallocLeftOn) && callee == "start" {
        tracemalloc_left_on::tracemalloc_left_on(checker, call);
    }
    let is_celery_app = match call.func.as_ref() {
        // `Celery(...)` under any name it was imported as (`from celery import Celery as
        // App`): the binding says, with no qualified name built for every call.
        Expr::Name(name) => checker.semantic.resolve(name.id.as_str()).is_some_and(|id| {
            matches!(&checker.semantic.binding(id).value,
                Value::Imported { module, name: imported } if module == "celery" && imported == "Celery")
        }),
        _ => {
            callee == "Celery"
                && checker.qualified_name(&call.func).as_deref() == Some("celery.Celery")
        }
    };
    if is_celery_app {
        let span = checker.span(call.range());
        checker.process.celery_apps.push(span);
    }
}

/// A subscript `value[slice]` being read (not a store target).
pub(crate) fn subscript(checker: &mut Checker, subscript: &ast::ExprSubscript) {
    if checker.enabled(Rule::EvaluateThenSlice) {
        evaluate_then_slice::evaluate_then_slice(checker, subscript);
    }
}

/// `targets = value` once the targets are bound; `inferred` is what `value` is.
pub(crate) fn assignment(checker: &mut Checker, targets: &[Expr], value: &Expr, inferred: &Value) {
    if checker.enabled(Rule::EvaluateThenSlice) {
        evaluate_then_slice::rows_read_at_the_front(checker, targets, value, inferred);
    }
}

/// The iterable of a `for` statement or of a comprehension's generator.
/// `keeps_every_row`: the loop stores something for every row in a container that
/// outlives it (a list/set/dict comprehension, `data.append(...)` in the body).
pub(crate) fn iteration(
    checker: &mut Checker,
    iter: &Expr,
    iterated: &Value,
    statement: bool,
    keeps_every_row: bool,
) {
    let nested_reported = checker.enabled(Rule::NestedQuerysetLoop)
        && nested_queryset_loop::nested_queryset_loop(checker, iter, iterated);
    // The rows' data is kept anyway: `.iterator()` would lower the peak little.
    if checker.enabled(Rule::MissingIterator) && !nested_reported && !keeps_every_row {
        missing_iterator::missing_iterator(checker, iter, iterated);
    }
    if checker.enabled(Rule::ImportTimeQueryset) && statement {
        import_time_queryset::import_time_loop(checker, iter, iterated);
    }
}

/// A `for` statement, with its body and target.
pub(crate) fn loop_statement(
    checker: &mut Checker,
    iter: &Expr,
    iterated: &Value,
    body: &[ast::Stmt],
    target: &Expr,
) {
    if checker.enabled(Rule::UnpaginatedListView) {
        unpaginated_list_view::admin_export(checker, iter, iterated, body, target);
    }
}

/// An attribute chain, at its outermost node (`book.author.name`, not its parts).
pub(crate) fn attribute(checker: &mut Checker, attribute: &ast::ExprAttribute) {
    if checker.enabled(Rule::ForeignKeyPerRow) {
        foreign_key_per_row::attribute(checker, attribute);
    }
}

/// An attribute assigned to (`book.author = a`).
pub(crate) fn attribute_store(checker: &mut Checker, attribute: &ast::ExprAttribute) {
    if checker.enabled(Rule::ForeignKeyPerRow) {
        foreign_key_per_row::attribute_store(checker, attribute);
    }
}

/// The end of a loop's body, before its frame is popped. `inline`: the iterable and
/// its value, for a `for` or a comprehension's first generator.
pub(crate) fn loop_end(checker: &mut Checker, inline: Option<(&Expr, &Value)>) {
    if checker.enabled(Rule::ForeignKeyPerRow) {
        foreign_key_per_row::loop_end(checker, inline);
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

/// What the cache rules need to know of a decorated function.
pub(crate) struct FunctionShape {
    /// An instance method (not static, not a classmethod).
    pub(crate) is_method: bool,
    /// Parameters besides `self`/`cls`: name, and whether it is a flag (a bool default).
    pub(crate) parameters: Vec<(String, bool)>,
    /// Defined at module level or in a module-level class body.
    pub(crate) at_import_level: bool,
    /// Only ever runs in one-shot processes (the call graph): nothing accumulates.
    pub(crate) one_shot: bool,
    /// A method of an enumeration: one `self` per member, fixed at import.
    pub(crate) enum_method: bool,
}

/// A decorator of a function definition. A bounded `lru_cache` at import level is
/// returned as a cache for DJM404 to judge when the walk ends.
pub(crate) fn function_decorator(
    checker: &mut Checker,
    decorator: &Expr,
    shape: &FunctionShape,
) -> Option<crate::semantic::containers::Container> {
    use crate::semantic::containers::{CacheType, Container, ContainerKind};
    use unbounded_cache::CachingDecorator;
    let kind = unbounded_cache::caching_decorator(checker, decorator)?;
    if shape.one_shot {
        // A management command, a migration, a script: the process ends with the job.
    } else if shape.is_method {
        if checker.enabled(Rule::MethodCache) && !shape.enum_method {
            method_cache::method_cache(checker, decorator, kind);
        }
    } else if checker.enabled(Rule::UnboundedCache) {
        unbounded_cache::unbounded_cache(checker, decorator, kind, &shape.parameters);
    }
    let CachingDecorator::LruCache(Some(Some(maxsize))) = kind else {
        return None;
    };
    if !shape.at_import_level {
        return None;
    }
    let mut cache = Container::new(
        "",
        None,
        decorator.range(),
        ContainerKind::Bounded {
            cache: CacheType::LruCache,
            capacity: Some(maxsize),
        },
    );
    cache.key_arguments = shape.parameters.len();
    Some(cache)
}

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
        Expr::Named(named) => match named.target.as_ref() {
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

/// Whether a finding of `rule` here waits for preview mode: one of the rule's preview
/// contexts (`Rule::preview_contexts`) holds and preview is off. `queryset` is the
/// queryset the finding is about, when there is one.
pub(crate) fn preview_only_here(
    checker: &Checker,
    rule: Rule,
    queryset: Option<&crate::semantic::QuerysetInfo>,
) -> bool {
    if checker.settings.preview {
        return false;
    }
    rule.preview_contexts().iter().any(|context| match context {
        PreviewContext::RelatedRows => {
            queryset.is_some_and(|info| info.related && info.of_object_handed_in)
        }
        PreviewContext::Migrations => checker.semantic.in_migration(),
        // Every enclosing loop: one over a whole table around it multiplies the passes.
        PreviewContext::LoopOverRelatedRows => {
            let mut outer = checker
                .semantic
                .enclosing_loops()
                .iter()
                .filter_map(|frame| frame.queryset.as_ref())
                .peekable();
            outer.peek().is_some() && outer.all(|queryset| queryset.related || queryset.few_rows)
        }
        // Decided where batch context is: `counts_batch_reached_through_calls`.
        PreviewContext::ReachedThroughCalls => false,
    })
}

/// Whether `rule` counts a function as batch context when only the call graph makes it
/// one (a batch job in another module calls it): always in preview mode, and for rules
/// without the `ReachedThroughCalls` preview context.
pub(crate) fn counts_batch_reached_through_calls(checker: &Checker, rule: Rule) -> bool {
    checker.settings.preview
        || !rule
            .preview_contexts()
            .contains(&PreviewContext::ReachedThroughCalls)
}

/// `expr`'s snippet as the receiver of a method call in advice: bracketed unless it is
/// a primary, so that `.exists()` applies to all of `(drafts | reviewed)`.
pub(crate) fn receiver_snippet(checker: &Checker, expr: &Expr) -> String {
    let text = checker.snippet(expr.range());
    if queryset_truthiness::is_primary(expr) {
        text
    } else {
        format!("({text})")
    }
}

/// "1 more query", "3 more queries": the further places one finding stands for
/// (DJM203's queries of one loop, DJM206's deletions of one function).
pub(crate) fn more(count: usize, singular: &str, plural: &str) -> String {
    match count {
        1 => format!("1 more {singular}"),
        n => format!("{n} more {plural}"),
    }
}

/// A call of the builtin `name`, not of something the file bound to that name.
pub(crate) fn is_builtin_call(checker: &Checker, call: &ast::ExprCall, name: &str) -> bool {
    matches!(call.func.as_ref(), Expr::Name(func) if func.id.as_str() == name)
        && checker.semantic.resolve(name).is_none()
}
