//! The end of the walk: findings that needed the whole file first (ruff's deferred
//! scopes). "Evaluated later" is decided once every use of a binding is known, DJM201
//! once the batch functions are known, and DJM403/DJM404 once every insertion into a
//! container is.

use rustc_hash::FxHashSet as HashSet;

use crate::registry::Rule;
use crate::rules;
use crate::semantic::batch;

use super::{Checker, Deferred};
use crate::diagnostic::Diagnostic;

/// A DJM101/102/103 finding waiting for the end of the file, with the queryset as shown
/// and what evaluating it loads (`Deferred::UnlessEvaluated`).
type CachedRowsFinding = (Diagnostic, String, String);

impl Checker<'_> {
    /// Settles deferred findings now that every use in the file is known.
    pub(super) fn settle(&mut self) {
        if self.enabled(Rule::GrowingGlobalContainer) {
            rules::growing_global_container::growing_global_container(self);
        }
        if self.enabled(Rule::OversizedCache) {
            rules::oversized_cache::oversized_cache(self);
        }
        let deferred = std::mem::take(&mut self.deferred);
        // Batch context is only asked for when a DJM201 finding waits on it: each question
        // to the call graph is recorded with the file's answers.
        let mut batch = HashSet::default();
        // Batch only because a job in another module calls them (the call graph).
        let mut through_calls = HashSet::default();
        if deferred.iter().any(|item| {
            matches!(
                item,
                Deferred::MissingIterator { .. } | Deferred::BatchIterator { .. }
            )
        }) {
            batch = batch::batch_functions(&self.semantic.functions, &self.run_python_functions);
            for function in 0..self.semantic.functions.len() {
                if !batch.contains(&function) && self.reached_from_batch(function) {
                    through_calls.insert(function);
                }
            }
        }
        let missing_iterator_through_calls =
            rules::counts_batch_reached_through_calls(self, Rule::MissingIterator);
        // Findings on one queryset's rows, grouped: one root cause, one finding.
        let mut cached: Vec<(usize, Vec<CachedRowsFinding>)> = Vec::new();
        for item in deferred {
            match item {
                Deferred::UnlessEvaluated {
                    binding,
                    diagnostic,
                    subject,
                    rows,
                } => {
                    let class = self.semantic.use_class(binding);
                    let finding = (diagnostic, subject, rows);
                    match cached.iter_mut().find(|(other, _)| *other == class) {
                        Some((_, findings)) => findings.push(finding),
                        None => cached.push((class, vec![finding])),
                    }
                }
                Deferred::UnlessRowsUsed {
                    queryset,
                    rows,
                    diagnostic,
                } => {
                    let queryset_reused = queryset.is_some_and(|(binding, own)| {
                        self.semantic.use_counts(binding).evaluations > own
                    });
                    let rows_read_whole = rows.is_some_and(|binding| {
                        let uses = self.semantic.use_counts(binding);
                        uses.evaluations > 0 || uses.indexes == 0
                    });
                    if !queryset_reused && !rows_read_whole {
                        self.diagnostics.push(diagnostic);
                    }
                }
                Deferred::BatchIterator {
                    function,
                    span,
                    subject,
                } => {
                    if batch.contains(&function) || through_calls.contains(&function) {
                        self.process.batch_iterators.push((span, subject));
                    }
                }
                Deferred::MissingIterator {
                    binding,
                    function,
                    diagnostic,
                } => {
                    // Another loop, `list()` or return keeps the rows for a reason; a later
                    // truth test or `len()` does not: it could be `.exists()`/`.count()`.
                    let reused = binding
                        .is_some_and(|binding| self.semantic.use_counts(binding).evaluations > 1);
                    let in_batch = self.settings.strict_iterator
                        || function.is_some_and(|function| {
                            batch.contains(&function)
                                || (missing_iterator_through_calls
                                    && through_calls.contains(&function))
                        });
                    if !reused && in_batch {
                        let mut diagnostic = diagnostic;
                        let asked_later = binding.is_some_and(|binding| {
                            self.semantic.use_counts(binding).cache_fills > 0
                        });
                        if asked_later && let Some(help) = &mut diagnostic.help {
                            help.push_str(
                                ", and make the later truth test or `len()` an `.exists()` or `.count()`: with no result cache they would load every row again",
                            );
                        }
                        self.diagnostics.push(diagnostic);
                    }
                }
            }
        }
        for (class, findings) in cached {
            if let Some(diagnostic) = self.one_finding_per_queryset(class, findings) {
                self.diagnostics.push(diagnostic);
            }
        }
    }

    /// The findings on one queryset's rows (DJM101/102/103), settled together: none
    /// when the rows are evaluated anyway; else one, at the first place the result
    /// cache is filled, with the other places as labels.
    ///
    /// - A fix is offered only when that finding is the one use of the result cache:
    ///   `.exists()` next to a `len()` that still fills it would add a query.
    /// - When `qs[0]` or `qs[:n]` reads the cache afterwards, the cost is loading every
    ///   row to use the first few, and the advice is `.first()`, never `.exists()`
    ///   (which would query twice, and `qs[0]` could then raise `IndexError`).
    fn one_finding_per_queryset(
        &mut self,
        class: usize,
        mut findings: Vec<CachedRowsFinding>,
    ) -> Option<Diagnostic> {
        let uses = self.semantic.use_counts(class);
        if uses.evaluations > 0 || findings.is_empty() {
            return None;
        }
        findings.sort_by_key(|(diagnostic, _, _)| diagnostic.range.start());
        let mut rest = findings.split_off(1);
        let (mut first, subject, rows) = findings.pop()?;
        for (other, _, _) in rest.drain(..) {
            first.secondary.push((
                other.range,
                "the result cache is read again here".to_string(),
            ));
        }
        if uses.cache_fills > 1 {
            first.fix = None;
        }
        if uses.indexes > 0 {
            first.message = format!(
                "`{subject}` loads {rows} into the result cache, and only the first rows are read from it"
            );
            first.help = Some(format!(
                "fetch what is used: `obj = {subject}.first()` (or a slice) and test `obj`: one query, one row"
            ));
            first.fix = None;
        }
        Some(first)
    }
}
