//! The resolved settings a run uses, whatever they came from.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

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
    /// `exclude` in a configuration replaces the default exclusions (as in ruff).
    pub replace_default_excludes: bool,
    /// Where the configuration file lives: patterns are relative to it.
    pub config_root: Option<PathBuf>,
    /// `per-file-ignores`: glob pattern -> rules off for matching files.
    pub per_file_ignores: Vec<(String, Vec<Rule>)>,
    /// Benchmark floor: only read and parse every file.
    pub parse_only: bool,
    /// Read and write `.dormlint_cache` (the command line's default; off for the library).
    pub cache: bool,
    /// `per_file_ignores` compiled on first use; every file of a run asks.
    pub(crate) compiled_ignores: std::sync::OnceLock<PerFileIgnores>,
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
            replace_default_excludes: false,
            config_root: None,
            per_file_ignores: Vec::new(),
            parse_only: false,
            cache: false,
            compiled_ignores: std::sync::OnceLock::new(),
        }
    }
}

/// The rules a selector names; the error says which option and suggests a near miss.
fn selected(option: &str, selector: &str) -> Result<Vec<Rule>, String> {
    crate::registry::select(selector).map_err(|_| {
        let hint =
            crate::config::did_you_mean(selector, RULES.iter().flat_map(|r| [r.code, r.name]));
        format!("--{option}: unknown rule selector `{selector}`{hint}")
    })
}

/// The compiled `per-file-ignores`.
#[derive(Clone, Debug)]
pub struct PerFileIgnores {
    globs: GlobSet,
    rules: Vec<Vec<Rule>>,
    root: Option<PathBuf>,
}

impl PerFileIgnores {
    /// The rules turned off for `path`, matched relative to the configuration's directory.
    pub fn ignored(&self, path: &Path) -> Vec<Rule> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let relative = self
            .root
            .as_ref()
            .and_then(|root| std::path::absolute(root).ok())
            .and_then(|root| absolute.strip_prefix(root).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.to_path_buf());
        let mut ignored = Vec::new();
        for index in self.globs.matches(&relative) {
            ignored.extend(self.rules[index].iter().copied());
        }
        ignored
    }
}

impl Settings {
    /// The compiled `per-file-ignores`, built once: they are settled before any file is
    /// checked.
    pub fn per_file_ignores(&self) -> &PerFileIgnores {
        self.compiled_ignores.get_or_init(|| self.compile_ignores())
    }

    fn compile_ignores(&self) -> PerFileIgnores {
        let mut builder = GlobSetBuilder::new();
        let mut rules = Vec::new();
        for (pattern, ignored) in &self.per_file_ignores {
            // Patterns were checked when the configuration was read.
            if let Ok(glob) = Glob::new(pattern) {
                builder.add(glob);
                rules.push(ignored.clone());
            }
        }
        PerFileIgnores {
            globs: builder.build().unwrap_or_else(|_| GlobSet::empty()),
            rules,
            root: self.config_root.clone(),
        }
    }

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
                self.rules.extend(selected("select", selector)?);
            }
        }
        for selector in extend_select {
            self.rules.extend(selected("extend-select", selector)?);
        }
        for selector in ignore {
            for rule in selected("ignore", selector)? {
                self.rules.remove(&rule);
            }
        }
        Ok(())
    }
}
