//! Batch context (DJM201 and the rules that judge a loop by where it runs): tasks,
//! management commands, functions given to `migrations.RunPython`, and the functions
//! they call or nest. A batch job runs over whole tables, so what is cheap in a request
//! (a loop over a queryset) holds every row there.

use rustc_hash::FxHashSet as HashSet;

use crate::semantic::index::{ClassKind, last_segment};
use crate::semantic::{FunctionId, FunctionInfo};

/// Decorators that make a function a task: Celery (`shared_task`, `app.task`,
/// `periodic_task`), dramatiq (`actor`), rq (`job`), huey (`db_task`,
/// `db_periodic_task`), plus the `batch-decorators` setting's names.
pub(crate) fn is_task_decorator(name: &str, configured: &[String]) -> bool {
    matches!(
        name,
        "shared_task" | "task" | "periodic_task" | "actor" | "job" | "db_task" | "db_periodic_task"
    ) || configured
        .iter()
        .any(|configured| last_segment(configured) == name)
}

/// Tasks, management command methods, functions given to `RunPython`, the module
/// functions they call, and functions nested in any of those.
pub(crate) fn batch_functions(
    functions: &[FunctionInfo],
    run_python_functions: &HashSet<String>,
) -> HashSet<FunctionId> {
    let mut batch: HashSet<FunctionId> = HashSet::default();
    for (id, function) in functions.iter().enumerate() {
        let command = function
            .class
            .as_ref()
            .is_some_and(|(_, kind)| *kind == ClassKind::Command);
        // Functions handed to RunPython live at module level or in the Migration body.
        let migration = function.parent.is_none() && run_python_functions.contains(&function.name);
        if function.task || command || migration {
            batch.insert(id);
        }
    }
    loop {
        let mut added = Vec::new();
        for (id, function) in functions.iter().enumerate() {
            if batch.contains(&id) {
                continue;
            }
            let parent_batch = function.parent.is_some_and(|p| batch.contains(&p));
            let called = function.parent.is_none()
                && function.class.is_none()
                && batch
                    .iter()
                    .any(|caller| functions[*caller].calls.contains(&function.name));
            if parent_batch || called {
                added.push(id);
            }
        }
        if added.is_empty() {
            break;
        }
        batch.extend(added);
    }
    batch
}
