//! The resolved settings a run uses, whatever they came from.

use std::collections::HashSet;

use crate::registry::{RULES, Rule};

/// DJM404's default threshold (read by the cache rules).
pub const DEFAULT_MAX_CACHE_ENTRIES: u64 = 100_000;

#[derive(Clone, Debug)]
pub struct Settings {
    pub rules: HashSet<Rule>,
    pub strict_iterator: bool,
    /// Extra decorators that make a function a batch context (DJM201).
    pub batch_decorators: Vec<String>,
    pub max_cache_entries: u64,
    pub respect_gitignore: bool,
    pub exclude: Vec<String>,
    pub threads: Option<usize>,
    /// Worker processes the deployment runs (for DJM404's per-host estimate).
    pub workers: Option<crate::process::Workers>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rules: RULES
                .iter()
                .filter(|info| info.default_enabled)
                .map(|info| info.rule)
                .collect(),
            strict_iterator: false,
            batch_decorators: Vec::new(),
            max_cache_entries: DEFAULT_MAX_CACHE_ENTRIES,
            respect_gitignore: true,
            exclude: Vec::new(),
            threads: None,
            workers: None,
        }
    }
}

impl Settings {
    /// The rules that apply to test code: only the tool diagnostics. Tests are
    /// short-lived processes over a handful of rows.
    pub fn for_test_code(&self) -> Settings {
        let mut settings = self.clone();
        settings.rules.retain(|rule| rule.is_tool());
        settings
    }

    /// Applies `select` (replacing the set), `extend-select` and `ignore`, in that order,
    /// as ruff does. Tool diagnostics stay on unless ignored explicitly.
    pub fn select_rules(
        &mut self,
        select: &[String],
        extend_select: &[String],
        ignore: &[String],
    ) -> Result<(), String> {
        if !select.is_empty() {
            self.rules = RULES
                .iter()
                .filter(|info| info.rule.is_tool())
                .map(|info| info.rule)
                .collect();
            for selector in select {
                self.rules.extend(crate::registry::select(selector)?);
            }
        }
        for selector in extend_select {
            self.rules.extend(crate::registry::select(selector)?);
        }
        for selector in ignore {
            for rule in crate::registry::select(selector)? {
                self.rules.remove(&rule);
            }
        }
        Ok(())
    }
}
