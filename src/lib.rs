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
mod discover;
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
use std::time::Instant;

use rayon::prelude::*;
use ruff_text_size::TextRange;

pub use diagnostic::Diagnostic;
pub use discover::{DiscoverError, SourceFile};
use parse::Unreadable;
use registry::Rule;
use report::{FileReport, Located};
use semantic::index::{FileFacts, IndexView, Lookup, ProjectIndex, answers_still_hold};
use settings::Settings;
use source::LineIndex;

/// How many times files whose index answers changed are checked again. One round
/// settles nearly everything; a chain of functions returning querysets through each
/// other across files may need another.
const MAX_RECHECK_ROUNDS: usize = 3;

/// Worker threads get a large stack: parsing is iterative and the walk depth-limited,
/// but generated code can still nest deeply in places we recurse (names, bases).
const WORKER_STACK_BYTES: usize = 256 << 20;

pub struct CheckResult {
    pub reports: Vec<FileReport>,
    pub files_checked: usize,
    /// Files checked a second time because the index they saw was incomplete.
    pub rechecked: usize,
    pub seconds: f64,
}

struct FileOutcome {
    report: FileReport,
    facts: FileFacts,
    lookups: Vec<(Lookup, u32)>,
}

/// Checks every Python file under `paths`.
pub fn check_paths(paths: &[PathBuf], settings: &Settings) -> Result<CheckResult, DiscoverError> {
    let started = Instant::now();
    let discovered = discover::discover(paths, settings)?;
    phase("discovered", started);
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK_BYTES);
    if let Some(threads) = settings.threads {
        pool = pool.num_threads(threads);
    }
    let pool = pool
        .build()
        .map_err(|e| DiscoverError(format!("cannot start worker threads: {e}")))?;
    let files = discovered.files;
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
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let (deployment, unreadable) = read_deployment(&discovered.configs);
    let mut settings = settings.clone();
    settings.workers = deployment.workers();
    let settings = &settings;
    let cache_path = settings.cache.then(|| cache::location(settings));
    let previous = cache_path.as_deref().map(cache::load).unwrap_or_default();
    let (outcomes, rechecked, stamps) = pool.install(|| check_files(&files, settings, &previous));
    // Anything changed on disk (a file added, removed or edited) changes the cache.
    let checked_any = outcomes.len() != previous.entries.len()
        || files
            .iter()
            .zip(&stamps)
            .any(|(file, stamp)| previous.entries.get(&file.path).map(|e| e.stamp) != *stamp);
    drop(previous);
    // Saved only when something was checked: a run that changed nothing leaves it.
    if let Some(path) = cache_path.as_ref().filter(|_| checked_any) {
        let entries: Vec<(&Path, cache::EntryRef)> = files
            .iter()
            .zip(&outcomes)
            .zip(&stamps)
            .filter_map(|((file, outcome), stamp)| {
                let entry = cache::EntryRef {
                    stamp: (*stamp)?,
                    diagnostics: &outcome.report.diagnostics,
                    facts: &outcome.facts,
                    lookups: &outcome.lookups,
                };
                Some((file.path.as_path(), entry))
            })
            .collect();
        cache::save(path, &entries);
        phase("cache saved", started);
    }
    phase("checked", started);
    let tree_wide = tree_wide_findings(&deployment, &files, &outcomes, settings);
    phase("tree-wide", started);
    let mut reports: Vec<FileReport> = outcomes.into_iter().map(|o| o.report).collect();
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
    reports.retain(|r| !r.diagnostics.is_empty());
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
        files_checked: files.len()
            + discovered
                .configs
                .iter()
                .filter(|c| !discover::is_python(c))
                .count(),
        rechecked,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Files that usually declare what others ask about go first, so that fewer files see
/// an incomplete index and need a second check.
fn declares_models(path: &Path) -> bool {
    let in_models_package = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|name| name == "models");
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    in_models_package
        || ["model", "manager", "queryset", "query"]
            .iter()
            .any(|k| stem.contains(k))
}

fn phase(name: &str, started: Instant) {
    if std::env::var_os("DORMLINT_DEBUG_INDEX").is_some() {
        eprintln!("dormlint: {name}: {:?}", started.elapsed());
    }
}

/// Checks every file, reusing the cached outcome of unchanged ones; returns the
/// outcomes, how many files were checked again to settle, and each file's stamp.
fn check_files(
    files: &[SourceFile],
    settings: &Settings,
    previous: &cache::Cache,
) -> (Vec<FileOutcome>, usize, Vec<Option<cache::Stamp>>) {
    let started = Instant::now();
    let stamps: Vec<Option<cache::Stamp>> = if settings.cache {
        files
            .par_iter()
            .map(|file| cache::stamp(&file.path))
            .collect()
    } else {
        vec![None; files.len()]
    };
    let mut outcomes: Vec<Option<FileOutcome>> = (0..files.len())
        .map(|i| {
            let entry = previous.entries.get(&files[i].path)?;
            (Some(entry.stamp) == stamps[i]).then(|| FileOutcome {
                report: FileReport {
                    path: files[i].path.clone(),
                    source: None,
                    diagnostics: entry.diagnostics.clone(),
                },
                facts: entry.facts.clone(),
                lookups: entry.lookups.clone(),
            })
        })
        .collect();
    phase("cache read", started);
    // Nothing changed on disk: the cached outcomes were settled when they were saved.
    let unchanged = previous.entries.len() == files.len() && outcomes.iter().all(Option::is_some);
    if unchanged {
        return (outcomes.into_iter().flatten().collect(), 0, stamps);
    }
    let (first, second): (Vec<usize>, Vec<usize>) = (0..files.len())
        .filter(|&i| outcomes[i].is_none())
        .partition(|&i| declares_models(&files[i].path));
    // Files the cache answers for already give the first wave their facts.
    let empty = ProjectIndex::build(outcomes.iter().flatten().map(|o| &o.facts));
    let checked: Vec<(usize, FileOutcome)> = first
        .par_iter()
        .map(|&i| (i, check_file(&files[i], &empty, settings)))
        .collect();
    for (i, outcome) in checked {
        outcomes[i] = Some(outcome);
    }
    phase("first wave", started);
    // The settling below builds the index anyway when there is no second wave.
    let index = if second.is_empty() {
        ProjectIndex::default()
    } else {
        ProjectIndex::build(outcomes.iter().flatten().map(|o| &o.facts))
    };
    phase("first index", started);
    let checked: Vec<(usize, FileOutcome)> = second
        .par_iter()
        .map(|&i| (i, check_file(&files[i], &index, settings)))
        .collect();
    for (i, outcome) in checked {
        outcomes[i] = Some(outcome);
    }
    let mut outcomes: Vec<FileOutcome> = outcomes.into_iter().flatten().collect();
    phase("second wave", started);
    let mut rechecked = 0;
    let mut previous_stale: Vec<usize> = Vec::new();
    for _ in 0..MAX_RECHECK_ROUNDS {
        let index = ProjectIndex::build(outcomes.iter().map(|o| &o.facts));
        let stale: Vec<usize> = (0..outcomes.len())
            .into_par_iter()
            .filter(|&i| !answers_still_hold(&index, &outcomes[i].facts, &outcomes[i].lookups))
            .collect();
        // The same files stale again after their re-check: another round cannot help.
        if stale.is_empty() || stale == previous_stale {
            break;
        }
        previous_stale = stale.clone();
        rechecked += stale.len();
        phase(&format!("{} stale", stale.len()), started);
        let redone: Vec<(usize, FileOutcome)> = stale
            .par_iter()
            .map(|&i| (i, check_file(&files[i], &index, settings)))
            .collect();
        for (i, outcome) in redone {
            outcomes[i] = outcome;
        }
    }
    phase("settled", started);
    (outcomes, rechecked, stamps)
}

/// Reads the deployment files (they are few and small) before the Python pass: the
/// worker count they give goes into DJM404's messages.
fn read_deployment(configs: &[PathBuf]) -> (process::Deployment, Vec<(PathBuf, String)>) {
    let mut deployment = process::Deployment::default();
    let mut unreadable = Vec::new();
    for path in configs {
        let Some(kind) = process::files::config_kind(path) else {
            continue;
        };
        let text = match std::fs::read(path) {
            Ok(bytes) => match parse::decode(bytes) {
                Ok(text) => text,
                Err(_) if kind == process::files::ConfigKind::Ini => continue,
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
        deployment
            .files
            .push((path.clone(), process::files::read_config(kind, &text)));
    }
    (deployment, unreadable)
}

/// DJM501 and DJM503-DJM505, from the deployment files and the Python files' facts.
fn tree_wide_findings(
    deployment: &process::Deployment,
    files: &[SourceFile],
    outcomes: &[FileOutcome],
    settings: &Settings,
) -> Vec<(PathBuf, Located)> {
    let python: Vec<process::PythonFile> = files
        .iter()
        .zip(outcomes)
        .filter(|(file, _)| !file.is_test)
        .map(|(file, outcome)| process::PythonFile {
            path: &file.path,
            module: &outcome.facts.module,
            facts: &outcome.facts.process,
        })
        .collect();
    process::evaluate(deployment, &python, &settings.rules)
}

/// Adds tree-wide findings to their files' reports, minus what `noqa` silences.
fn merge_findings(
    reports: &mut Vec<FileReport>,
    findings: Vec<(PathBuf, Located)>,
    settings: &Settings,
) {
    let per_file = settings.per_file_ignores();
    let mut texts: std::collections::HashMap<PathBuf, Option<String>> =
        std::collections::HashMap::new();
    for (path, finding) in findings {
        if per_file.ignored(&path).contains(&finding.rule) {
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

/// Reads and checks one file; whatever happens, the outcome says so.
fn check_file(file: &SourceFile, index: &ProjectIndex, settings: &Settings) -> FileOutcome {
    let path = file.path.as_path();
    let module = discover::module_name(path);
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
    let text = match parse::decode(bytes) {
        Ok(text) => text,
        Err(Unreadable(message)) => {
            return failed(path, module, tool_diagnostic(Rule::UnreadableFile, message));
        }
    };
    let checked = panic::catch_unwind(AssertUnwindSafe(|| {
        check_source(&text, path, file.is_test, &module, index, settings)
    }));
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
) -> (Vec<Located>, FileFacts, Vec<(Lookup, u32)>) {
    if cfg!(debug_assertions)
        && std::env::var_os("DORMLINT_TEST_PANIC_ON")
            .is_some_and(|name| path.file_name() == Some(name.as_os_str()))
    {
        panic!("DORMLINT_TEST_PANIC_ON asked for a panic");
    }
    let lines = LineIndex::new(text);
    let view = IndexView::new(index, module.to_string());
    let test_settings;
    let settings = if is_test {
        test_settings = settings.for_test_code();
        &test_settings
    } else {
        settings
    };
    let module_ast = parse::parse_module(text);
    let parsed = module_ast.errors.is_empty();
    let checker = checker::Checker::new(text, &lines, settings, view);
    let (mut diagnostics, view, mut process) = checker.check_module(&module_ast.body);
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
        let unused = unused_noqa(text, &lines, &diagnostics, settings);
        diagnostics.extend(unused);
    }
    let located = diagnostics
        .into_iter()
        .filter(|d| {
            let line = lines.line_of(d.range.start());
            !noqa::is_suppressed(text, &lines, &file_level, d.rule, line)
        })
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
}

impl Project {
    /// Indexes every Python file under `root` (one pass over the tree, as `check` does).
    pub fn load(root: &Path, settings: &Settings) -> Result<Project, DiscoverError> {
        let discovered = discover::discover(&[root.to_path_buf()], settings)?;
        let (deployment, _) = read_deployment(&discovered.configs);
        let mut settings = settings.clone();
        settings.workers = deployment.workers();
        let (outcomes, _, _) = check_files(&discovered.files, &settings, &cache::Cache::default());
        let index = ProjectIndex::build(outcomes.iter().map(|o| &o.facts));
        Ok(Project {
            index,
            settings,
            root: root.to_path_buf(),
        })
    }

    /// A project with no other files (a buffer checked on its own).
    pub fn empty(settings: &Settings) -> Project {
        Project {
            index: ProjectIndex::default(),
            settings: settings.clone(),
            root: PathBuf::new(),
        }
    }

    /// Checks the text of one buffer as if it were saved at `path`: findings after
    /// suppression comments, with their safe fixes. Tree-wide rules (DJM501, DJM503-505)
    /// need the whole tree and are left to `check`.
    pub fn check_buffer(&self, path: &Path, text: &str) -> Vec<Located> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let module = discover::module_name(path);
        // Test code is judged below the project root, as `check` does.
        let is_test = discover::is_test_file(path.strip_prefix(&self.root).unwrap_or(path));
        let checked = panic::catch_unwind(AssertUnwindSafe(|| {
            check_source(text, path, is_test, &module, &self.index, &self.settings).0
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

/// DJM003: codes in `# noqa: ...` directives that silence nothing on their row. Only
/// codes of rules that ran are judged: other tools' codes are theirs.
fn unused_noqa(
    text: &str,
    lines: &LineIndex,
    found: &[Diagnostic],
    settings: &Settings,
) -> Vec<Diagnostic> {
    if !text.contains("noqa") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive(['\n', '\r']) {
        let start = offset;
        offset += line.len();
        let Some((span, noqa::Suppression::Codes(codes))) = noqa::directive(line) else {
            continue;
        };
        let row = lines.line_of(ruff_text_size::TextSize::from(start as u32));
        let used = |code: &str| {
            found.iter().any(|d| {
                d.rule.code().eq_ignore_ascii_case(code) && lines.line_of(d.range.start()) == row
            })
        };
        let unused: Vec<&String> = codes
            .iter()
            .filter(|code| code.to_ascii_uppercase().starts_with("DJM"))
            .filter(|code| match Rule::from_code_or_name(code) {
                // Tree-wide rules are settled after this file's pass: not judged here.
                Some(rule) => settings.rules.contains(&rule) && !rule.is_tree_wide() && !used(code),
                None => true,
            })
            .collect();
        if unused.is_empty() {
            continue;
        }
        let kept: Vec<&String> = codes.iter().filter(|c| !unused.contains(c)).collect();
        let range = ruff_text_size::TextRange::new(
            ((start + span.start) as u32).into(),
            ((start + span.end) as u32).into(),
        );
        let listed = unused
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let (replacement, removal) = if kept.is_empty() {
            // Remove the directive and the blanks before it.
            let before = line[..span.start].trim_end().len();
            let range =
                ruff_text_size::TextRange::new(((start + before) as u32).into(), range.end());
            (String::new(), range)
        } else {
            let kept = kept
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            (format!("# noqa: {kept}"), range)
        };
        out.push(
            Diagnostic::new(
                Rule::UnusedNoqa,
                format!("this `noqa` silences nothing: no {listed} finding starts on this row"),
                range,
            )
            .with_help("remove the unused codes")
            .with_fix(diagnostic::Fix::replacement(
                "Remove the unused codes",
                removal,
                replacement,
            )),
        );
    }
    out
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
    let (located, _, _) = check_source(&text, path, false, "example", &index, &settings);
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
    let index = ProjectIndex::default();
    let (located, _, _) = check_source(
        text,
        Path::new("example.py"),
        false,
        "example",
        &index,
        settings,
    );
    located.iter().map(|d| (d.rule, d.start.row)).collect()
}
