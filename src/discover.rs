//! Which files a run checks: the paths given, walked with the default exclusions,
//! `--exclude` globs and `.gitignore`, sorted so output is deterministic.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::settings::Settings;

/// Directory and file names never walked into (interface.md).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    "site-packages",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".dormlint_cache",
];

pub struct Discovered {
    pub files: Vec<SourceFile>,
    /// Deployment files the process rules read (Procfile, Dockerfile, compose, ...).
    pub configs: Vec<PathBuf>,
    /// Paths the walk could not enter (a directory loop, no permission), with why.
    pub errors: Vec<(PathBuf, String)>,
}

/// A file to check, and whether its path below the checked root marks it as test code.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    pub path: PathBuf,
    pub is_test: bool,
}

#[derive(Debug)]
pub struct DiscoverError(pub String);

pub(crate) fn is_python(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "py" || ext == "pyi")
}

fn exclusions(settings: &Settings) -> Result<GlobSet, DiscoverError> {
    let mut builder = GlobSetBuilder::new();
    for pattern in &settings.exclude {
        let glob = Glob::new(pattern)
            .map_err(|e| DiscoverError(format!("invalid exclude pattern `{pattern}`: {e}")))?;
        builder.add(glob);
        // `migrations` or `legacy/` should match the directory wherever it is.
        if !pattern.contains('/')
            && let Ok(glob) = Glob::new(&format!("**/{pattern}"))
        {
            builder.add(glob);
        }
    }
    builder
        .build()
        .map_err(|e| DiscoverError(format!("invalid exclude patterns: {e}")))
}

pub fn discover(paths: &[PathBuf], settings: &Settings) -> Result<Discovered, DiscoverError> {
    let excluded = exclusions(settings)?;
    let mut files = Vec::new();
    let mut configs = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        let metadata = std::fs::metadata(root)
            .map_err(|e| DiscoverError(format!("{}: {}", root.display(), describe_io_error(&e))))?;
        if metadata.is_file() {
            // Explicit files are always checked (pre-commit passes staged files), if
            // they are of a kind dormlint reads.
            if is_python(root) {
                files.push(SourceFile {
                    path: root.clone(),
                    is_test: is_test_file(root),
                });
            }
            if crate::process::files::config_kind(root).is_some() {
                configs.push(root.clone());
            }
            continue;
        }
        let excluded = excluded.clone();
        let replace_defaults = settings.replace_default_excludes;
        let config_root = settings
            .config_root
            .as_ref()
            .and_then(|r| std::path::absolute(r).ok());
        let walk_root = root.clone();
        let walker = ignore::WalkBuilder::new(root)
            .standard_filters(false)
            .git_ignore(settings.respect_gitignore)
            .require_git(false)
            .parents(settings.respect_gitignore)
            .follow_links(true)
            .filter_entry(move |entry| {
                if entry.depth() == 0 {
                    return true;
                }
                let name = entry.file_name().to_string_lossy();
                if !replace_defaults && DEFAULT_EXCLUDES.contains(&name.as_ref()) {
                    return false;
                }
                // Patterns match the path as walked, below the walk root, or below the
                // configuration's directory.
                let below_root = entry
                    .path()
                    .strip_prefix(&walk_root)
                    .unwrap_or(entry.path());
                let below_config = config_root.as_ref().and_then(|root| {
                    std::path::absolute(entry.path())
                        .ok()
                        .and_then(|p| p.strip_prefix(root).ok().map(Path::to_path_buf))
                });
                !(excluded.is_match(entry.path())
                    || excluded.is_match(below_root)
                    || below_config.is_some_and(|p| excluded.is_match(p)))
            })
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    if is_file && crate::process::files::config_kind(entry.path()).is_some() {
                        configs.push(
                            entry
                                .path()
                                .strip_prefix("./")
                                .unwrap_or(entry.path())
                                .to_path_buf(),
                        );
                    }
                    if is_file && is_python(entry.path()) {
                        let below_root = entry.path().strip_prefix(root).unwrap_or(entry.path());
                        let is_test = is_test_file(below_root);
                        // `./shop/views.py` reads as `shop/views.py`, as ruff shows it.
                        let path = entry
                            .path()
                            .strip_prefix("./")
                            .unwrap_or(entry.path())
                            .to_path_buf();
                        files.push(SourceFile { path, is_test });
                    }
                }
                Err(error) => {
                    let (path, message) = walk_error(&error);
                    match path {
                        Some(path)
                            if is_python(&path) || path.is_dir() || message.contains("loop") =>
                        {
                            errors.push((path, message))
                        }
                        Some(_) => {}
                        None => eprintln!("dormlint: {message}"),
                    }
                }
            }
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.path == b.path);
    errors.sort();
    errors.dedup();
    configs.sort();
    configs.dedup();
    Ok(Discovered {
        files,
        configs,
        errors,
    })
}

fn walk_error(error: &ignore::Error) -> (Option<PathBuf>, String) {
    match error {
        ignore::Error::WithPath { path, err } => (Some(path.clone()), walk_error(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(err)
        }
        ignore::Error::Loop { child, ancestor } => (
            Some(child.clone()),
            format!(
                "a symbolic link loops back to {}; the directory is not walked again",
                ancestor.display()
            ),
        ),
        ignore::Error::Io(e) => (None, describe_io_error(e)),
        other => (None, other.to_string()),
    }
}

pub(crate) fn describe_io_error(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

/// Test code: `tests/`, `test/` or `testing/` packages, `test_*.py`, `*_test.py`, `tests.py`,
/// `conftest.py`. Tests are short-lived processes over a handful of fixture rows, so the
/// query rules leave them alone (`assert len(qs) == 2` is what tests are for).
pub(crate) fn is_test_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let in_tests = path.components().any(|c| {
        let part = c.as_os_str();
        part == "tests" || part == "test" || part == "testing"
    });
    in_tests
        || name.starts_with("test_")
        || name.ends_with("_test.py")
        || name == "tests.py"
        || name == "conftest.py"
}

/// The dotted module name of a file, from the packages (`__init__.py`) around it:
/// `shop/orders/views.py` is `shop.orders.views` when both directories are packages.
pub(crate) fn module_name(path: &Path) -> String {
    let mut parts = Vec::new();
    if let Some(stem) = path.file_stem() {
        let stem = stem.to_string_lossy();
        if stem != "__init__" {
            parts.push(stem.into_owned());
        }
    }
    let mut dir = path.parent();
    while let Some(current) = dir {
        if !current.join("__init__.py").is_file() {
            break;
        }
        match current.file_name() {
            Some(name) => parts.push(name.to_string_lossy().into_owned()),
            None => break,
        }
        dir = current.parent();
    }
    parts.reverse();
    parts.join(".")
}
