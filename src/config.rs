//! Configuration files: `.dormlint.toml`, `dormlint.toml` or `[tool.dormlint]` in
//! `pyproject.toml`. As in ruff, each file is checked with the nearest configuration
//! above it (`Configurations`), `extend` inherits another file's, and the command line
//! (`--select`, `--config KEY=VALUE`, ...) overrides every one of them. Every key is
//! checked: an unknown key, a wrong type or an unknown rule is an error naming the file
//! and key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use toml::Value;

use crate::registry::{self, RULES, Rule};
use crate::settings::{FilePattern, Settings, normalize};

/// The keys a configuration may set, with what each expects.
const KEYS: &[(&str, &str)] = &[
    ("extend", "a path to another configuration file"),
    ("select", "a list of rule codes or prefixes"),
    ("ignore", "a list of rule codes or prefixes"),
    ("extend-select", "a list of rule codes or prefixes"),
    ("exclude", "a list of glob patterns"),
    ("extend-exclude", "a list of glob patterns"),
    (
        "per-file-ignores",
        "a table of glob pattern = list of rule codes",
    ),
    ("max-cache-entries", "a positive integer"),
    ("batch-decorators", "a list of decorator names"),
    ("strict-iterator", "a boolean"),
    ("respect-gitignore", "a boolean"),
    ("preview", "a boolean"),
    ("force-exclude", "a boolean"),
];

#[derive(Debug)]
pub struct ConfigError(pub String);

/// A configuration as read from a file (or `--config KEY=VALUE`), before the command
/// line overrides it. Patterns carry the directory they are relative to.
#[derive(Clone, Debug, Default)]
pub struct FileConfig {
    pub path: PathBuf,
    /// The keys the file sets (what `extend` and `--config KEY=VALUE` override).
    pub keys: Vec<String>,
    pub extend: Option<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub extend_select: Vec<String>,
    pub exclude: Option<Vec<FilePattern>>,
    pub extend_exclude: Vec<FilePattern>,
    pub per_file_ignores: Vec<(FilePattern, Vec<String>)>,
    pub max_cache_entries: Option<u64>,
    pub batch_decorators: Vec<String>,
    pub strict_iterator: Option<bool>,
    pub respect_gitignore: Option<bool>,
    pub preview: Option<bool>,
    pub force_exclude: Option<bool>,
}

impl FileConfig {
    /// The directory relative paths in the configuration are read from.
    pub fn root(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    fn sets(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    /// `child` over `self`, the way ruff combines an `extend`ed configuration: what the
    /// child sets wins; `extend-select`, `ignore` and `extend-exclude` add up, unless the
    /// child's own `select` starts the selection over.
    pub fn combine(self, child: FileConfig) -> FileConfig {
        let parent = self;
        let restart = child.sets("select");
        let stack = |parent: Vec<String>, child: Vec<String>| {
            if restart {
                child
            } else {
                parent.into_iter().chain(child).collect()
            }
        };
        let mut keys = parent.keys.clone();
        keys.extend(child.keys.iter().cloned());
        keys.sort();
        keys.dedup();
        FileConfig {
            path: child.path.clone(),
            extend: child.extend.clone(),
            select: if restart { child.select } else { parent.select },
            extend_select: stack(parent.extend_select, child.extend_select),
            ignore: stack(parent.ignore, child.ignore),
            exclude: child.exclude.or(parent.exclude),
            extend_exclude: parent
                .extend_exclude
                .into_iter()
                .chain(child.extend_exclude)
                .collect(),
            per_file_ignores: if child.keys.iter().any(|k| k == "per-file-ignores") {
                child.per_file_ignores
            } else {
                parent.per_file_ignores
            },
            max_cache_entries: child.max_cache_entries.or(parent.max_cache_entries),
            batch_decorators: if child.keys.iter().any(|k| k == "batch-decorators") {
                child.batch_decorators
            } else {
                parent.batch_decorators
            },
            strict_iterator: child.strict_iterator.or(parent.strict_iterator),
            respect_gitignore: child.respect_gitignore.or(parent.respect_gitignore),
            preview: child.preview.or(parent.preview),
            force_exclude: child.force_exclude.or(parent.force_exclude),
            keys,
        }
    }
}

/// The configuration file in `dir` itself, if any: `.dormlint.toml`, `dormlint.toml`,
/// or a `pyproject.toml` with a `[tool.dormlint]` table, in that order (ruff's order:
/// `.ruff.toml`, `ruff.toml`, `pyproject.toml`).
pub fn config_in(dir: &Path) -> Option<PathBuf> {
    for name in [".dormlint.toml", "dormlint.toml"] {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let pyproject = dir.join("pyproject.toml");
    (pyproject.is_file()
        && std::fs::read_to_string(&pyproject).is_ok_and(|text| text.contains("[tool.dormlint")))
    .then_some(pyproject)
}

/// The first configuration file found from `start` upward.
pub fn find(start: &Path) -> Option<PathBuf> {
    let start = normalize(start);
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(current) = dir {
        if let Some(found) = config_in(current) {
            return Some(found);
        }
        dir = current.parent();
    }
    None
}

/// Reads and checks a configuration file, and the files it `extend`s.
pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
    let mut chain = Vec::new();
    let mut next = Some(normalize(path));
    while let Some(current) = next {
        if chain.iter().any(|c: &FileConfig| c.path == current) {
            return Err(ConfigError(format!(
                "{}: `extend` loops back to {}",
                chain
                    .last()
                    .map_or(path, |c: &FileConfig| &c.path)
                    .display(),
                current.display()
            )));
        }
        let config = load_one(&current, path)?;
        next = config.extend.clone();
        chain.push(config);
    }
    let mut merged = chain.pop().unwrap_or_default();
    while let Some(child) = chain.pop() {
        merged = merged.combine(child);
    }
    Ok(merged)
}

/// One configuration file; `asked` is how the user named the first of the chain, so
/// errors in it read as they were typed.
fn load_one(path: &Path, asked: &Path) -> Result<FileConfig, ConfigError> {
    let shown_path = if normalize(asked) == path {
        asked.to_path_buf()
    } else {
        path.to_path_buf()
    };
    let shown = shown_path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError(format!(
            "{shown}: cannot read the configuration: {}",
            crate::discover::describe_io_error(&e)
        ))
    })?;
    let document: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // One line: where, and the parser's first line of explanation.
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
        let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
        let message = e.message().lines().next().unwrap_or("").trim().to_string();
        ConfigError(format!("{shown}: invalid TOML{at}: {message}"))
    })?;
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let (table, prefix) = if is_pyproject {
        let table = document
            .get("tool")
            .and_then(|tool| tool.get("dormlint"))
            .and_then(Value::as_table)
            .cloned()
            .unwrap_or_default();
        (table, "[tool.dormlint] ")
    } else {
        (document, "")
    };
    let base = path.parent().unwrap_or(Path::new("/"));
    let mut config = from_table(&table, &shown, prefix, base)?;
    config.path = path.to_path_buf();
    Ok(config)
}

/// `--config VALUE` that is not a file: a `KEY = VALUE` TOML line overriding one setting
/// of every configuration (paths in it are relative to the working directory).
pub fn parse_inline(value: &str, cwd: &Path) -> Result<FileConfig, ConfigError> {
    let table: toml::Table = value.parse().map_err(|e: toml::de::Error| {
        let reason = if value.contains('=') {
            format!(
                "not valid TOML: {}",
                e.message().lines().next().unwrap_or("").trim()
            )
        } else {
            "no such file, and not a `KEY = VALUE` override".to_string()
        };
        ConfigError(format!("--config `{value}`: {reason}"))
    })?;
    if table.contains_key("extend") {
        return Err(ConfigError(format!(
            "--config `{value}`: `extend` names a file: give the file as `--config FILE`"
        )));
    }
    from_table(&table, "--config", "", cwd)
}

/// The settings of one table, every key checked.
fn from_table(
    table: &toml::Table,
    shown: &str,
    prefix: &str,
    base: &Path,
) -> Result<FileConfig, ConfigError> {
    let mut config = FileConfig::default();
    for (key, value) in table {
        let Some((_, expected)) = KEYS.iter().find(|(known, _)| known == key) else {
            let hint = did_you_mean(key, KEYS.iter().map(|(k, _)| *k));
            return Err(ConfigError(format!(
                "{shown}: {prefix}unknown key `{key}`{hint}"
            )));
        };
        config.keys.push(key.clone());
        let wrong = || {
            ConfigError(format!(
                "{shown}: {prefix}`{key}` must be {expected}, not {}",
                describe(value)
            ))
        };
        let patterns = |value: &Value| -> Result<Vec<FilePattern>, ConfigError> {
            let mut out = Vec::new();
            for pattern in strings(value).ok_or_else(wrong)? {
                let pattern = FilePattern::new(&pattern, base);
                pattern.check().map_err(|e| {
                    ConfigError(format!(
                        "{shown}: {prefix}`{key}`: invalid pattern \"{}\": {e}",
                        pattern.pattern
                    ))
                })?;
                out.push(pattern);
            }
            Ok(out)
        };
        match key.as_str() {
            "extend" => {
                let target = value.as_str().ok_or_else(wrong)?;
                config.extend = Some(normalize(&base.join(target)));
            }
            "select" | "ignore" | "extend-select" => {
                let codes = strings(value).ok_or_else(wrong)?;
                for code in &codes {
                    check_selector(code).map_err(|hint| {
                        ConfigError(format!(
                            "{shown}: {prefix}`{key}`: unknown rule `{code}`{hint}"
                        ))
                    })?;
                }
                match key.as_str() {
                    "select" => config.select = codes,
                    "ignore" => config.ignore = codes,
                    _ => config.extend_select = codes,
                }
            }
            "exclude" => config.exclude = Some(patterns(value)?),
            "extend-exclude" => config.extend_exclude = patterns(value)?,
            "batch-decorators" => config.batch_decorators = strings(value).ok_or_else(wrong)?,
            "per-file-ignores" => {
                let table = value.as_table().ok_or_else(wrong)?;
                for (pattern, codes) in table {
                    let codes = strings(codes).ok_or_else(wrong)?;
                    for code in &codes {
                        check_selector(code).map_err(|hint| {
                            ConfigError(format!(
                                "{shown}: {prefix}`per-file-ignores` \"{pattern}\": unknown rule `{code}`{hint}"
                            ))
                        })?;
                    }
                    let pattern = FilePattern::new(pattern, base);
                    pattern.check().map_err(|e| {
                        ConfigError(format!(
                            "{shown}: {prefix}`per-file-ignores`: invalid pattern \"{}\": {e}",
                            pattern.pattern
                        ))
                    })?;
                    config.per_file_ignores.push((pattern, codes));
                }
            }
            "max-cache-entries" => {
                let n = value.as_integer().filter(|n| *n > 0).ok_or_else(wrong)?;
                config.max_cache_entries = Some(n as u64);
            }
            "strict-iterator" => config.strict_iterator = Some(value.as_bool().ok_or_else(wrong)?),
            "respect-gitignore" => {
                config.respect_gitignore = Some(value.as_bool().ok_or_else(wrong)?)
            }
            "preview" => config.preview = Some(value.as_bool().ok_or_else(wrong)?),
            "force-exclude" => config.force_exclude = Some(value.as_bool().ok_or_else(wrong)?),
            _ => unreachable!("every key of KEYS is handled"),
        }
    }
    Ok(config)
}

fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_string))
        .collect()
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// Ok when `selector` names rules; else the "did you mean" hint.
fn check_selector(selector: &str) -> Result<(), String> {
    match registry::select(selector) {
        Ok(_) => Ok(()),
        Err(_) => Err(did_you_mean(
            selector,
            RULES.iter().flat_map(|r| [r.code, r.name]),
        )),
    }
}

/// `" (did you mean `select`?)"` for a near miss, else "".
pub fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let word_lower = word.to_ascii_lowercase();
    candidates
        .map(|c| (distance(&word_lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 5))
        .min()
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// Edit distance counting a swap of two neighbours as one edit (`DJM015` is one away
/// from `DJM105`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// What the command line says, applied over every configuration file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub select: Vec<String>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    /// `--exclude` and `--extend-exclude`, relative to the working directory.
    pub exclude: Vec<FilePattern>,
    /// `--config KEY=VALUE`.
    pub inline: Option<FileConfig>,
    pub strict_iterator: bool,
    pub no_respect_gitignore: bool,
    pub preview: Option<bool>,
    /// `--force-exclude` (true) or `--no-force-exclude` (false), over the files' key.
    pub force_exclude: Option<bool>,
}

/// Where a run's configuration comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The nearest configuration above each file (the default).
    Discover,
    /// `--config FILE`: this one, for every file.
    File(PathBuf),
    /// `--isolated`: none at all.
    Isolated,
}

/// The settings of a configuration (or none) with the command line over them.
fn settings_from(
    file: Option<&FileConfig>,
    overrides: &Overrides,
) -> Result<Settings, ConfigError> {
    let merged = match (file, &overrides.inline) {
        (Some(file), Some(inline)) => file.clone().combine(inline.clone()),
        (Some(file), None) => file.clone(),
        (None, Some(inline)) => inline.clone(),
        (None, None) => FileConfig::default(),
    };
    let mut settings = Settings::default();
    if let Some(exclude) = &merged.exclude {
        settings.exclude = exclude.clone();
        settings.replace_default_excludes = true;
    }
    settings
        .exclude
        .extend(merged.extend_exclude.iter().cloned());
    settings.batch_decorators = merged.batch_decorators.clone();
    if let Some(max) = merged.max_cache_entries {
        settings.max_cache_entries = max;
    }
    settings.strict_iterator = merged.strict_iterator.unwrap_or(false) || overrides.strict_iterator;
    settings.respect_gitignore =
        merged.respect_gitignore.unwrap_or(true) && !overrides.no_respect_gitignore;
    settings.preview = overrides.preview.or(merged.preview).unwrap_or(false);
    settings.force_exclude = overrides
        .force_exclude
        .or(merged.force_exclude)
        .unwrap_or(false);
    if let Some(file) = file {
        settings.config_root = Some(file.root().to_path_buf());
        settings.config_path = Some(file.path.clone());
    }
    for (pattern, codes) in &merged.per_file_ignores {
        let mut rules: Vec<Rule> = Vec::new();
        for code in codes {
            rules.extend(registry::select(code).map_err(ConfigError)?);
        }
        settings.per_file_ignores.push((pattern.clone(), rules));
    }
    // The command line is the last layer, as in ruff: its `--select` starts the
    // selection over, dropping the file's `select`, `extend-select` and `ignore`;
    // without it, the command line's `--extend-select` and `--ignore` apply after the
    // file's selection (so `--extend-select X` brings back an X the file ignores).
    if overrides.select.is_empty() {
        settings
            .select_rules(&merged.select, &merged.extend_select, &merged.ignore)
            .map_err(ConfigError)?;
        settings
            .extend_and_ignore(&overrides.extend_select, &overrides.ignore)
            .map_err(ConfigError)?;
    } else {
        settings
            .select_rules(
                &overrides.select,
                &overrides.extend_select,
                &overrides.ignore,
            )
            .map_err(ConfigError)?;
    }
    settings.exclude.extend(overrides.exclude.iter().cloned());
    Ok(settings)
}

/// The settings of a run: those found from `start` upward (or the file given, or none),
/// carrying the resolver that finds every other file's.
pub fn resolve(
    source: Source,
    overrides: Overrides,
    start: &Path,
) -> Result<Settings, ConfigError> {
    match source {
        Source::Isolated => settings_from(None, &overrides),
        Source::File(path) => settings_from(Some(&load(&path)?), &overrides),
        Source::Discover => {
            let mut configurations = Configurations {
                fallback: Arc::new(settings_from(None, &overrides)?),
                overrides,
                dirs: Mutex::default(),
                files: Mutex::default(),
                scoped: Mutex::default(),
            };
            // Files with no configuration above them get the one found from `start`
            // upward, as ruff gives them the working directory's.
            if let Some(path) = find(start) {
                configurations.fallback = configurations.for_config(&path)?;
            }
            let mut settings = (*configurations.fallback).clone();
            settings.configurations = Some(Arc::new(configurations));
            Ok(settings)
        }
    }
}

/// The settings that apply under `start`: the configuration found from there upward
/// (rule selection included), or the defaults, and the nearest one for each file below.
/// What the language server uses.
pub fn settings_for(start: &Path) -> Result<Settings, ConfigError> {
    resolve(Source::Discover, Overrides::default(), start)
}

/// Per-file configuration: which configuration applies in each directory, each read
/// once. The index of the project stays one for the run; only what a file is checked
/// with differs.
pub struct Configurations {
    overrides: Overrides,
    /// For files with no configuration above them: the configuration found from the
    /// working directory upward, or the defaults; and the command line.
    fallback: Arc<Settings>,
    /// Directory -> its settings (every directory asked about, and those between it and
    /// its configuration).
    dirs: Mutex<HashMap<PathBuf, Arc<Settings>>>,
    /// Configuration file -> its settings.
    files: Mutex<HashMap<PathBuf, Arc<Settings>>>,
    /// Configuration file -> its settings with a run's threads, cache and worker count,
    /// with its compiled patterns kept for every file that asks.
    scoped: Mutex<HashMap<PathBuf, Arc<Settings>>>,
}

impl std::fmt::Debug for Configurations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let files: Vec<PathBuf> = lock(&self.files).keys().cloned().collect();
        f.debug_struct("Configurations")
            .field("files", &files)
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Configurations {
    /// The settings of the nearest configuration at or above `dir` (absolute).
    pub fn for_dir(&self, dir: &Path) -> Result<Arc<Settings>, ConfigError> {
        let mut walked: Vec<&Path> = Vec::new();
        let mut current = Some(dir);
        let found = loop {
            let Some(here) = current else {
                break self.fallback.clone();
            };
            if let Some(known) = lock(&self.dirs).get(here) {
                break known.clone();
            }
            walked.push(here);
            if let Some(config) = config_in(here) {
                break self.for_config(&config)?;
            }
            current = here.parent();
        };
        let mut dirs = lock(&self.dirs);
        for here in walked {
            dirs.insert(here.to_path_buf(), found.clone());
        }
        Ok(found)
    }

    /// The settings of one configuration file, read once.
    fn for_config(&self, path: &Path) -> Result<Arc<Settings>, ConfigError> {
        let path = normalize(path);
        if let Some(known) = lock(&self.files).get(&path) {
            return Ok(known.clone());
        }
        let settings = Arc::new(settings_from(Some(&load(&path)?), &self.overrides)?);
        lock(&self.files).insert(path, settings.clone());
        Ok(settings)
    }

    /// `found` with the run's threads, cache and worker count, shared by every file
    /// under it so that its patterns compile once.
    pub(crate) fn scoped(&self, found: &Settings, run: &Settings) -> Arc<Settings> {
        let key = found.config_path.clone().unwrap_or_default();
        let same_run = |s: &Settings| {
            s.threads == run.threads
                && s.workers == run.workers
                && s.deployment_workers == run.deployment_workers
                && s.parse_only == run.parse_only
                && s.cache == run.cache
        };
        let mut scoped = lock(&self.scoped);
        if let Some(known) = scoped.get(&key).filter(|s| same_run(s)) {
            return known.clone();
        }
        let mut settings = found.clone();
        settings.threads = run.threads;
        settings.workers = run.workers;
        settings.deployment_workers = run.deployment_workers.clone();
        settings.parse_only = run.parse_only;
        settings.cache = run.cache;
        let settings = Arc::new(settings);
        scoped.insert(key, settings.clone());
        settings
    }

    /// Every configuration's settings read so far, and the fallback.
    pub fn resolved(&self) -> Vec<Arc<Settings>> {
        let mut all: Vec<Arc<Settings>> = lock(&self.files).values().cloned().collect();
        all.push(self.fallback.clone());
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(
            did_you_mean("selct", KEYS.iter().map(|(k, _)| *k)),
            " (did you mean `select`?)"
        );
        assert_eq!(
            did_you_mean("queryset-truthyness", RULES.iter().map(|r| r.name)),
            " (did you mean `queryset-truthiness`?)"
        );
        assert_eq!(
            did_you_mean("completely-different", KEYS.iter().map(|(k, _)| *k)),
            ""
        );
    }
}
