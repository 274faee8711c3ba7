//! Process-level rules (DJM501, DJM503-DJM505) look at the whole checked tree: the
//! deployment files (read here) and facts the checker collected from Python files
//! (settings modules, star imports, DEBUG, Celery configuration). Nothing is parsed twice.

pub(crate) mod files;
pub(crate) mod kubernetes;
pub(crate) mod python;
pub(crate) mod shell;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use files::{ConfigFile, ConfigKind, Span};
use shell::{commands, flag_value, program_name};

use crate::registry::Rule;
use crate::report::Located;

/// What a Python file tells the process rules.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct PythonFacts {
    /// Sets INSTALLED_APPS, DATABASES or ROOT_URLCONF at module level.
    pub(crate) settings_markers: bool,
    /// Modules it star-imports, resolved (`from .base import *` -> `config.settings.base`).
    pub(crate) star_imports: Vec<String>,
    /// The last unconditional module-level `DEBUG = ...`.
    pub(crate) debug: Option<(DebugValue, Span)>,
    /// Modules star-imported after that assignment: they may set DEBUG again
    /// (`from settings_local import *` at the end of a settings module).
    pub(crate) star_imports_after_debug: Vec<String>,
    /// Sets worker_max_tasks_per_child or worker_max_memory_per_child somewhere.
    pub(crate) celery_recycling: bool,
    /// `Celery(...)` calls.
    pub(crate) celery_apps: Vec<Span>,
    /// `"DISABLE_SERVER_SIDE_CURSORS": True` for a PostgreSQL database (or one whose
    /// engine is not written out) in `DATABASES` (DJM208).
    #[serde(default)]
    pub(crate) server_side_cursors_off: Option<Span>,
    /// `.iterator()` on an unbounded queryset in batch code: where, and the queryset as
    /// shown (DJM208).
    #[serde(default)]
    pub(crate) batch_iterators: Vec<(Span, String)>,
    /// What the module's `REST_FRAMEWORK = {...}` says of pagination (DJM209).
    #[serde(default)]
    pub(crate) rest_framework: Option<RestPagination>,
    /// Classes the list-view rule follows (DJM209).
    #[serde(default)]
    pub(crate) view_classes: Vec<crate::rules::unpaginated_list_view::ClassShape>,
}

/// `REST_FRAMEWORK`'s `DEFAULT_PAGINATION_CLASS`, as a settings module sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum RestPagination {
    /// A pagination class.
    Set,
    /// No `DEFAULT_PAGINATION_CLASS` key, or `None`.
    Missing,
    /// A dict built in a way this reading cannot follow.
    Unknown,
}

impl PythonFacts {
    /// `from module import *` read while the module is imported.
    pub(crate) fn record_star_import(&mut self, module: String) {
        if self.debug.is_some() {
            self.star_imports_after_debug.push(module.clone());
        }
        self.star_imports.push(module);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum DebugValue {
    True,
    /// Read from the environment with a true default.
    EnvTrueDefault,
    False,
    Unknown,
}

/// How many worker processes the deployment runs, and of which server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Workers {
    pub count: u32,
    pub server: &'static str,
}

/// Worker counts by the directory whose Python code the deployment runs: the tree
/// holding the package of the module it names (`gunicorn shop.wsgi`, uWSGI
/// `module = api.wsgi:application`, `celery -A shop`), else the deployment file's own
/// directory. A file takes the count of the deepest directory above it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WorkerMap(std::sync::Arc<Vec<(PathBuf, Workers)>>);

impl WorkerMap {
    /// The workers that run `path`: the deepest scope holding it, web servers first,
    /// then the largest count.
    pub fn for_path(&self, path: &Path) -> Option<Workers> {
        let rank = |server: &str| match server {
            "gunicorn" => 0,
            "uWSGI" => 1,
            _ => 2,
        };
        self.0
            .iter()
            .filter(|(scope, _)| path.starts_with(scope))
            .min_by_key(|(scope, workers)| {
                (
                    std::cmp::Reverse(scope.components().count()),
                    rank(workers.server),
                    std::cmp::Reverse(workers.count),
                )
            })
            .map(|(_, workers)| *workers)
    }
}

/// The deployment files of the checked tree.
#[derive(Default)]
pub(crate) struct Deployment {
    pub(crate) files: Vec<(PathBuf, ConfigFile)>,
    /// Whether each file is one a deployment uses (see [`files::Place`]).
    counts: Vec<bool>,
    /// (file, command line, file it names): scripts run, configurations read.
    names: Vec<(usize, usize, usize)>,
}

pub(crate) fn is_server(command: &[String], server: &str) -> bool {
    command.first().is_some_and(|w| program_name(w) == server)
}

pub(crate) fn is_celery_worker(command: &[String]) -> bool {
    let Some(first) = command.first() else {
        return false;
    };
    match program_name(first) {
        "celeryd" => true,
        "celery" => command
            .iter()
            .skip(1)
            .any(|w| w == "worker" || w == "multi"),
        _ => false,
    }
}

/// A simple command of a file's command line, with where it comes from.
pub(crate) struct ServerCommand<'a> {
    pub(crate) file: usize,
    pub(crate) line: usize,
    pub(crate) path: &'a Path,
    pub(crate) config: &'a ConfigFile,
    pub(crate) span: Span,
    pub(crate) words: Vec<String>,
}

impl ServerCommand<'_> {
    /// A template fills in part of it (`{{ .Values.args }}` in a Helm chart): what it
    /// runs cannot be read, so no rule judges it.
    pub(crate) fn is_templated(&self) -> bool {
        self.words.iter().any(|w| kubernetes::is_templated(w))
    }
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Directories that hold deployment files rather than the code they run.
const DEPLOY_DIRECTORIES: &[&str] = &[
    "deploy",
    "deployment",
    "deployments",
    "docker",
    ".docker",
    "conf",
    "config",
    "configs",
    "etc",
    "scripts",
    "bin",
    "systemd",
    "supervisor",
    "compose",
    "ops",
    "infra",
    "uwsgi",
    "gunicorn",
];

impl Deployment {
    /// The files read, with what decides which of them count and what they name.
    pub(crate) fn new(files: Vec<(PathBuf, ConfigFile)>) -> Deployment {
        let mut deployment = Deployment {
            counts: files
                .iter()
                .map(|(_, file)| match file.place {
                    files::Place::Deployed => true,
                    files::Place::Development => false,
                    files::Place::Shipped => {
                        matches!(file.kind, ConfigKind::Dockerfile | ConfigKind::Systemd)
                    }
                })
                .collect(),
            files,
            names: Vec::new(),
        };
        // A file that counts makes what it runs or reads count: ReviewBoard's shipped
        // Dockerfile runs `contrib/docker/scripts/serve.sh`.
        let mut named = Vec::new();
        for i in 0..deployment.files.len() {
            for (l, line) in deployment.files[i].1.commands.iter().enumerate() {
                for word in &line.words {
                    let word = word.split_once('=').map_or(word.as_str(), |(_, v)| v);
                    if let Some(j) = deployment.resolve(i, word, line.workdir.as_deref(), true)
                        && j != i
                    {
                        named.push((i, l, j));
                    }
                }
            }
        }
        named.sort_unstable();
        named.dedup();
        loop {
            let mut changed = false;
            for &(i, _, j) in &named {
                if deployment.counts[i]
                    && !deployment.counts[j]
                    && deployment.files[j].1.place != files::Place::Development
                {
                    deployment.counts[j] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        deployment.names = named;
        deployment
    }

    /// Whether file `i` is one a deployment uses.
    pub(crate) fn counts(&self, i: usize) -> bool {
        self.counts.get(i).copied().unwrap_or(true)
    }

    /// The files that count, with their index.
    pub(crate) fn counted(&self) -> impl Iterator<Item = (usize, &Path, &ConfigFile)> {
        self.files
            .iter()
            .enumerate()
            .filter(|(i, _)| self.counts(*i))
            .map(|(i, (path, file))| (i, path.as_path(), file))
    }

    /// The files whose environment reaches commands of other files: an image's `ENV`,
    /// a compose service's or a container's environment (the command may be the
    /// image's `CMD`), `.env` files. A systemd unit's, a supervisor program's or a
    /// script's environment is its own.
    fn container_environments(&self) -> impl Iterator<Item = &ConfigFile> {
        self.counted().map(|(_, _, file)| file).filter(|file| {
            matches!(
                file.kind,
                ConfigKind::Dockerfile
                    | ConfigKind::Compose
                    | ConfigKind::Kubernetes
                    | ConfigKind::EnvFile
            )
        })
    }

    /// Whether the environment a deployment sets recycles gunicorn workers whatever the
    /// command line says: `GUNICORN_CMD_ARGS` with `--max-requests` (or filled in by a
    /// template or the cluster) in a container environment that counts, or
    /// `--max-requests` passed by a manifest to its image's entrypoint.
    pub(crate) fn environment_recycles_gunicorn(&self) -> bool {
        self.container_environments().any(|file| {
            file.gunicorn_cmd_args
                .iter()
                .chain(&file.image_args)
                .any(|w| w.starts_with("--max-requests") || kubernetes::is_templated(w))
        })
    }

    /// Whether the environment a deployment sets recycles Celery's pool processes:
    /// `CELERY_WORKER_MAX_TASKS_PER_CHILD` (or `_MAX_MEMORY_PER_CHILD`), which
    /// `celery worker` reads as its option, or the option passed by a manifest to its
    /// image's entrypoint.
    pub(crate) fn environment_recycles_celery(&self) -> bool {
        self.container_environments().any(|file| {
            file.celery_recycling_env
                || file.image_args.iter().any(|w| {
                    ["--max-tasks-per-child", "--max-memory-per-child"]
                        .iter()
                        .any(|flag| w.starts_with(flag))
                })
        })
    }

    pub(crate) fn server_commands(&self) -> impl Iterator<Item = ServerCommand<'_>> {
        self.counted().flat_map(|(i, path, file)| {
            file.commands.iter().enumerate().flat_map(move |(l, line)| {
                commands(&line.words)
                    .into_iter()
                    .map(move |words| ServerCommand {
                        file: i,
                        line: l,
                        path,
                        config: file,
                        span: line.span,
                        words,
                    })
            })
        })
    }

    /// The tree file `name` means in a command of file `from` run in `workdir` (a
    /// Dockerfile's `WORKDIR`): through the Dockerfile's `COPY`s, then beside the
    /// command's file or up to three directories above it; with `fallback`, then the
    /// one file whose path ends with the name's longest matching tail (nearest first).
    pub(crate) fn resolve(
        &self,
        from: usize,
        name: &str,
        workdir: Option<&str>,
        fallback: bool,
    ) -> Option<usize> {
        let name = name.split(':').next().unwrap_or(name).trim();
        if name.is_empty()
            || name.contains(['$', '*', '{', '`'])
            || name.starts_with('-')
            || name.ends_with('/')
            || !name.contains('.')
        {
            return None;
        }
        let (from_path, from_file) = self.files.get(from)?;
        let from_dir = from_path.parent().unwrap_or(Path::new(""));
        let bases: Vec<&Path> = from_dir.ancestors().take(4).collect();
        let mut relative: Vec<PathBuf> = Vec::new();
        if from_file.kind == ConfigKind::Dockerfile {
            let absolute = files::in_image(workdir, name);
            for copy in from_file.copies.iter().rev() {
                let destination = copy.destination.trim_end_matches('/');
                for source in &copy.sources {
                    let source = source.trim_end_matches('/');
                    if absolute == destination {
                        relative.push(PathBuf::from(source));
                    } else if let Some(rest) = absolute
                        .strip_prefix(destination)
                        .and_then(|r| r.strip_prefix('/'))
                    {
                        relative.push(Path::new(source).join(rest));
                        // A file (or a glob of files) copied into the directory.
                        let source = Path::new(source);
                        if source.to_string_lossy().contains(['*', '?', '['])
                            || source.file_name().is_some_and(|n| n == rest)
                        {
                            let parent = source.parent().unwrap_or(Path::new(""));
                            relative.push(parent.join(rest));
                        }
                    }
                }
            }
        }
        if !name.starts_with('/') {
            relative.push(PathBuf::from(name));
        }
        for candidate in &relative {
            for base in &bases {
                let wanted = lexical(&base.join(candidate));
                if let Some(i) = self
                    .files
                    .iter()
                    .position(|(path, _)| lexical(path) == wanted)
                {
                    return Some(i);
                }
            }
        }
        if !fallback || (from_file.kind == ConfigKind::Dockerfile && name.starts_with('/')) {
            return None;
        }
        let parts: Vec<&str> = name
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        for k in (1..=parts.len()).rev() {
            let tail: PathBuf = parts[parts.len() - k..].iter().collect();
            let matching: Vec<usize> = (0..self.files.len())
                .filter(|&i| i != from && self.files[i].0.ends_with(&tail))
                .collect();
            match matching.as_slice() {
                [] => continue,
                [one] => return Some(*one),
                // The same tail twice: the nearest to the command, if one is nearest.
                many => {
                    let shared = |i: &usize| {
                        self.files[*i]
                            .0
                            .components()
                            .zip(from_path.components())
                            .take_while(|(a, b)| a == b)
                            .count()
                    };
                    let best = many.iter().map(shared).max()?;
                    let nearest: Vec<&usize> = many.iter().filter(|i| shared(i) == best).collect();
                    return (nearest.len() == 1).then(|| *nearest[0]);
                }
            }
        }
        None
    }

    /// The commands (file, command line) that name file `target`.
    pub(crate) fn named_by(&self, target: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.names
            .iter()
            .filter(move |(i, _, j)| *j == target && self.counts(*i))
            .map(|(i, l, _)| (*i, *l))
    }

    /// `` (read by `Procfile:1`, `start.sh:4`)`` for a message about file `target`, or
    /// nothing when no command line reads it.
    pub(crate) fn read_by(&self, target: usize, lines: &[(usize, usize)]) -> String {
        if lines.is_empty() {
            String::new()
        } else {
            format!(" (read by {})", self.describe(target, lines))
        }
    }

    /// `` `Procfile:1`, `start.sh:4` ``: command lines as seen from file `target`'s
    /// side, by their path below the nearest directory both share.
    pub(crate) fn describe(&self, target: usize, lines: &[(usize, usize)]) -> String {
        let target_path = &self.files[target].0;
        let mut out: Vec<String> = lines
            .iter()
            .map(|&(i, l)| {
                let path = &self.files[i].0;
                let shared: PathBuf = path
                    .components()
                    .zip(target_path.components())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a)
                    .collect();
                let below = path.strip_prefix(&shared).unwrap_or(path);
                let row = self.files[i].1.commands[l].span.start.row;
                format!("`{}:{row}`", below.to_string_lossy().replace('\\', "/"))
            })
            .collect();
        out.sort();
        out.dedup();
        out.join(", ")
    }

    /// The directory whose code a deployment in file `from` runs, from the module it
    /// names (`shop.wsgi:application`, `api/wsgi.py`, `-A shop`): the directory
    /// holding the module's top package. Else the file's own directory (its parent
    /// when that is a `deploy/`-like folder).
    fn scope(&self, from: usize, modules: &[&str], python: &[&Path]) -> PathBuf {
        let from_path = &self.files[from].0;
        for module in modules {
            let module = module.split(':').next().unwrap_or(module);
            let (tails, depth): (Vec<PathBuf>, usize) = if module.ends_with(".py") {
                let parts = module
                    .split('/')
                    .filter(|p| !p.is_empty() && *p != ".")
                    .count();
                (vec![PathBuf::from(module.trim_start_matches('/'))], parts)
            } else if module
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
            {
                let path: PathBuf = module.split('.').collect();
                let depth = module.split('.').count();
                (
                    vec![path.with_extension("py"), path.join("__init__.py")],
                    depth,
                )
            } else {
                continue;
            };
            let shared = |p: &Path| {
                p.components()
                    .zip(from_path.components())
                    .take_while(|(a, b)| a == b)
                    .count()
            };
            let found = python
                .iter()
                .filter(|p| tails.iter().any(|tail| p.ends_with(tail)))
                .max_by_key(|p| (shared(p), std::cmp::Reverse(p.components().count())));
            if let Some(found) = found {
                let is_init = found.file_name().is_some_and(|n| n == "__init__.py");
                let mut scope = found.parent().unwrap_or(Path::new(""));
                for _ in 0..depth - usize::from(!is_init) {
                    scope = scope.parent().unwrap_or(Path::new(""));
                }
                return scope.to_path_buf();
            }
        }
        let dir = from_path.parent().unwrap_or(Path::new(""));
        let is_deploy_dir = dir.file_name().is_some_and(|name| {
            DEPLOY_DIRECTORIES.contains(&name.to_string_lossy().to_ascii_lowercase().as_str())
        });
        match dir.parent() {
            Some(parent) if is_deploy_dir => parent.to_path_buf(),
            _ => dir.to_path_buf(),
        }
    }

    /// The worker counts the deployments that count give, each with the directory
    /// whose code it runs (`python`: the checked Python files).
    pub(crate) fn workers(&self, python: &[&Path]) -> WorkerMap {
        let mut out: Vec<(PathBuf, Workers)> = Vec::new();
        let mut push = |scope: PathBuf, count: Option<u32>, server: &'static str| {
            if let Some(count) = count {
                out.push((scope, Workers { count, server }));
            }
        };
        for (i, _, file) in self.counted() {
            for section in file.sections.iter().filter(|s| s.name == "uwsgi") {
                let modules: Vec<&str> = ["module", "wsgi-file", "wsgi", "wsgi_file"]
                    .iter()
                    .filter_map(|key| section.keys.get(*key).map(String::as_str))
                    .collect();
                for key in ["processes", "workers"] {
                    let count = section.keys.get(key).and_then(|v| v.parse().ok());
                    push(self.scope(i, &modules, python), count, "uWSGI");
                }
            }
            if file.gunicorn.workers.is_some() {
                // Run by the commands that name it, else beside it.
                let mut scopes: Vec<PathBuf> = self
                    .named_by(i)
                    .flat_map(|(c, l)| {
                        commands(&self.files[c].1.commands[l].words)
                            .into_iter()
                            .filter(|w| is_server(w, "gunicorn"))
                            .map(move |w| self.scope(c, &app_modules(&w), python))
                    })
                    .collect();
                if scopes.is_empty() {
                    scopes.push(self.scope(i, &[], python));
                }
                for scope in scopes {
                    push(scope, file.gunicorn.workers, "gunicorn");
                }
            }
        }
        for command in self.server_commands() {
            let words = &command.words;
            let count = |long, short| flag_value(words, long, short).and_then(|v| v.parse().ok());
            let scope = self.scope(command.file, &app_modules(words), python);
            if is_server(words, "gunicorn") {
                push(scope, count("--workers", Some("-w")), "gunicorn");
            } else if is_server(words, "uwsgi") {
                push(scope.clone(), count("--processes", Some("-p")), "uWSGI");
                push(scope, count("--workers", None), "uWSGI");
            } else if is_celery_worker(words) {
                push(scope, count("--concurrency", Some("-c")), "Celery");
            }
        }
        out.sort_by(|a, b| (&a.0, a.1.count, a.1.server).cmp(&(&b.0, b.1.count, b.1.server)));
        out.dedup();
        WorkerMap(std::sync::Arc::new(out))
    }

    /// The file a command's name for a configuration means, if the tree holds it: a
    /// name that is not found means a file outside the tree (None).
    pub(crate) fn named_config(&self, command: &ServerCommand, name: &str) -> Option<usize> {
        let workdir = command.config.commands[command.line].workdir.as_deref();
        self.resolve(command.file, name, workdir, true)
    }

    /// gunicorn's default configuration, `./gunicorn.conf.py` in its working directory:
    /// beside the command's file, or where the Dockerfile copied it.
    pub(crate) fn default_gunicorn_config(&self, command: &ServerCommand) -> Option<usize> {
        let workdir = command.config.commands[command.line].workdir.as_deref();
        if command.config.kind == ConfigKind::Dockerfile {
            return self.resolve(
                command.file,
                "gunicorn.conf.py",
                workdir.or(Some("/")),
                false,
            );
        }
        let wanted = command
            .path
            .parent()
            .unwrap_or(Path::new(""))
            .join("gunicorn.conf.py");
        self.files.iter().position(|(path, _)| *path == wanted)
    }
}

/// The modules a server command names as its application: gunicorn's positional
/// `shop.wsgi:application`, uWSGI's `--module`/`-w`/`--wsgi-file`, Celery's `-A`.
fn app_modules(words: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (long, short) in [
        ("--module", Some("-w")),
        ("--wsgi-file", None),
        ("--wsgi", None),
        ("--app", Some("-A")),
    ] {
        if is_server(words, "gunicorn") && long == "--module" {
            continue;
        }
        out.extend(flag_value(words, long, short));
    }
    if is_server(words, "gunicorn") {
        out.extend(
            words
                .iter()
                .skip(1)
                .filter(|w| !w.starts_with('-') && w.contains(['.', ':']))
                .map(String::as_str),
        );
    }
    out
}

pub(crate) fn recycles_uwsgi(section: &files::IniSection) -> bool {
    section.name == "uwsgi"
        && [
            "max-requests",
            "reload-on-rss",
            "evil-reload-on-rss",
            "max_requests",
        ]
        .iter()
        .any(|key| section.keys.contains_key(*key))
}

/// A Python file as the tree-wide rules see it.
pub(crate) struct PythonFile<'a> {
    pub(crate) path: &'a Path,
    pub(crate) module: &'a str,
    pub(crate) facts: &'a PythonFacts,
    /// Where the file lies in its project says no deployment runs it as it stands
    /// (`docs/`, a development directory: `files::place` says `Development`). Known
    /// only for files that set `DEBUG`; false for the others.
    pub(crate) illustration: bool,
}

/// Findings of the tree-wide rules, by file.
pub(crate) fn evaluate(
    deployment: &Deployment,
    python: &[PythonFile],
    enabled: &HashSet<Rule>,
) -> Vec<(PathBuf, Located)> {
    let mut out = Vec::new();
    if enabled.contains(&Rule::DebugInProduction) {
        crate::rules::debug_in_production::debug_in_production(python, &mut out);
    }
    if enabled.contains(&Rule::GunicornWithoutMaxRequests) {
        crate::rules::gunicorn_without_max_requests::gunicorn_without_max_requests(
            deployment, &mut out,
        );
    }
    if enabled.contains(&Rule::CeleryWithoutChildRecycling) {
        crate::rules::celery_without_child_recycling::celery_without_child_recycling(
            deployment, python, &mut out,
        );
    }
    if enabled.contains(&Rule::UwsgiWithoutMaxRequests) {
        crate::rules::uwsgi_without_max_requests::uwsgi_without_max_requests(deployment, &mut out);
    }
    if enabled.contains(&Rule::IteratorWithoutServerSideCursor) {
        crate::rules::iterator_without_server_side_cursor::iterator_without_server_side_cursor(
            python, &mut out,
        );
    }
    if enabled.contains(&Rule::UnpaginatedListView) {
        crate::rules::unpaginated_list_view::unpaginated_list_view(python, &mut out);
    }
    out
}

pub(crate) fn located(rule: Rule, span: Span, message: String, help: &str) -> Located {
    Located {
        rule,
        message,
        help: Some(help.to_string()),
        range: span.range,
        start: span.start,
        end: span.end,
        fix: None,
        secondary: Vec::new(),
    }
}

/// Module name -> the Python files, for following star-import chains.
pub(crate) fn modules<'a>(python: &'a [PythonFile<'a>]) -> HashMap<&'a str, &'a PythonFile<'a>> {
    python.iter().map(|file| (file.module, file)).collect()
}
