//! DJM301 instance-keyed-container: inside nested loops over querysets, a container that
//! outlives the loops keyed by model instances keeps every row object alive.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;
use ruff_text_size::TextRange;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::semantic::Value;

const INSERTING_METHODS: &[&str] = &["setdefault", "add", "update"];
const ELEMENT_WRITES: &[&str] = &[
    "append",
    "add",
    "extend",
    "update",
    "insert",
    "appendleft",
    "setdefault",
];

/// DJM301: `d[key] = v`, `d[key] += v`.
pub(crate) fn check_subscript_write(checker: &mut Checker, subscript: &ast::ExprSubscript) {
    if !checker.enabled(Rule::InstanceKeyedContainer) {
        return;
    }
    check(
        checker,
        &subscript.value,
        &subscript.slice,
        subscript.range(),
    );
}

/// DJM301: `d.setdefault(key, ...)`, `s.add(key)`, `d.update({key: v})`, and
/// `d[key].append(x)` on a defaultdict.
pub(crate) fn check_method_insert(checker: &mut Checker, call: &ast::ExprCall) {
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return;
    };
    let method = attribute.attr.as_str();
    if let Expr::Subscript(element) = attribute.value.as_ref()
        && ELEMENT_WRITES.contains(&method)
    {
        check(checker, &element.value, &element.slice, call.range());
        return;
    }
    if !INSERTING_METHODS.contains(&method) {
        return;
    }
    if method == "add" && crate::semantic::containers::has_manager_add_signature(call) {
        return;
    }
    let Some(first) = call.arguments.args.first() else {
        return;
    };
    match (method, first) {
        ("update", Expr::Dict(dict)) => {
            for key in dict.items.iter().filter_map(|item| item.key.as_ref()) {
                if check(checker, &attribute.value, key, call.range()) {
                    return;
                }
            }
        }
        ("update", _) => {}
        _ => {
            check(checker, &attribute.value, first, call.range());
        }
    }
}

fn check(checker: &mut Checker, container: &Expr, key: &Expr, range: TextRange) -> bool {
    let loops = checker.semantic.enclosing_loops();
    if loops.len() < 2 || !loops.iter().any(|frame| frame.queryset.is_some()) {
        return false;
    }
    // `team.members.add(user)`: a related manager writes rows, it keeps nothing.
    if crate::semantic::containers::is_database_relation(&checker.semantic, container) {
        return false;
    }
    let outermost = loops[0].id;
    let outside = match container {
        Expr::Name(name) => checker
            .semantic
            .resolve(name.id.as_str())
            .is_none_or(|binding| !checker.semantic.binding(binding).loops.contains(&outermost)),
        Expr::Attribute(_) => true,
        _ => false,
    };
    if !outside {
        return false;
    }
    let Some(instance) = instance_in_key(checker, key) else {
        return false;
    };
    let container_text = checker.snippet(container.range());
    checker.report(
        Diagnostic::new(
            Rule::InstanceKeyedContainer,
            format!(
                "`{container_text}` is keyed by the model instance `{instance}`: each pass of the outer loop adds fresh row objects and the container keeps them all alive (M×N instances)"
            ),
            range,
        )
        .with_help(format!("key by primary key instead: `{instance}.pk`")),
    );
    true
}

/// The queryset loop variable used as the key or as an element of a tuple key.
fn instance_in_key(checker: &Checker, key: &Expr) -> Option<String> {
    let is_instance = |expr: &Expr| {
        match expr {
        Expr::Name(name) => checker
            .semantic
            .resolve(name.id.as_str())
            .is_some_and(|binding| {
                matches!(&checker.semantic.binding(binding).value, Value::Instance(info) if info.loop_variable)
            })
            .then(|| name.id.to_string()),
        _ => None,
    }
    };
    match key {
        Expr::Tuple(tuple) => tuple.elts.iter().find_map(is_instance),
        other => is_instance(other),
    }
}
