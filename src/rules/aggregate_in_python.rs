//! DJM107 aggregate-in-python: `sum(o.amount for o in qs)`, `max(...)`/`min(...)` over a
//! queryset, `len([o for o in qs if o.paid])`, `sum(qs.values_list("amount", flat=True))`
//! load every row to compute one number the database computes in one query.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::{Checker, Deferred};
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::rules::{is_builtin_call, model_rows};
use crate::semantic::{QuerysetInfo, Value, literal};

/// DJM107
pub(crate) fn aggregate_in_python(checker: &mut Checker, call: &ast::ExprCall) {
    let Some(function) = ["sum", "max", "min", "len"]
        .into_iter()
        .find(|name| is_builtin_call(checker, call, name))
    else {
        return;
    };
    let Some(argument) = call.arguments.args.first() else {
        return;
    };
    // `max(a, b)` compares its arguments; `sum(xs, start)` is still one iterable.
    if function != "sum" && call.arguments.args.len() > 1 {
        return;
    }
    // `max(rows, key=...)` picks a row, not a number.
    if call.arguments.find_keyword("key").is_some() {
        return;
    }
    if checker.semantic.at_import_time() && checker.enabled(Rule::ImportTimeQueryset) {
        return;
    }
    match argument {
        Expr::Generator(ast::ExprGenerator {
            elt, generators, ..
        })
        | Expr::ListComp(ast::ExprListComp {
            elt, generators, ..
        }) => {
            // `len(<generator>)` is a TypeError; `len([...])` counts.
            if function == "len" && matches!(argument, Expr::Generator(_)) {
                return;
            }
            let [generator] = generators.as_slice() else {
                return;
            };
            comprehension(checker, call, function, elt, generator);
        }
        // `sum(qs.values_list("amount", flat=True))`; `len(qs)` is DJM102's.
        other if function != "len" => values(checker, call, function, other),
        _ => {}
    }
}

fn comprehension(
    checker: &mut Checker,
    call: &ast::ExprCall,
    function: &str,
    elt: &Expr,
    generator: &ast::Comprehension,
) {
    if generator.is_async {
        return;
    }
    let Some(info) = instances(checker, &generator.iter) else {
        return;
    };
    let target = &generator.target;
    // The database can compute it only from fields: a method or a property would not
    // translate (a property is read like a field, a known limit).
    if !generator.ifs.iter().all(|test| in_database(test, target)) {
        return;
    }
    let counts = function == "len" || (function == "sum" && literal::int(elt) == Some(1));
    let computes = in_database(elt, target) && reads_a_field(elt, target);
    if !(counts || computes) {
        return;
    }
    let queryset = checker.snippet(streamed_queryset(&generator.iter).range());
    let filtered = match generator.ifs.as_slice() {
        [] => queryset.clone(),
        tests => {
            let lookups: Option<Vec<String>> = tests
                .iter()
                .map(|t| filter_lookup(checker, t, target))
                .collect();
            match lookups {
                Some(lookups) => format!("{queryset}.filter({})", lookups.join(", ")),
                None => format!("{queryset}.filter(<the condition>)"),
            }
        }
    };
    let help = if counts {
        format!("let the database count them: `{filtered}.count()`")
    } else {
        let expression = match field_path(elt, target) {
            Some(path) => format!("\"{path}\""),
            None => f_expression(checker, elt, target)
                .unwrap_or_else(|| "<the expression, with F(\"field\")>".to_string()),
        };
        let aggregate = aggregate_name(function);
        format!(
            "let the database compute it: `{filtered}.aggregate(result={aggregate}({expression}))[\"result\"]` (`None`, not {}, when no row matches)",
            empty_result(call, function)
        )
    };
    report(checker, call, &info, help, Some(&generator.iter));
}

/// `sum(qs.values_list("amount", flat=True))`, `max(list(qs.values_list(...)))`.
fn values(checker: &mut Checker, call: &ast::ExprCall, function: &str, argument: &Expr) {
    let info = match checker.semantic.infer(argument) {
        Value::Queryset(info) | Value::Rows(info) | Value::Iterator(info) => info,
        _ => return,
    };
    if !info.yields_values || !info.may_load_many_rows() {
        return;
    }
    let aggregate = aggregate_name(function);
    let empty = empty_result(call, function);
    let help = match values_list_field(checker, argument) {
        Some((receiver, field)) => format!(
            "let the database compute it: `{receiver}.aggregate(result={aggregate}(\"{field}\"))[\"result\"]` (`None`, not {empty}, when no row matches)"
        ),
        None => format!(
            "let the database compute it: `.aggregate(result={aggregate}(\"<field>\"))[\"result\"]` on the queryset instead of `{}` (`None`, not {empty}, when no row matches)",
            checker.snippet(argument.range())
        ),
    };
    // A `values_list()` queryset held in a name: its other evaluations read the same rows.
    let held = match argument {
        Expr::Name(_) => Some(argument),
        _ => None,
    };
    report(checker, call, &info, help, held);
}

/// `qs.values_list("amount", flat=True)` (or `list()` of it): `qs` as written, and the field.
fn values_list_field<'a>(checker: &Checker, argument: &'a Expr) -> Option<(String, &'a str)> {
    let Expr::Call(call) = argument else {
        return None;
    };
    if is_builtin_call(checker, call, "list") {
        return values_list_field(checker, call.arguments.args.first()?);
    }
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return None;
    };
    if attribute.attr.as_str() == "iterator" {
        return values_list_field(checker, &attribute.value);
    }
    if attribute.attr.as_str() != "values_list" {
        return None;
    }
    let [field] = &*call.arguments.args else {
        return None;
    };
    let field = literal::string(field)?;
    Some((checker.snippet(attribute.value.range()), field))
}

/// The queryset of model instances (or values) a comprehension iterates, when it may
/// load many rows.
fn instances(checker: &Checker, iter: &Expr) -> Option<QuerysetInfo> {
    match checker.semantic.infer(iter) {
        Value::Queryset(info) | Value::Iterator(info) if info.may_load_many_rows() => Some(info),
        _ => None,
    }
}

fn report(
    checker: &mut Checker,
    call: &ast::ExprCall,
    info: &QuerysetInfo,
    help: String,
    iterated: Option<&Expr>,
) {
    let text = checker.snippet(call.range());
    let rows = model_rows(checker, info);
    let diagnostic = Diagnostic::new(
        Rule::AggregateInPython,
        format!("`{text}` loads {rows} into memory to compute one number"),
        call.range(),
    )
    .with_help(help);
    // A queryset held in a name and evaluated elsewhere too: the rows are loaded anyway
    // and the result cache serves this.
    let queryset = match iterated {
        Some(Expr::Name(name)) => checker.semantic.resolve(name.id.as_str()),
        _ => None,
    };
    match queryset {
        Some(binding) => checker.deferred.push(Deferred::UnlessRowsUsed {
            queryset: Some((binding, 1)),
            rows: None,
            diagnostic,
        }),
        None => checker.report(diagnostic),
    }
}

/// `qs.iterator()` -> `qs`: `aggregate()` and `count()` are queryset methods, and an
/// iterator has neither.
fn streamed_queryset(iter: &Expr) -> &Expr {
    match iter {
        Expr::Call(call) => match call.func.as_ref() {
            Expr::Attribute(attribute) if attribute.attr.as_str() == "iterator" => &attribute.value,
            _ => iter,
        },
        _ => iter,
    }
}

/// `b.pages * 2` -> `F("pages") * 2`, `-i.amount` -> `-F("amount")`: the expression the
/// aggregate takes, when every piece translates (fields, literals, outside names).
fn f_expression(checker: &Checker, expr: &Expr, target: &Expr) -> Option<String> {
    match expr {
        Expr::Attribute(_) => match field_path(expr, target) {
            Some(path) => Some(format!("F(\"{path}\")")),
            None => {
                let text = checker.text(expr.range());
                (!mentions_target(expr, target) && !text.contains('\n')).then(|| text.to_string())
            }
        },
        Expr::Name(name) if !is_target(name, target) => Some(name.id.to_string()),
        Expr::NumberLiteral(_) => Some(checker.text(expr.range()).to_string()),
        Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::USub => {
            Some(format!("-{}", f_operand(checker, &unary.operand, target)?))
        }
        Expr::BinOp(binop) => {
            let operator = match binop.op {
                ast::Operator::Add => "+",
                ast::Operator::Sub => "-",
                ast::Operator::Mult => "*",
                ast::Operator::Div => "/",
                _ => return None,
            };
            Some(format!(
                "{} {operator} {}",
                f_operand(checker, &binop.left, target)?,
                f_operand(checker, &binop.right, target)?
            ))
        }
        _ => None,
    }
}

/// An operand of `f_expression`, in parentheses when it is itself an operation.
fn f_operand(checker: &Checker, expr: &Expr, target: &Expr) -> Option<String> {
    let text = f_expression(checker, expr, target)?;
    Some(match expr {
        Expr::BinOp(_) | Expr::UnaryOp(_) => format!("({text})"),
        _ => text,
    })
}

/// What the Python call gives when no row matches, where `aggregate()` gives `None`.
fn empty_result(call: &ast::ExprCall, function: &str) -> &'static str {
    if function == "sum" {
        if call.arguments.args.len() > 1 {
            "the start value"
        } else {
            "0"
        }
    } else if call.arguments.find_keyword("default").is_some() {
        "the default"
    } else {
        "an error"
    }
}

fn aggregate_name(function: &str) -> &'static str {
    match function {
        "max" => "Max",
        "min" => "Min",
        _ => "Sum",
    }
}

/// `o.amount`, `o.author.age`: a field path of the loop variable (`author__age`).
fn field_path(expr: &Expr, target: &Expr) -> Option<String> {
    let Expr::Attribute(attribute) = expr else {
        return None;
    };
    let attr = attribute.attr.as_str();
    if attr.starts_with('_') {
        return None;
    }
    match attribute.value.as_ref() {
        Expr::Name(name) if is_target(name, target) => Some(attr.to_string()),
        inner => field_path(inner, target).map(|path| format!("{path}__{attr}")),
    }
}

fn is_target(name: &ast::ExprName, target: &Expr) -> bool {
    matches!(target, Expr::Name(variable) if variable.id == name.id)
}

/// Reads at least one field of the loop variable.
fn reads_a_field(expr: &Expr, target: &Expr) -> bool {
    match expr {
        Expr::Attribute(_) => field_path(expr, target).is_some(),
        Expr::BinOp(binop) => {
            reads_a_field(&binop.left, target) || reads_a_field(&binop.right, target)
        }
        Expr::UnaryOp(unary) => reads_a_field(&unary.operand, target),
        _ => false,
    }
}

/// An expression SQL can compute from the row: field paths of the loop variable,
/// literals, outside names (query parameters), arithmetic, comparisons, `and`/`or`/`not`.
/// Calls (methods, functions) and the row itself are not.
fn in_database(expr: &Expr, target: &Expr) -> bool {
    match expr {
        Expr::Attribute(_) => field_path(expr, target).is_some() || !mentions_target(expr, target),
        Expr::Name(name) => !is_target(name, target),
        Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_)
        | Expr::StringLiteral(_) => true,
        Expr::BinOp(binop) => {
            matches!(
                binop.op,
                ast::Operator::Add | ast::Operator::Sub | ast::Operator::Mult | ast::Operator::Div
            ) && in_database(&binop.left, target)
                && in_database(&binop.right, target)
        }
        Expr::UnaryOp(unary) => in_database(&unary.operand, target),
        Expr::BoolOp(boolop) => boolop.values.iter().all(|v| in_database(v, target)),
        Expr::Compare(compare) => {
            in_database(&compare.left, target)
                && compare.comparators.iter().all(|c| in_database(c, target))
        }
        _ => false,
    }
}

fn mentions_target(expr: &Expr, target: &Expr) -> bool {
    match expr {
        Expr::Name(name) => is_target(name, target),
        Expr::Attribute(attribute) => mentions_target(&attribute.value, target),
        _ => false,
    }
}

/// `o.paid` -> `paid=True`, `not o.paid` -> `paid=False`, `o.kind == k` -> `kind=k`;
/// anything else is left for the reader.
fn filter_lookup(checker: &Checker, test: &Expr, target: &Expr) -> Option<String> {
    match test {
        Expr::Attribute(_) => field_path(test, target).map(|path| format!("{path}=True")),
        Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
            field_path(&unary.operand, target).map(|path| format!("{path}=False"))
        }
        Expr::Compare(compare) => {
            let ([op], [right]) = (&*compare.ops, &*compare.comparators) else {
                return None;
            };
            let path = field_path(&compare.left, target)?;
            let suffix = match op {
                ast::CmpOp::Eq => "",
                ast::CmpOp::Gt => "__gt",
                ast::CmpOp::GtE => "__gte",
                ast::CmpOp::Lt => "__lt",
                ast::CmpOp::LtE => "__lte",
                ast::CmpOp::In => "__in",
                _ => return None,
            };
            if mentions_target(right, target) {
                return None;
            }
            let value = checker.text(right.range());
            (!value.contains('\n')).then(|| format!("{path}{suffix}={value}"))
        }
        _ => None,
    }
}
