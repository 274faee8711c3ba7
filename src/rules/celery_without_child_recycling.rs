//! DJM504 celery-without-child-recycling: Celery pool processes that are never replaced.

use std::path::PathBuf;

use crate::process::kubernetes::is_templated as templated_word;
use crate::process::shell::{flag_value, has_flag};
use crate::process::{Deployment, PythonFile, is_celery_worker, located};
use crate::registry::Rule;
use crate::report::Located;

const HELP: &str = "set `worker_max_tasks_per_child` (or `worker_max_memory_per_child`) in the Celery configuration, or pass `--max-tasks-per-child`";

/// Pools whose workers are threads or greenlets in one process: nothing to recycle.
const UNRECYCLED_POOLS: &[&str] = &["threads", "gevent", "eventlet", "solo"];

/// DJM504
pub(crate) fn celery_without_child_recycling(
    deployment: &Deployment,
    python: &[PythonFile],
    out: &mut Vec<(PathBuf, Located)>,
) {
    if python.iter().any(|file| file.facts.celery_recycling)
        || deployment.environment_recycles_celery()
    {
        return;
    }
    let mut workers = 0;
    for command_line in deployment.server_commands() {
        let command = &command_line.words;
        // A container whose program a template fills in may be a worker.
        let maybe_worker = command_line.is_templated()
            && command
                .iter()
                .enumerate()
                .any(|(i, w)| w.contains("celery") || (i == 0 && templated_word(w)));
        if !is_celery_worker(command) && !maybe_worker {
            continue;
        }
        workers += 1;
        // A template fills in part of the command line: it may pass the option.
        if command_line.is_templated() {
            continue;
        }
        let recycles = command_line.config.celery_recycling_env
            || has_flag(command, "--max-tasks-per-child")
            || has_flag(command, "--max-memory-per-child")
            || has_flag(command, "--maxtasksperchild");
        let pool = flag_value(command, "--pool", Some("-P"));
        if recycles || pool.is_some_and(|pool| UNRECYCLED_POOLS.contains(&pool)) {
            continue;
        }
        out.push((
            command_line.path.to_path_buf(),
            located(
                Rule::CeleryWithoutChildRecycling,
                command_line.span,
                "this Celery worker never replaces its pool processes and nothing in the configuration sets `worker_max_tasks_per_child`: every child keeps what its tasks leave behind".to_string(),
                HELP,
            ),
        ));
    }
    if workers > 0 {
        return;
    }
    for file in python {
        for app in &file.facts.celery_apps {
            out.push((
                file.path.to_path_buf(),
                located(
                    Rule::CeleryWithoutChildRecycling,
                    *app,
                    "nothing configures `worker_max_tasks_per_child` or `worker_max_memory_per_child` for this Celery app: its pool processes are never replaced and keep what tasks leave behind".to_string(),
                    HELP,
                ),
            ));
        }
    }
}
