//! The end of the walk: findings that needed the whole file first (ruff's deferred
//! scopes). "Evaluated later" is decided once every use of a binding is known, DJM201
//! once the batch functions are known, and DJM403/DJM404 once every insertion into a
//! container is.

use crate::registry::Rule;
use crate::rules;
use crate::semantic::batch;

use super::{Checker, Deferred};

impl Checker<'_> {
    /// Settles deferred findings now that every use in the file is known.
    pub(super) fn settle(&mut self) {
        if self.enabled(Rule::GrowingGlobalContainer) {
            rules::growing_global_container::growing_global_container(self);
        }
        if self.enabled(Rule::OversizedCache) {
            rules::oversized_cache::oversized_cache(self);
        }
        let mut batch =
            batch::batch_functions(&self.semantic.functions, &self.run_python_functions);
        // Reached through calls from a batch job in any module (the project call graph).
        for function in 0..self.semantic.functions.len() {
            if !batch.contains(&function) && self.reached_from_batch(function) {
                batch.insert(function);
            }
        }
        let deferred = std::mem::take(&mut self.deferred);
        for item in deferred {
            match item {
                Deferred::UnlessEvaluated {
                    binding,
                    diagnostic,
                } => {
                    let (evaluations, _) = self.semantic.use_counts(binding);
                    if evaluations == 0 {
                        self.diagnostics.push(diagnostic);
                    }
                }
                Deferred::MissingIterator {
                    binding,
                    function,
                    diagnostic,
                } => {
                    let reused = binding.is_some_and(|binding| {
                        let (evaluations, cache_fills) = self.semantic.use_counts(binding);
                        evaluations + cache_fills > 1
                    });
                    let in_batch = self.settings.strict_iterator
                        || function.is_some_and(|function| batch.contains(&function));
                    if !reused && in_batch {
                        self.diagnostics.push(diagnostic);
                    }
                }
            }
        }
    }
}
