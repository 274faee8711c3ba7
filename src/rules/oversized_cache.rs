//! DJM404 oversized-cache: a bounded cache whose bound, times what an entry really costs
//! in CPython, is more memory than a worker should hold, once per worker process.

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::memory;
use crate::registry::Rule;
use crate::semantic::containers::ContainerKind;

/// DJM404, once the file is walked (insertions tell what the entries hold).
pub(crate) fn oversized_cache(checker: &mut Checker) {
    let threshold = checker.settings.max_cache_entries;
    let mut found = Vec::new();
    for container in &checker.containers {
        let ContainerKind::Bounded {
            cache,
            capacity: Some(capacity),
        } = container.kind
        else {
            continue;
        };
        if capacity < 0 || (capacity as u64) < threshold {
            continue;
        }
        // Values stored here, or from other modules that import the cache.
        let stored_elsewhere = match &container.class {
            None if !container.name.is_empty() => {
                checker
                    .semantic
                    .index
                    .stored_value_bytes(&crate::semantic::index::qualify(
                        checker.semantic.index.module(),
                        &container.name,
                    ))
            }
            _ => 0,
        };
        let value_bytes = memory::largest(&container.value_shapes).max(stored_elsewhere as u64);
        let per_entry = memory::per_entry(cache, container.key_arguments, value_bytes);
        let per_worker = memory::human(per_entry * capacity as u64);
        let total = match checker.settings.workers {
            Some(workers) if workers.count > 1 => format!(
                ", ≈ {} for {} {} workers",
                memory::human(per_entry * capacity as u64 * workers.count as u64),
                workers.count,
                workers.server
            ),
            _ => String::new(),
        };
        found.push(
            Diagnostic::new(
                Rule::OversizedCache,
                format!(
                    "a cache of {} entries at about {per_entry} bytes each in CPython: ≈ {per_worker} per worker process{total}",
                    group_digits(capacity)
                ),
                container.definition,
            )
            .with_help("lower the bound to what one worker can afford, or move the cache out of the process (Redis, memcached) where every worker shares one copy"),
        );
    }
    for diagnostic in found {
        checker.report(diagnostic);
    }
}

/// `500000` -> "500 000".
fn group_digits(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
