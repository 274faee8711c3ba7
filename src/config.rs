//! Configuration files: `dormlint.toml`, `.dormlint.toml` or `[tool.dormlint]` in
//! `pyproject.toml`, found upward from the first checked path. Every key is checked:
//! an unknown key, a wrong type or an unknown rule is an error naming the file and key.

use std::path::{Path, PathBuf};

use toml::Value;

use crate::registry::{self, RULES, Rule};
use crate::settings::Settings;

/// The keys a configuration may set, with what each expects.
const KEYS: &[(&str, &str)] = &[
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
];

#[derive(Debug)]
pub struct ConfigError(pub String);

/// A configuration as read from a file, before the command line overrides it.
#[derive(Clone, Debug, Default)]
pub struct FileConfig {
    pub path: PathBuf,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub extend_select: Vec<String>,
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Vec<String>,
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    pub max_cache_entries: Option<u64>,
    pub batch_decorators: Vec<String>,
    pub strict_iterator: Option<bool>,
    pub respect_gitignore: Option<bool>,
}

impl FileConfig {
    /// The directory relative paths in the configuration are read from.
    pub fn root(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

/// The first configuration file found from `start` upward.
pub fn find(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(current) = dir {
        for name in ["dormlint.toml", ".dormlint.toml"] {
            let candidate = current.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        let pyproject = current.join("pyproject.toml");
        if pyproject.is_file()
            && std::fs::read_to_string(&pyproject).is_ok_and(|text| text.contains("[tool.dormlint"))
        {
            return Some(pyproject);
        }
        dir = current.parent();
    }
    None
}

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("{shown}: cannot read the configuration: {e}")))?;
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
    let mut config = FileConfig {
        path: path.to_path_buf(),
        ..FileConfig::default()
    };
    for (key, value) in &table {
        let Some((_, expected)) = KEYS.iter().find(|(known, _)| known == key) else {
            let hint = did_you_mean(key, KEYS.iter().map(|(k, _)| *k));
            return Err(ConfigError(format!(
                "{shown}: {prefix}unknown key `{key}`{hint}"
            )));
        };
        let wrong = || {
            ConfigError(format!(
                "{shown}: {prefix}`{key}` must be {expected}, not {}",
                describe(value)
            ))
        };
        match key.as_str() {
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
            "exclude" => config.exclude = Some(strings(value).ok_or_else(wrong)?),
            "extend-exclude" => config.extend_exclude = strings(value).ok_or_else(wrong)?,
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
                    globset::Glob::new(pattern).map_err(|e| {
                        ConfigError(format!("{shown}: {prefix}`per-file-ignores`: invalid pattern \"{pattern}\": {e}"))
                    })?;
                    config.per_file_ignores.push((pattern.clone(), codes));
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

/// Settings from a configuration file other than rule selection, which the command
/// line merges with it (see `cli.rs`).
pub fn apply(config: &FileConfig, settings: &mut Settings) -> Result<(), ConfigError> {
    if let Some(exclude) = &config.exclude {
        settings.exclude = exclude.clone();
        settings.replace_default_excludes = true;
    }
    settings
        .exclude
        .extend(config.extend_exclude.iter().cloned());
    settings
        .batch_decorators
        .extend(config.batch_decorators.iter().cloned());
    if let Some(max) = config.max_cache_entries {
        settings.max_cache_entries = max;
    }
    if let Some(strict) = config.strict_iterator {
        settings.strict_iterator = strict;
    }
    if let Some(respect) = config.respect_gitignore {
        settings.respect_gitignore = respect;
    }
    settings.config_root = Some(config.root().to_path_buf());
    for (pattern, codes) in &config.per_file_ignores {
        let mut rules: Vec<Rule> = Vec::new();
        for code in codes {
            rules.extend(registry::select(code).map_err(ConfigError)?);
        }
        settings.per_file_ignores.push((pattern.clone(), rules));
    }
    Ok(())
}

/// The settings that apply under `start`: the configuration found from there upward
/// (rule selection included), or the defaults. What the language server uses.
pub fn settings_for(start: &Path) -> Result<Settings, ConfigError> {
    let mut settings = Settings::default();
    let Some(path) = find(start) else {
        return Ok(settings);
    };
    let file = load(&path)?;
    apply(&file, &mut settings)?;
    settings
        .select_rules(&file.select, &file.extend_select, &file.ignore)
        .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    Ok(settings)
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
