//! The resolved settings a run uses, whatever they came from; with per-file
//! configuration, the settings that apply to one file (`Settings::for_file`).

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::config::Configurations;
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
    /// `exclude` and `extend-exclude` (and `--exclude`), each with the directory it is
    /// relative to.
    pub exclude: Vec<FilePattern>,
    pub threads: Option<usize>,
    /// Worker processes the deployment runs (for DJM404's per-host estimate).
    pub workers: Option<crate::process::Workers>,
    /// Worker processes by the directory whose code each deployment runs; `workers`
    /// is set from it for each file.
    pub deployment_workers: crate::process::WorkerMap,
    /// `exclude` in a configuration replaces the default exclusions (as in ruff).
    pub replace_default_excludes: bool,
    /// Where the configuration file lives: the project root (test code is judged
    /// below it; the cache lives there).
    pub config_root: Option<PathBuf>,
    /// The configuration file these settings were read from.
    pub config_path: Option<PathBuf>,
    /// `per-file-ignores`: pattern -> rules off for matching files.
    pub per_file_ignores: Vec<(FilePattern, Vec<Rule>)>,
    /// `--preview` / `preview = true`: rules and behaviours not yet stable.
    pub preview: bool,
    /// `--force-exclude`: exclusions apply to paths named on the command line too.
    pub force_exclude: bool,
    /// Where each directory's settings come from (per-file configuration); `None` when
    /// one configuration applies to every file (`--config FILE`, `--isolated`).
    pub(crate) configurations: Option<Arc<Configurations>>,
    /// Benchmark floor: only read and parse every file.
    pub parse_only: bool,
    /// Read and write `.dormlint_cache` (the command line's default; off for the library).
    pub cache: bool,
    /// `--cache-dir`: the cache directory, over `$DORMLINT_CACHE_DIR` and the default.
    pub cache_dir: Option<PathBuf>,
    /// `per_file_ignores` compiled on first use; every file of a run asks.
    pub(crate) compiled_ignores: std::sync::OnceLock<PerFileIgnores>,
    /// `exclude` compiled on first use; every walked entry asks.
    pub(crate) compiled_excludes: std::sync::OnceLock<Exclusions>,
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
            deployment_workers: crate::process::WorkerMap::default(),
            replace_default_excludes: false,
            config_root: None,
            config_path: None,
            per_file_ignores: Vec::new(),
            preview: false,
            force_exclude: false,
            cache_dir: None,
            configurations: None,
            parse_only: false,
            cache: false,
            compiled_ignores: std::sync::OnceLock::new(),
            compiled_excludes: std::sync::OnceLock::new(),
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

/// The settings one file is checked with: the run's, or a nested configuration's.
pub enum Scoped<'a> {
    Run(&'a Settings),
    Nested(Arc<Settings>),
}

impl std::ops::Deref for Scoped<'_> {
    type Target = Settings;
    fn deref(&self) -> &Settings {
        match self {
            Scoped::Run(settings) => settings,
            Scoped::Nested(settings) => settings,
        }
    }
}

/// A path pattern from a configuration or the command line, as ruff reads them: a
/// glob matched against the file's name anywhere in the tree, or, when it holds a `/`,
/// against the path below `base` (the configuration's directory, or the working
/// directory for the command line). A trailing `/` matches directories only.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FilePattern {
    pub pattern: String,
    pub base: PathBuf,
}

impl FilePattern {
    pub fn new(pattern: &str, base: &Path) -> FilePattern {
        FilePattern {
            pattern: pattern.to_string(),
            base: normalize(base),
        }
    }

    /// Checks that the pattern compiles (for errors at configuration time).
    pub fn check(&self) -> Result<(), String> {
        self.globs().map(|_| ())
    }

    fn dir_only(&self) -> bool {
        self.pattern.len() > 1 && self.pattern.ends_with('/')
    }

    /// The glob for the file name, and the glob for the absolute path.
    fn globs(&self) -> Result<(Glob, Glob), String> {
        let pattern = self.pattern.trim_end_matches('/');
        let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
        let name = Glob::new(pattern).map_err(|e| e.to_string())?;
        let absolute = if Path::new(pattern).is_absolute() {
            pattern.to_string()
        } else {
            let base = globset::escape(&self.base.to_string_lossy());
            format!("{}/{pattern}", base.trim_end_matches('/'))
        };
        let absolute = Glob::new(&absolute).map_err(|e| e.to_string())?;
        Ok((name, absolute))
    }
}

/// A set of `FilePattern`s compiled once.
#[derive(Clone, Debug)]
pub struct PatternSet {
    names: GlobSet,
    absolute: GlobSet,
    /// For each pattern: whether it matches directories only.
    dir_only: Vec<bool>,
}

impl PatternSet {
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a FilePattern>) -> PatternSet {
        let mut names = GlobSetBuilder::new();
        let mut absolute = GlobSetBuilder::new();
        let mut dir_only = Vec::new();
        for pattern in patterns {
            // Patterns were checked when they were read; one that does not compile
            // matches nothing rather than shifting the others' indices.
            let (name, full) = pattern.globs().unwrap_or_else(|_| {
                let never = Glob::new("\u{0}").expect("a literal glob");
                (never.clone(), never)
            });
            names.add(name);
            absolute.add(full);
            dir_only.push(pattern.dir_only());
        }
        PatternSet {
            names: names.build().unwrap_or_else(|_| GlobSet::empty()),
            absolute: absolute.build().unwrap_or_else(|_| GlobSet::empty()),
            dir_only,
        }
    }

    /// The indices of the patterns that match `path` (absolute and normalised).
    pub fn matches(&self, path: &Path, is_dir: bool) -> Vec<usize> {
        if self.dir_only.is_empty() {
            return Vec::new();
        }
        let name = path.file_name().map(Path::new).unwrap_or(path);
        let mut found: Vec<usize> = self.names.matches(name);
        found.extend(self.absolute.matches(path));
        found.retain(|&i| is_dir || !self.dir_only[i]);
        found.sort_unstable();
        found.dedup();
        found
    }

    pub fn is_match(&self, path: &Path, is_dir: bool) -> bool {
        !self.matches(path, is_dir).is_empty()
    }
}

/// The compiled `exclude` patterns, with the default exclusions unless replaced.
#[derive(Clone, Debug)]
pub struct Exclusions {
    patterns: PatternSet,
    defaults: bool,
}

impl Exclusions {
    /// Whether `path` (absolute and normalised) is excluded.
    pub fn is_excluded(&self, path: &Path, is_dir: bool) -> bool {
        let default = self.defaults
            && path.file_name().is_some_and(|name| {
                crate::discover::DEFAULT_EXCLUDES.contains(&name.to_string_lossy().as_ref())
            });
        default || self.patterns.is_match(path, is_dir)
    }
}

/// The compiled `per-file-ignores`.
#[derive(Clone, Debug)]
pub struct PerFileIgnores {
    patterns: PatternSet,
    rules: Vec<Vec<Rule>>,
}

impl PerFileIgnores {
    /// The rules turned off for `path`.
    pub fn ignored(&self, path: &Path) -> Vec<Rule> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        let absolute = normalize(path);
        let mut ignored = Vec::new();
        for index in self.patterns.matches(&absolute, false) {
            ignored.extend(self.rules[index].iter().copied());
        }
        ignored
    }
}

/// `path` made absolute against the working directory, with `.` and `..` resolved
/// without touching the file system (symbolic links are kept, as ruff does).
pub fn normalize(path: &Path) -> PathBuf {
    // The working directory, read once: dormlint never changes it, and asking the
    // kernel for it twice a file was 12 000 `getcwd` calls on the bench corpus.
    static WORKING_DIRECTORY: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    let absolute = match WORKING_DIRECTORY.get_or_init(|| std::env::current_dir().ok()) {
        Some(cwd) if path.is_relative() && !path.as_os_str().is_empty() => cwd.join(path),
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    };
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

impl Settings {
    /// The compiled `per-file-ignores`, built once: they are settled before any file is
    /// checked.
    pub fn per_file_ignores(&self) -> &PerFileIgnores {
        self.compiled_ignores.get_or_init(|| PerFileIgnores {
            patterns: PatternSet::new(self.per_file_ignores.iter().map(|(p, _)| p)),
            rules: self
                .per_file_ignores
                .iter()
                .map(|(_, r)| r.clone())
                .collect(),
        })
    }

    /// The compiled exclusions, built once.
    pub fn exclusions(&self) -> &Exclusions {
        self.compiled_excludes.get_or_init(|| Exclusions {
            patterns: PatternSet::new(&self.exclude),
            defaults: !self.replace_default_excludes,
        })
    }

    /// The settings for `path`: those of the nearest configuration above it (per-file
    /// configuration, as ruff does), with this run's threads, cache and worker count.
    pub fn for_file(&self, path: &Path) -> Scoped<'_> {
        let absolute = normalize(path);
        let dir = absolute.parent().unwrap_or(&absolute);
        self.for_dir(dir)
    }

    /// The settings for the files of directory `dir`.
    pub fn for_dir(&self, dir: &Path) -> Scoped<'_> {
        let Some(configurations) = &self.configurations else {
            return Scoped::Run(self);
        };
        match configurations.for_dir(&normalize(dir)) {
            Ok(found) if found.config_path != self.config_path => {
                Scoped::Nested(configurations.scoped(&found, self))
            }
            // The run's own configuration, or an error discovery has reported.
            _ => Scoped::Run(self),
        }
    }

    /// `--show-settings`: what `file` is checked with, one `key = value` a line in the
    /// configuration's own terms.
    pub fn describe(&self, file: &Path) -> String {
        let quote = |items: Vec<String>| {
            items
                .iter()
                .map(|item| format!("{item:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut rules: Vec<String> = self.rules.iter().map(|r| r.code().to_string()).collect();
        rules.sort();
        let config = self
            .config_path
            .as_ref()
            .map(|p| format!("{:?}", p.display().to_string()))
            .unwrap_or_else(|| "none (the defaults)".to_string());
        // A pattern without a `/` before its end matches a name at any depth: shown as
        // written, since prefixing the directory would read as anchored there.
        let pattern = |p: &FilePattern| {
            if p.pattern.trim_end_matches('/').contains('/') {
                format!("{}/{}", p.base.display(), p.pattern)
            } else {
                p.pattern.clone()
            }
        };
        let ignores: Vec<String> = self
            .per_file_ignores
            .iter()
            .map(|(p, rules)| {
                let codes: Vec<String> = rules.iter().map(|r| r.code().to_string()).collect();
                format!("{:?} = [{}]", pattern(p), quote(codes))
            })
            .collect();
        let mut out = format!(
            "Resolved settings for: {:?}\nSettings path: {config}\n\n",
            file.display().to_string()
        );
        let lines = [
            ("rules", format!("[{}]", quote(rules))),
            (
                "exclude",
                format!("[{}]", quote(self.exclude.iter().map(pattern).collect())),
            ),
            (
                "default-excludes",
                (!self.replace_default_excludes).to_string(),
            ),
            ("per-file-ignores", format!("{{ {} }}", ignores.join(", "))),
            ("max-cache-entries", self.max_cache_entries.to_string()),
            (
                "batch-decorators",
                format!("[{}]", quote(self.batch_decorators.clone())),
            ),
            ("strict-iterator", self.strict_iterator.to_string()),
            ("respect-gitignore", self.respect_gitignore.to_string()),
            ("force-exclude", self.force_exclude.to_string()),
            ("preview", self.preview.to_string()),
        ];
        for (key, value) in lines {
            out.push_str(&format!("{key} = {value}\n"));
        }
        out
    }

    /// Every rule some file's configuration turns on (the tree-wide rules run once for
    /// the tree; each finding is then kept or dropped by its file's settings).
    pub fn rules_anywhere(&self) -> HashSet<Rule> {
        let mut rules = self.rules.clone();
        if let Some(configurations) = &self.configurations {
            for settings in configurations.resolved() {
                rules.extend(settings.rules.iter().copied());
            }
        }
        rules
    }

    /// What changes findings, for the cache's key: this configuration's and every other
    /// configuration's found so far.
    pub fn fingerprint(&self) -> String {
        let one = |s: &Settings| {
            let mut rules: Vec<&str> = s.rules.iter().map(|r| r.code()).collect();
            rules.sort_unstable();
            format!(
                "{:?}|{rules:?}|{}|{:?}|{}|{:?}|{}",
                s.config_path,
                s.strict_iterator,
                s.batch_decorators,
                s.max_cache_entries,
                s.per_file_ignores,
                s.preview
            )
        };
        let mut all = vec![one(self)];
        if let Some(configurations) = &self.configurations {
            all.extend(configurations.resolved().iter().map(|s| one(s)));
        }
        all.sort();
        all.join("\n")
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
        } else if self.preview {
            // The default set is every rule: preview turns the preview ones on too.
            self.rules.extend(
                RULES
                    .iter()
                    .filter(|info| info.default_enabled && info.rule.is_preview())
                    .map(|info| info.rule),
            );
        }
        self.extend_and_ignore(extend_select, ignore)
    }

    /// One more layer of selection on top of the current one (the command line's
    /// `--extend-select` and `--ignore` over the file's): adds, then removes.
    pub fn extend_and_ignore(
        &mut self,
        extend_select: &[String],
        ignore: &[String],
    ) -> Result<(), String> {
        for selector in extend_select {
            self.rules.extend(selected("extend-select", selector)?);
        }
        for selector in ignore {
            for rule in selected("ignore", selector)? {
                self.rules.remove(&rule);
            }
        }
        // As in ruff, selecting a preview rule does not turn it on without preview.
        if !self.preview {
            self.rules.retain(|rule| !rule.is_preview());
        }
        Ok(())
    }
}
