//! Which files a run checks: the paths given, walked with the default exclusions, the
//! `exclude` patterns of each directory's configuration and `.gitignore`, sorted so
//! output is deterministic.

use std::path::{Path, PathBuf};

use crate::settings::{Settings, normalize};

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

#[derive(Default)]
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

/// Whether `path` (absolute, normalised) is excluded by the configuration of the
/// directory it is in.
fn excluded(settings: &Settings, path: &Path, is_dir: bool) -> bool {
    let dir = path.parent().unwrap_or(path);
    match settings
        .configurations
        .as_ref()
        .and_then(|configurations| configurations.for_dir(dir).ok())
    {
        Some(found) => found.exclusions().is_excluded(path, is_dir),
        None => settings.exclusions().is_excluded(path, is_dir),
    }
}

/// The configuration error, if any, of the configuration that applies in `dir`.
fn check_config(settings: &Settings, dir: &Path) -> Result<(), DiscoverError> {
    match &settings.configurations {
        Some(configurations) => configurations
            .for_dir(dir)
            .map(|_| ())
            .map_err(|e| DiscoverError(e.0)),
        None => Ok(()),
    }
}

/// What marks a project's root when no configuration does.
const PROJECT_MARKERS: &[&str] = &[
    ".git",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "manage.py",
];

thread_local! {
    /// Directory -> the nearest directory at or above it holding a project marker.
    static MARKED: std::cell::RefCell<std::collections::HashMap<PathBuf, Option<PathBuf>>> =
        std::cell::RefCell::default();
}

/// The nearest directory at or above `dir` holding a project marker, looked up once a
/// directory.
fn marked_root(dir: &Path) -> Option<PathBuf> {
    if let Some(known) = MARKED.with(|m| m.borrow().get(dir).cloned()) {
        return known;
    }
    let found = if PROJECT_MARKERS.iter().any(|m| dir.join(m).exists()) {
        Some(dir.to_path_buf())
    } else {
        dir.parent().and_then(marked_root)
    };
    MARKED.with(|m| m.borrow_mut().insert(dir.to_path_buf(), found.clone()));
    found
}

/// The directory test code is judged below, whatever way the path was spelled on the
/// command line: the file's configuration's directory; else the nearest directory
/// with a `.git`, `pyproject.toml`, `setup.py`, `setup.cfg` or `manage.py`; else the
/// working directory.
fn project_root(settings: &Settings, absolute: &Path) -> PathBuf {
    if let Some(root) = settings.for_file(absolute).config_root.as_deref() {
        return normalize(root);
    }
    let dir = absolute.parent().unwrap_or(absolute);
    marked_root(dir).unwrap_or_else(|| normalize(Path::new(".")))
}

/// The Python and deployment files of the projects around files named one by one
/// (pre-commit passes only the staged files), minus those already discovered: they join
/// the project index and the deployment, so a staged view is judged against the models
/// it uses and a staged cache against the workers that run it, and are not reported.
/// A project here is the directory of a configuration file or one holding a project
/// marker; a file with neither above it gets no context, rather than a walk of the
/// working directory. Roots below the working directory are spelled relative to it,
/// as `check .` spells them, so the cache serves both runs.
pub fn project_context(
    paths: &[PathBuf],
    settings: &Settings,
    discovered: &Discovered,
) -> Discovered {
    let roots: std::collections::BTreeSet<PathBuf> = paths
        .iter()
        .filter(|path| path.is_file() && is_python(path))
        .filter_map(|path| {
            let absolute = normalize(path);
            match settings.for_file(&absolute).config_root.as_deref() {
                Some(root) => Some(normalize(root)),
                None => marked_root(absolute.parent()?),
            }
        })
        .collect();
    let mut context = Discovered::default();
    if roots.is_empty() {
        return context;
    }
    let mut known: std::collections::HashSet<PathBuf> = discovered
        .files
        .iter()
        .map(|f| normalize(&f.path))
        .chain(discovered.configs.iter().map(|path| normalize(path)))
        .collect();
    let here = normalize(Path::new("."));
    for root in roots {
        let spelled = match root.strip_prefix(&here) {
            Ok(relative) if relative.as_os_str().is_empty() => PathBuf::from("."),
            Ok(relative) => Path::new(".").join(relative),
            Err(_) => root.clone(),
        };
        // The context is read as `check <root>` would read it, whatever `--force-exclude`.
        let Ok(found) = discover(&[spelled], settings) else {
            continue;
        };
        for file in found.files {
            if known.insert(normalize(&file.path)) {
                context.files.push(file);
            }
        }
        for config in found.configs {
            if known.insert(normalize(&config)) {
                context.configs.push(config);
            }
        }
    }
    context
}

/// `path` below its repository: the configuration's directory, else the nearest
/// directory above with a `.git`, `pyproject.toml`, `setup.py` or `setup.cfg` (not
/// `manage.py`: example projects hold one, and their name is what tells them apart),
/// else the working directory. Deployment files are judged by this path.
pub(crate) fn below_repository(settings: &Settings, path: &Path) -> PathBuf {
    let absolute = normalize(path);
    let root = settings
        .for_file(&absolute)
        .config_root
        .as_deref()
        .map(normalize)
        .or_else(|| {
            absolute.ancestors().skip(1).find_map(|dir| {
                PROJECT_MARKERS
                    .iter()
                    .filter(|m| **m != "manage.py")
                    .any(|m| dir.join(m).exists())
                    .then(|| dir.to_path_buf())
            })
        })
        .unwrap_or_else(|| normalize(Path::new(".")));
    absolute
        .strip_prefix(&root)
        .map(Path::to_path_buf)
        .unwrap_or(absolute)
}

/// A Python file's path inside its repository (`below_repository`), but never
/// above the working directory: directories the user keeps the checkout in
/// (`~/dev/site/`) say nothing about the file.
pub(crate) fn below_project(settings: &Settings, path: &Path) -> PathBuf {
    let below = below_repository(settings, path);
    let inside_working = path.is_relative()
        && !path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    if inside_working && path.components().count() < below.components().count() {
        path.to_path_buf()
    } else {
        below
    }
}

/// Test code, judged by the file's path inside its project. A project marked by a
/// `manage.py` alone, with no configuration of its own, may be a test suite's project
/// inside the package it tests (`wagtail/test/manage.py`, django CMS's
/// `cms/test_utils/project/`): the file is then judged inside the project around it
/// too, as long as that one is at or below the working directory. A project with a
/// configuration, a `.git`, `pyproject.toml` or `setup.*` of its own ends the search,
/// so a checkout kept under `~/tests/` is not test code of a home directory's `.git`.
fn is_test_in_project(settings: &Settings, absolute: &Path) -> bool {
    let inside = |root: &Path| is_test_file(absolute.strip_prefix(root).unwrap_or(absolute));
    let root = project_root(settings, absolute);
    if inside(&root) {
        return true;
    }
    if settings.for_file(absolute).config_root.is_some() {
        return false;
    }
    let working = normalize(Path::new("."));
    let mut inner = root;
    while marked_by_manage_py_alone(&inner) {
        let Some(outer) = inner
            .parent()
            .and_then(marked_root)
            .filter(|outer| outer.starts_with(&working))
        else {
            break;
        };
        if inside(&outer) {
            return true;
        }
        inner = outer;
    }
    false
}

thread_local! {
    /// Project root -> whether `manage.py` is its only marker.
    static MANAGE_PY_ALONE: std::cell::RefCell<std::collections::HashMap<PathBuf, bool>> =
        std::cell::RefCell::default();
}

/// Whether `manage.py` is the only project marker in `dir`, looked up once a directory.
fn marked_by_manage_py_alone(dir: &Path) -> bool {
    if let Some(known) = MANAGE_PY_ALONE.with(|m| m.borrow().get(dir).copied()) {
        return known;
    }
    let alone = dir.join("manage.py").is_file()
        && !PROJECT_MARKERS
            .iter()
            .filter(|m| **m != "manage.py")
            .any(|m| dir.join(m).exists());
    MANAGE_PY_ALONE.with(|m| m.borrow_mut().insert(dir.to_path_buf(), alone));
    alone
}

/// `--force-exclude` (or `force-exclude = true` in the file's configuration): a path
/// named on the command line is left out when it, or a directory above it inside its
/// project, is excluded.
pub fn force_excluded(settings: &Settings, path: &Path) -> bool {
    if !settings.for_file(path).force_exclude {
        return false;
    }
    let absolute = normalize(path);
    let root = project_root(settings, &absolute);
    let mut current = Some(absolute.as_path());
    let mut is_dir = absolute.is_dir();
    while let Some(here) = current {
        if !here.starts_with(&root) || here == root {
            break;
        }
        if excluded(settings, here, is_dir) {
            return true;
        }
        is_dir = true;
        current = here.parent();
    }
    false
}

pub fn discover(paths: &[PathBuf], settings: &Settings) -> Result<Discovered, DiscoverError> {
    let mut files = Vec::new();
    let mut configs = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        let metadata = std::fs::metadata(root)
            .map_err(|e| DiscoverError(format!("{}: {}", root.display(), describe_io_error(&e))))?;
        let root_absolute = normalize(root);
        check_config(settings, &root_absolute)?;
        if force_excluded(settings, root) {
            continue;
        }
        if metadata.is_file() {
            // Explicit files are always checked (pre-commit passes staged files), unless
            // `--force-exclude`, if they are of a kind dormlint reads.
            if is_python(root) {
                files.push(SourceFile {
                    path: root.clone(),
                    is_test: is_test_in_project(settings, &root_absolute),
                });
            }
            if crate::process::files::config_kind(root).is_some() {
                configs.push(root.clone());
            }
            continue;
        }
        let walk_settings = settings.clone();
        let walk_root = root.clone();
        let walk_absolute = root_absolute.clone();
        let walker = ignore::WalkBuilder::new(root)
            .standard_filters(false)
            .git_ignore(settings.respect_gitignore)
            .require_git(false)
            .parents(settings.respect_gitignore)
            .follow_links(true)
            .threads(settings.threads.unwrap_or(0))
            .filter_entry(move |entry| {
                if entry.depth() == 0 {
                    return true;
                }
                let below = entry
                    .path()
                    .strip_prefix(&walk_root)
                    .unwrap_or(entry.path());
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !excluded(&walk_settings, &walk_absolute.join(below), is_dir)
            })
            .build_parallel();
        // Walked on several threads (stat calls and the per-file test and configuration
        // questions are most of discovery); everything is sorted below, so the order the
        // threads find entries in never shows.
        let found = std::sync::Mutex::new(Vec::new());
        walker.run(|| {
            let found = &found;
            let root_absolute = &root_absolute;
            // A broken configuration does not stop the walk: which one the threads
            // reach first varies, and the first by path is reported.
            Box::new(move |entry| {
                let walked = walked(settings, root, root_absolute, entry);
                found
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .extend(walked);
                ignore::WalkState::Continue
            })
        });
        let mut found = found
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // With several broken configurations, the same one is reported on every run.
        found.sort_by(|a, b| a.order().cmp(&b.order()));
        for walked in found {
            match walked {
                Walked::BrokenConfig(_, error) => return Err(error),
                Walked::File(file) => files.push(file),
                Walked::Config(path) => configs.push(path),
                Walked::Unwalkable(path, message) => errors.push((path, message)),
                Walked::Message(message) => eprintln!("dormlint: {message}"),
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

/// What the walk found at one entry.
enum Walked {
    File(SourceFile),
    /// A deployment file the process rules read.
    Config(PathBuf),
    /// A path the walk could not enter, with why.
    Unwalkable(PathBuf, String),
    /// A walk error that names no path.
    Message(String),
    /// A directory whose configuration is broken: the run stops.
    BrokenConfig(PathBuf, DiscoverError),
}

impl Walked {
    /// Broken configurations first, then by path: the walk's result whatever order the
    /// threads found entries in.
    fn order(&self) -> (u8, &str, Option<&Path>) {
        match self {
            Walked::BrokenConfig(dir, _) => (0, "", Some(dir)),
            Walked::File(file) => (1, "", Some(&file.path)),
            Walked::Config(path) | Walked::Unwalkable(path, _) => (1, "", Some(path)),
            Walked::Message(message) => (2, message.as_str(), None),
        }
    }
}

/// Reads one entry of the walk of `root` (spelled as given; `root_absolute` is it
/// normalised).
fn walked(
    settings: &Settings,
    root: &Path,
    root_absolute: &Path,
    entry: Result<ignore::DirEntry, ignore::Error>,
) -> Vec<Walked> {
    let mut found = Vec::new();
    match entry {
        Ok(entry) => {
            let below = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let absolute = root_absolute.join(below);
            if entry.file_type().is_some_and(|t| t.is_dir()) {
                // A broken configuration stops the run where it is found.
                if let Err(error) = check_config(settings, &absolute) {
                    found.push(Walked::BrokenConfig(absolute.clone(), error));
                }
            }
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            // `./shop/views.py` reads as `shop/views.py`, as ruff shows it.
            let shown = || {
                entry
                    .path()
                    .strip_prefix("./")
                    .unwrap_or(entry.path())
                    .to_path_buf()
            };
            if is_file && crate::process::files::config_kind(entry.path()).is_some() {
                found.push(Walked::Config(shown()));
            }
            if is_file && is_python(entry.path()) {
                found.push(Walked::File(SourceFile {
                    path: shown(),
                    is_test: is_test_in_project(settings, &absolute),
                }));
            }
        }
        Err(error) => {
            let (path, message) = walk_error(&error);
            match path {
                Some(path) if is_python(&path) || path.is_dir() || message.contains("loop") => {
                    found.push(Walked::Unwalkable(path, message))
                }
                Some(_) => {}
                None => found.push(Walked::Message(message)),
            }
        }
    }
    found
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
        part == "tests"
            || part == "test"
            || part == "testing"
            || part == "test_utils"
            || part == "testutils"
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
    module_name_with(path, &mut |dir| dir.join("__init__.py").is_file())
}

/// The module names of many files, each directory's `__init__.py` looked up once: every
/// file asks about each directory above it (25 000 `statx` calls on the bench corpus).
pub(crate) fn module_names<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Vec<String> {
    let mut packages: std::collections::HashMap<PathBuf, bool> = Default::default();
    let mut is_package = |dir: &Path| {
        if let Some(known) = packages.get(dir) {
            return *known;
        }
        let package = dir.join("__init__.py").is_file();
        packages.insert(dir.to_path_buf(), package);
        package
    };
    paths
        .into_iter()
        .map(|path| module_name_with(path, &mut is_package))
        .collect()
}

fn module_name_with(path: &Path, is_package: &mut dyn FnMut(&Path) -> bool) -> String {
    let mut parts = Vec::new();
    if let Some(stem) = path.file_stem() {
        let stem = stem.to_string_lossy();
        if stem != "__init__" {
            parts.push(stem.into_owned());
        }
    }
    let mut dir = path.parent();
    while let Some(current) = dir {
        if !is_package(current) {
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
