//! The persistent cache (`.dormlint_cache/`, or `$DORMLINT_CACHE_DIR`): for every file,
//! what its last check found, the facts it gave the project index and the index
//! questions it asked, keyed by the file's modification time and size. One cache file per
//! build of dormlint and settings, in postcard's compact binary form (the bench corpus's
//! 6 300 files take about 2 MB; the JSON it replaced took 14 MB). It is written only when
//! something changed, holds only the files of this run (deleted files fall out), and the
//! caches of other settings or builds beyond the newest few are deleted.
//! A warm run parses only changed files; settling then re-checks exactly the files whose
//! recorded index answers no longer hold, so a change to a models module re-checks the
//! views that asked about it and nothing else.

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

/// How many cache files (settings, builds) a cache directory keeps.
const KEPT_CACHE_FILES: usize = 4;

/// The cache directory: `$DORMLINT_CACHE_DIR`, else `.dormlint_cache` at the
/// configuration's root (the current directory without one).
pub(crate) fn directory(settings: &Settings) -> PathBuf {
    if let Some(dir) = std::env::var_os("DORMLINT_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    settings
        .config_root
        .clone()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".dormlint_cache")
}

/// What tells this build from another with the same version: the executable's size and
/// modification time. A rebuilt binary never reads an older build's findings.
fn build_identity() -> (u64, u128) {
    std::env::current_exe()
        .ok()
        .and_then(|exe| std::fs::metadata(exe).ok())
        .map(|metadata| {
            let modified = metadata
                .modified()
                .ok()
                .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            (metadata.len(), modified)
        })
        .unwrap_or_default()
}

/// The cache file for these settings: everything that changes findings is in its name.
pub(crate) fn location(settings: &Settings) -> PathBuf {
    let mut rules: Vec<&str> = settings.rules.iter().map(|r| r.code()).collect();
    rules.sort_unstable();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        env!("CARGO_PKG_VERSION"),
        build_identity(),
        rules,
        settings.strict_iterator,
        &settings.batch_decorators,
        settings.max_cache_entries,
        settings.workers.map(|w| (w.count, w.server)),
        &settings.deployment_workers,
        settings.fingerprint(),
    )
        .hash(&mut hasher);
    directory(settings).join(format!(
        "{}-{:016x}.bin",
        env!("CARGO_PKG_VERSION"),
        hasher.finish()
    ))
}

/// The cache at `path`, or an empty one when there is none or it cannot be read.
pub(crate) fn load(path: &Path) -> Cache {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| postcard::from_bytes(&bytes).ok())
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
    let Ok(bytes) = postcard::to_stdvec(&cache) else {
        return;
    };
    let temporary = path.with_extension("tmp");
    if std::fs::write(&temporary, bytes).is_ok() {
        let _ = std::fs::rename(&temporary, path);
    }
    prune(dir);
}

/// Keeps the newest cache files of the directory, deletes the rest (other settings,
/// older builds, the JSON caches of earlier versions).
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut caches: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "bin" || e == "json"))
        .filter_map(|path| Some((std::fs::metadata(&path).ok()?.modified().ok()?, path)))
        .collect();
    caches.sort_by(|a, b| b.cmp(a));
    for (_, path) in caches.into_iter().skip(KEPT_CACHE_FILES) {
        let _ = std::fs::remove_file(path);
    }
}

/// `dormlint clean`: removes the cache directory for these settings. Returns the
/// directory removed, None when there was none.
pub(crate) fn clean(settings: &Settings) -> std::io::Result<Option<PathBuf>> {
    let dir = directory(settings);
    if !dir.is_dir() {
        return Ok(None);
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(Some(dir))
}

/// `TextRange` as `[start, end]` byte offsets.
pub(crate) mod range {
    use ruff_text_size::{TextRange, TextSize};
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
    use ruff_text_size::{TextRange, TextSize};
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
