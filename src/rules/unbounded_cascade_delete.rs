//! DJM206 unbounded-cascade-delete: `qs.delete()` on an unbounded queryset, in a batch
//! job or a request handler, of a model Django cannot fast-delete (dependents with
//! `CASCADE`/`SET_*`, many-to-many or generic relations, delete signal receivers): the
//! deletion collector loads every row, and its dependents', before deleting.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::semantic::Value;
use crate::semantic::index::{
    COLLECTS_ANY_SIGNALS, COLLECTS_DEPENDENTS, COLLECTS_GENERIC, COLLECTS_SIGNALS, ClassKind,
    last_segment,
};

/// What a migration's historical models cannot have: generic relations, and the delete
/// receivers connected for the real model classes.
const HISTORICAL_MODELS_LACK: u32 = COLLECTS_GENERIC | COLLECTS_SIGNALS;

/// Where the delete runs, when that is where whole tables get deleted.
enum Context {
    Batch,
    Request,
}

/// DJM206
pub(crate) fn unbounded_cascade_delete(checker: &mut Checker, call: &ast::ExprCall) {
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return;
    };
    if !matches!(attribute.attr.as_str(), "delete" | "adelete")
        || !call.arguments.args.is_empty()
        || !call.arguments.keywords.is_empty()
    {
        return;
    }
    let Value::Queryset(info) = checker.semantic.infer(&attribute.value) else {
        return;
    };
    let Some(model) = info.model.clone() else {
        return;
    };
    // A slice, one row, a batch of keys in memory, one object's related rows.
    if !info.may_load_many_rows() {
        return;
    }
    // `filter(pk__lt=upper)` in a loop: the deletion is chunked by primary key.
    if !checker.semantic.loops.is_empty() && filters_a_key_range(&attribute.value) {
        return;
    }
    // 17 of 31 findings on the `eval/` corpus were data migrations, all of a cost paid
    // once: there the rule waits for preview even once it leaves preview.
    if crate::rules::preview_only_here(checker, Rule::UnboundedCascadeDelete, Some(&info)) {
        return;
    }
    let Some(context) = context(checker) else {
        return;
    };
    // `CachedTicket.objects.filter(position__order=order)`: one object's rows too.
    if filters_on_a_chain_of_keys(checker, &model, &attribute.value) {
        return;
    }
    let mut collects = checker.semantic.index.delete_collects(&model);
    // The historical models of a migration (`apps.get_model`) have no generic relations,
    // and receivers connected for the real model class do not hear them.
    if checker.semantic.in_migration() {
        collects &= !HISTORICAL_MODELS_LACK;
    }
    if collects == 0 {
        return;
    }
    let mut reasons = Vec::new();
    if collects & COLLECTS_DEPENDENTS != 0 {
        reasons
            .push("other models' rows depend on it (cascading or nulled keys, many-to-many rows)");
    }
    if collects & COLLECTS_GENERIC != 0 {
        reasons.push("it has a `GenericRelation`");
    }
    if collects & COLLECTS_SIGNALS != 0 {
        reasons.push("`pre_delete`/`post_delete` receivers listen for it");
    } else if collects & COLLECTS_ANY_SIGNALS != 0 {
        reasons.push("`pre_delete`/`post_delete` receivers listen for every model");
    }
    let name = last_segment(&model);
    let text = checker.snippet(call.range());
    let place = match context {
        Context::Batch => "in a batch job",
        Context::Request => "in a request",
    };
    // One function, one finding: a cleanup that deletes from several tables is one
    // decision for its reviewer (is this data large?), each further deletion a label
    // on the first, as DJM203 does for the queries of one loop.
    let function = checker.semantic.current_function();
    if let Some((index, first, count)) = checker.deletions_per_function.get_mut(&function) {
        *count += 1;
        let more = super::more(*count - 1, "deletion", "deletions");
        let diagnostic = &mut checker.diagnostics[*index];
        diagnostic.message = format!(
            "`{first}` and {more} {place} load every matching row into memory before deleting: their models have dependents or delete receivers, so Django's deletion collector fetches the rows and their dependents instead of sending one `DELETE`"
        );
        diagnostic.secondary.push((
            call.range(),
            format!("`{name}` rows loaded too: {}", reasons.join(", and ")),
        ));
        return;
    }
    checker
        .deletions_per_function
        .insert(function, (checker.diagnostics.len(), text.clone(), 1));
    let diagnostic = Diagnostic::new(
        Rule::UnboundedCascadeDelete,
        format!(
            "`{text}` {place} loads every matching `{name}` row into memory before deleting: {}, so Django's deletion collector fetches the rows and their dependents instead of sending one `DELETE`",
            reasons.join(", and ")
        ),
        call.range(),
    )
    .with_help(format!(
        "delete in chunks by primary key: `while pks := list(qs.values_list(\"pk\", flat=True)[:1000]): {name}.objects.filter(pk__in=pks).delete()`"
    ));
    checker.report(diagnostic);
}

/// A batch job (a task, a management command, what they call) or a request handler (a
/// method of a view, viewset or model admin, or a function taking `request`), for the
/// function being walked or one it is nested in.
fn context(checker: &Checker) -> Option<Context> {
    let mut function = checker.semantic.current_function();
    let mut request = false;
    let through_calls =
        super::counts_batch_reached_through_calls(checker, Rule::UnboundedCascadeDelete);
    while let Some(id) = function {
        let info = &checker.semantic.functions[id];
        let kind = info.class.as_ref().map(|(_, kind)| *kind);
        if info.task
            || kind == Some(ClassKind::Command)
            || (through_calls && checker.reached_from_batch(id))
        {
            return Some(Context::Batch);
        }
        request |= kind == Some(ClassKind::View) || info.parameters.iter().any(|p| p == "request");
        function = info.parent;
    }
    request.then_some(Context::Request)
}

/// A `filter()` in the chain comparing a path of keys to one object (`position__order=
/// order`, each hop a `ForeignKey` or `OneToOneField` of the model before): the rows of
/// one object's relation, reached through another.
fn filters_on_a_chain_of_keys(checker: &Checker, model: &str, receiver: &Expr) -> bool {
    any_call_in_chain(receiver, |method, call| {
        method == "filter"
            && call.arguments.keywords.iter().any(|k| {
                let Some(arg) = k.arg.as_deref() else {
                    return false;
                };
                let hops: Vec<&str> = arg.split("__").collect();
                if hops.len() < 2 || is_literal(&k.value) {
                    return false;
                }
                let mut current = model.to_string();
                // A hop to a model the index cannot name ends the walk: the next
                // hop from it finds no relation.
                hops.iter().all(
                    |hop| match checker.semantic.index.row_relation(&current, hop) {
                        Some((_, target)) => {
                            current = target;
                            true
                        }
                        None => false,
                    },
                )
            })
    })
}

/// Whether one method call of the chain ending at `receiver` (`a.filter(...).exclude(...)`)
/// satisfies `test`, given the method's name and the call. Walks 32 calls at most.
fn any_call_in_chain(receiver: &Expr, test: impl Fn(&str, &ast::ExprCall) -> bool) -> bool {
    let mut expr = receiver;
    for _ in 0..32 {
        let Expr::Call(call) = expr else {
            return false;
        };
        let Expr::Attribute(attribute) = call.func.as_ref() else {
            return false;
        };
        if test(attribute.attr.as_str(), call) {
            return true;
        }
        expr = attribute.value.as_ref();
    }
    false
}

/// A value written in the source (a scalar, or a list or tuple display): no object.
fn is_literal(expr: &Expr) -> bool {
    crate::semantic::literal::is_scalar(expr) || matches!(expr, Expr::List(_) | Expr::Tuple(_))
}

/// A `filter()`/`exclude()` in the chain bounding the primary key from one side
/// (`pk__lt=`, `id__gte=`, `pk__range=`): one chunk of a keyed walk.
fn filters_a_key_range(receiver: &Expr) -> bool {
    any_call_in_chain(receiver, |method, call| {
        matches!(method, "filter" | "exclude")
            && call.arguments.keywords.iter().any(|k| {
                k.arg.as_deref().is_some_and(|arg| {
                    let Some((field, lookup)) = arg.split_once("__") else {
                        return false;
                    };
                    matches!(field, "pk" | "id")
                        && matches!(lookup, "lt" | "lte" | "gt" | "gte" | "range")
                })
            })
    })
}
