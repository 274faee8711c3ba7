//! DJM106 evaluate-then-slice: `list(qs)[:n]`, `list(qs)[0]`, `[x for x in qs][:n]`, and a
//! list of every row read only at its first positions, load every row to use a few.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextRange};

use crate::checker::{Checker, Deferred};
use crate::diagnostic::{Diagnostic, Fix};
use crate::registry::Rule;
use crate::rules::queryset_truthiness::is_primary;
use crate::rules::{is_builtin_call, model_rows};
use crate::semantic::{Value, literal};

/// What the subscript reads of the list.
enum Taken {
    /// `[i]`: one item; the literal position when the source spells one.
    One(Option<i64>),
    /// `[a:b]` with an upper bound: the first few; the literal bounds when spelled.
    Front(Option<(i64, i64)>),
}

/// DJM106: `list(qs)[...]`, `tuple(qs)[...]`, `[... for x in qs][...]`.
pub(crate) fn evaluate_then_slice(checker: &mut Checker, subscript: &ast::ExprSubscript) {
    let Some(taken) = taken(&subscript.slice) else {
        return;
    };
    // At import time DJM105 reports the evaluation with the worse consequence.
    if checker.semantic.at_import_time() && checker.enabled(Rule::ImportTimeQueryset) {
        return;
    }
    let (source, comprehension) = match subscript.value.as_ref() {
        Expr::Call(call)
            if (is_builtin_call(checker, call, "list")
                || is_builtin_call(checker, call, "tuple"))
                && call.arguments.keywords.is_empty() =>
        {
            let [argument] = &*call.arguments.args else {
                return;
            };
            (argument, None)
        }
        Expr::ListComp(comp) => {
            let [generator] = comp.generators.as_slice() else {
                return;
            };
            if !generator.ifs.is_empty() || generator.is_async {
                return;
            }
            (&generator.iter, Some((comp, generator)))
        }
        _ => return,
    };
    let (info, iterator) = match checker.semantic.infer(source) {
        Value::Queryset(info) => (info, false),
        Value::Iterator(info) => (info, true),
        _ => return,
    };
    if !info.may_load_many_rows() {
        return;
    }
    let text = checker.snippet(subscript.range());
    let rows = model_rows(checker, &info);
    let queryset = checker.text(source.range());
    let receiver = if is_primary(source) && !queryset.contains('\n') {
        queryset.to_string()
    } else {
        format!("({queryset})")
    };
    let slice_text = checker.text(subscript.slice.range());
    let (used, help) = match (&taken, comprehension) {
        // A generator cannot be sliced: the slice goes before `.iterator()`.
        (taken, _) if iterator => (
            match taken {
                Taken::One(_) => "one".to_string(),
                Taken::Front(bounds) => front(bounds),
            },
            format!(
                "slice the queryset before `.iterator()` (`qs[{slice_text}]`): the database sends only those rows (`LIMIT`)"
            ),
        ),
        (Taken::One(Some(position)), _) if *position < 0 => (
            "one".to_string(),
            "ask the database for it: `.last()` fetches one row (`None` when there is none)"
                .to_string(),
        ),
        (Taken::One(_), _) => (
            "one".to_string(),
            format!(
                "index the queryset: `{receiver}[{slice_text}]` fetches one row (`LIMIT 1`); `.first()` returns `None` instead of raising when there is none"
            ),
        ),
        (Taken::Front(bounds), None) => (
            front(bounds),
            format!(
                "slice the queryset: `{receiver}[{slice_text}]` fetches only those rows (`LIMIT`)"
            ),
        ),
        (Taken::Front(bounds), Some(_)) => (
            front(bounds),
            format!(
                "iterate a slice of the queryset: `for ... in {receiver}[{slice_text}]` fetches only those rows (`LIMIT`)"
            ),
        ),
    };
    let mut diagnostic = Diagnostic::new(
        Rule::EvaluateThenSlice,
        format!("`{text}` loads {rows} into memory to use {used}"),
        subscript.range(),
    )
    .with_help(help);
    if let Some(fix) = fix(checker, subscript, source, &taken, comprehension, &receiver)
        && !iterator
    {
        diagnostic = diagnostic.with_fix(fix);
    }
    defer_unless_reused(checker, source, None, diagnostic);
}

/// DJM106: `hits = list(qs)` (or `[x for x in qs]`) whose only reads are `hits[0]`,
/// `hits[:3]`, truth tests and `len(hits)`: settled at the end of the file.
pub(crate) fn rows_read_at_the_front(
    checker: &mut Checker,
    targets: &[Expr],
    value: &Expr,
    inferred: &Value,
) {
    let ([Expr::Name(target)], Value::Rows(info)) = (targets, inferred) else {
        return;
    };
    if !info.may_load_many_rows() {
        return;
    }
    if checker.semantic.at_import_time() && checker.enabled(Rule::ImportTimeQueryset) {
        return;
    }
    let Some(source) = rows_source(value) else {
        return;
    };
    let Some(rows_binding) = checker.semantic.resolve(target.id.as_str()) else {
        return;
    };
    let name = target.id.as_str();
    let rows = model_rows(checker, info);
    let queryset = match checker.semantic.infer(source) {
        Value::Queryset(_) => checker.snippet(source.range()),
        _ => "qs".to_string(),
    };
    let diagnostic = Diagnostic::new(
        Rule::EvaluateThenSlice,
        format!("`{name}` holds {rows} in memory, and only its first items are read"),
        value.range(),
    )
    .with_help(first_rows_help(&queryset));
    defer_unless_reused(checker, source, Some(rows_binding), diagnostic);
}

fn first_rows_help(queryset: &str) -> String {
    format!(
        "fetch only what is read: `{queryset}.first()` (one row, `None` when there is none) or a slice `{queryset}[:n]` (`LIMIT n`)"
    )
}

/// The queryset a list of rows was built from: `list(qs)`, `tuple(qs)`, `[x for x in qs]`.
fn rows_source(value: &Expr) -> Option<&Expr> {
    match value {
        Expr::Call(call) => call.arguments.args.first(),
        Expr::ListComp(comp) => comp.generators.first().map(|g| &g.iter),
        _ => None,
    }
}

/// Reported at once, or at the end of the file when the queryset is held in a name
/// (another evaluation of it would read the same result cache, so the rows are used
/// anyway) or the rows are (read whole later silences it).
fn defer_unless_reused(
    checker: &mut Checker,
    source: &Expr,
    rows: Option<crate::semantic::BindingId>,
    diagnostic: Diagnostic,
) {
    let queryset = match source {
        Expr::Name(name) => checker.semantic.resolve(name.id.as_str()).map(|id| (id, 1)),
        _ => None,
    };
    if queryset.is_none() && rows.is_none() {
        checker.report(diagnostic);
        return;
    }
    checker.deferred.push(Deferred::UnlessRowsUsed {
        queryset,
        rows,
        diagnostic,
    });
}

fn taken(slice: &Expr) -> Option<Taken> {
    match slice {
        Expr::Slice(slice) => {
            let upper = slice.upper.as_deref()?;
            if slice.step.is_some() {
                return None;
            }
            let lower = slice.lower.as_deref().map(literal::signed_int);
            let upper = literal::signed_int(upper);
            // `[:-1]` and `[-5:]` need every row; so does `[-5:-1]`.
            if upper.is_some_and(|u| u < 0) || matches!(lower, Some(Some(l)) if l < 0) {
                return None;
            }
            let bounds = match (lower, upper) {
                (None, Some(upper)) => Some((0, upper)),
                (Some(Some(lower)), Some(upper)) => Some((lower, upper)),
                _ => None,
            };
            Some(Taken::Front(bounds))
        }
        index => Some(Taken::One(literal::signed_int(index))),
    }
}

fn front(bounds: &Option<(i64, i64)>) -> String {
    match bounds {
        Some((0, 1)) => "the first".to_string(),
        Some((0, upper)) => format!("the first {upper}"),
        Some((lower, upper)) => format!("{} of them", (upper - lower).max(0)),
        None => "a slice of them".to_string(),
    }
}

/// A safe fix only where the result is the same: a literal, non-negative position or
/// bounds (a queryset refuses negative ones), on `list()`/`tuple()` or a comprehension
/// whose element only reads the row (a call there would run fewer times).
/// `list(qs)[:5]` -> `list(qs[:5])`; `list(qs)[0]` -> `qs[0]` (both raise `IndexError`
/// when there is no row); `[b.title for b in qs][:5]` -> `[b.title for b in qs[:5]]`.
fn fix(
    checker: &Checker,
    subscript: &ast::ExprSubscript,
    source: &Expr,
    taken: &Taken,
    comprehension: Option<(&ast::ExprListComp, &ast::Comprehension)>,
    receiver: &str,
) -> Option<Fix> {
    let literal = match taken {
        Taken::One(Some(position)) => *position >= 0,
        Taken::Front(Some((lower, _))) => *lower >= 0,
        _ => false,
    };
    if !literal || checker.text(subscript.range()).contains('#') {
        return None;
    }
    let slice_text = checker.text(subscript.slice.range());
    let sliced = format!("{receiver}[{slice_text}]");
    let content = match (taken, comprehension, subscript.value.as_ref()) {
        (Taken::One(_), None, _) => sliced.clone(),
        (Taken::Front(_), None, Expr::Call(call)) => {
            let func = checker.text(call.func.range());
            format!("{func}({sliced})")
        }
        (Taken::Front(_), Some((comp, generator)), _) => {
            let reads_only = |elt: &Expr| reads_the_row(elt, &generator.target);
            if !reads_only(&comp.elt) {
                return None;
            }
            let whole = checker.text(comp.range());
            let start = usize::from(source.range().start() - comp.range().start());
            let end = usize::from(source.range().end() - comp.range().start());
            format!("{}{sliced}{}", &whole[..start], &whole[end..])
        }
        _ => return None,
    };
    Some(Fix::replacement(
        format!("Use `{}`", content.lines().next().unwrap_or("")),
        TextRange::new(subscript.range().start(), subscript.range().end()),
        content,
    ))
}

/// The loop variable, or an attribute chain read off it (`b`, `b.title`, `b.author.name`).
fn reads_the_row(expr: &Expr, target: &Expr) -> bool {
    let Expr::Name(variable) = target else {
        return false;
    };
    match expr {
        Expr::Name(name) => name.id == variable.id,
        Expr::Attribute(attribute) => reads_the_row(&attribute.value, target),
        _ => false,
    }
}
