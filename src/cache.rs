//! The persistent cache (`.dormlint_cache/`): for every file, what its last check found,
//! the facts it gave the project index and the index questions it asked, keyed by the
//! file's modification time and size; one cache file per dormlint version and settings.
//! A warm run parses only changed files; the usual settling then re-checks exactly the
//! files whose recorded index answers no longer hold, so a change to a models module
//! re-checks the views that asked about it and nothing else.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::Located;
use crate::semantic::index::{FileFacts, Lookup};
use crate::settings::Settings;

#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Cache {
    pub(crate) entries: HashMap<PathBuf, Entry>,
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) stamp: Stamp,
    pub(crate) diagnostics: Vec<Located>,
    pub(crate) facts: FileFacts,
    pub(crate) lookups: Vec<(Lookup, u32)>,
}

/// An entry borrowed from the run's outcomes, for writing without copies.
#[derive(Serialize)]
pub(crate) struct EntryRef<'a> {
    pub(crate) stamp: Stamp,
    pub(crate) diagnostics: &'a [Located],
    pub(crate) facts: &'a FileFacts,
    pub(crate) lookups: &'a [(Lookup, u32)],
}

/// What tells a file changed without reading it: modification time and size.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    modified_ns: u128,
    size: u64,
}

pub(crate) fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    let modified = metadata.modified().ok()?;
    let modified_ns = modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(Stamp {
        modified_ns,
        size: metadata.len(),
    })
}

/// The cache file for these settings: everything that changes findings is in its name.
pub(crate) fn location(settings: &Settings) -> PathBuf {
    let mut rules: Vec<&str> = settings.rules.iter().map(|r| r.code()).collect();
    rules.sort_unstable();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        env!("CARGO_PKG_VERSION"),
        rules,
        settings.strict_iterator,
        &settings.batch_decorators,
        settings.max_cache_entries,
        settings.workers.map(|w| (w.count, w.server)),
        settings.fingerprint(),
    )
        .hash(&mut hasher);
    let root = settings
        .config_root
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    root.join(".dormlint_cache").join(format!(
        "{}-{:016x}.json",
        env!("CARGO_PKG_VERSION"),
        hasher.finish()
    ))
}

/// The cache at `path`, or an empty one when there is none or it cannot be read.
pub(crate) fn load(path: &Path) -> Cache {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Writes the cache (read back as `Cache`); a failure only costs the next run its speed.
pub(crate) fn save(path: &Path, entries: &[(&Path, EntryRef)]) {
    let Some(dir) = path.parent() else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    // Like ruff's cache: never committed by accident.
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        let _ = std::fs::write(ignore, "*\n");
    }
    #[derive(Serialize)]
    struct CacheRef<'a> {
        entries: std::collections::BTreeMap<&'a Path, &'a EntryRef<'a>>,
    }
    let cache = CacheRef {
        entries: entries.iter().map(|(path, entry)| (*path, entry)).collect(),
    };
    let Ok(bytes) = serde_json::to_vec(&cache) else {
        return;
    };
    let temporary = path.with_extension("tmp");
    if std::fs::write(&temporary, bytes).is_ok() {
        let _ = std::fs::rename(&temporary, path);
    }
}

/// `TextRange` as `[start, end]` byte offsets.
pub(crate) mod range {
    use rustpython_parser::text_size::{TextRange, TextSize};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        range: &TextRange,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        [u32::from(range.start()), u32::from(range.end())].serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<TextRange, D::Error> {
        let [start, end] = <[u32; 2]>::deserialize(deserializer)?;
        Ok(TextRange::new(
            TextSize::from(start),
            TextSize::from(end.max(start)),
        ))
    }
}

/// `Vec<(TextRange, String)>` (secondary labels) as `[[start, end, label], ...]`.
pub(crate) mod labelled_ranges {
    use rustpython_parser::text_size::{TextRange, TextSize};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        labels: &[(TextRange, String)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        labels
            .iter()
            .map(|(range, label)| (u32::from(range.start()), u32::from(range.end()), label))
            .collect::<Vec<_>>()
            .serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<(TextRange, String)>, D::Error> {
        let labels = Vec::<(u32, u32, String)>::deserialize(deserializer)?;
        Ok(labels
            .into_iter()
            .map(|(start, end, label)| {
                (
                    TextRange::new(TextSize::from(start), TextSize::from(end.max(start))),
                    label,
                )
            })
            .collect())
    }
}
