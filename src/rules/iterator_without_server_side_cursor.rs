//! DJM208 iterator-without-server-side-cursor: `.iterator()` relied on to stream rows in
//! batch code, in a project whose settings turn PostgreSQL's server-side cursors off
//! (`DISABLE_SERVER_SIDE_CURSORS`, for pgbouncer in transaction mode). Without them the
//! driver receives the whole result set before Django reads the first chunk. Tree-wide:
//! the settings module and the batch code are different files, so the checker records
//! both as facts and the rule joins them.

use std::path::PathBuf;

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextRange};

use crate::checker::{Checker, Deferred};
use crate::process::files::Span;
use crate::process::{PythonFile, located};
use crate::registry::Rule;
use crate::report::{FileReport, Located};
use crate::semantic::literal;

const SETTING: &str = "DISABLE_SERVER_SIDE_CURSORS";

const HELP: &str = "page through the rows by primary key: `last = 0`, then `while rows := list(qs.filter(pk__gt=last).order_by(\"pk\")[:2000]):` handle `rows` and set `last = rows[-1].pk`; each query holds one page";

/// `.iterator()` on a queryset that is not bounded: recorded when its function turns
/// out to be batch code (settled with DJM201's batch functions).
pub(crate) fn iterator_call(checker: &mut Checker, call: &ast::ExprCall) {
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return;
    };
    if attribute.attr.as_str() != "iterator" {
        return;
    }
    let receiver = checker.semantic.infer(&attribute.value);
    let Some(info) = receiver.query_source() else {
        return;
    };
    // A slice, one row, a batch of keys or one object's relation: few rows either way.
    if info.loads_few_rows() || info.batch_bounded || info.related || info.prefetched {
        return;
    }
    let Some(function) = checker.semantic.current_function() else {
        return;
    };
    let span = checker.span(call.range());
    // The receiver as shown, then the call as written: `.iterator(chunk_size=2000)`
    // streams no better than `.iterator()` with server-side cursors off.
    let call_text = checker.snippet(TextRange::new(
        attribute.attr.range().start(),
        call.range().end(),
    ));
    let subject = format!("{}.{call_text}", checker.snippet(attribute.value.range()));
    checker.deferred.push(Deferred::BatchIterator {
        function,
        span,
        subject,
    });
}

/// Whether a `DATABASES` entry is a PostgreSQL one, or one whose engine is not written
/// out (`{**env.db(), ...}`): the setting only exists for PostgreSQL.
fn maybe_postgres(entry: &ast::ExprDict) -> bool {
    entry.items.iter().all(|item| {
        let Some(key) = item.key.as_ref() else {
            return true;
        };
        if literal::string(key) != Some("ENGINE") {
            return true;
        }
        literal::string(&item.value).is_none_or(|engine| engine.contains("postg"))
    })
}

/// `DATABASES = {"default": {..., "DISABLE_SERVER_SIDE_CURSORS": True}}` at module level.
pub(crate) fn databases_setting(checker: &mut Checker, value: &Expr) {
    let Expr::Dict(databases) = value else {
        return;
    };
    for item in &databases.items {
        let Expr::Dict(entry) = &item.value else {
            continue;
        };
        if !maybe_postgres(entry) {
            continue;
        }
        for setting in &entry.items {
            let is_setting = setting
                .key
                .as_ref()
                .is_some_and(|key| literal::string(key) == Some(SETTING));
            if is_setting && matches!(&setting.value, Expr::BooleanLiteral(b) if b.value) {
                let span = checker.span(setting.value.range());
                checker.process.server_side_cursors_off.get_or_insert(span);
            }
        }
    }
}

/// `DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True` at module level.
pub(crate) fn subscript_setting(
    checker: &mut Checker,
    subscript: &ast::ExprSubscript,
    value: Option<&Expr>,
) {
    if !matches!(value, Some(Expr::BooleanLiteral(b)) if b.value)
        || literal::string(&subscript.slice) != Some(SETTING)
        || checker.semantic.current_function().is_some()
    {
        return;
    }
    let Expr::Subscript(database) = subscript.value.as_ref() else {
        return;
    };
    if !matches!(database.value.as_ref(), Expr::Name(name) if name.id.as_str() == "DATABASES") {
        return;
    }
    let span = checker.span(subscript.range());
    checker.process.server_side_cursors_off.get_or_insert(span);
}

/// The settings module that turns server-side cursors off, with where: not one named
/// for development or tests (`settings/test.py`), which no deployment runs.
fn cursors_off<'a>(python: &'a [PythonFile<'a>]) -> Option<(&'a PythonFile<'a>, Span)> {
    let mut found: Vec<(&PythonFile, Span)> = python
        .iter()
        .filter(|file| !crate::rules::debug_in_production::development_named(file))
        .filter_map(|file| Some((file, file.facts.server_side_cursors_off?)))
        .collect();
    found.sort_by(|a, b| a.0.path.cmp(b.0.path));
    found.into_iter().next()
}

/// `config.settings` line 8: by module, which reads the same wherever the tree is.
fn location(file: &PythonFile, span: Span) -> String {
    format!("`{}` (line {})", file.module, span.start.row)
}

/// DJM208
pub(crate) fn iterator_without_server_side_cursor(
    python: &[PythonFile],
    out: &mut Vec<(PathBuf, Located)>,
) {
    let Some((settings, span)) = cursors_off(python) else {
        return;
    };
    let at = location(settings, span);
    for file in python {
        for (span, subject) in &file.facts.batch_iterators {
            out.push((
                file.path.to_path_buf(),
                located(
                    Rule::IteratorWithoutServerSideCursor,
                    *span,
                    format!("`{subject}` does not stream here: {at} sets `{SETTING}`, so the PostgreSQL driver receives every row of the result into client memory before Django reads the first chunk"),
                    HELP,
                ),
            ));
        }
    }
}

/// DJM201's advice (`.iterator()`) does not hold in a project that turns server-side
/// cursors off: what its help adds there, if the project does.
pub(crate) fn missing_iterator_note(python: &[PythonFile]) -> Option<String> {
    let (settings, span) = cursors_off(python)?;
    Some(format!(
        "; but {} sets `{SETTING}`, so `.iterator()` still receives every row into the driver's memory: page by primary key instead (`dormlint explain DJM208`)",
        location(settings, span)
    ))
}

/// Adds `note` to every DJM201 help.
pub(crate) fn amend_missing_iterator_help(reports: &mut [FileReport], note: &str) {
    for report in reports {
        for diagnostic in &mut report.diagnostics {
            if diagnostic.rule == Rule::MissingIterator
                && let Some(help) = &mut diagnostic.help
            {
                help.push_str(note);
            }
        }
    }
}
