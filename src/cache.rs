//! The persistent cache (`.dormlint_cache/`, or `$DORMLINT_CACHE_DIR`): for every file,
//! what its last check found, the facts it gave the project index and the index
//! questions it asked, keyed by the file's modification time and size. One set of cache
//! files per build of dormlint and settings, in postcard's compact binary form. It is
//! written only when something changed, holds only the files of this run (deleted files
//! fall out), and the caches of other settings or builds beyond the newest few are
//! deleted. A warm run parses only changed files; settling then re-checks exactly the
//! files whose recorded index answers no longer hold, so a change to a models module
//! re-checks the views that asked about it and nothing else.
//!
//! Three kinds of file, for three questions:
//! - `NAME.bin`, the results: stamps, findings and what the tree-wide rules read
//!   (0.7 MB on the bench corpus). All a run over an unchanged tree reads.
//! - `NAME.index/NN.bin`, each file's part, spread over `SHARDS` files by a hash of the
//!   path: what the file declares (classes, call graph references, memoisers: most of
//!   the 31 MB) and what its check learnt (functions, stores, lookups), encoded apart.
//!   Read on the thread pool when something changed; a shard is rewritten only when it
//!   holds a file read or checked again, or a deleted one, from the bytes as read.
//! - `NAME.classes`, the class part of the project index (9.7 MB), reused whole while
//!   no file declares or calls anything new.
//!
//! Parts and the index carry the generation of the save that wrote them, and count only
//! with results of the same generation: a run stopped between writes costs the next
//! one its speed, never its findings.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::process::PythonFacts;
use crate::report::Located;
use crate::semantic::index::{FileFacts, Lookup, ProjectIndex};
use crate::settings::Settings;

#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Cache {
    pub(crate) entries: HashMap<PathBuf, Entry>,
    /// Tells this results file's index (`NAME.classes`) from a stale one.
    generation: u64,
    /// Where the results were read from: the index parts are beside it.
    #[serde(skip)]
    location: Option<PathBuf>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) stamp: Stamp,
    pub(crate) diagnostics: Vec<Located>,
    /// The file's module and process facts: the tree-wide rules read them on every run.
    pub(crate) module: String,
    pub(crate) process: PythonFacts,
    /// The generation of the save that wrote the file's part: a part of another
    /// generation (a run stopped, or failed to write these results, after writing
    /// its shards) does not belong with these findings.
    pub(crate) part: u64,
    /// What the file declares (`encode_declared`) and what its check learnt
    /// (`encode_learned`): empty until `Cache::read_index_parts`, and when its shard
    /// was lost.
    #[serde(skip)]
    pub(crate) declared: Vec<u8>,
    #[serde(skip)]
    pub(crate) learned: Vec<u8>,
}

/// An entry borrowed from the run's outcomes, for writing without copies.
#[derive(Serialize)]
struct EntryRef<'a> {
    stamp: Stamp,
    diagnostics: &'a [Located],
    module: &'a str,
    process: &'a PythonFacts,
    part: u64,
}

/// A file's index part as its shard stores it. Its file's entry in the results must
/// have the same stamp and generation: a part is what a check of the file found
/// against the whole tree of one run, so a part written by a run whose results were
/// never saved may disagree with the findings held, even for an unchanged file.
#[derive(Serialize, Deserialize)]
struct Part {
    path: PathBuf,
    stamp: Stamp,
    generation: u64,
    #[serde(with = "serde_bytes")]
    declared: Vec<u8>,
    #[serde(with = "serde_bytes")]
    learned: Vec<u8>,
}

#[derive(Serialize)]
struct PartRef<'a> {
    path: &'a Path,
    stamp: Stamp,
    generation: u64,
    #[serde(with = "serde_bytes")]
    declared: &'a [u8],
    #[serde(with = "serde_bytes")]
    learned: &'a [u8],
}

/// How many shard files the index parts are spread over. A run with one file changed
/// rewrites one shard, 1/64 of the parts (about 0.5 MB on the bench corpus).
pub(crate) const SHARDS: usize = 64;

/// The shard holding `path`'s index part: the same for the same path on every run of a
/// build (SipHash with fixed keys).
pub(crate) fn shard_of(path: &Path) -> usize {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    (hasher.finish() % SHARDS as u64) as usize
}

/// The directory of the index parts of the results file `results`.
fn shards_directory(results: &Path) -> PathBuf {
    results.with_extension("index")
}

/// Where the class part of the index saved with some results is, and the generation
/// that tells it from a stale one.
pub(crate) struct SavedIndexFile {
    path: PathBuf,
    generation: u64,
}

impl SavedIndexFile {
    /// The class part of the index the run that wrote the results built, when it was
    /// saved with them, and its generation.
    pub(crate) fn read(&self) -> Option<(u64, ProjectIndex)> {
        let bytes = std::fs::read(&self.path).ok()?;
        // The generation, then the index: a stale file is told without decoding it.
        let (generation, index) = postcard::take_from_bytes::<u64>(&bytes).ok()?;
        if generation != self.generation {
            return None;
        }
        Some((generation, postcard::from_bytes(index).ok()?))
    }
}

impl Cache {
    /// Where these results' index would be (read it with `SavedIndexFile::read`,
    /// which can run while the shards are read).
    pub(crate) fn saved_index(&self) -> Option<SavedIndexFile> {
        Some(SavedIndexFile {
            path: self.location.as_ref()?.with_extension("classes"),
            generation: self.generation,
        })
    }

    /// Fills every entry's `declared` and `learned` from the shards, read on the thread pool. A part
    /// that is missing, unreadable or stale stays empty: its file is checked as new.
    pub(crate) fn read_index_parts(&mut self) {
        use rayon::prelude::*;
        let Some(results) = &self.location else {
            return;
        };
        let directory = shards_directory(results);
        let shards: Vec<Vec<Part>> = (0..SHARDS)
            .into_par_iter()
            .map(|shard| {
                std::fs::read(directory.join(format!("{shard:02}.bin")))
                    .ok()
                    .and_then(|bytes| postcard::from_bytes(&bytes).ok())
                    .unwrap_or_default()
            })
            .collect();
        for part in shards.into_iter().flatten() {
            if let Some(entry) = self.entries.get_mut(&part.path)
                && entry.stamp == part.stamp
                && entry.part == part.generation
            {
                entry.declared = part.declared;
                entry.learned = part.learned;
            }
        }
    }
}

/// What a file declares (its classes, call graph facts and memoisers), as
/// `Entry::declared` holds it: most of a part's bytes (the references), and needed
/// only when the class part of the index is built again.
pub(crate) fn encode_declared(facts: &FileFacts) -> Vec<u8> {
    postcard::to_stdvec(&(&facts.classes, &facts.graph, &facts.memoizers)).unwrap_or_default()
}

/// Reads `encode_declared` back into `facts`; false when the bytes are not what it
/// wrote (a damaged cache: the file is then read again).
pub(crate) fn decode_declared(bytes: &[u8], facts: &mut FileFacts) -> bool {
    match postcard::from_bytes(bytes) {
        Ok((classes, graph, memoizers)) => {
            facts.classes = classes;
            facts.graph = graph;
            facts.memoizers = memoizers;
            true
        }
        Err(_) => false,
    }
}

/// What a file's check learnt (its functions, the values it stores into other
/// modules' containers) and the index questions it asked, as `Entry::learned` holds
/// them.
pub(crate) fn encode_learned(facts: &FileFacts, lookups: &[(Lookup, u32)]) -> Vec<u8> {
    postcard::to_stdvec(&(&facts.functions, &facts.stores, lookups)).unwrap_or_default()
}

/// Reads `encode_learned` back into `facts`, returning the lookups; None when the
/// bytes are not what it wrote.
pub(crate) fn decode_learned(bytes: &[u8], facts: &mut FileFacts) -> Option<Vec<(Lookup, u32)>> {
    let (functions, stores, lookups) = postcard::from_bytes(bytes).ok()?;
    facts.functions = functions;
    facts.stores = stores;
    Some(lookups)
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

/// The cache directory: `--cache-dir`, else `$DORMLINT_CACHE_DIR`, else
/// `.dormlint_cache` at the configuration's root (the current directory without one).
pub(crate) fn directory(settings: &Settings) -> PathBuf {
    if let Some(dir) = &settings.cache_dir {
        return dir.clone();
    }
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

/// The cache at `path` (its results; `Cache::read_index_parts` reads the rest), or an
/// empty one when there is none or it cannot be read.
pub(crate) fn load(path: &Path) -> Cache {
    let mut cache: Cache = std::fs::read(path)
        .ok()
        .and_then(|bytes| postcard::from_bytes(&bytes).ok())
        .unwrap_or_default();
    cache.location = Some(path.to_path_buf());
    cache
}

/// The index `save` records with the results (its class part: the function tables
/// are not written).
pub(crate) enum SavedIndex<'a> {
    /// Built by this run, encoded: written with a new generation.
    Built(&'a [u8]),
    /// None to write (it could not be encoded): the next run builds its own.
    None,
    /// The saved one of this generation, reused: the same declarations made it, so
    /// the file stays and the results keep its generation.
    Reused(u64),
}

/// One file as `save` writes it, borrowed from the run's outcome: its results entry,
/// its part, and whether this run encoded the part (its shard must be written) or
/// read it from the cache.
pub(crate) struct SavedFile<'a> {
    pub(crate) path: &'a Path,
    pub(crate) stamp: Stamp,
    pub(crate) diagnostics: &'a [Located],
    pub(crate) module: &'a str,
    pub(crate) process: &'a PythonFacts,
    pub(crate) declared: &'a [u8],
    pub(crate) learned: &'a [u8],
    pub(crate) new: bool,
    /// The generation the part was read with (unused when `new`).
    pub(crate) generation: u64,
}

/// Writes the cache (read back as `Cache`): the shards holding a new part or one of
/// the `gone` files (checked last time, not now), then the results. A failure only
/// costs the next run its speed: a part its shard lacks, or one that another
/// generation wrote, makes its file be checked again as if it were new.
pub(crate) fn save(path: &Path, files: &[SavedFile], gone: &[PathBuf], index: SavedIndex) {
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
    let written = new_generation();
    let dirty = dirty_shards(files, gone);
    #[derive(Serialize)]
    struct CacheRef<'a> {
        entries: std::collections::BTreeMap<&'a Path, EntryRef<'a>>,
        generation: u64,
    }
    let cache = CacheRef {
        entries: files
            .iter()
            .map(|file| {
                let entry = EntryRef {
                    stamp: file.stamp,
                    diagnostics: file.diagnostics,
                    module: file.module,
                    process: file.process,
                    part: if dirty[shard_of(file.path)] {
                        written
                    } else {
                        file.generation
                    },
                };
                (file.path, entry)
            })
            .collect(),
        generation: match index {
            SavedIndex::Reused(generation) => generation,
            SavedIndex::Built(_) | SavedIndex::None => written,
        },
    };
    let Ok(bytes) = postcard::to_stdvec(&cache) else {
        return;
    };
    write_shards(path, files, &dirty, written);
    if let SavedIndex::Built(index) = index
        && let Ok(mut bytes) = postcard::to_stdvec(&cache.generation)
    {
        bytes.extend_from_slice(index);
        let _ = write_replacing(&path.with_extension("classes"), &bytes);
    }
    let _ = write_replacing(path, &bytes);
    prune(dir);
}

/// A number no earlier save wrote: the time and the process.
fn new_generation() -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (std::time::SystemTime::now(), std::process::id()).hash(&mut hasher);
    hasher.finish()
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`, so that
/// a reader never sees half a file.
fn write_replacing(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

/// The shards that hold a new part or had a part of a `gone` file.
fn dirty_shards(files: &[SavedFile], gone: &[PathBuf]) -> [bool; SHARDS] {
    let mut dirty = [false; SHARDS];
    for file in files.iter().filter(|file| file.new) {
        dirty[shard_of(file.path)] = true;
    }
    for path in gone {
        dirty[shard_of(path)] = true;
    }
    dirty
}

/// Rewrites the `dirty` shards, every part in them as of generation `written`.
fn write_shards(results: &Path, files: &[SavedFile], dirty: &[bool; SHARDS], written: u64) {
    use rayon::prelude::*;
    let directory = shards_directory(results);
    if std::fs::create_dir_all(&directory).is_err() {
        return;
    }
    let mut by_shard: Vec<Vec<PartRef>> = (0..SHARDS).map(|_| Vec::new()).collect();
    for file in files {
        by_shard[shard_of(file.path)].push(PartRef {
            path: file.path,
            stamp: file.stamp,
            generation: written,
            declared: file.declared,
            learned: file.learned,
        });
    }
    by_shard
        .par_iter()
        .enumerate()
        .filter(|(shard, _)| dirty[*shard])
        .for_each(|(shard, parts)| {
            if let Ok(bytes) = postcard::to_stdvec(parts) {
                let _ = write_replacing(&directory.join(format!("{shard:02}.bin")), &bytes);
            }
        });
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
        let _ = std::fs::remove_dir_all(shards_directory(&path));
        let _ = std::fs::remove_file(path.with_extension("classes"));
        // Written by builds before the index was kept whole.
        let _ = std::fs::remove_file(path.with_extension("graph"));
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
