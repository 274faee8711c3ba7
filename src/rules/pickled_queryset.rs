//! DJM302 pickled-queryset: the whole result of a queryset, or a list of the model
//! instances it loaded, stored in Django's cache or sent as a Celery task's argument.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::rules::model_rows;
use crate::semantic::Value;

/// Where the value goes.
#[derive(Clone, Copy, PartialEq)]
enum Destination {
    Cache,
    Task,
}

/// DJM302
pub(crate) fn pickled_queryset(checker: &mut Checker, call: &ast::ExprCall) {
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return;
    };
    let method = attribute.attr.as_str();
    let receiver = attribute.value.as_ref();
    let keyword = |name: &str| call.arguments.find_keyword(name).map(|k| &k.value);
    let mut passed: Vec<&Expr> = Vec::new();
    let destination = match method {
        "set" | "add" | "get_or_set" if is_cache(checker, receiver) => {
            passed.extend(
                call.arguments
                    .args
                    .get(1)
                    .or_else(|| keyword("value"))
                    .or_else(|| keyword("default")),
            );
            Destination::Cache
        }
        "set_many" if is_cache(checker, receiver) => {
            if let Some(Expr::Dict(dict)) = call.arguments.args.first() {
                passed.extend(dict.items.iter().map(|item| &item.value));
            }
            Destination::Cache
        }
        "delay" => {
            passed.extend(call.arguments.args.iter());
            passed.extend(call.arguments.keywords.iter().map(|k| &k.value));
            Destination::Task
        }
        "s" | "si" if is_named_function(checker, receiver) => {
            passed.extend(call.arguments.args.iter());
            passed.extend(call.arguments.keywords.iter().map(|k| &k.value));
            Destination::Task
        }
        "apply_async" | "send_task" => {
            // `apply_async(args, kwargs)`; `send_task(name, args, kwargs)`.
            let skip = usize::from(method == "send_task");
            let args = call.arguments.args.get(skip).or_else(|| keyword("args"));
            let kwargs = call
                .arguments
                .args
                .get(skip + 1)
                .or_else(|| keyword("kwargs"));
            if let Some(
                Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }),
            ) = args
            {
                passed.extend(elts.iter());
            }
            if let Some(Expr::Dict(dict)) = kwargs {
                passed.extend(dict.items.iter().map(|item| &item.value));
            }
            Destination::Task
        }
        _ => return,
    };
    for value in passed {
        let value = match value {
            Expr::Starred(starred) => starred.value.as_ref(),
            other => other,
        };
        report(checker, value, destination);
    }
}

fn report(checker: &mut Checker, value: &Expr, destination: Destination) {
    let (info, kept) = match checker.semantic.infer(value) {
        Value::Queryset(info) => (info, "queryset"),
        Value::Rows(info) => (info, "list"),
        _ => return,
    };
    // Primary keys or values are what the fix stores; a few rows cost little.
    if info.yields_values || !info.may_load_many_rows() {
        return;
    }
    let text = checker.snippet(value.range());
    let rows = model_rows(checker, &info);
    let (message, help) = match destination {
        Destination::Cache => (
            format!(
                "the {kept} `{text}` is pickled whole into the cache: {rows}, all unpickled again on every read and stale until the key expires"
            ),
            "cache the primary keys or the values readers need (`list(qs.values_list(\"pk\", flat=True))`, `list(qs.values(...))`), or a bounded slice".to_string(),
        ),
        Destination::Task => (
            format!(
                "the {kept} `{text}` is serialized whole into the task's message (pickled, or refused by the JSON serializer): {rows}, held in memory by the sender, the broker and the worker, and stale by the time the task runs"
            ),
            "pass primary keys (`list(qs.values_list(\"pk\", flat=True))`, or the filter's arguments) and fetch the rows inside the task, in batches".to_string(),
        ),
    };
    checker.report(Diagnostic::new(Rule::PickledQueryset, message, value.range()).with_help(help));
}

/// Django's cache: `cache` (`from django.core.cache import cache`), `caches["x"]`,
/// `self.cache`, `django.core.cache.cache`.
fn is_cache(checker: &Checker, receiver: &Expr) -> bool {
    match receiver {
        Expr::Subscript(subscript) => {
            matches!(subscript.value.as_ref(), Expr::Name(name) if name.id.as_str() == "caches")
                || checker
                    .qualified_name(&subscript.value)
                    .is_some_and(|name| name.ends_with(".caches"))
        }
        Expr::Name(name) => name.id.as_str() == "cache" || name.id.as_str().ends_with("_cache"),
        Expr::Attribute(attribute) => {
            let attr = attribute.attr.as_str();
            attr == "cache" || attr.ends_with("_cache")
        }
        _ => false,
    }
}

/// `task.s(...)`: a task named directly (a function of this file or an import), not an
/// arbitrary object's `s` method.
fn is_named_function(checker: &Checker, receiver: &Expr) -> bool {
    let Expr::Name(name) = receiver else {
        return false;
    };
    checker
        .semantic
        .resolve(name.id.as_str())
        .is_some_and(|id| {
            matches!(
                checker.semantic.binding(id).value,
                Value::Function(_) | Value::Imported { .. }
            )
        })
}
