//! Process-level rules (DJM501, DJM503-DJM505) look at the whole checked tree: the
//! deployment files (read here) and facts the checker collected from Python files
//! (settings modules, star imports, DEBUG, Celery configuration). Nothing is parsed twice.

pub(crate) mod files;
pub(crate) mod python;
pub(crate) mod shell;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use files::{CommandLine, ConfigFile, ConfigKind, Span};
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
    /// Sets worker_max_tasks_per_child or worker_max_memory_per_child somewhere.
    pub(crate) celery_recycling: bool,
    /// `Celery(...)` calls.
    pub(crate) celery_apps: Vec<Span>,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workers {
    pub count: u32,
    pub server: &'static str,
}

/// The deployment files of the checked tree.
#[derive(Default)]
pub(crate) struct Deployment {
    pub(crate) files: Vec<(PathBuf, ConfigFile)>,
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

impl Deployment {
    pub(crate) fn server_commands(
        &self,
    ) -> impl Iterator<Item = (&Path, &ConfigFile, &CommandLine, Vec<String>)> {
        self.files.iter().flat_map(|(path, file)| {
            file.commands.iter().flat_map(move |line| {
                commands(&line.words)
                    .into_iter()
                    .map(move |command| (path.as_path(), file, line, command))
            })
        })
    }

    /// The worker count the configuration gives, web servers first.
    pub(crate) fn workers(&self) -> Option<Workers> {
        let mut gunicorn: Option<u32> = None;
        let mut uwsgi: Option<u32> = None;
        let mut celery: Option<u32> = None;
        let max = |slot: &mut Option<u32>, value: Option<u32>| {
            if let Some(value) = value {
                *slot = Some(slot.map_or(value, |v| v.max(value)));
            }
        };
        for (_, file) in &self.files {
            max(&mut gunicorn, file.gunicorn.workers);
            for section in file.sections.iter().filter(|s| s.name == "uwsgi") {
                for key in ["processes", "workers"] {
                    max(
                        &mut uwsgi,
                        section.keys.get(key).and_then(|v| v.parse().ok()),
                    );
                }
            }
        }
        for (_, _, _, command) in self.server_commands() {
            let count =
                |long, short| flag_value(&command, long, short).and_then(|v| v.parse().ok());
            if is_server(&command, "gunicorn") {
                max(&mut gunicorn, count("--workers", Some("-w")));
            } else if is_server(&command, "uwsgi") {
                max(&mut uwsgi, count("--processes", Some("-p")));
                max(&mut uwsgi, count("--workers", None));
            } else if is_celery_worker(&command) {
                max(&mut celery, count("--concurrency", Some("-c")));
            }
        }
        let pick = |count: Option<u32>, server| count.map(|count| Workers { count, server });
        pick(gunicorn, "gunicorn")
            .or(pick(uwsgi, "uWSGI"))
            .or(pick(celery, "Celery"))
    }

    /// The gunicorn configuration `-c` names from a command in `command_file`.
    pub(crate) fn gunicorn_config(&self, command_file: &Path, name: &str) -> Option<&ConfigFile> {
        let name = name.strip_prefix("python:").map_or_else(
            || name.to_string(),
            |module| format!("{}.py", module.replace('.', "/")),
        );
        let wanted = command_file.parent().unwrap_or(Path::new("")).join(&name);
        let file_name = Path::new(&name).file_name()?;
        let candidates: Vec<&(PathBuf, ConfigFile)> = self
            .files
            .iter()
            .filter(|(path, file)| {
                file.kind == ConfigKind::GunicornConf && path.file_name() == Some(file_name)
            })
            .collect();
        candidates
            .iter()
            .find(|(path, _)| *path == wanted || path.ends_with(&name))
            .or(candidates.first())
            .map(|(_, file)| file)
    }

    pub(crate) fn uwsgi_ini_recycles(&self, name: &str) -> bool {
        let file_name = Path::new(name).file_name();
        self.files.iter().any(|(path, file)| {
            path.file_name() == file_name && file.sections.iter().any(recycles_uwsgi)
        })
    }
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
