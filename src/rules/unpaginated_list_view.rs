//! DJM209 unpaginated-list-view: a list view that renders every row of a table that
//! grows, on every request: a Django `ListView` without `paginate_by`, a DRF list
//! endpoint with `pagination_class = None` or in a project whose `REST_FRAMEWORK` sets
//! no `DEFAULT_PAGINATION_CLASS`. Small tables are common, so only a queryset over a
//! whole table (or filtered on fields that are not a parent key) of a model with a date
//! field (rows that accumulate over time: orders, events, logs) counts. Tree-wide: a
//! view's bases, its model and the settings live in different files, so the checker
//! records the shape of each class and the rule joins them.
//!
//! Also, in one file: an admin action that writes a line for every row of its
//! `queryset` into memory (a CSV export built in an `HttpResponse`), whose selection
//! "select all" makes the whole table.

use std::collections::HashMap;
use std::path::PathBuf;

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::process::files::Span;
use crate::process::{PythonFile, RestPagination, located};
use crate::registry::Rule;
use crate::report::Located;
use crate::semantic::index::{last_segment, qualify};
use crate::semantic::literal;

/// What the list-view rule needs of a class, recorded where the class is declared.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct ClassShape {
    qualified: String,
    /// Base classes, qualified through the file's imports.
    bases: Vec<String>,
    name_span: Span,
    /// `paginate_by = <not None>`, `get_paginate_by` or `paginate_queryset` defined:
    /// Some(true); `paginate_by = None`: Some(false).
    paginates: Option<bool>,
    /// `pagination_class = None`: Some(false); set to a class: Some(true).
    pagination_class: Option<bool>,
    /// Defines what decides the rows or the response (`get_queryset`, `list`, `get`,
    /// `get_context_data`): the rule cannot follow it.
    custom_rows: bool,
    /// `queryset = ...` or `model = ...`.
    rows: Option<Rows>,
    /// Declares a `DateField`/`DateTimeField`: its rows accumulate over time.
    dated: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Rows {
    model: String,
    /// The whole table, or filtered on fields that pick neither one row nor one
    /// parent's rows.
    unbounded: bool,
}

const DATE_FIELDS: &[&str] = &[
    "DateTimeField",
    "DateField",
    "AutoCreatedField",
    "AutoLastModifiedField",
    "CreationDateTimeField",
    "ModificationDateTimeField",
];

/// Records the shape of a class with bases (called before its body is walked).
pub(crate) fn class_shape(checker: &mut Checker, class: &ast::StmtClassDef) {
    if class.bases().is_empty() || checker.semantic.current_function().is_some() {
        return;
    }
    let bases: Vec<String> = class
        .bases()
        .iter()
        .map(|base| checker.qualified_name(base).unwrap_or_default())
        .collect();
    let mut shape = ClassShape {
        qualified: qualify(checker.semantic.index.module(), class.name.as_str()),
        bases,
        name_span: checker.span(class.name.range()),
        paginates: None,
        pagination_class: None,
        custom_rows: false,
        rows: None,
        dated: false,
    };
    for stmt in &class.body {
        match stmt {
            Stmt::FunctionDef(function) => match function.name.as_str() {
                "get_paginate_by" | "paginate_queryset" => shape.paginates = Some(true),
                "get_queryset" | "list" | "get" | "get_context_data" | "filter_queryset" => {
                    shape.custom_rows = true
                }
                _ => {}
            },
            Stmt::Assign(assign) => {
                let [Expr::Name(target)] = assign.targets.as_slice() else {
                    continue;
                };
                attribute(checker, &mut shape, target.id.as_str(), &assign.value);
            }
            Stmt::AnnAssign(assign) => {
                if let (Expr::Name(target), Some(value)) = (assign.target.as_ref(), &assign.value) {
                    attribute(checker, &mut shape, target.id.as_str(), value);
                }
            }
            _ => {}
        }
    }
    checker.process.view_classes.push(shape);
}

fn attribute(checker: &Checker, shape: &mut ClassShape, name: &str, value: &Expr) {
    let is_none = value.is_none_literal_expr();
    match name {
        "paginate_by" => shape.paginates = Some(!is_none),
        "pagination_class" => shape.pagination_class = Some(!is_none),
        "model" => {
            if let Some(model) = checker.qualified_name(value) {
                shape.rows.get_or_insert(Rows {
                    model,
                    unbounded: true,
                });
            }
        }
        "queryset" => {
            let inferred = checker.semantic.infer(value);
            let Some(info) = inferred.query_source() else {
                // Rows the rule cannot read: not judged.
                shape.custom_rows = true;
                return;
            };
            let Some(model) = info.model.clone() else {
                shape.custom_rows = true;
                return;
            };
            let one_parent = info
                .filtered_on
                .iter()
                .any(|field| checker.semantic.index.is_parent_key(&model, field));
            let unbounded = !info.loads_few_rows()
                && !info.related
                && !info.batch_bounded
                && !info.prefetched
                && !one_parent;
            shape.rows = Some(Rows { model, unbounded });
        }
        _ => {
            if let Expr::Call(call) = value
                && let Some(callee) = checker.qualified_name(&call.func)
                && DATE_FIELDS.contains(&last_segment(&callee))
            {
                shape.dated = true;
            }
        }
    }
}

/// What `REST_FRAMEWORK = {...}` says of `DEFAULT_PAGINATION_CLASS`.
pub(crate) fn rest_framework_pagination(value: &Expr) -> RestPagination {
    let Expr::Dict(dict) = value else {
        return RestPagination::Unknown;
    };
    if dict.items.iter().any(|item| item.key.is_none()) {
        return RestPagination::Unknown;
    }
    let setting = dict.items.iter().find(|item| {
        item.key
            .as_ref()
            .is_some_and(|key| literal::string(key) == Some("DEFAULT_PAGINATION_CLASS"))
    });
    match setting {
        None => RestPagination::Missing,
        Some(item) if item.value.is_none_literal_expr() => RestPagination::Missing,
        Some(_) => RestPagination::Set,
    }
}

const LIST_VIEWS: &[&str] = &[
    "django.views.generic.ListView",
    "django.views.generic.list.ListView",
    "django.views.generic.BaseListView",
    "django.views.generic.list.BaseListView",
];

const API_LISTS: &[&str] = &[
    "rest_framework.generics.ListAPIView",
    "rest_framework.generics.ListCreateAPIView",
    "rest_framework.viewsets.ModelViewSet",
    "rest_framework.viewsets.ReadOnlyModelViewSet",
    "rest_framework.mixins.ListModelMixin",
];

/// Third-party bases whose rows carry creation and modification times.
fn dated_external(base: &str) -> bool {
    last_segment(base).contains("TimeStamped")
}

#[derive(Default)]
struct Chain<'a> {
    /// The project classes, the view first, then its bases depth first.
    project: Vec<&'a ClassShape>,
    /// Bases outside the project.
    external: Vec<&'a str>,
}

fn chain<'a>(start: &'a ClassShape, classes: &HashMap<&str, &'a ClassShape>) -> Chain<'a> {
    let mut out = Chain::default();
    let mut todo = vec![start];
    while let Some(shape) = todo.pop() {
        if out.project.len() > 32 || out.project.iter().any(|s| std::ptr::eq(*s, shape)) {
            continue;
        }
        out.project.push(shape);
        // Reversed so that the first base is walked first.
        for base in shape.bases.iter().rev() {
            match lookup(classes, base) {
                Some(found) => todo.push(found),
                None => out.external.push(base),
            }
        }
    }
    out
}

fn lookup<'a>(classes: &HashMap<&str, &'a ClassShape>, name: &str) -> Option<&'a ClassShape> {
    classes.get(name).copied()
}

/// Whether a model's rows accumulate over time: it or a project base declares a date
/// field, or it derives from a `TimeStampedModel`.
fn dated(
    model: &str,
    classes: &HashMap<&str, &ClassShape>,
    by_name: &HashMap<&str, Vec<&ClassShape>>,
) -> bool {
    let shape = lookup(classes, model).or_else(|| match by_name.get(last_segment(model)) {
        Some(found) if found.len() == 1 => Some(found[0]),
        _ => None,
    });
    let Some(shape) = shape else {
        return false;
    };
    let chain = chain(shape, classes);
    chain.project.iter().any(|s| s.dated) || chain.external.iter().any(|b| dated_external(b))
}

/// DJM209
pub(crate) fn unpaginated_list_view(python: &[PythonFile], out: &mut Vec<(PathBuf, Located)>) {
    let classes: HashMap<&str, &ClassShape> = python
        .iter()
        .flat_map(|file| &file.facts.view_classes)
        .map(|shape| (shape.qualified.as_str(), shape))
        .collect();
    let mut by_name: HashMap<&str, Vec<&ClassShape>> = HashMap::new();
    for shape in classes.values() {
        by_name
            .entry(last_segment(&shape.qualified))
            .or_default()
            .push(shape);
    }
    let rest_default = rest_default_pagination(python);
    for file in python {
        for shape in &file.facts.view_classes {
            let chain = chain(shape, &classes);
            let is_list_view = chain.external.iter().any(|b| LIST_VIEWS.contains(b));
            let is_api_list = chain.external.iter().any(|b| API_LISTS.contains(b));
            if is_list_view == is_api_list {
                continue;
            }
            // A base the rule cannot read (a third-party table or filter view) may
            // paginate: only Django's and DRF's own bases are understood.
            let understood = chain.external.iter().all(|b| {
                b.starts_with("django.") || b.starts_with("rest_framework.") || *b == "object"
            });
            if !understood || chain.project.iter().any(|s| s.custom_rows) {
                continue;
            }
            let Some(rows) = chain.project.iter().find_map(|s| s.rows.as_ref()) else {
                continue;
            };
            if !rows.unbounded || !dated(&rows.model, &classes, &by_name) {
                continue;
            }
            let model = last_segment(&rows.model);
            let view = last_segment(&shape.qualified);
            let (message, help) = if is_list_view {
                if chain.project.iter().find_map(|s| s.paginates) != Some(false)
                    && chain.project.iter().any(|s| s.paginates.is_some())
                {
                    continue;
                }
                (
                    format!(
                        "`{view}` renders every `{model}` row on each request: no `paginate_by`, and `{model}` has a date field, so its rows keep accumulating and every one is loaded into memory and rendered"
                    ),
                    "set `paginate_by` (e.g. `paginate_by = 50`) and render the page links, or narrow the queryset to what the page shows",
                )
            } else {
                let why = match chain.project.iter().find_map(|s| s.pagination_class) {
                    Some(true) => continue,
                    Some(false) => "`pagination_class = None`",
                    None => match rest_default {
                        Some(false) => {
                            "the project's `REST_FRAMEWORK` sets no `DEFAULT_PAGINATION_CLASS`"
                        }
                        _ => continue,
                    },
                };
                (
                    format!(
                        "`{view}` returns every `{model}` row in one response ({why}): `{model}` has a date field, so its rows keep accumulating, and each request loads and serializes all of them"
                    ),
                    "paginate the endpoint: set `pagination_class` (e.g. a `PageNumberPagination` with `page_size`), or `DEFAULT_PAGINATION_CLASS` and `PAGE_SIZE` in `REST_FRAMEWORK`",
                )
            };
            out.push((
                file.path.to_path_buf(),
                located(Rule::UnpaginatedListView, shape.name_span, message, help),
            ));
        }
    }
}

/// Whether the project's settings paginate DRF lists by default: Some(false) only
/// when the tree holds a settings module (not one for development or tests) and none
/// of them sets `DEFAULT_PAGINATION_CLASS` (or builds `REST_FRAMEWORK` in a way this
/// reading cannot follow). A reusable app without settings: None, the host decides.
fn rest_default_pagination(python: &[PythonFile]) -> Option<bool> {
    let settings: Vec<&PythonFile> = python
        .iter()
        .filter(|file| file.facts.settings_markers)
        .filter(|file| !crate::rules::debug_in_production::development_named(file))
        .collect();
    if settings.is_empty() {
        return None;
    }
    let values: Vec<RestPagination> = python
        .iter()
        .filter_map(|file| file.facts.rest_framework)
        .collect();
    if values.iter().any(|v| *v != RestPagination::Missing) {
        return Some(true);
    }
    Some(false)
}

/// DJM209's admin form: `for row in queryset: writer.writerow(...)` in an admin action,
/// over the selection it is handed.
pub(crate) fn admin_export(
    checker: &mut Checker,
    iter: &Expr,
    iterated: &crate::semantic::Value,
    body: &[Stmt],
    target: &Expr,
) {
    let crate::semantic::Value::Queryset(info) = iterated else {
        return;
    };
    if !info.admin_selection
        || info.loads_few_rows()
        || !crate::semantic::loops::writes_every_row(body, target)
    {
        return;
    }
    let text = checker.snippet(iter.range());
    let diagnostic = crate::diagnostic::Diagnostic::new(
        Rule::UnpaginatedListView,
        format!(
            "this admin action writes a line for every row of `{text}` into memory before it responds: \"select all\" selects every row of the table, each loaded into the result cache and kept, with its line, until the response is sent"
        ),
        iter.range(),
    )
    .with_help(
        "stream the export: a `StreamingHttpResponse` over a generator that iterates `queryset.iterator(chunk_size=2000)`, or a task that writes a file",
    );
    checker.report(diagnostic);
}
