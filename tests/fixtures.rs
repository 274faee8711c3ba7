//! Every fixture folder, checked the way a user would: the diagnostics must sit exactly
//! on the rows the fixtures mark with `# expect: CODE`, and their full text (code, row,
//! column, message, and each secondary label's row, column and text) is pinned by a
//! snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dormlint::registry::Rule;
use dormlint::settings::Settings;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// (file below the root, row, code) for every `# expect:` marker, and with `preview`
/// for every `# preview:` marker too (a finding only preview mode reports).
fn markers(root: &Path, only: Option<&str>, preview: bool) -> BTreeSet<(String, usize, String)> {
    let mut expected = BTreeSet::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "py") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let file = relative(root, entry.path());
        for (i, line) in text.lines().enumerate() {
            let kinds: &[&str] = if preview {
                &["# expect:", "# preview:"]
            } else {
                &["# expect:"]
            };
            for kind in kinds {
                let Some(at) = line.find(kind) else {
                    continue;
                };
                let codes = line[at + kind.len()..].split('#').next().unwrap();
                for code in codes.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    if only.is_none_or(|only| only == code) {
                        expected.insert((file.clone(), i + 1, code.to_string()));
                    }
                }
            }
        }
    }
    expected
}

/// 1-based row and column (in characters) of a byte offset.
fn row_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let row = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (row, before[line_start..].chars().count() + 1)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Checks `root` with `select` (all rules when None) and returns the concise lines
/// (each followed by its help, fix title and secondary labels) with paths relative to
/// `root`, and the (file, row, code) set.
fn check(
    root: &Path,
    select: Option<&str>,
    preview: bool,
) -> (String, BTreeSet<(String, usize, String)>) {
    let mut settings = Settings::default();
    settings.preview = preview;
    let select_code: Vec<String> = select.iter().map(|code| code.to_string()).collect();
    settings.select_rules(&select_code, &[], &[]).unwrap();
    let result = dormlint::check_paths(&[root.to_path_buf()], &settings).unwrap();
    let mut lines = String::new();
    let mut found = BTreeSet::new();
    for report in &result.reports {
        let file = relative(root, &report.path);
        for d in &report.diagnostics {
            lines.push_str(&format!(
                "{file}:{}:{}: {} {}\n",
                d.start.row,
                d.start.column,
                d.rule.code(),
                d.message
            ));
            // What users read beside the message: the advice and the fix's title.
            if let Some(help) = &d.help {
                lines.push_str(&format!("    help: {help}\n"));
            }
            if let Some(fix) = &d.fix {
                lines.push_str(&format!("    fix: {}\n", fix.message));
            }
            // Secondary labels ("added to here", "the loop") are part of the contract.
            for (range, label) in &d.secondary {
                let source = report
                    .source
                    .as_deref()
                    .expect("a report with findings has its text");
                let (row, column) = row_column(source, usize::from(range.start()));
                lines.push_str(&format!("    {row}:{column}: {label}\n"));
            }
            if select.is_none_or(|code| code == d.rule.code()) {
                found.insert((file.clone(), d.start.row, d.rule.code().to_string()));
            }
        }
    }
    (lines, found)
}

/// Checks the folder twice: without preview the findings must be the `# expect:`
/// markers; with `--preview` the `# expect:` and `# preview:` markers. Returns the
/// default run's lines, then the lines only the preview run adds.
fn assert_matches_markers(folder: &str, select: Option<&str>) -> String {
    let root = fixtures().join(folder);
    let mut all = String::new();
    for preview in [false, true] {
        let expected = markers(&root, select, preview);
        // A preview rule reports nothing by default: its markers are all `# preview:`.
        let preview_rule = select
            .and_then(Rule::from_code_or_name)
            .is_some_and(Rule::is_preview);
        assert!(
            !expected.is_empty() || (preview_rule && !preview),
            "{folder} marks no expected diagnostic"
        );
        let (lines, found) = check(&root, select, preview);
        let missing: Vec<_> = expected.difference(&found).collect();
        let unexpected: Vec<_> = found.difference(&expected).collect();
        assert!(
            missing.is_empty() && unexpected.is_empty(),
            "{folder} (preview: {preview}): missing {missing:#?}\nunexpected {unexpected:#?}\nall findings:\n{lines}"
        );
        if !preview {
            all = lines;
        } else if lines != all {
            let default: BTreeSet<&str> = all.lines().collect();
            let added: Vec<&str> = lines.lines().filter(|l| !default.contains(l)).collect();
            all = format!("{all}## with --preview, also:\n{}\n", added.join("\n"));
        }
    }
    all
}

macro_rules! rule_fixture {
    ($test:ident, $code:literal) => {
        #[test]
        fn $test() {
            let lines = assert_matches_markers($code, Some($code));
            insta::assert_snapshot!($code, lines);
        }
    };
}

rule_fixture!(queryset_truthiness_djm101, "DJM101");
rule_fixture!(queryset_len_djm102, "DJM102");
rule_fixture!(queryset_membership_djm103, "DJM103");
rule_fixture!(count_for_existence_djm104, "DJM104");
rule_fixture!(import_time_queryset_djm105, "DJM105");
rule_fixture!(evaluate_then_slice_djm106, "DJM106");
rule_fixture!(aggregate_in_python_djm107, "DJM107");
rule_fixture!(missing_iterator_djm201, "DJM201");
rule_fixture!(nested_queryset_loop_djm202, "DJM202");
rule_fixture!(query_in_loop_djm203, "DJM203");
rule_fixture!(iterator_prefetch_without_chunk_size_djm204, "DJM204");
rule_fixture!(instance_keyed_container_djm301, "DJM301");
rule_fixture!(pickled_queryset_djm302, "DJM302");

rule_fixture!(foreign_key_per_row_djm205, "DJM205");
rule_fixture!(unbounded_cascade_delete_djm206, "DJM206");

/// At import time DJM105 reports the evaluation alone: DJM102, DJM106 and DJM107 stay
/// silent on the rows it reports when it is on, and report them when it is off.
#[test]
fn import_time_evaluations_are_reported_once() {
    let root = fixtures().join("DJM105");
    let others = ["DJM102", "DJM106", "DJM107"];
    let rows_of = |select: &[&str]| {
        let mut settings = Settings::default();
        settings.preview = true;
        let select: Vec<String> = select.iter().map(|code| code.to_string()).collect();
        settings.select_rules(&select, &[], &[]).unwrap();
        let result = dormlint::check_paths(std::slice::from_ref(&root), &settings).unwrap();
        let mut rows = BTreeSet::new();
        for report in &result.reports {
            for d in &report.diagnostics {
                rows.insert((relative(&root, &report.path), d.start.row, d.rule.code()));
            }
        }
        rows
    };
    let with_djm105 = rows_of(&["DJM105", "DJM102", "DJM106", "DJM107"]);
    let import_time: BTreeSet<_> = with_djm105
        .iter()
        .filter(|(_, _, code)| *code == "DJM105")
        .map(|(file, row, _)| (file.clone(), *row))
        .collect();
    let doubled: Vec<_> = with_djm105
        .iter()
        .filter(|(file, row, code)| {
            *code != "DJM105" && import_time.contains(&(file.clone(), *row))
        })
        .collect();
    assert!(doubled.is_empty(), "{doubled:#?}");
    // The positive control: without DJM105 each of the others reports an import-time row.
    let without = rows_of(&others);
    for code in others {
        assert!(
            without
                .iter()
                .any(|(file, row, found)| *found == code
                    && import_time.contains(&(file.clone(), *row))),
            "{code} reports no import-time row without DJM105: {without:#?}"
        );
    }
    // DJM105 takes only the import-time rows: the others keep their rows in functions
    // (library/at_run_time.py), one each at least.
    let at_run_time = |rows: &BTreeSet<(String, usize, &'static str)>| -> BTreeSet<_> {
        rows.iter()
            .filter(|(file, row, _)| !import_time.contains(&(file.clone(), *row)))
            .cloned()
            .collect()
    };
    assert_eq!(at_run_time(&with_djm105), at_run_time(&without));
    for code in others {
        assert!(
            at_run_time(&without)
                .iter()
                .any(|(_, _, found)| *found == code),
            "{code} reports no row in a function: {without:#?}"
        );
    }
}

/// Where the settings turn server-side cursors off, DJM201's advice (`.iterator()`)
/// says that it does not stream there, and where to page instead.
#[test]
fn missing_iterator_help_says_when_cursors_are_off() {
    let (off, _) = check(
        &fixtures().join("DJM208/cursors_off"),
        Some("DJM201"),
        false,
    );
    let helps: Vec<&str> = off.lines().filter(|l| l.starts_with("    help:")).collect();
    assert!(
        !helps.is_empty(),
        "the positive control: DJM201 reports a loop\n{off}"
    );
    for help in helps {
        assert!(
            help.ends_with("; but `settings` (line 8) sets `DISABLE_SERVER_SIDE_CURSORS`, so `.iterator()` still receives every row into the driver's memory: page by primary key instead (`dormlint explain DJM208`)"),
            "{help}"
        );
    }
    let (on, _) = check(&fixtures().join("DJM201"), Some("DJM201"), false);
    assert!(
        on.contains("DJM201") && !on.contains("DISABLE_SERVER_SIDE_CURSORS"),
        "{on}"
    );
}

/// DJM203 and DJM205 never report the same access: a related row read inside a query
/// DJM203 reports per row is part of that finding.
#[test]
fn query_in_loop_and_foreign_key_per_row_never_share_a_row() {
    let root = fixtures().join("DJM205");
    let mut settings = Settings::default();
    settings.preview = true;
    let select = vec!["DJM203".to_string(), "DJM205".to_string()];
    settings.select_rules(&select, &[], &[]).unwrap();
    let result = dormlint::check_paths(&[root], &settings).unwrap();
    let mut rows = BTreeSet::new();
    let mut djm203 = 0;
    for report in &result.reports {
        // Where DJM203's findings point: each query, and the further queries it names.
        let queries: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.rule.code() == "DJM203")
            .flat_map(|d| {
                std::iter::once(d.range).chain(
                    d.secondary
                        .iter()
                        .filter(|(_, label)| label != "the loop")
                        .map(|(range, _)| *range),
                )
            })
            .collect();
        for d in &report.diagnostics {
            djm203 += usize::from(d.rule.code() == "DJM203");
            assert!(
                rows.insert((report.path.clone(), d.start.row)),
                "two findings on {}:{}",
                report.path.display(),
                d.start.row
            );
            assert!(
                d.rule.code() == "DJM203" || !queries.iter().any(|q| q.contains_range(d.range)),
                "{}:{}: a related row read inside a query DJM203 reports",
                report.path.display(),
                d.start.row
            );
        }
    }
    assert!(djm203 > 0, "the positive control: DJM203 reports the query");
}

/// A `.count()` compared to zero that runs once per row of a loop is DJM203's finding
/// alone when both rules are on; with DJM104 alone it is DJM104's.
#[test]
fn a_count_run_per_row_is_the_loops_finding() {
    let root = fixtures().join("DJM104");
    let findings = |codes: &[&str]| -> Vec<(String, usize)> {
        let mut settings = Settings::default();
        let select: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
        settings.select_rules(&select, &[], &[]).unwrap();
        let result = dormlint::check_paths(std::slice::from_ref(&root), &settings).unwrap();
        let mut found = Vec::new();
        for report in &result.reports {
            if report.path.ends_with("library/cases.py") {
                for d in &report.diagnostics {
                    found.push((d.rule.code().to_string(), d.start.row));
                }
            }
        }
        found.sort();
        found
    };
    let source = std::fs::read_to_string(root.join("library/cases.py")).unwrap();
    let row = source
        .lines()
        .position(|line| line.contains("Review.objects.filter(book__author=author).count()"))
        .unwrap()
        + 1;
    let alone = findings(&["DJM104"]);
    assert!(alone.contains(&("DJM104".to_string(), row)), "{alone:?}");
    let both = findings(&["DJM104", "DJM203"]);
    assert!(both.contains(&("DJM203".to_string(), row)), "{both:?}");
    assert!(!both.contains(&("DJM104".to_string(), row)), "{both:?}");
    // Every other DJM104 finding of the folder stays.
    let others = |found: &[(String, usize)]| {
        found
            .iter()
            .filter(|(code, r)| code == "DJM104" && *r != row)
            .count()
    };
    assert_eq!(others(&both), others(&alone));
    assert!(others(&alone) > 0);
}

macro_rules! story {
    ($test:ident, $folder:literal, $name:literal) => {
        #[test]
        fn $test() {
            let lines = assert_matches_markers($folder, None);
            insta::assert_snapshot!($name, lines);
        }
    };
}

story!(
    story_nightly_job,
    "stories/nightly_job",
    "story_nightly_job"
);
story!(
    story_students_view,
    "stories/students_view",
    "story_students_view"
);
story!(story_len_and_in, "stories/len_and_in", "story_len_and_in");

/// The nightly job: the naive, batched and iterator steps still keep M×N instances;
/// keying by primary keys is what fixed it, and the output must say so.
#[test]
fn story_nightly_job_shows_which_steps_still_leak() {
    let (lines, _) = check(&fixtures().join("stories/nightly_job"), None, false);
    let source = std::fs::read_to_string(fixtures().join("stories/nightly_job/tasks.py")).unwrap();
    let function_of_row = |row: usize| {
        source
            .lines()
            .take(row)
            .filter(|l| l.starts_with("def "))
            .last()
            .unwrap()
            .to_string()
    };
    let mut leaking = BTreeSet::new();
    for line in lines.lines().filter(|l| l.contains("DJM301")) {
        let row: usize = line.split(':').nth(1).unwrap().parse().unwrap();
        leaking.insert(function_of_row(row));
    }
    let names: Vec<&str> = leaking
        .iter()
        .map(|d| d.split('(').next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["def step1_naive", "def step2_batched", "def step3_iterator"]
    );
}

/// DJM001 sits where CPython reports the error, and the valid file beside it is
/// still checked.
#[test]
fn syntax_error_fixture_points_where_cpython_does() {
    let root = fixtures().join("DJM001");
    let expected = std::fs::read_to_string(root.join("expected.txt")).unwrap();
    let (lines, found) = check(&root, Some("DJM101"), false);
    let syntax = lines.lines().find(|l| l.contains("DJM001")).unwrap();
    assert_eq!(
        syntax.split(": ").next().unwrap(),
        format!("broken.py:{}", expected.trim())
    );
    assert!(
        found
            .iter()
            .any(|(file, _, code)| file == "fine.py" && code == "DJM101")
    );
}

/// A rule not selected reports nothing, even on a folder full of its cases: every
/// finding counts here, not only the selected code's.
#[test]
fn unselected_rules_stay_silent() {
    let root = fixtures().join("DJM201");
    let (all_lines, _) = check(&root, Some("DJM101"), false);
    assert!(!all_lines.contains("DJM201"), "{all_lines}");
    // The positive control: selected, the same folder reports DJM201.
    let (_, found) = check(&root, Some("DJM201"), false);
    assert!(found.len() >= 10, "{found:?}");
    let settings = Settings::default();
    assert!(settings.rules.contains(&Rule::MissingIterator));
}

/// (file, row, code) from a root's `expected.txt` (families 4 and 5: deployment files
/// cannot carry trailing markers).
fn expected_file(root: &Path, only: Option<&str>) -> BTreeSet<(String, usize, String)> {
    let text = std::fs::read_to_string(root.join("expected.txt"))
        .unwrap_or_else(|_| panic!("{} has no expected.txt", root.display()));
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (location, code) = line.rsplit_once(' ').expect("`path:ROW CODE`");
            let (file, row) = location.rsplit_once(':').expect("`path:ROW`");
            (
                file.to_string(),
                row.parse().expect("a row number"),
                code.to_string(),
            )
        })
        .filter(|(_, _, code)| only.is_none_or(|only| only == code))
        .collect()
}

/// Checks one root against its expected.txt (and its Python markers, which must agree).
fn assert_matches_expected_file(root: &Path, select: Option<&str>) -> String {
    let expected = expected_file(root, select);
    let python_markers = markers(root, select, false);
    let python_expected: BTreeSet<_> = expected
        .iter()
        .filter(|(file, _, _)| file.ends_with(".py"))
        .cloned()
        .collect();
    assert_eq!(
        python_markers,
        python_expected,
        "{}: markers and expected.txt disagree",
        root.display()
    );
    // A preview rule's fixture is checked with preview on, as its users would run it.
    let preview = select
        .and_then(Rule::from_code_or_name)
        .is_some_and(|rule| rule.is_preview());
    let (lines, found) = check(root, select, preview);
    let missing: Vec<_> = expected.difference(&found).collect();
    let unexpected: Vec<_> = found.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{}: missing {missing:#?}\nunexpected {unexpected:#?}\nall findings:\n{lines}",
        root.display()
    );
    lines
}

macro_rules! expected_file_fixture {
    ($test:ident, $code:literal) => {
        #[test]
        fn $test() {
            let lines = assert_matches_expected_file(&fixtures().join($code), Some($code));
            insta::assert_snapshot!($code, lines);
        }
    };
}

expected_file_fixture!(unbounded_cache_djm401, "DJM401");
expected_file_fixture!(method_cache_djm402, "DJM402");
expected_file_fixture!(growing_global_container_djm403, "DJM403");
expected_file_fixture!(oversized_cache_djm404, "DJM404");
expected_file_fixture!(tracemalloc_left_on_djm502, "DJM502");
expected_file_fixture!(accumulated_file_read_djm506, "DJM506");

/// Tree-wide rules: each scenario directory is a root of its own.
macro_rules! scenario_fixture {
    ($test:ident, $code:literal) => {
        #[test]
        fn $test() {
            let folder = fixtures().join($code);
            let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&folder)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.is_dir())
                .collect();
            scenarios.sort();
            assert!(!scenarios.is_empty());
            let mut all = String::new();
            for scenario in &scenarios {
                let lines = assert_matches_expected_file(scenario, Some($code));
                all.push_str(&format!("## {}\n{lines}", relative(&folder, scenario)));
            }
            insta::assert_snapshot!($code, all);
        }
    };
}

scenario_fixture!(debug_in_production_djm501, "DJM501");
scenario_fixture!(gunicorn_without_max_requests_djm503, "DJM503");
scenario_fixture!(celery_without_child_recycling_djm504, "DJM504");
scenario_fixture!(uwsgi_without_max_requests_djm505, "DJM505");
scenario_fixture!(iterator_without_server_side_cursor_djm208, "DJM208");
scenario_fixture!(unpaginated_list_view_djm209, "DJM209");

macro_rules! expected_file_story {
    ($test:ident, $folder:literal, $name:literal) => {
        #[test]
        fn $test() {
            let lines = assert_matches_expected_file(&fixtures().join($folder), None);
            insta::assert_snapshot!($name, lines);
        }
    };
}

expected_file_story!(story_two_caches, "stories/two_caches", "story_two_caches");

/// issue 9: DJM404's per-host figure comes from the deployment that runs the cache's
/// module. Checked together with the recycling story next door (gunicorn `--workers 4`,
/// uWSGI `processes = 8`), the two caches still count the four workers of their own
/// uwsgi.ini.
#[test]
fn issue_9_two_caches_count_the_workers_of_their_own_deployment() {
    let (lines, _) = check(&fixtures().join("stories"), None, false);
    let caches: Vec<&str> = lines.lines().filter(|l| l.contains("DJM404")).collect();
    assert_eq!(caches.len(), 2, "{lines}");
    assert!(
        caches.iter().all(|l| l.ends_with("for 4 uWSGI workers")),
        "{lines}"
    );
}
/// One worker: the per-worker figure is the per-host figure, and no total is added.
#[test]
fn oversized_cache_with_one_worker_gives_no_total() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("storefront");
    std::fs::create_dir(&app).unwrap();
    let deployed = fixtures().join("DJM404/deployed/storefront");
    for file in ["__init__.py", "caches.py", "wsgi.py"] {
        std::fs::copy(deployed.join(file), app.join(file)).unwrap();
    }
    std::fs::write(
        dir.path().join("Procfile"),
        "web: gunicorn storefront.wsgi:application --workers 1\n",
    )
    .unwrap();
    let (lines, _) = check(dir.path(), Some("DJM404"), false);
    // Both caches of the file; views.py, which stores into them, is not copied.
    let finding = |row: u32| {
        format!(
            "storefront/caches.py:{row}:1: DJM404 a cache of 500 000 entries at about 420 bytes each in CPython: ≈ 200 MiB per worker process\n    help: lower the bound to what one worker can afford, or move the cache out of the process (Redis, memcached) where every worker shares one copy\n"
        )
    };
    assert_eq!(lines, format!("{}{}", finding(5), finding(6)));
}

expected_file_story!(
    story_worker_recycling,
    "stories/worker_recycling",
    "story_worker_recycling"
);
