//! dormlint: finds the Django ORM and process-level patterns that make Python web
//! services and workers grow until they are killed.
//!
//! The pipeline: discover → (parse → index facts + check, one pass a file) → settle the
//! files whose index answers changed → report.

mod cache;
mod checker;
pub mod cli;
pub mod config;
mod diagnostic;
pub mod discover;
pub mod explain;
mod fix;
mod memory;
mod noqa;
mod parse;
mod process;
pub mod registry;
pub mod report;
mod rules;
mod semantic;
pub mod server;
pub mod settings;
mod source;

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use ruff_text_size::TextRange;

pub use diagnostic::Diagnostic;
pub use discover::{DiscoverError, SourceFile};
use parse::Unreadable;
use registry::Rule;
use report::{FileReport, Located};
use semantic::index::{
    ClassFact, FileFacts, IndexView, Lookup, ProjectIndex, answers_hold_where, answers_still_hold,
};
use settings::Settings;
use source::LineIndex;

/// Worker threads get a large stack: parsing is iterative and the walk depth-limited,
/// but generated code can still nest deeply in places we recurse (names, bases).
const WORKER_STACK_BYTES: usize = 256 << 20;

pub struct CheckResult {
    pub reports: Vec<FileReport>,
    pub files_checked: usize,
    /// Files checked a second time because the index they saw was incomplete.
    pub rechecked: usize,
    /// Files read and parsed in this run (the others came from the cache): 0 on a warm
    /// run over an unchanged tree. `DORMLINT_DEBUG_INDEX` prints it, for the tests.
    pub parsed: usize,
    pub seconds: f64,
}

struct FileOutcome {
    report: FileReport,
    facts: FileFacts,
    lookups: Vec<(Lookup, u32)>,
    /// `facts` and `lookups` as the cache held them, and the generation they were
    /// written with, when they came from it and the file was not checked again:
    /// written back as they are.
    encoded: Option<(Vec<u8>, u64)>,
}

/// Checks every Python file under `paths`.
pub fn check_paths(paths: &[PathBuf], settings: &Settings) -> Result<CheckResult, DiscoverError> {
    let started = Instant::now();
    let discovered = discover::discover(paths, settings)?;
    // Files named one by one are judged against the whole project around them.
    let context = if settings.parse_only {
        discover::Discovered::default()
    } else {
        discover::project_context(paths, settings, &discovered)
    };
    let context_paths: std::collections::HashSet<PathBuf> = context
        .files
        .iter()
        .map(|file| file.path.clone())
        .chain(context.configs.iter().cloned())
        .collect();
    phase("discovered", started);
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK_BYTES);
    if let Some(threads) = settings.threads {
        pool = pool.num_threads(threads);
    }
    let pool = pool
        .build()
        .map_err(|e| DiscoverError(format!("cannot start worker threads: {e}")))?;
    let named_files = discovered.files.len();
    let mut files = discovered.files;
    files.extend(context.files);
    let named_configs = discovered
        .configs
        .iter()
        .filter(|c| !discover::is_python(c))
        .count();
    let mut configs = discovered.configs;
    configs.extend(context.configs);
    if settings.parse_only {
        let parsed: usize = pool.install(|| {
            files
                .par_iter()
                .filter(|file| {
                    let Ok(bytes) = std::fs::read(&file.path) else {
                        return false;
                    };
                    let Ok(text) = parse::decode(bytes) else {
                        return false;
                    };
                    parse::parse_module(&text).errors.is_empty()
                })
                .count()
        });
        eprintln!("dormlint: parsed {parsed} of {} files", files.len());
        return Ok(CheckResult {
            reports: Vec::new(),
            files_checked: files.len(),
            rechecked: 0,
            parsed,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let (deployment, unreadable) = read_deployment(&configs, settings);
    phase("deployment read", started);
    let mut settings = settings.clone();
    let python: Vec<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    settings.deployment_workers = deployment.workers(&python);
    let settings = &settings;
    let cache_path = settings.cache.then(|| cache::location(settings));
    let previous = cache_path.as_deref().map(cache::load).unwrap_or_default();
    phase("cache loaded", started);
    let Checked {
        outcomes,
        rechecked,
        parsed,
        stamps,
        unchanged,
        gone,
        index,
        reused_index,
        declared,
    } = pool.install(|| check_files(&files, settings, previous, Declarations::Drop));
    // Saved only when something was checked: a run that changed nothing leaves it.
    if let Some(path) = cache_path.as_ref().filter(|_| !unchanged) {
        use std::borrow::Cow;
        // As read where they still stand for the file, else encoded now.
        /// A file's declarations and what its check learnt, encoded.
        type Encoded<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);
        let encoded: Vec<Encoded> = pool.install(|| {
            outcomes
                .par_iter()
                .zip(&declared)
                .map(|(outcome, declared)| {
                    let declared = match declared {
                        Some(bytes) => Cow::Borrowed(bytes.as_slice()),
                        None => Cow::Owned(cache::encode_declared(&outcome.facts)),
                    };
                    let learned = match &outcome.encoded {
                        Some((bytes, _)) => Cow::Borrowed(bytes.as_slice()),
                        None => Cow::Owned(cache::encode_learned(&outcome.facts, &outcome.lookups)),
                    };
                    (declared, learned)
                })
                .collect()
        });
        let saved: Vec<cache::SavedFile> = files
            .iter()
            .zip(&outcomes)
            .zip(&stamps)
            .zip(&encoded)
            .zip(&declared)
            .filter_map(
                |((((file, outcome), stamp), (declared_part, learned_part)), declared)| {
                    Some(cache::SavedFile {
                        path: &file.path,
                        stamp: (*stamp)?,
                        diagnostics: &outcome.report.diagnostics,
                        module: &outcome.facts.module,
                        process: &outcome.facts.process,
                        declared: declared_part,
                        learned: learned_part,
                        new: outcome.encoded.is_none() || declared.is_none(),
                        generation: outcome.encoded.as_ref().map_or(0, |(_, g)| *g),
                    })
                },
            )
            .collect();
        let index = match (reused_index, &index) {
            (Some(generation), _) => cache::SavedIndex::Reused(generation),
            (None, Some(encoded)) => cache::SavedIndex::Built(encoded),
            (None, None) => cache::SavedIndex::None,
        };
        cache::save(path, &saved, &gone, index);
        phase("cache saved", started);
    }
    phase("checked", started);
    let tree_wide = tree_wide_findings(&deployment, &files, &outcomes, settings);
    let cursors_note = settings
        .rules
        .contains(&Rule::MissingIterator)
        .then(|| {
            rules::iterator_without_server_side_cursor::missing_iterator_note(&python_files(
                &files, &outcomes, settings,
            ))
        })
        .flatten();
    phase("tree-wide", started);
    let mut reports = Vec::with_capacity(outcomes.len());
    let mut facts = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        reports.push(outcome.report);
        facts.push((outcome.facts, outcome.lookups));
    }
    drop_in_background(facts);
    if let Some(note) = cursors_note {
        rules::iterator_without_server_side_cursor::amend_missing_iterator_help(
            &mut reports,
            &note,
        );
    }
    merge_findings(&mut reports, tree_wide, settings);
    for (path, message) in unreadable {
        reports.push(FileReport {
            path,
            source: None,
            diagnostics: vec![tool_diagnostic(Rule::UnreadableFile, message)],
        });
    }
    for (path, message) in discovered.errors {
        reports.push(FileReport {
            path,
            source: None,
            diagnostics: vec![tool_diagnostic(Rule::UnreadableFile, message)],
        });
    }
    reports.retain(|r| !r.diagnostics.is_empty() && !context_paths.contains(&r.path));
    for report in &mut reports {
        // Findings settled after the file's own check (tree-wide rules) need its text.
        if report.source.is_none()
            && report
                .diagnostics
                .iter()
                .any(|d| d.range.end() > d.range.start())
        {
            // Decoded as the check read it (no BOM), or the fixes' offsets are 3 bytes off.
            report.source = std::fs::read(&report.path)
                .ok()
                .and_then(|bytes| parse::decode(bytes).ok());
        }
    }
    phase("sources", started);
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    for report in &mut reports {
        report
            .diagnostics
            .sort_by(|a, b| (a.start, a.rule, &a.message).cmp(&(b.start, b.rule, &b.message)));
    }
    Ok(CheckResult {
        reports,
        parsed,
        files_checked: named_files + named_configs,
        rechecked,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn phase(name: &str, started: Instant) {
    if std::env::var_os("DORMLINT_DEBUG_INDEX").is_some() {
        eprintln!("dormlint: {name}: {:?}", started.elapsed());
    }
}

/// How many rounds of re-checking the function part of the index may take. Each round
/// settles one more link of a chain of project functions returning each other's
/// querysets; real trees settle in two or three.
const MAX_SETTLE_ROUNDS: usize = 16;

/// How many more walks a file gets in its first check to learn its own functions
/// (`check_file`); what is still unsettled after them is left to the rounds.
const OWN_WALKS: usize = 3;

/// Walks made again for a file's own functions this run, for `DORMLINT_DEBUG_INDEX`.
static OWN_REWALKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Checks every file, reusing the cached outcome of unchanged ones; returns the
/// outcomes, how many files were checked again to settle, and each file's stamp.
///
/// Pass 1 reads what every changed file declares (its classes); the class part of the
/// index is then complete. Pass 2 checks the changed files, and any cached file whose
/// recorded answers the new index contradicts, against that index; what the checked
/// files say their functions return is folded into the index, and files whose answers
/// change are checked again, until no answer changes. The result is a function of the
/// tree: the same for any file order, thread count, and warm or cold.
/// Whether the outcomes `check_files` gives back hold each file's declarations.
#[derive(Clone, Copy, PartialEq)]
enum Declarations {
    /// For the editor's project, which builds its index again from them.
    Keep,
    /// For a run that ends: dropped once the index is built (encoded for the cache).
    Drop,
}

fn check_files(
    files: &[SourceFile],
    settings: &Settings,
    mut previous: cache::Cache,
    declarations_after: Declarations,
) -> Checked {
    let started = Instant::now();
    let stamps: Vec<Option<cache::Stamp>> = if settings.cache {
        files
            .par_iter()
            .map(|file| cache::stamp(&file.path))
            .collect()
    } else {
        vec![None; files.len()]
    };
    // The same files as last time, each declaring what it declared: the class index is
    // the one every cached answer was given against.
    let same_files = files.len() == previous.entries.len()
        && files.iter().all(|f| previous.entries.contains_key(&f.path));
    // Unchanged files' outcomes move out of the cache; what the index needs of them
    // stays encoded until something is known to have changed.
    let mut outcomes: Vec<Option<FileOutcome>> = files
        .iter()
        .zip(&stamps)
        .map(|(file, stamp)| {
            let entry = previous.entries.get_mut(&file.path)?;
            (Some(entry.stamp) == *stamp).then(|| FileOutcome {
                report: FileReport {
                    path: file.path.clone(),
                    source: None,
                    diagnostics: std::mem::take(&mut entry.diagnostics),
                },
                facts: FileFacts {
                    module: std::mem::take(&mut entry.module),
                    process: std::mem::take(&mut entry.process),
                    ..FileFacts::default()
                },
                lookups: Vec::new(),
                encoded: None,
            })
        })
        .collect();
    phase("cache read", started);
    // Nothing changed on disk: the cached outcomes were settled when they were saved.
    if same_files && outcomes.iter().all(Option::is_some) {
        return Checked {
            outcomes: outcomes.into_iter().flatten().collect(),
            rechecked: 0,
            parsed: 0,
            stamps,
            unchanged: true,
            gone: Vec::new(),
            index: None,
            reused_index: None,
            declared: Vec::new(),
        };
    }
    let gone: Vec<PathBuf> = {
        let now: std::collections::HashSet<&Path> =
            files.iter().map(|f| f.path.as_path()).collect();
        previous
            .entries
            .keys()
            .filter(|path| !now.contains(path.as_path()))
            .cloned()
            .collect()
    };
    // Each file's declarations as the cache holds them, while they stand for the
    // file (it was not read again): written back as they are, and decoded only if
    // the class part of the index must be built again.
    let mut declared_bytes: Vec<Option<Vec<u8>>> = vec![None; files.len()];
    // A file whose part does not decode (a damaged cache) is checked as new.
    let lost_parts = AtomicBool::new(false);
    // The saved index is decoded on one thread while the shards are read and
    // decoded on the others: each was about 25 ms of a one-file-changed run.
    let saved_index = previous.saved_index();
    let (last_index, ()) = rayon::join(
        || saved_index.and_then(|saved| saved.read()),
        || {
            previous.read_index_parts();
            for (i, (file, outcome)) in files.iter().zip(outcomes.iter_mut()).enumerate() {
                if let (Some(outcome), Some(entry)) =
                    (outcome, previous.entries.get_mut(&file.path))
                {
                    outcome.encoded = Some((std::mem::take(&mut entry.learned), entry.part));
                    declared_bytes[i] = Some(std::mem::take(&mut entry.declared));
                }
            }
            outcomes
                .par_iter_mut()
                .zip(declared_bytes.par_iter_mut())
                .for_each(|(slot, declared)| {
                    let Some(outcome) = slot.as_mut() else {
                        return;
                    };
                    let learned = outcome.encoded.as_ref().map_or(&[][..], |(b, _)| b);
                    match cache::decode_learned(learned, &mut outcome.facts) {
                        Some(lookups) => outcome.lookups = lookups,
                        None => {
                            lost_parts.store(true, Ordering::Relaxed);
                            *slot = None;
                            *declared = None;
                        }
                    }
                });
        },
    );
    phase("cache decoded", started);
    let changed: Vec<usize> = (0..files.len())
        .filter(|&i| outcomes[i].is_none())
        .collect();
    // A changed file starts from what it said last time, so that a change that leaves
    // its declarations and functions as they were changes nothing else. Each file's
    // facts live in `facts` until the index has settled, and only there: they are most
    // of a cold run's memory (call graph references above all), and a second copy in
    // the outcome doubled its peak.
    let mut modules: Vec<String> = vec![String::new(); files.len()];
    let named = discover::module_names(changed.iter().map(|&i| files[i].path.as_path()));
    for (&i, module) in changed.iter().zip(named) {
        modules[i] = module;
    }
    let mut facts: Vec<FileFacts> = outcomes
        .par_iter_mut()
        .zip(modules.par_iter_mut())
        .enumerate()
        .map(|(i, (outcome, module))| match outcome {
            Some(outcome) => std::mem::take(&mut outcome.facts),
            None => {
                let mut last_time = FileFacts {
                    module: std::mem::take(module),
                    ..FileFacts::default()
                };
                // An edited file the cache held without its part: what it declared
                // before is unknown, so nothing can be assumed to be as it was.
                if let Some(entry) = previous.entries.get(&files[i].path)
                    && !(cache::decode_declared(&entry.declared, &mut last_time)
                        && cache::decode_learned(&entry.learned, &mut last_time).is_some())
                {
                    lost_parts.store(true, Ordering::Relaxed);
                }
                last_time
            }
        })
        .collect();
    drop(previous);
    let declared: Vec<(usize, (Declared, bool))> = changed
        .par_iter()
        .map(|&i| {
            let declared = declarations(&files[i], &facts[i].module, &settings.batch_decorators);
            (i, declared)
        })
        .collect();
    // Test code that parsed cleanly in pass 1 has nothing left to report (it is not
    // walked, see `check_source`): pass 2 need not read it again.
    let mut clean_tests = vec![false; files.len()];
    // A lost part leaves nothing to compare the file's declarations with.
    let mut same_classes = same_files && !lost_parts.into_inner();
    for (i, (declared, clean)) in declared {
        clean_tests[i] = clean && files[i].is_test;
        same_classes &= !declares_otherwise(&facts[i], &declared);
        set_declared(&mut facts[i], declared);
    }
    phase("declarations", started);
    // The same declarations everywhere make the same class part of the index (the
    // call graph included): the cache's is reused, and the other files' declarations
    // are never decoded.
    let (reused_index, last_index) = match last_index.filter(|_| same_classes) {
        Some((generation, index)) => (Some(generation), Some(index)),
        None => (None, None),
    };
    if reused_index.is_some() {
        if std::env::var_os("DORMLINT_DEBUG_INDEX").is_some() {
            eprintln!("dormlint: index reused");
        }
    } else {
        // Built again: every file's declarations are needed. One that does not decode
        // is read again from its source and checked as new.
        let unreadable: Vec<usize> = facts
            .par_iter_mut()
            .zip(declared_bytes.par_iter())
            .enumerate()
            .filter_map(|(i, (facts, bytes))| {
                let bytes = bytes.as_deref()?;
                (!cache::decode_declared(bytes, facts)).then_some(i)
            })
            .collect();
        for i in unreadable {
            let (declared, clean) =
                declarations(&files[i], &facts[i].module, &settings.batch_decorators);
            clean_tests[i] = clean && files[i].is_test;
            set_declared(&mut facts[i], declared);
            outcomes[i] = None;
            declared_bytes[i] = None;
        }
        phase("declarations decoded", started);
    }
    // A run that ends needs the declarations only as bytes for the cache: encoded now,
    // and the classes handed to the index rather than copied into it.
    let owned = (declarations_after == Declarations::Drop && last_index.is_none()).then(|| {
        facts
            .par_iter_mut()
            .zip(declared_bytes.par_iter_mut())
            .map(|(facts, bytes)| {
                if settings.cache && bytes.is_none() {
                    *bytes = Some(cache::encode_declared(facts));
                }
                std::mem::take(&mut facts.classes)
            })
            .collect()
    });
    let mut index = ProjectIndex::build_reusing(facts.iter(), last_index, owned);
    phase("index", started);
    // The changed files, and any whose cached part proved unreadable.
    let todo: Vec<usize> = if same_classes {
        (0..files.len())
            .filter(|&i| outcomes[i].is_none())
            .collect()
    } else {
        (0..files.len())
            .into_par_iter()
            .filter(|&i| match &outcomes[i] {
                None => true,
                Some(outcome) => !answers_still_hold(&index, &outcome.lookups),
            })
            .collect()
    };
    // Callees' modules first, read off the call graph references before they are dropped.
    let waves = semantic::schedule::waves(&todo, &facts);
    // The index holds what it needs of every file's declarations, and the cache needs
    // them only as bytes: encoded now and dropped, they are not held through the check,
    // where the call graph's references were the largest part of a cold run's peak.
    if declarations_after == Declarations::Drop {
        let dropped: Vec<Declared> = facts
            .par_iter_mut()
            .zip(declared_bytes.par_iter_mut())
            .map(|(facts, bytes)| {
                // Encoded above unless the index was reused (then the classes are here).
                if settings.cache && bytes.is_none() {
                    *bytes = Some(cache::encode_declared(facts));
                }
                (
                    std::mem::take(&mut facts.classes),
                    std::mem::take(&mut facts.graph),
                    std::mem::take(&mut facts.memoizers),
                )
            })
            .collect();
        drop_in_background(dropped);
        phase("declarations dropped", started);
    }
    let mut parsed = vec![false; files.len()];
    let run = Run {
        files,
        settings,
        clean_tests: &clean_tests,
    };
    let rechecked = settle(
        &run,
        &mut outcomes,
        &mut facts,
        &mut index,
        waves,
        &mut parsed,
    );
    phase("settled", started);
    // Encoded now rather than kept: the index is large, and the cache needs only bytes.
    let encoded_index = (settings.cache && reused_index.is_none())
        .then(|| postcard::to_stdvec(&index).ok())
        .flatten();
    drop_in_background(index);
    for (outcome, facts) in outcomes.iter_mut().zip(facts) {
        if let Some(outcome) = outcome {
            outcome.facts = facts;
        }
    }
    Checked {
        outcomes: outcomes.into_iter().flatten().collect(),
        rechecked,
        parsed: parsed.iter().filter(|p| **p).count(),
        stamps,
        unchanged: false,
        gone,
        index: encoded_index,
        reused_index,
        declared: declared_bytes,
    }
}

/// Frees `value` on a thread of its own: every file's facts, or the index, are
/// millions of small allocations, 10 ms each to free on the bench corpus, which the
/// run need not wait for (a process that exits first frees them all at once).
fn drop_in_background<T: Send + 'static>(value: T) {
    let spawned = std::thread::Builder::new()
        .name("dormlint-drop".to_string())
        .spawn(move || drop(value));
    // Without a thread, the value was moved into the failed spawn and is freed here.
    drop(spawned);
}

/// What `check_files` gives back: each file's outcome and stamp, in file order.
struct Checked {
    outcomes: Vec<FileOutcome>,
    /// Files checked more than once while the index settled.
    rechecked: usize,
    /// Distinct files read and parsed.
    parsed: usize,
    stamps: Vec<Option<cache::Stamp>>,
    /// Every file was as the cache saw it: nothing was checked or needs saving.
    unchanged: bool,
    /// Files the cache held that this run does not check (deleted, or now excluded).
    gone: Vec<PathBuf>,
    /// The class part of the index this run built, encoded for the cache (None when
    /// reused, unchanged, or without a cache).
    index: Option<Vec<u8>>,
    /// The generation of the cache's index when this run reused it.
    reused_index: Option<u64>,
    /// Each file's declarations as the cache held them, in file order, where they
    /// still stand for the file (None: encode them from its facts).
    declared: Vec<Option<Vec<u8>>>,
}

/// What every round of `settle` checks with: the files, the settings, and which files
/// are test code that pass 1 found free of syntax errors (empty: none known).
struct Run<'a> {
    files: &'a [SourceFile],
    settings: &'a Settings,
    clean_tests: &'a [bool],
}

/// Checks the files in `waves` against `index`, wave after wave, folding what their
/// functions return into the index after each; then checks again every file whose
/// recorded answers no longer hold, until none changes. `facts[i]` must hold every
/// file's classes; `outcomes[i]` is None for a file not checked yet (it is in a wave).
/// Returns how many files were checked again.
fn settle(
    run: &Run,
    outcomes: &mut [Option<FileOutcome>],
    facts: &mut [FileFacts],
    index: &mut ProjectIndex,
    waves: Vec<Vec<usize>>,
    parsed: &mut [bool],
) -> usize {
    let debug = std::env::var_os("DORMLINT_DEBUG_INDEX").is_some();
    if debug {
        let sizes: Vec<usize> = waves.iter().map(Vec::len).collect();
        eprintln!("dormlint: first check in {} waves: {sizes:?}", waves.len());
    }
    let last = waves.len().saturating_sub(1);
    let mut learnt = false;
    for (n, wave) in waves.iter().enumerate() {
        let learnt_here = check_round(run, outcomes, facts, index, wave, parsed, true);
        learnt |= learnt_here;
        // Later waves ask about these files' functions: added as they are, and the
        // tables are built again in file order below before any answer is judged.
        if learnt_here && n < last {
            for &i in wave {
                index.add_functions(&facts[i]);
            }
        }
    }
    if debug {
        let rewalks = OWN_REWALKS.load(std::sync::atomic::Ordering::Relaxed);
        eprintln!("dormlint: walked again for their own functions: {rewalks}");
    }
    let mut todo = if learnt {
        rebuild_functions(index, facts, debug);
        changed_answers(run.files, outcomes, index)
    } else {
        Vec::new()
    };
    let mut rechecked = 0;
    for round in 1..MAX_SETTLE_ROUNDS {
        if todo.is_empty() {
            return rechecked;
        }
        rechecked += todo.len();
        if debug {
            eprintln!("dormlint: settling round {round}: {} files", todo.len());
        }
        if !check_round(run, outcomes, facts, index, &todo, parsed, false) {
            return rechecked;
        }
        rebuild_functions(index, facts, debug);
        todo = changed_answers(run.files, outcomes, index);
    }
    if !todo.is_empty() {
        eprintln!(
            "dormlint: {} files did not settle after {MAX_SETTLE_ROUNDS} rounds; please report this bug",
            todo.len()
        );
    }
    rechecked
}

/// Checks `todo` against `index` on the thread pool and keeps each outcome; returns
/// whether some checked file now says otherwise about its functions or stored values
/// (only then can what the index learns from functions change). `first`: a wave of
/// the first check, where a file whose facts hold no functions has none in `index`.
fn check_round(
    run: &Run,
    outcomes: &mut [Option<FileOutcome>],
    facts: &mut [FileFacts],
    index: &ProjectIndex,
    todo: &[usize],
    parsed: &mut [bool],
    first: bool,
) -> bool {
    let checked: Vec<(usize, FileOutcome)> = todo
        .par_iter()
        .map(|&i| {
            let outcome = if run.clean_tests.get(i) == Some(&true) {
                clean_test(&run.files[i], &facts[i].module)
            } else {
                // A changed file starts from what it said last time, which the index
                // holds: its own functions are already answered, if not as they are now.
                let own_unknown =
                    first && facts[i].functions.is_empty() && facts[i].stores.is_empty();
                check_file(
                    &run.files[i],
                    index,
                    run.settings,
                    &facts[i].module,
                    own_unknown,
                )
            };
            (i, outcome)
        })
        .collect();
    let mut learnt = false;
    for (i, mut outcome) in checked {
        learnt |= facts[i].functions != outcome.facts.functions
            || facts[i].stores != outcome.facts.stores;
        // Pass 1's declarations move over rather than being copied into each
        // outcome: with every file's outcome held at once, a copy doubled the call
        // graph references in memory.
        let declared = std::mem::take(&mut facts[i]);
        outcome.facts.classes = declared.classes;
        outcome.facts.graph = declared.graph;
        outcome.facts.memoizers = declared.memoizers;
        facts[i] = std::mem::take(&mut outcome.facts);
        outcomes[i] = Some(outcome);
        parsed[i] = true;
    }
    learnt
}

fn rebuild_functions(index: &mut ProjectIndex, facts: &[FileFacts], debug: bool) {
    let rebuilding = Instant::now();
    index.set_functions(facts.iter());
    if debug {
        eprintln!(
            "dormlint: function tables rebuilt in {:?}",
            rebuilding.elapsed()
        );
    }
}

/// The checked files whose recorded answers about functions `index` now contradicts.
/// Every file was checked against these classes: only what functions return can have
/// changed since.
fn changed_answers(
    files: &[SourceFile],
    outcomes: &[Option<FileOutcome>],
    index: &ProjectIndex,
) -> Vec<usize> {
    (0..files.len())
        .into_par_iter()
        .filter(|&i| {
            outcomes[i].as_ref().is_some_and(|outcome| {
                let stale =
                    !answers_hold_where(index, None, &outcome.lookups, Lookup::about_functions);
                if stale && std::env::var_os("DORMLINT_DEBUG_STALE").is_some() {
                    eprintln!("stale answers in {}", files[i].path.display());
                }
                stale
            })
        })
        .collect()
}

/// What pass 1 reads off a file: its classes, its call graph references and its
/// memoising decorators.
type Declared = (
    Vec<ClassFact>,
    semantic::callgraph::GraphFacts,
    Vec<semantic::memoizers::MemoizerFact>,
);

/// Whether pass 1 read something other than `facts` hold: the class part of the index
/// built from them no longer stands.
fn declares_otherwise(facts: &FileFacts, (classes, graph, memoizers): &Declared) -> bool {
    classes_differ(classes, &facts.classes)
        || graph_differs(graph, &facts.graph)
        || *memoizers != facts.memoizers
}

/// Whether two call graphs of one file differ for the index. Whether a module function
/// may return a queryset orders the check (`schedule::waves`) and is read nowhere else:
/// an edit that changes only that (`return qs` to `return [qs]`) keeps the index.
fn graph_differs(
    new: &semantic::callgraph::GraphFacts,
    old: &semantic::callgraph::GraphFacts,
) -> bool {
    // Spelt out field by field, so that a field added to either struct is compared here.
    let semantic::callgraph::GraphFacts {
        one_shot_module,
        functions,
        references,
        delete_receivers,
    } = new;
    *one_shot_module != old.one_shot_module
        || *references != old.references
        || *delete_receivers != old.delete_receivers
        || functions.len() != old.functions.len()
        || functions.iter().zip(&old.functions).any(|(a, b)| {
            let semantic::callgraph::GraphFunction {
                qualname,
                class,
                parent,
                task,
                parameters,
                returns,
            } = a;
            *qualname != b.qualname
                || *class != b.class
                || *parent != b.parent
                || *task != b.task
                || *parameters != b.parameters
                || (class.is_some() && *returns != b.returns)
        })
}

/// Puts what pass 1 read off a file into its facts.
fn set_declared(facts: &mut FileFacts, (classes, graph, memoizers): Declared) {
    facts.classes = classes;
    facts.graph = graph;
    facts.memoizers = memoizers;
}

/// Pass 1: the classes a file declares and what its functions refer to, and whether it
/// parsed without a syntax error. A file that cannot be read or decoded declares
/// nothing; pass 2 reports why.
fn declarations(file: &SourceFile, module: &str, batch_decorators: &[String]) -> (Declared, bool) {
    let Ok(bytes) = std::fs::read(&file.path) else {
        return (Declared::default(), false);
    };
    let Ok(text) = parse::decode(bytes) else {
        return (Declared::default(), false);
    };
    let mut clean = false;
    let declared = panic::catch_unwind(AssertUnwindSafe(|| {
        let parsed = parse::parse_module(&text);
        clean = parsed.errors.is_empty();
        // Test code is not part of the program the index describes: its models' relation
        // names, its signal receivers and its calls would answer for production code.
        if file.is_test {
            let graph =
                semantic::callgraph::graph_facts(&parsed.body, module, true, batch_decorators);
            return (
                Vec::new(),
                semantic::callgraph::test_references(graph, module),
                Vec::new(),
            );
        }
        let classes = semantic::facts::declarations(&parsed.body, module);
        let one_shot =
            semantic::callgraph::one_shot_module(&file.path, module, file.is_test, &parsed.body);
        let graph =
            semantic::callgraph::graph_facts(&parsed.body, module, one_shot, batch_decorators);
        let memoizers = semantic::memoizers::memoizers(&parsed.body);
        (classes, graph, memoizers)
    }))
    .unwrap_or_default();
    (declared, clean)
}

/// Reads the deployment files (they are few and small) before the Python pass: the
/// worker count they give goes into DJM404's messages.
fn read_deployment(
    configs: &[PathBuf],
    settings: &Settings,
) -> (process::Deployment, Vec<(PathBuf, String)>) {
    let mut read = Vec::new();
    let mut unreadable = Vec::new();
    for path in configs {
        let Some(kind) = process::files::config_kind(path) else {
            continue;
        };
        let text = match std::fs::read(path) {
            Ok(bytes) => match parse::decode(bytes) {
                Ok(text) => text,
                // Any YAML or `.env` file is a candidate: one that is not text is not one.
                Err(_)
                    if matches!(
                        kind,
                        process::files::ConfigKind::Ini
                            | process::files::ConfigKind::Kubernetes
                            | process::files::ConfigKind::EnvFile
                    ) =>
                {
                    continue;
                }
                Err(Unreadable(message)) => {
                    // A gunicorn module is also checked as Python, which reports it.
                    if kind != process::files::ConfigKind::GunicornConf {
                        unreadable.push((path.clone(), message));
                    }
                    continue;
                }
            },
            Err(error) => {
                if kind != process::files::ConfigKind::GunicornConf {
                    let message = format!(
                        "cannot read the file: {}",
                        discover::describe_io_error(&error)
                    );
                    unreadable.push((path.clone(), message));
                }
                continue;
            }
        };
        let mut file = process::files::read_config(kind, &text);
        let below = discover::below_repository(settings, path);
        file.place = if kind == process::files::ConfigKind::Kubernetes && in_helm_chart(path) {
            process::files::place_in_chart(&below)
        } else {
            process::files::place(&below)
        };
        read.push((path.clone(), file));
    }
    (process::Deployment::new(read), unreadable)
}

/// A Helm chart's template: under a `templates/` directory beside `Chart.yaml`.
fn in_helm_chart(path: &Path) -> bool {
    path.ancestors()
        .skip(1)
        .find(|dir| dir.file_name().is_some_and(|name| name == "templates"))
        .and_then(Path::parent)
        .is_some_and(|chart| chart.join("Chart.yaml").is_file())
}

/// DJM501 and DJM503-DJM505, from the deployment files and the Python files' facts.
fn tree_wide_findings(
    deployment: &process::Deployment,
    files: &[SourceFile],
    outcomes: &[FileOutcome],
    settings: &Settings,
) -> Vec<(PathBuf, Located)> {
    let python = python_files(files, outcomes, settings);
    process::evaluate(deployment, &python, &settings.rules_anywhere())
}

/// The checked Python files (tests aside) with the facts the tree-wide rules read.
fn python_files<'a>(
    files: &'a [SourceFile],
    outcomes: &'a [FileOutcome],
    settings: &Settings,
) -> Vec<process::PythonFile<'a>> {
    files
        .iter()
        .zip(outcomes)
        .filter(|(file, _)| !file.is_test)
        .map(|(file, outcome)| process::PythonFile {
            path: &file.path,
            module: &outcome.facts.module,
            facts: &outcome.facts.process,
            // Asked only of the few files that set DEBUG: it looks for the project's
            // markers above the file.
            illustration: outcome.facts.process.debug.is_some()
                && process::files::place(&discover::below_project(settings, &file.path))
                    == process::files::Place::Development,
        })
        .collect()
}

/// Adds tree-wide findings to their files' reports, minus what `noqa` silences.
fn merge_findings(
    reports: &mut Vec<FileReport>,
    findings: Vec<(PathBuf, Located)>,
    settings: &Settings,
) {
    let mut texts: std::collections::HashMap<PathBuf, Option<String>> =
        std::collections::HashMap::new();
    for (path, finding) in findings {
        let file_settings = settings.for_file(&path);
        if !file_settings.rules.contains(&finding.rule)
            || file_settings
                .per_file_ignores()
                .ignored(&path)
                .contains(&finding.rule)
        {
            continue;
        }
        let text = texts.entry(path.clone()).or_insert_with(|| {
            std::fs::read(&path)
                .ok()
                .and_then(|b| parse::decode(b).ok())
        });
        if let Some(text) = text.as_deref() {
            let lines = LineIndex::new(text);
            let file_level = noqa::file_suppressions(text);
            if noqa::is_suppressed(
                text,
                &lines,
                &file_level,
                finding.rule,
                finding.start.row - 1,
            ) {
                continue;
            }
        }
        match reports.iter_mut().find(|r| r.path == path) {
            Some(report) => report.diagnostics.push(finding),
            None => reports.push(FileReport {
                source: text.clone(),
                path,
                diagnostics: vec![finding],
            }),
        }
    }
}

fn tool_diagnostic(rule: Rule, message: String) -> Located {
    Located {
        rule,
        message,
        help: None,
        range: TextRange::default(),
        start: source::Position { row: 1, column: 1 },
        end: source::Position { row: 1, column: 1 },
        fix: None,
        secondary: Vec::new(),
    }
}

/// The outcome of checking test code that parsed without a syntax error: nothing to
/// report, nothing learnt (`check_source` does not walk test code).
fn clean_test(file: &SourceFile, module: &str) -> FileOutcome {
    FileOutcome {
        report: FileReport {
            path: file.path.clone(),
            source: None,
            diagnostics: Vec::new(),
        },
        facts: FileFacts {
            module: module.to_string(),
            ..FileFacts::default()
        },
        lookups: Vec::new(),
        encoded: None,
    }
}

/// Reads and checks one file as the module `module`; whatever happens, the outcome
/// says so. The outcome's facts leave out pass 1's declarations, which the caller holds.
///
/// `first`: the index holds none of the file's own functions yet, so a call of one
/// declared further down the file is answered only once a walk has learnt it: the file
/// is walked again with them (`OWN_WALKS` times at most) rather than waiting for a
/// settling round, where 48 of the 58 files the bench corpus checked again were waiting
/// for nothing else. Each walk parses the text again (held in memory, not re-read):
/// 49 files of the bench corpus, which a settling round re-read and parsed before.
fn check_file(
    file: &SourceFile,
    index: &ProjectIndex,
    settings: &Settings,
    module: &str,
    first: bool,
) -> FileOutcome {
    let path = file.path.as_path();
    let module = module.to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let message = format!(
                "cannot read the file: {}",
                discover::describe_io_error(&error)
            );
            return failed(path, module, tool_diagnostic(Rule::UnreadableFile, message));
        }
    };
    let (text, transcoded) = match parse::decode_source(bytes) {
        Ok(decoded) => (decoded.text, decoded.transcoded),
        Err(Unreadable(message)) => {
            return failed(path, module, tool_diagnostic(Rule::UnreadableFile, message));
        }
    };
    let settings = settings.for_file(path);
    let checked = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut checked = check_source(&text, path, file.is_test, &module, index, &settings, None);
        let walks = if first { OWN_WALKS } else { 0 };
        for _ in 0..walks {
            let (_, facts, lookups) = &checked;
            if facts.functions.is_empty() && facts.stores.is_empty() {
                break;
            }
            let own = semantic::index::own_functions(facts);
            if answers_hold_where(index, Some(&own), lookups, Lookup::about_functions) {
                break;
            }
            OWN_REWALKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let again = check_source(
                &text,
                path,
                file.is_test,
                &module,
                index,
                &settings,
                Some(&own),
            );
            let settled = again.1.functions == facts.functions && again.1.stores == facts.stores;
            checked = again;
            if settled {
                break;
            }
        }
        checked
    }));
    let checked = checked.map(|(mut diagnostics, facts, lookups)| {
        if transcoded {
            // Fixed text would be written back as UTF-8 over the declared encoding.
            for diagnostic in &mut diagnostics {
                diagnostic.fix = None;
            }
        }
        (diagnostics, facts, lookups)
    });
    match checked {
        Ok((diagnostics, facts, lookups)) => {
            let keep_source = !diagnostics.is_empty();
            FileOutcome {
                report: FileReport {
                    path: path.to_path_buf(),
                    source: keep_source.then_some(text),
                    diagnostics,
                },
                facts,
                lookups,
                encoded: None,
            }
        }
        Err(payload) => {
            let reason = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let message = format!(
                "dormlint failed on this file ({reason}); the other files were checked. Please report this bug"
            );
            failed(path, module, tool_diagnostic(Rule::InternalError, message))
        }
    }
}

fn failed(path: &Path, module: String, diagnostic: Located) -> FileOutcome {
    FileOutcome {
        report: FileReport {
            path: path.to_path_buf(),
            source: None,
            diagnostics: vec![diagnostic],
        },
        facts: FileFacts {
            module,
            ..FileFacts::default()
        },
        lookups: Vec::new(),
        encoded: None,
    }
}

/// Parses and checks one source text against `index`: the findings left after
/// suppression comments, the facts the file contributes, and the index questions it asked.
fn check_source(
    text: &str,
    path: &Path,
    is_test: bool,
    module: &str,
    index: &ProjectIndex,
    settings: &Settings,
    own: Option<&ProjectIndex>,
) -> (Vec<Located>, FileFacts, Vec<(Lookup, u32)>) {
    if cfg!(debug_assertions)
        && std::env::var_os("DORMLINT_TEST_PANIC_ON")
            .is_some_and(|name| path.file_name() == Some(name.as_os_str()))
    {
        panic!("DORMLINT_TEST_PANIC_ON asked for a panic");
    }
    let lines = LineIndex::new(text);
    let view = IndexView::new(index, module.to_string()).with_own(own);
    let test_settings;
    let settings = if is_test {
        test_settings = settings.for_test_code();
        &test_settings
    } else {
        settings
    };
    // DJM404's per-host estimate uses the workers of the deployment that runs this file.
    let workers = settings.deployment_workers.for_path(path);
    let deployed_settings;
    let settings = if workers == settings.workers {
        settings
    } else {
        deployed_settings = Settings {
            workers,
            ..settings.clone()
        };
        &deployed_settings
    };
    let module_ast = parse::parse_module(text);
    let parsed = module_ast.errors.is_empty();
    // Test code reports only what stops a file being read (`Settings::for_test_code`),
    // and what its functions return or store must not decide the answers the code it
    // tests gets (a test's `QuerySet` subclass with a `search()` method would answer for
    // every `.search()` of the project): it is parsed for syntax errors, not walked
    // (nor read in pass 1, `declarations`). Half the bench corpus's lines are tests.
    let (mut diagnostics, view, mut process) = if is_test {
        (Vec::new(), view, process::PythonFacts::default())
    } else {
        checker::Checker::new(text, &lines, settings, view).check_module(&module_ast.body)
    };
    if !parsed {
        diagnostics = recovered_findings(&module_ast, diagnostics);
        // Settings read off a broken file could be misread: the tree-wide rules skip it.
        process = process::PythonFacts::default();
        diagnostics.extend(
            module_ast.errors.iter().map(|error| {
                Diagnostic::new(Rule::SyntaxError, error.message.clone(), error.range)
            }),
        );
    }
    drop(module_ast);
    let file_level = noqa::file_suppressions(text);
    let ignored = settings.per_file_ignores().ignored(path);
    let mut diagnostics: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| settings.rules.contains(&d.rule) && !ignored.contains(&d.rule))
        .collect();
    // A file that does not parse was not checked: its directives silenced nothing only
    // because nothing ran, and removing them would lose the user's text.
    if parsed && settings.rules.contains(&Rule::UnusedNoqa) && !ignored.contains(&Rule::UnusedNoqa)
    {
        let unused = noqa::unused(text, &lines, &diagnostics, settings);
        diagnostics.extend(unused);
    }
    let mut kept: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| {
            let line = lines.line_of(d.range.start());
            !noqa::is_suppressed(text, &lines, &file_level, d.rule, line)
        })
        .collect();
    rules::count_for_existence::leave_counts_run_per_row_to_query_in_loop(&mut kept);
    let located = kept
        .into_iter()
        .map(|d| report::locate(text, &lines, d))
        .collect();
    let (mut facts, lookups) = view.into_facts();
    facts.process = process;
    (located, facts, lookups)
}

/// What may still be reported in a file the parser had to recover: findings inside a
/// top-level function or class that holds no syntax error, without their fixes. Their
/// scope was read whole, so "evaluated later" and the other scope-wide judgements are
/// sound there; anything at module level may depend on the broken part and is dropped.
/// This keeps an editor's findings in the valid parts of a half-typed buffer.
fn recovered_findings(module: &parse::ParsedModule, found: Vec<Diagnostic>) -> Vec<Diagnostic> {
    use ruff_python_ast::Stmt;
    let clean: Vec<TextRange> = module
        .body
        .iter()
        .filter(|stmt| matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)))
        .map(ruff_text_size::Ranged::range)
        .filter(|range| {
            !module.errors.iter().any(|error| {
                range.intersect(error.range).is_some() || range.contains_range(error.range)
            })
        })
        .collect();
    found
        .into_iter()
        .filter(|d| clean.iter().any(|range| range.contains_range(d.range)))
        .map(|mut d| {
            d.fix = None;
            d
        })
        .collect()
}

/// `dormlint clean`: removes the cache directory these settings use. Returns it, or None
/// when there was none.
pub fn clean_cache(settings: &Settings) -> std::io::Result<Option<PathBuf>> {
    cache::clean(settings)
}

/// Applies the safe fixes of `findings` to `text`: the new text and how many fixes.
/// A leading BOM stays and is not counted: findings' offsets start after it.
pub fn apply_fixes(text: &str, findings: &[Located]) -> (String, usize) {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => {
            let (fixed, count) = fix::apply_fixes(rest, findings);
            (format!("\u{feff}{fixed}"), count)
        }
        None => fix::apply_fixes(text, findings),
    }
}

/// Adds `# noqa: CODE` to the rows of `findings`: the new text and how many rows.
pub fn add_noqa(text: &str, findings: &[Located]) -> (String, usize) {
    fix::add_noqa(text, findings)
}

/// A checked tree kept in memory for editors: the project index built once from every
/// file, against which single buffers are checked as they change.
pub struct Project {
    index: ProjectIndex,
    settings: Settings,
    root: PathBuf,
    files: Vec<SourceFile>,
    /// Each file's facts and recorded answers, by position in `files`.
    outcomes: Vec<Option<FileOutcome>>,
    facts: Vec<FileFacts>,
}

impl Project {
    /// Indexes every Python file under `root` (the two passes `check` makes).
    pub fn load(root: &Path, settings: &Settings) -> Result<Project, DiscoverError> {
        let discovered = discover::discover(&[root.to_path_buf()], settings)?;
        let (deployment, _) = read_deployment(&discovered.configs, settings);
        let mut settings = settings.clone();
        let files = discovered.files;
        let python: Vec<&Path> = files.iter().map(|f| f.path.as_path()).collect();
        settings.deployment_workers = deployment.workers(&python);
        settings.cache = false;
        let outcomes = check_files(
            &files,
            &settings,
            cache::Cache::default(),
            Declarations::Keep,
        )
        .outcomes;
        let facts: Vec<FileFacts> = outcomes.iter().map(|o| o.facts.clone()).collect();
        let index = ProjectIndex::build(facts.iter());
        let outcomes = outcomes
            .into_iter()
            .map(|mut outcome| {
                // Only the facts and answers are kept: buffers are checked afresh.
                outcome.report.diagnostics = Vec::new();
                outcome.report.source = None;
                Some(outcome)
            })
            .collect();
        Ok(Project {
            index,
            settings,
            root: root.to_path_buf(),
            files,
            outcomes,
            facts,
        })
    }

    /// A project with no other files (a buffer checked on its own).
    pub fn empty(settings: &Settings) -> Project {
        Project {
            index: ProjectIndex::default(),
            settings: settings.clone(),
            root: PathBuf::new(),
            files: Vec::new(),
            outcomes: Vec::new(),
            facts: Vec::new(),
        }
    }

    /// The file at `path` was saved: its declarations are read again, and it and every
    /// file whose recorded answers change are checked again, as `check` settles a
    /// changed tree; nothing else is re-read. Returns how many files were checked.
    pub fn saved(&mut self, path: &Path) -> usize {
        if !discover::is_python(path) {
            return 0;
        }
        let i = match self.files.iter().position(|f| f.path == path) {
            Some(i) => i,
            None if path.starts_with(&self.root) && path.is_file() => {
                self.files.push(SourceFile {
                    path: path.to_path_buf(),
                    is_test: discover::is_test_file(path.strip_prefix(&self.root).unwrap_or(path)),
                });
                self.outcomes.push(None);
                self.facts.push(FileFacts {
                    module: discover::module_name(path),
                    ..FileFacts::default()
                });
                self.files.len() - 1
            }
            None => return 0,
        };
        let (declared, _) = declarations(
            &self.files[i],
            &self.facts[i].module,
            &self.settings.batch_decorators,
        );
        let mut todo = vec![i];
        // Only new declarations can change other files' answers before the saved file
        // is checked again; its functions are settled below like any other.
        if declares_otherwise(&self.facts[i], &declared) {
            set_declared(&mut self.facts[i], declared);
            self.index = ProjectIndex::build(self.facts.iter());
            let index = &self.index;
            todo.extend(
                (0..self.files.len())
                    .into_par_iter()
                    .filter(|&j| {
                        j != i
                            && self.outcomes[j]
                                .as_ref()
                                .is_some_and(|o| !answers_still_hold(index, &o.lookups))
                    })
                    .collect::<Vec<usize>>(),
            );
        }
        let checked = todo.len();
        let run = Run {
            files: &self.files,
            settings: &self.settings,
            clean_tests: &[],
        };
        let rechecked = settle(
            &run,
            &mut self.outcomes,
            &mut self.facts,
            &mut self.index,
            vec![todo],
            &mut vec![false; self.files.len()],
        );
        checked + rechecked
    }

    /// The index to check a buffer against: the project's, unless the buffer declares
    /// other classes than its file on disk (a model being edited), in which case an index
    /// with the buffer's declarations in place of the file's.
    fn index_for_buffer(&self, path: &Path, module: &str, text: &str) -> Option<ProjectIndex> {
        let parsed = parse::parse_module(text);
        let classes = semantic::facts::declarations(&parsed.body, module);
        drop(parsed);
        let position = self.files.iter().position(|f| f.path == path);
        let on_disk: &[ClassFact] = position.map_or(&[], |i| &self.facts[i].classes);
        if !classes_differ(&classes, on_disk) {
            return None;
        }
        let mut facts = self.facts.clone();
        match position {
            Some(i) => facts[i].classes = classes,
            None => facts.push(FileFacts {
                module: module.to_string(),
                classes,
                ..FileFacts::default()
            }),
        }
        Some(ProjectIndex::build(facts.iter()))
    }

    /// Checks the text of one buffer as if it were saved at `path`: findings after
    /// suppression comments, with their safe fixes. Tree-wide rules (DJM501, DJM503-505)
    /// need the whole tree and are left to `check`.
    pub fn check_buffer(&self, path: &Path, text: &str) -> Vec<Located> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let module = discover::module_name(path);
        // Test code is judged below the project root, as `check` does.
        let is_test = discover::is_test_file(path.strip_prefix(&self.root).unwrap_or(path));
        let settings = self.settings.for_file(path);
        let checked = panic::catch_unwind(AssertUnwindSafe(|| {
            let own = self.index_for_buffer(path, &module, text);
            let index = own.as_ref().unwrap_or(&self.index);
            check_source(text, path, is_test, &module, index, &settings, None).0
        }));
        let mut findings = checked.unwrap_or_else(|_| {
            vec![tool_diagnostic(
                Rule::InternalError,
                "dormlint failed on this buffer; please report this bug".to_string(),
            )]
        });
        findings.sort_by(|a, b| (a.start, a.rule, &a.message).cmp(&(b.start, b.rule, &b.message)));
        findings
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

/// Whether two declaration lists say different things to the index.
fn classes_differ(a: &[ClassFact], b: &[ClassFact]) -> bool {
    // Every field: each one answers some question (keys, relations, capacities).
    a != b
}

/// The fuzz target's entry: any bytes, checked with every rule, as one file, then
/// fixed, given `noqa` directives and printed with its snippets, as `check` does after
/// its per-file panic guard. Unlike `check_paths` it does not catch panics, so the
/// fuzzer sees them. Returns the number of findings.
pub fn check_bytes(bytes: &[u8]) -> usize {
    let Ok(text) = parse::decode(bytes.to_vec()) else {
        return 0;
    };
    let settings = Settings {
        rules: registry::RULES.iter().map(|info| info.rule).collect(),
        ..Settings::default()
    };
    let path = Path::new("example.py");
    let index = ProjectIndex::default();
    let (located, _, _) = check_source(&text, path, false, "example", &index, &settings, None);
    let count = located.len();
    apply_fixes(&text, &located);
    add_noqa(&text, &located);
    let reports = [FileReport {
        path: path.to_path_buf(),
        source: Some(text),
        diagnostics: located,
    }];
    let summary = report::Summary {
        files_checked: 1,
        seconds: 0.0,
    };
    // Only the text format reads the source (its snippets); the others print positions.
    report::write(
        &mut std::io::sink(),
        report::OutputFormat::Text,
        &reports,
        &summary,
        report::ColorChoice::Always,
        false,
    )
    .expect("writing to a sink cannot fail");
    count
}

/// Checks a single source text as if it were the only file (rule documents' examples).
pub fn check_text(text: &str, settings: &Settings) -> Vec<(Rule, usize)> {
    // The text's own declarations (models, receivers) make its index, as in a project
    // of one file.
    let parsed = parse::parse_module(text);
    let facts = FileFacts {
        module: "example".to_string(),
        classes: semantic::facts::declarations(&parsed.body, "example"),
        graph: semantic::callgraph::graph_facts(
            &parsed.body,
            "example",
            false,
            &settings.batch_decorators,
        ),
        ..FileFacts::default()
    };
    let index = ProjectIndex::build([&facts]);
    let (located, _, _) = check_source(
        text,
        Path::new("example.py"),
        false,
        "example",
        &index,
        settings,
        None,
    );
    located.iter().map(|d| (d.rule, d.start.row)).collect()
}
