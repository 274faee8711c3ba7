//! What Python settings modules and Celery configuration tell the process rules, read
//! off the syntax as the checker walks: DEBUG's value when the environment says nothing,
//! Celery's child recycling settings, and `if` tests that read the configuration.

use ruff_python_ast::{self as ast, Expr};

use crate::process::DebugValue;
use crate::semantic::literal;

/// A Celery setting that recycles pool processes, in any of its spellings
/// (`worker_max_tasks_per_child`, `CELERY_WORKER_MAX_TASKS_PER_CHILD`,
/// `CELERYD_MAX_TASKS_PER_CHILD`, `worker_max_memory_per_child`).
pub(crate) fn recycles_celery_children(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.ends_with("MAX_TASKS_PER_CHILD") || upper.ends_with("MAX_MEMORY_PER_CHILD")
}

/// `app.conf.update(worker_max_tasks_per_child=100)` or with a dict: whether it sets
/// child recycling.
pub(crate) fn update_recycles_celery_children(call: &ast::ExprCall) -> bool {
    let by_keyword = call
        .arguments
        .keywords
        .iter()
        .filter_map(|keyword| keyword.arg.as_ref())
        .any(|arg| recycles_celery_children(arg.as_str()));
    let by_dict = match call.arguments.args.first() {
        Some(Expr::Dict(dict)) => dict
            .items
            .iter()
            .filter_map(|item| item.key.as_ref())
            .filter_map(literal::string)
            .any(recycles_celery_children),
        _ => false,
    };
    by_keyword || by_dict
}

/// What `DEBUG = <value>` leaves DEBUG as when the environment says nothing.
pub(crate) fn debug_value(value: &Expr) -> DebugValue {
    match value {
        Expr::BooleanLiteral(b) if b.value => DebugValue::True,
        Expr::NumberLiteral(ast::ExprNumberLiteral {
            value: ast::Number::Int(i),
            ..
        }) if i.as_u64() != Some(0) => DebugValue::True,
        _ if literal::is_constant(value) => DebugValue::False,
        Expr::Compare(compare) if compare.ops.len() == 1 => {
            let Some(default) = environment_default(&compare.left) else {
                return DebugValue::Unknown;
            };
            let right = &compare.comparators[0];
            let default = default.unwrap_or_else(|| "None".to_string());
            let equal =
                |e: &Expr| constant_text(e).is_some_and(|text| text.eq_ignore_ascii_case(&default));
            let holds = match compare.ops[0] {
                ast::CmpOp::Eq => equal(right),
                ast::CmpOp::NotEq => !equal(right),
                ast::CmpOp::In => match right {
                    Expr::Tuple(ast::ExprTuple { elts, .. })
                    | Expr::List(ast::ExprList { elts, .. })
                    | Expr::Set(ast::ExprSet { elts, .. }) => elts.iter().any(equal),
                    _ => return DebugValue::Unknown,
                },
                _ => return DebugValue::Unknown,
            };
            if holds {
                DebugValue::EnvTrueDefault
            } else {
                DebugValue::False
            }
        }
        other => match environment_default(other) {
            Some(Some(default)) if truthy(&default) => DebugValue::EnvTrueDefault,
            Some(_) => DebugValue::False,
            None => DebugValue::Unknown,
        },
    }
}

/// For an environment lookup (`os.environ.get`, `os.getenv`, `env.bool`, `env`,
/// `config`, ...), possibly wrapped in `bool()`, `int()`, `.lower()`: Some(default text),
/// or Some(None) when there is no default. None when it is not such a lookup.
fn environment_default(expr: &Expr) -> Option<Option<String>> {
    let Expr::Call(call) = expr else {
        return None;
    };
    match call.func.as_ref() {
        Expr::Name(name) if matches!(name.id.as_str(), "bool" | "int" | "str" | "strtobool") => {
            environment_default(call.arguments.args.first()?)
        }
        Expr::Attribute(attribute)
            if matches!(attribute.attr.as_str(), "lower" | "upper" | "strip") =>
        {
            environment_default(&attribute.value)
        }
        func => {
            let (name, receiver_is_environment) = match func {
                Expr::Name(name) => (name.id.as_str(), true),
                Expr::Attribute(attribute) => (
                    attribute.attr.as_str(),
                    match attribute.value.as_ref() {
                        Expr::Name(n) => {
                            matches!(
                                n.id.as_str(),
                                "env" | "environ" | "os" | "config" | "environment"
                            )
                        }
                        Expr::Attribute(a) => a.attr.as_str() == "environ",
                        _ => false,
                    },
                ),
                _ => return None,
            };
            // `get_bool_from_env("DEBUG", True)`, `envbool("DJANGO_DEBUG", "True")`: any
            // helper handed the variable's name reads the environment.
            let names_debug = call
                .arguments
                .args
                .first()
                .and_then(literal::string)
                .is_some_and(|variable| variable == "DEBUG" || variable.ends_with("_DEBUG"));
            let is_lookup = names_debug
                || receiver_is_environment
                    && matches!(
                        name,
                        "get" | "getenv" | "bool" | "env" | "config" | "str" | "int" | "get_value"
                    );
            if !is_lookup {
                return None;
            }
            let default = call
                .arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_deref() == Some("default"))
                .map(|k| &k.value)
                .or(call.arguments.args.get(1));
            Some(default.map(|d| constant_text(d).unwrap_or_else(|| "?".to_string())))
        }
    }
}

fn constant_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        Expr::BooleanLiteral(b) => Some(if b.value { "True" } else { "False" }.to_string()),
        Expr::NumberLiteral(ast::ExprNumberLiteral {
            value: ast::Number::Int(i),
            ..
        }) => Some(i.to_string()),
        Expr::NoneLiteral(_) => Some("None".to_string()),
        _ => None,
    }
}

fn truthy(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "on" | "t" | "y"
    )
}

/// Whether an `if` test reads a setting or the environment (`settings.X`,
/// `os.environ...`, `os.getenv(...)`, `env(...)`, `config(...)`).
pub(crate) fn reads_configuration(test: &Expr, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    match test {
        Expr::Name(name) => matches!(
            name.id.as_str(),
            "settings" | "environ" | "env" | "config" | "getenv"
        ),
        Expr::Attribute(attribute) => {
            matches!(attribute.attr.as_str(), "environ" | "getenv")
                || reads_configuration(&attribute.value, depth + 1)
        }
        Expr::Call(call) => {
            reads_configuration(&call.func, depth + 1)
                || call
                    .arguments
                    .args
                    .iter()
                    .any(|a| reads_configuration(a, depth + 1))
        }
        Expr::Subscript(subscript) => reads_configuration(&subscript.value, depth + 1),
        Expr::BoolOp(boolop) => boolop
            .values
            .iter()
            .any(|v| reads_configuration(v, depth + 1)),
        Expr::UnaryOp(unary) => reads_configuration(&unary.operand, depth + 1),
        Expr::Compare(compare) => {
            reads_configuration(&compare.left, depth + 1)
                || compare
                    .comparators
                    .iter()
                    .any(|c| reads_configuration(c, depth + 1))
        }
        _ => false,
    }
}
