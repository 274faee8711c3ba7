//! DJM205 foreign-key-per-row: inside a loop over a queryset, reading a forward
//! `ForeignKey`/`OneToOneField` (or a reverse one-to-one) of the row runs one query per
//! row, unless the queryset joins or prefetches the relation. Reads through one project
//! function or method handed the row count too (the function summaries' chains).

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextRange};

use crate::checker::Checker;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::registry::Rule;
use crate::semantic::index::last_segment;
use crate::semantic::{InstanceInfo, Value};

/// Chains longer than this are cut: three relations deep is already rare.
const MAX_CHAIN: usize = 4;
/// Chains a function summary keeps per parameter.
const MAX_READS: usize = 16;

/// One read of a related row through a loop variable, waiting for the loop's end.
pub(crate) struct RelationRead {
    loop_id: u32,
    range: TextRange,
    /// As shown: `book.author.name`, or the call `describe(book)`.
    shown: String,
    /// The relation path that loads the rows (`author__publisher`).
    path: String,
    /// Only the key of the one relation in `path` is read (`book.author.id`).
    key_only: bool,
    /// The loop variable, for the key-only advice (`book.author_id`).
    variable: String,
    /// Read inside this project function or method handed the row.
    via: Option<String>,
}

/// `book.author.name` -> ("book", ["author", "name"]); None unless rooted at a name.
fn chain(attribute: &ast::ExprAttribute) -> Option<(&str, Vec<&str>)> {
    let mut attrs = vec![attribute.attr.as_str()];
    let mut value = attribute.value.as_ref();
    loop {
        match value {
            Expr::Attribute(inner) => {
                attrs.push(inner.attr.as_str());
                value = inner.value.as_ref();
            }
            Expr::Name(name) => {
                attrs.reverse();
                return Some((name.id.as_str(), attrs));
            }
            _ => return None,
        }
    }
}

/// The row of a queryset loop of this function that `name` holds: the loop's id and
/// what is known of the row, when its model is known and nothing may have loaded its
/// relations already.
fn loop_row(checker: &Checker, name: &str) -> Option<(u32, InstanceInfo)> {
    let binding = checker.semantic.resolve(name)?;
    let binding = checker.semantic.binding(binding);
    let Value::Instance(row) = &binding.value else {
        return None;
    };
    if !row.loop_variable || row.model.is_none() || row.caller_may_prefetch || row.select_all {
        return None;
    }
    // The innermost queryset loop around the binding that still runs: `row = book` in
    // an inner `for page in pages:` is still one row of the outer loop, and a row
    // left over from a finished loop is one row, its relations cached once loaded.
    let enclosing = checker.semantic.enclosing_loops();
    let loop_id = binding.loops.iter().rev().copied().find(|id| {
        enclosing
            .iter()
            .any(|frame| frame.id == *id && frame.queryset.is_some())
    })?;
    Some((loop_id, row.clone()))
}

/// Follows `attrs` from a row of `model`: the relation path that loads rows, and whether
/// only the key of its one relation is read. None when the first attribute is no
/// relation that loads a row.
fn follow(checker: &Checker, model: &str, attrs: &[&str]) -> Option<(String, bool)> {
    let mut model = model.to_string();
    let mut path: Vec<&str> = Vec::new();
    for (i, attr) in attrs.iter().enumerate() {
        if !path.is_empty() && matches!(*attr, "id" | "pk") && i + 1 == attrs.len() {
            // `book.author.publisher.pk`: the author is loaded, its key to the
            // publisher read.
            if path.len() > 1 {
                path.pop();
                return Some((path.join("__"), false));
            }
            return Some((path.join("__"), true));
        }
        if model.is_empty() {
            break;
        }
        let Some((_, target)) = checker.semantic.index.row_relation(&model, attr) else {
            break;
        };
        path.push(attr);
        model = target;
    }
    (!path.is_empty()).then(|| (path.join("__"), false))
}

/// Whether the row's queryset joins or prefetches `path`.
fn covered(row: &InstanceInfo, path: &str) -> bool {
    row.select_related
        .iter()
        .chain(&row.prefetch)
        .any(|lookup| {
            lookup == path
                || lookup
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with("__"))
        })
}

/// An attribute chain, at its outermost node: records what a function reads through
/// its parameters, and a related row read through a loop variable.
pub(crate) fn attribute(checker: &mut Checker, attribute: &ast::ExprAttribute) {
    let Some((root, attrs)) = chain(attribute) else {
        return;
    };
    let attrs = &attrs[..attrs.len().min(MAX_CHAIN)];
    record_parameter_read(checker, root, attrs);
    if checker.semantic.change_guards > 0 {
        return;
    }
    let Some((loop_id, row)) = loop_row(checker, root) else {
        return;
    };
    let model = row.model.clone().unwrap_or_default();
    let shown = checker.snippet(attribute.range());
    match follow(checker, &model, attrs) {
        Some((path, key_only)) => read(
            checker,
            loop_id,
            &row,
            attribute.range(),
            shown,
            root,
            path,
            key_only,
            None,
        ),
        // `book.author_name`, a property of the model that reads `self.author.name`. The
        // historical models of a migration (`apps.get_model`) have no custom methods.
        None if checker.semantic.in_migration() => {}
        None => {
            if let Some((true, reads)) = checker.semantic.index.method_reads(&model, attrs[0], 0) {
                let via = format!("{}.{}", last_segment(&model), attrs[0]);
                through(
                    checker,
                    loop_id,
                    &row,
                    attribute.range(),
                    shown,
                    root,
                    &reads,
                    via,
                );
            }
        }
    }
}

/// `book.author = author` in the loop: the row caches what was assigned, so later
/// reads of `book.author...` in the loop run no query.
pub(crate) fn attribute_store(checker: &mut Checker, attribute: &ast::ExprAttribute) {
    let Expr::Name(name) = attribute.value.as_ref() else {
        return;
    };
    let Some((loop_id, _)) = loop_row(checker, name.id.as_str()) else {
        return;
    };
    checker
        .assigned_relations
        .push((loop_id, name.id.to_string(), attribute.attr.to_string()));
}

/// A call handed a loop variable (`describe(book)`, `self.describe(book)`) or a method
/// of the row (`book.describe()`): the chains the callee reads through it.
pub(crate) fn call(checker: &mut Checker, call: &ast::ExprCall) {
    if checker.semantic.change_guards > 0 {
        return;
    }
    let shown = checker.snippet(call.range());
    // `book.describe()` (not in migrations: historical models have no custom methods)
    if let Expr::Attribute(attribute) = call.func.as_ref()
        && !checker.semantic.in_migration()
        && let Expr::Name(name) = attribute.value.as_ref()
        && let Some((loop_id, row)) = loop_row(checker, name.id.as_str())
    {
        let model = row.model.clone().unwrap_or_default();
        let method = attribute.attr.as_str();
        if let Some((false, reads)) = checker.semantic.index.method_reads(&model, method, 0) {
            let via = format!("{}.{method}", last_segment(&model));
            let root = name.id.to_string();
            through(
                checker,
                loop_id,
                &row,
                call.range(),
                shown.clone(),
                &root,
                &reads,
                via,
            );
        }
    }
    for (position, arg) in call.arguments.args.iter().enumerate() {
        let Expr::Name(name) = arg else { continue };
        if call.arguments.args[..position]
            .iter()
            .any(|a| matches!(a, Expr::Starred(_)))
        {
            return;
        }
        let Some((loop_id, row)) = loop_row(checker, name.id.as_str()) else {
            continue;
        };
        let Some((reads, via)) = callee_reads(checker, call, position) else {
            continue;
        };
        let root = name.id.to_string();
        through(
            checker,
            loop_id,
            &row,
            call.range(),
            shown.clone(),
            &root,
            &reads,
            via,
        );
    }
}

/// What the project function or method called reads through its positional parameter
/// at `position`, and its name.
fn callee_reads(
    checker: &Checker,
    call: &ast::ExprCall,
    position: usize,
) -> Option<(Vec<String>, String)> {
    let index = &checker.semantic.index;
    match call.func.as_ref() {
        Expr::Name(name) => {
            let id = checker.semantic.resolve(name.id.as_str())?;
            let reads = match &checker.semantic.binding(id).value {
                // A nested function's qualname (`outer.inner`) names no fact: none read.
                Value::Function(qualname) => {
                    index.function_reads(index.module(), qualname, position)
                }
                Value::Imported { module, name } => index.function_reads(module, name, position),
                _ => return None,
            };
            (!reads.is_empty()).then(|| (reads, name.id.to_string()))
        }
        Expr::Attribute(attribute) => {
            let Value::SelfRef(class) = checker.semantic.infer(&attribute.value) else {
                return None;
            };
            let method = attribute.attr.as_str();
            // A property takes no argument but `self`: it has no reads at `position + 1`.
            let (_, reads) = index.method_reads(&class, method, position + 1)?;
            (!reads.is_empty()).then(|| (reads, format!("{}.{method}", last_segment(&class))))
        }
        _ => None,
    }
}

/// The reads a callee makes through the row, each followed from the row's model.
#[expect(clippy::too_many_arguments)]
fn through(
    checker: &mut Checker,
    loop_id: u32,
    row: &InstanceInfo,
    range: TextRange,
    shown: String,
    root: &str,
    reads: &[String],
    via: String,
) {
    let model = row.model.clone().unwrap_or_default();
    let mut found: Vec<(String, bool)> = Vec::new();
    for chain in reads {
        let attrs: Vec<&str> = chain.split('.').collect();
        if let Some(read) = follow(checker, &model, &attrs)
            && !found.contains(&read)
        {
            found.push(read);
        }
    }
    for (path, key_only) in found {
        read(
            checker,
            loop_id,
            row,
            range,
            shown.clone(),
            root,
            path,
            key_only,
            Some(via.clone()),
        );
    }
}

#[expect(clippy::too_many_arguments)]
fn read(
    checker: &mut Checker,
    loop_id: u32,
    row: &InstanceInfo,
    range: TextRange,
    shown: String,
    root: &str,
    path: String,
    key_only: bool,
    via: Option<String>,
) {
    let first = path.split("__").next().unwrap_or(&path);
    let assigned = checker
        .assigned_relations
        .iter()
        .any(|(id, variable, attr)| *id == loop_id && variable == root && attr == first);
    if assigned
        || covered(row, &path)
        || crate::rules::preview_only_here(checker, Rule::ForeignKeyPerRow, None)
    {
        return;
    }
    checker.relation_reads.push(RelationRead {
        loop_id,
        range,
        shown,
        path,
        key_only,
        variable: root.to_string(),
        via,
    });
}

/// Inside a function, outside any branch or loop body, a chain through one of its positional
/// parameters: kept in the function's summary for callers that hand it a row.
fn record_parameter_read(checker: &mut Checker, root: &str, attrs: &[&str]) {
    // `if not self.organizer_id: self.organizer_id = self.event.organizer_id` in `save()`
    // reads the relation on some calls only: a row passing through is not one query each.
    if checker.conditional_depth > 0 {
        return;
    }
    let Some(function) = checker.semantic.current_function() else {
        return;
    };
    let Some(binding) = checker.semantic.resolve(root) else {
        return;
    };
    let info = &checker.semantic.functions[function];
    let Some(position) = info.positional_bindings.iter().position(|b| *b == binding) else {
        return;
    };
    let chain = attrs.join(".");
    let reads = &mut checker.semantic.functions[function].parameter_reads[position];
    if reads.len() < MAX_READS && !reads.contains(&chain) {
        reads.push(chain);
    }
}

/// DJM205, when a loop over a queryset ends: one finding for the related rows its
/// body reads, with the lookups to add merged. `inline` is the loop's iterable and its
/// value when the loop is a `for` or a comprehension's first generator.
pub(crate) fn loop_end(checker: &mut Checker, inline: Option<(&Expr, &Value)>) {
    let Some(frame) = checker.semantic.loops.last() else {
        return;
    };
    let (loop_id, iter_range) = (frame.id, frame.iter_range);
    if !checker.relation_reads.iter().any(|r| r.loop_id == loop_id) {
        return;
    }
    let (mut reads, rest): (Vec<RelationRead>, Vec<RelationRead>) =
        std::mem::take(&mut checker.relation_reads)
            .into_iter()
            .partition(|r| r.loop_id == loop_id);
    checker.relation_reads = rest;
    checker
        .assigned_relations
        .retain(|(id, _, _)| *id != loop_id);
    // A read inside a query DJM203 reports is part of that finding.
    let per_row_queries: Vec<TextRange> = checker
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::QueryInLoop)
        .flat_map(|d| {
            std::iter::once(d.range).chain(
                d.secondary
                    .iter()
                    .filter(|(_, label)| label != "the loop")
                    .map(|(range, _)| *range),
            )
        })
        .collect();
    reads.retain(|r| !per_row_queries.iter().any(|q| q.contains_range(r.range)));
    // Once per place and path.
    reads.sort_by_key(|r| (r.range.start(), r.path.clone()));
    reads.dedup_by(|a, b| a.range == b.range && a.path == b.path);
    let Some(first) = reads.first() else {
        return;
    };
    // A relation fetched once per row is cached on the row: a second read of the same
    // path costs nothing more.
    let mut loaded: Vec<&RelationRead> = Vec::new();
    for read in reads.iter().filter(|r| !r.key_only) {
        if !loaded.iter().any(|r| r.path == read.path) {
            loaded.push(read);
        }
    }
    // Merged lookups: `author` is joined by `author__publisher`.
    let mut lookups: Vec<String> = loaded.iter().map(|r| r.path.clone()).collect();
    lookups.sort();
    lookups.dedup();
    let all = lookups.clone();
    lookups.retain(|p| {
        !all.iter().any(|other| {
            other
                .strip_prefix(p.as_str())
                .is_some_and(|r| r.starts_with("__"))
        })
    });
    // Key reads of a relation the lookups load need no advice of their own.
    let key_reads: Vec<&RelationRead> = reads
        .iter()
        .filter(|r| r.key_only && !all.contains(&r.path))
        .collect();
    let outer = checker.snippet(iter_range);
    let place = |r: &RelationRead| match &r.via {
        Some(via) => format!("`{}` (in `{via}`)", r.shown),
        None => format!("`{}`", r.shown),
    };
    let mut diagnostic = if let Some(main) = loaded.first() {
        let quoted: Vec<String> = lookups.iter().map(|l| format!("\"{l}\"")).collect();
        let select = format!(".select_related({})", quoted.join(", "));
        let others = loaded.iter().filter(|r| r.range != main.range).count();
        let message = match others {
            // One place, one or more relations (a function that reads several).
            0 => format!(
                "{} fetches the related `{}` with one query {}for every row of `{outer}`",
                place(main),
                loaded
                    .iter()
                    .map(|r| r.path.as_str())
                    .collect::<Vec<_>>()
                    .join("` and `"),
                if loaded.len() > 1 { "each " } else { "" }
            ),
            n => format!(
                "{} and {n} more relation{} fetch related rows with one query each for every row of `{outer}`",
                place(main),
                if n == 1 { "" } else { "s" }
            ),
        };
        let mut diagnostic = Diagnostic::new(Rule::ForeignKeyPerRow, message, main.range)
            .with_help(format!(
                "load them with the rows, in the same query: add `{select}` to the queryset"
            ));
        // The queryset written in the `for` itself: the lookups go at its end.
        if let Some((iter, Value::Queryset(info))) = inline
            && matches!(iter, Expr::Call(_))
            && !info.yields_values
        {
            diagnostic = diagnostic.with_fix(Fix {
                message: format!("Add `{select}`"),
                edits: vec![Edit {
                    range: TextRange::empty(iter.range().end()),
                    content: select.clone(),
                }],
            });
        }
        for other in loaded.iter().filter(|r| r.range != main.range) {
            diagnostic.secondary.push((
                other.range,
                format!("fetches `{}` for every row", other.path),
            ));
        }
        for key in &key_reads {
            diagnostic.secondary.push((
                key.range,
                format!(
                    "reads only the key: `{}.{}_id` needs no query",
                    key.variable, key.path
                ),
            ));
        }
        diagnostic
    } else {
        let main = key_reads.first().copied().unwrap_or(first);
        let mut diagnostic = Diagnostic::new(
            Rule::ForeignKeyPerRow,
            format!(
                "{} fetches the whole related `{}` row with one query for every row of `{outer}`, to read a key the row already holds",
                place(main),
                main.path
            ),
            main.range,
        )
        .with_help(format!(
            "read `{}.{}_id` instead: the key is a column of the row, no query",
            main.variable, main.path
        ));
        for other in key_reads.iter().filter(|r| r.range != main.range) {
            diagnostic.secondary.push((
                other.range,
                format!(
                    "reads only the key: `{}.{}_id` needs no query",
                    other.variable, other.path
                ),
            ));
        }
        diagnostic
    };
    diagnostic
        .secondary
        .push((iter_range, "the loop".to_string()));
    checker.report(diagnostic);
}
