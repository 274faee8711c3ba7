//! DJM501 debug-in-production: `DEBUG = True` in settings a deployment uses.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::process::files::DEVELOPMENT_WORDS;
use crate::process::{DebugValue, PythonFile, located, modules};
use crate::registry::Rule;
use crate::report::Located;

/// A token of a module or package name that marks settings no deployment uses as they
/// stand: development, tests, examples to copy and edit, and documentation.
fn is_development_name(token: &str) -> bool {
    DEVELOPMENT_WORDS.contains(&token) || token == "docs"
}

/// `settings/dev.py`, `settings_local.py`, `test_settings.py`, `tests/settings.py`,
/// `testutils/settings.py`, `example_project/settings.py`, `settings_example.py`.
pub(crate) fn development_named(file: &PythonFile) -> bool {
    let stem = file
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut parts: Vec<String> = vec![stem];
    parts.extend(file.module.split('.').map(str::to_string));
    parts.iter().any(|part| {
        part.split(['_', '-', '.'])
            .any(|token| is_development_name(&token.to_ascii_lowercase()))
    })
}

/// DJM501
pub(crate) fn debug_in_production(python: &[PythonFile], out: &mut Vec<(PathBuf, Located)>) {
    let by_module = modules(python);
    // `a.b` ends with module `b` as a dotted suffix (`x.a.b` and `a.b` do, `xa.b` not).
    let dotted_suffix = |long: &str, short: &str| {
        long.strip_suffix(short)
            .is_some_and(|rest| rest.ends_with('.'))
    };
    // Without allocating: an unresolved star import scans every module of the tree.
    // Of several matches the first by name, not the first the map's random order gives.
    let resolve = |name: &str| {
        by_module.get(name).copied().or_else(|| {
            by_module
                .iter()
                .filter(|(module, _)| dotted_suffix(module, name) || dotted_suffix(name, module))
                .min_by_key(|(module, _)| **module)
                .map(|(_, file)| *file)
        })
    };
    // Who star-imports whom.
    let mut importers: HashMap<&str, Vec<&PythonFile>> = HashMap::new();
    for file in python {
        for imported in &file.facts.star_imports {
            if let Some(target) = resolve(imported) {
                importers.entry(target.module).or_default().push(file);
            }
        }
    }
    let is_settings = |file: &PythonFile| {
        file.facts.settings_markers
            || file
                .facts
                .star_imports
                .iter()
                .any(|m| resolve(m).is_some_and(|t| t.facts.settings_markers))
    };
    for file in python {
        let Some((value, span)) = file.facts.debug else {
            continue;
        };
        if !matches!(value, DebugValue::True | DebugValue::EnvTrueDefault)
            || !is_settings(file)
            || development_named(file)
            || file.illustration
        {
            continue;
        }
        // `from settings_local import *` after the assignment: a module the tree does
        // not hold (written at install time) or one that sets DEBUG again decides.
        let overridden = file
            .facts
            .star_imports_after_debug
            .iter()
            .any(|module| resolve(module).is_none_or(|target| target.facts.debug.is_some()));
        if overridden {
            continue;
        }
        // Settings named like a base (`base.py`, `common.py`) are only ever star-imported;
        // any other settings module may be the one a deployment points at.
        let used_directly = !importers.contains_key(file.module) || !base_named(file);
        if !used_directly && !reaches_production(file, &importers, 0) {
            continue;
        }
        let message = match value {
            DebugValue::EnvTrueDefault => {
                "`DEBUG` defaults to true when the environment does not set it: a deployment that forgets the variable runs in debug, where Django keeps the SQL of up to 9 000 queries per connection in `connection.queries` and debug-only state, so long-lived workers sit far above their working set"
            }
            _ => {
                "`DEBUG = True` in settings a deployment uses: Django keeps the SQL of up to 9 000 queries per connection in `connection.queries` and debug-only state, so long-lived workers sit far above their working set"
            }
        };
        out.push((
            file.path.to_path_buf(),
            located(
                Rule::DebugInProduction,
                span,
                message.to_string(),
                "read DEBUG from the environment with a false default, e.g. `env.bool(\"DEBUG\", default=False)`",
            ),
        ));
    }
}

fn base_named(file: &PythonFile) -> bool {
    let stem = file
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [
        "base",
        "common",
        "default",
        "defaults",
        "shared",
        "core",
        "components",
        "global",
    ]
    .iter()
    .any(|name| {
        stem == *name
            || stem.starts_with(&format!("{name}_"))
            || stem.ends_with(&format!("_{name}"))
    })
}

/// Whether this module's DEBUG reaches settings that are not for development: some
/// non-development module star-imports it (directly or along a chain) without setting
/// DEBUG itself.
fn reaches_production(
    file: &PythonFile,
    importers: &HashMap<&str, Vec<&PythonFile>>,
    depth: usize,
) -> bool {
    let Some(users) = importers.get(file.module) else {
        return false;
    };
    if depth > 16 {
        return false;
    }
    users.iter().any(|user| {
        if development_named(user) {
            return false;
        }
        if user.facts.debug.is_some() {
            // It decides for itself (and is judged on its own).
            return false;
        }
        importers.get(user.module).is_none() || reaches_production(user, importers, depth + 1)
    })
}
