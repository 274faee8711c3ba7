//! What a ruff user expects when adopting dormlint (issue 12): configuration per file,
//! excludes, the flags they type, the wheel and hook, and CI's closing tally. Each test
//! runs the real binary on a temporary tree.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{BAD_VIEW, dormlint, dormlint_stdin, findings, stderr, stdout, write};

fn json(args: &[&str], cwd: &Path) -> Vec<(String, u64, String)> {
    let mut all = args.to_vec();
    all.extend(["--output-format", "json", "--no-cache"]);
    findings(&dormlint(&all, cwd))
}

fn row(file: &str, line: u64, code: &str) -> (String, u64, String) {
    (file.to_string(), line, code.to_string())
}

/// Two services, each with its own configuration, in one repository.
fn monorepo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "svc_a/dormlint.toml", "select = [\"DJM101\"]\n");
    write(dir.path(), "svc_a/x.py", BAD_VIEW);
    write(
        dir.path(),
        "svc_b/pyproject.toml",
        "[tool.dormlint]\nselect = [\"DJM102\"]\n",
    );
    write(dir.path(), "svc_b/y.py", BAD_VIEW);
    dir
}

#[test]
fn each_file_is_checked_with_the_nearest_configuration_whatever_the_order() {
    let dir = monorepo();
    let root = dir.path();
    let expected = [row("x.py", 6, "DJM101"), row("y.py", 8, "DJM102")];
    assert_eq!(json(&["check", "svc_a/x.py", "svc_b/y.py"], root), expected);
    assert_eq!(json(&["check", "svc_b/y.py", "svc_a/x.py"], root), expected);
    // from the monorepo root, and from inside one service
    assert_eq!(json(&["check", "."], root), expected);
    // (paths sort as given: `../svc_b/y.py` before `x.py`)
    let mut from_a = json(&["check", ".", "../svc_b"], &root.join("svc_a"));
    from_a.sort();
    assert_eq!(from_a, expected);
    // a file with no configuration above it gets the working directory's, as in ruff
    write(root, "other/z.py", BAD_VIEW);
    assert_eq!(
        json(&["check", "../other/z.py"], &root.join("svc_b")),
        [row("z.py", 8, "DJM102")]
    );
    std::fs::remove_dir_all(root.join("other")).unwrap();
    // one run over both services, every file counted once
    let text = dormlint(&["check", ".", "--no-cache"], root);
    assert!(
        stdout(&text).contains("in 2 files; 2 files checked"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn extend_inherits_the_parents_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "pyproject.toml",
        "[tool.dormlint]\nignore = [\"DJM102\"]\n\n[tool.dormlint.per-file-ignores]\n\"svc/legacy/*\" = [\"DJM101\"]\n",
    );
    write(
        root,
        "svc/dormlint.toml",
        "extend = \"../pyproject.toml\"\nextend-exclude = [\"generated/\"]\n",
    );
    write(root, "svc/app/views.py", BAD_VIEW);
    write(root, "svc/legacy/views.py", BAD_VIEW);
    write(root, "svc/generated/views.py", BAD_VIEW);
    let expected = [row("views.py", 6, "DJM101")];
    assert_eq!(json(&["check", "."], &root.join("svc")), expected);
    assert_eq!(json(&["check", "svc"], root), expected);
    // the child's own `select` starts the selection over
    write(
        root,
        "svc/dormlint.toml",
        "extend = \"../pyproject.toml\"\nselect = [\"DJM102\"]\n",
    );
    assert_eq!(
        json(&["check", "svc/app"], root),
        [row("views.py", 8, "DJM102")]
    );
    // a loop is an error naming the file
    write(root, "svc/dormlint.toml", "extend = \"dormlint.toml\"\n");
    let looped = dormlint(&["check", "svc"], root);
    assert_eq!(looped.status.code(), Some(2));
    assert!(
        stderr(&looped).contains("`extend` loops back to"),
        "{}",
        stderr(&looped)
    );
}

#[test]
fn config_key_value_overrides_and_isolated_ignores_files() {
    let dir = monorepo();
    let root = dir.path();
    assert_eq!(
        json(&["check", ".", "--config", "select = [\"DJM102\"]"], root),
        [row("x.py", 8, "DJM102"), row("y.py", 8, "DJM102")]
    );
    assert_eq!(
        json(&["check", ".", "--isolated"], root),
        [
            row("x.py", 6, "DJM101"),
            row("x.py", 8, "DJM102"),
            row("y.py", 6, "DJM101"),
            row("y.py", 8, "DJM102")
        ]
    );
    // --config FILE applies that file to every file
    write(root, "strict.toml", "select = [\"DJM101\"]\n");
    assert_eq!(
        json(&["check", ".", "--config", "strict.toml"], root),
        [row("x.py", 6, "DJM101"), row("y.py", 6, "DJM101")]
    );
    let typo = dormlint(&["check", ".", "--config", "selct = []"], root);
    assert_eq!(typo.status.code(), Some(2));
    assert_eq!(
        stderr(&typo),
        "dormlint: --config: unknown key `selct` (did you mean `select`?)\n"
    );
    let missing = dormlint(&["check", ".", "--config", "nowhere.toml"], root);
    assert_eq!(
        stderr(&missing),
        "dormlint: --config `nowhere.toml`: no such file, and not a `KEY = VALUE` override\n"
    );
}

/// A tree with an excluded directory, an excluded name pattern and test code.
fn excludes_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "dormlint.toml",
        "extend-exclude = [\"legacy/\", \"gen_*.py\"]\n",
    );
    for file in [
        "app/views.py",
        "app/legacy/views.py",
        "legacy/views.py",
        "keep/legacy.py",
        "gen_models.py",
        "app/tests/helpers.py",
    ] {
        write(root, file, BAD_VIEW);
    }
    dir
}

#[test]
fn extend_exclude_matches_directories_like_gitignore() {
    let dir = excludes_tree();
    let root = dir.path();
    let files = dormlint(&["check", "--show-files"], root);
    assert_eq!(
        stdout(&files),
        "app/tests/helpers.py\napp/views.py\nkeep/legacy.py\n"
    );
    // named on the command line, an excluded file is checked; with --force-exclude not
    let named = json(&["check", "legacy/views.py"], root);
    assert_eq!(named.len(), 2);
    let forced = dormlint(
        &["check", "--force-exclude", "legacy/views.py", "--no-cache"],
        root,
    );
    assert_eq!(forced.status.code(), Some(0));
    assert!(
        stdout(&forced).contains("0 files checked"),
        "{}",
        stdout(&forced)
    );
    let forced_dir = json(
        &["check", "--force-exclude", "app/legacy", "gen_models.py"],
        root,
    );
    assert_eq!(forced_dir, []);
    // standard input named as an excluded path passes through untouched
    let piped = dormlint_stdin(
        &[
            "check",
            "--force-exclude",
            "--stdin-filename",
            "legacy/views.py",
            "--fix",
        ],
        root,
        BAD_VIEW,
    );
    assert_eq!(stdout(&piped), BAD_VIEW);
    // `force-exclude = true` in the configuration, as ruff reads it; the command line's
    // `--no-force-exclude` wins over it
    write(
        root,
        "dormlint.toml",
        "extend-exclude = [\"legacy/\", \"gen_*.py\"]\nforce-exclude = true\n",
    );
    assert_eq!(json(&["check", "legacy/views.py"], root), []);
    let unforced = json(&["check", "--no-force-exclude", "legacy/views.py"], root);
    assert_eq!(unforced.len(), 2);
}

#[test]
fn test_code_is_judged_by_its_path_in_the_project_not_on_the_command_line() {
    let dir = excludes_tree();
    let root = dir.path();
    let all = json(&["check", "app"], root);
    assert!(all.iter().all(|(f, _, _)| f == "views.py"), "{all:?}");
    assert_eq!(all.len(), 2, "only app/views.py: {all:?}");
    for (args, cwd) in [
        (vec!["check", "app/tests"], root.to_path_buf()),
        (vec!["check", "app/tests/helpers.py"], root.to_path_buf()),
        (vec!["check", "."], root.join("app/tests")),
        (vec!["check", "helpers.py"], root.join("app/tests")),
    ] {
        assert_eq!(json(&args, &cwd), [], "{args:?} from {}", cwd.display());
    }
}

/// A test suite's own project (`pkg/test/manage.py` beside the package's `setup.py`) is
/// test code of the package, however it is named on the command line from above it;
/// a project the working directory is inside is judged below its own root.
#[test]
fn a_project_inside_a_test_suite_is_test_code() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "pkg/setup.py", "");
    write(root, "pkg/test/manage.py", "");
    let tracing = "import tracemalloc\n\ntracemalloc.start()\n";
    write(root, "pkg/test/benchmark.py", tracing);
    write(root, "pkg/app/profile.py", tracing);
    let expected = vec![row("profile.py", 3, "DJM502")];
    assert_eq!(json(&["check", "."], root), expected);
    assert_eq!(json(&["check", "pkg"], root), expected);
    assert_eq!(json(&["check", "pkg/test"], root), []);
    // From inside the inner project, it is the project checked: not test code.
    let inside = json(&["check", "."], &root.join("pkg/test"));
    assert_eq!(inside, vec![row("benchmark.py", 3, "DJM502")]);
    // A project of its own (here a `pyproject.toml`) kept under a `tests/` directory of
    // a repository around it (a home directory's `.git`) is not that repository's tests.
    write(root, "pyproject.toml", "");
    write(root, "tests/shop/pyproject.toml", "");
    write(root, "tests/shop/app/profile.py", tracing);
    assert_eq!(
        json(&["check", "tests/shop"], root),
        vec![row("profile.py", 3, "DJM502")]
    );
}

/// A count run once per row is DJM203's finding alone, until the DJM203 is silenced
/// (`noqa`, `per-file-ignores`): then the DJM104 stands again.
#[test]
fn a_silenced_query_in_loop_leaves_its_count_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "pyproject.toml", "");
    write(root, "shop/__init__.py", "");
    write(
        root,
        "shop/models.py",
        "from django.db import models\n\n\nclass Author(models.Model):\n    name = models.CharField(max_length=9)\n\n\nclass Review(models.Model):\n    author = models.ForeignKey(Author, on_delete=models.CASCADE)\n    stars = models.IntegerField()\n",
    );
    let view = |directive: &str| {
        format!(
            "from .models import Author, Review\n\n\ndef report():\n    for author in Author.objects.all():\n        if Review.objects.filter(stars=author.pk).count() == 0:{directive}\n            print(author)\n"
        )
    };
    write(root, "shop/views.py", view(""));
    assert_eq!(
        json(&["check", "."], root),
        vec![row("views.py", 6, "DJM203")]
    );
    write(root, "shop/views.py", view("  # noqa: DJM203"));
    assert_eq!(
        json(&["check", "."], root),
        vec![row("views.py", 6, "DJM104")]
    );
    // A directive for the DJM104 stays used (no DJM003), so `--fix` never removes it.
    write(root, "shop/views.py", view("  # noqa: DJM104"));
    assert_eq!(
        json(&["check", "."], root),
        vec![row("views.py", 6, "DJM203")]
    );
    let fixed = dormlint(&["check", ".", "--fix", "--no-cache"], root);
    assert!(fixed.status.code().is_some());
    assert_eq!(
        std::fs::read_to_string(root.join("shop/views.py")).unwrap(),
        view("  # noqa: DJM104")
    );
    write(root, "shop/views.py", view(""));
    write(
        root,
        "dormlint.toml",
        "[per-file-ignores]\n\"shop/views.py\" = [\"DJM203\"]\n",
    );
    assert_eq!(
        json(&["check", "."], root),
        vec![row("views.py", 6, "DJM104")]
    );
}

/// `DEBUG = True` in settings under `docs/` or a tutorial is what documentation shows,
/// not what a deployment loads (DJM501).
#[test]
fn settings_in_docs_and_tutorials_are_not_deployed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "pyproject.toml", "");
    let settings = "DEBUG = True\nALLOWED_HOSTS = []\nINSTALLED_APPS = []\nROOT_URLCONF = 'urls'\n";
    write(root, "docs/django_settings.py", settings);
    write(root, "tutorial/settings.py", settings);
    write(root, "site/production.py", settings);
    assert_eq!(
        json(&["check", "."], root),
        vec![row("production.py", 1, "DJM501")]
    );
}

#[test]
fn output_file_show_settings_and_preview() {
    let dir = excludes_tree();
    let root = dir.path();
    let written = dormlint(
        &[
            "check",
            "app/views.py",
            "-o",
            "out/report.json",
            "--output-format",
            "json",
        ],
        root,
    );
    assert_eq!(written.status.code(), Some(1));
    assert_eq!(stdout(&written), "");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("out/report.json")).unwrap()).unwrap();
    assert_eq!(report.as_array().unwrap().len(), 2);

    let shown = dormlint(&["check", "app/views.py", "--show-settings"], root);
    assert_eq!(shown.status.code(), Some(0));
    let text = stdout(&shown);
    let config = root.join("dormlint.toml");
    assert!(
        text.starts_with(&format!(
            "Resolved settings for: \"app/views.py\"\nSettings path: {:?}\n\n",
            config.display().to_string()
        )),
        "{text}"
    );
    assert!(text.contains("\npreview = false\n"), "{text}");
    // Names match at any depth: shown as written, not under the configuration's path.
    assert!(text.contains("\"legacy/\", \"gen_*.py\""), "{text}");
    let preview = dormlint(
        &["check", "app/views.py", "--show-settings", "--preview"],
        root,
    );
    assert!(stdout(&preview).contains("\npreview = true\n"));
    write(root, "dormlint.toml", "preview = true\n");
    let configured = dormlint(&["check", "app/views.py", "--show-settings"], root);
    assert!(stdout(&configured).contains("\npreview = true\n"));
    let overridden = dormlint(
        &["check", "app/views.py", "--show-settings", "--no-preview"],
        root,
    );
    assert!(stdout(&overridden).contains("\npreview = false\n"));
}

#[test]
fn statistics_honour_json() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let output = dormlint(
        &[
            "check",
            "views.py",
            "--statistics",
            "--output-format",
            "json",
        ],
        dir.path(),
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        value,
        serde_json::json!([
            {"code": "DJM101", "name": "queryset-truthiness", "count": 1, "fixable": true},
            {"code": "DJM102", "name": "queryset-len", "count": 1, "fixable": true},
        ])
    );
}

/// BAD_VIEW plus a finding without a fix (DJM103).
const MIXED_VIEW: &str = "\
from shop.models import Order


def has_orders(customer, order):
    orders = Order.objects.filter(customer=customer)
    if orders:
        return order in Order.objects.filter(paid=True)
    return len(Order.objects.filter(paid=True))
";

#[test]
fn dash_reads_standard_input_and_concise_marks_fixable_findings() {
    let dir = tempfile::tempdir().unwrap();
    let output = dormlint_stdin(
        &["check", "-", "--output-format", "concise", "-q"],
        dir.path(),
        MIXED_VIEW,
    );
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<String> = stdout(&output)
        .lines()
        .map(|l| l.split(" `").next().unwrap().to_string())
        .collect();
    assert_eq!(
        lines,
        ["-:6:8: DJM101 [*]", "-:7:16: DJM103", "-:8:12: DJM102 [*]"]
    );
}

#[test]
fn fix_only_and_exit_non_zero_on_fix() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "views.py", MIXED_VIEW);
    let fixed = dormlint(&["check", "views.py", "--fix-only", "--no-cache"], root);
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "what is left does not fail the run"
    );
    assert_eq!(stdout(&fixed), "Fixed 2 problems.\n");
    let text = std::fs::read_to_string(root.join("views.py")).unwrap();
    assert!(text.contains("if orders.exists():"));
    write(root, "views.py", MIXED_VIEW);
    let loud = dormlint(
        &[
            "check",
            "views.py",
            "--fix-only",
            "--exit-non-zero-on-fix",
            "--no-cache",
        ],
        root,
    );
    assert_eq!(loud.status.code(), Some(1));
    // nothing left to fix: exit 0 even with the flag, when nothing is left to report
    write(root, "clean.py", "x = 1\n");
    let clean = dormlint(
        &["check", "clean.py", "--fix", "--exit-non-zero-on-fix"],
        root,
    );
    assert_eq!(clean.status.code(), Some(0));
    write(root, "views.py", BAD_VIEW);
    let fixed_all = dormlint(
        &[
            "check",
            "views.py",
            "--fix",
            "--exit-non-zero-on-fix",
            "--no-cache",
        ],
        root,
    );
    assert_eq!(fixed_all.status.code(), Some(1), "fixes were applied");
}

#[test]
fn stdin_fix_prints_the_source_and_the_rest_on_stderr_and_diff_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let fixed = dormlint_stdin(
        &[
            "check",
            "--stdin-filename",
            "app/views.py",
            "--fix",
            "--output-format",
            "concise",
            "-q",
        ],
        root,
        MIXED_VIEW,
    );
    assert_eq!(fixed.status.code(), Some(1));
    assert_eq!(
        stdout(&fixed),
        MIXED_VIEW
            .replace("if orders:", "if orders.exists():")
            .replace(
                "len(Order.objects.filter(paid=True))",
                "Order.objects.filter(paid=True).count()"
            )
    );
    assert!(
        stderr(&fixed).starts_with("app/views.py:7:16: DJM103 `"),
        "{}",
        stderr(&fixed)
    );
    assert_eq!(stderr(&fixed).lines().count(), 1);

    let diff = dormlint_stdin(
        &["check", "--stdin-filename", "app/views.py", "--diff"],
        root,
        BAD_VIEW,
    );
    assert_eq!(diff.status.code(), Some(1));
    assert!(stdout(&diff).starts_with("--- app/views.py\n+++ app/views.py\n@@ "));
    assert_eq!(stderr(&diff), "Would fix 2 problems.\n");

    write(root, "views.py", BAD_VIEW);
    let on_file = dormlint(&["check", "views.py", "--diff", "--no-cache"], root);
    let patch = stdout(&on_file);
    assert!(
        patch.starts_with("--- views.py\n+++ views.py\n@@ "),
        "{patch}"
    );
    assert!(
        patch.lines().all(|l| l.starts_with(['-', '+', ' ', '@'])),
        "only the diff on stdout: {patch}"
    );
    assert_eq!(stderr(&on_file), "Would fix 2 problems.\n");
    // and `patch` applies it
    let applied = Command::new("patch")
        .args(["-p0", "--quiet"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(patch.as_bytes())?;
            child.wait()
        });
    if let Ok(status) = applied {
        assert!(status.success());
        let after = std::fs::read_to_string(root.join("views.py")).unwrap();
        assert!(after.contains("if orders.exists():"));
    }
}

#[test]
fn bad_arguments_print_one_line_and_the_usage() {
    let dir = tempfile::tempdir().unwrap();
    let output = dormlint(&["check", "--fixx"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "dormlint: unexpected argument '--fixx' found (did you mean '--fix'?)\n\
         Usage: dormlint check [OPTIONS] [PATHS]... (see `dormlint check --help`)\n"
    );
    let value = dormlint(&["check", "--output-format", "xml"], dir.path());
    assert_eq!(value.status.code(), Some(2));
    assert_eq!(
        stderr(&value),
        "dormlint: invalid value 'xml' for '--output-format <OUTPUT_FORMAT>' \
         (one of: text, concise, json, json-lines, sarif, github)\n\
         Usage: dormlint check [OPTIONS] [PATHS]... (see `dormlint check --help`)\n"
    );
}

#[test]
fn json_url_is_null_and_the_readme_says_why() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let output = dormlint(
        &["check", "views.py", "--output-format", "json"],
        dir.path(),
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(value.as_array().unwrap().iter().all(|d| d["url"].is_null()));
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains("`url` is `null`"),
        "the README explains the null url"
    );
}

/// The wheel and the python hook are proved end to end by tests/wheel.sh and
/// tests/precommit.sh (in .ci/run); this keeps their pieces in step with the crate.
#[test]
fn wheel_and_python_hook_are_declared_like_ruffs() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &str| std::fs::read_to_string(repo.join(path)).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let pyproject: toml::Table = read("pyproject.toml").parse().unwrap();
    assert_eq!(
        pyproject["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    assert_eq!(
        pyproject["tool"]["maturin"]["bindings"].as_str(),
        Some("bin")
    );
    assert_eq!(pyproject["project"]["name"].as_str(), Some("dormlint"));
    let mirror: toml::Table = read("pre-commit-mirror/pyproject.toml").parse().unwrap();
    assert_eq!(
        mirror["project"]["dependencies"][0].as_str(),
        Some(format!("dormlint=={version}").as_str()),
        "the mirror pins the crate's version"
    );
    let python_hook = read("pre-commit-mirror/.pre-commit-hooks.yaml");
    assert!(python_hook.contains("language: python"));
    for hooks in [python_hook, read(".pre-commit-hooks.yaml")] {
        assert!(
            hooks.contains("entry: dormlint check --force-exclude"),
            "{hooks}"
        );
    }
}

/// .ci/run's closing line: it fails when a shell test's result line is missing.
#[test]
fn ci_tally_fails_without_a_shell_tests_result_line() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let tally = |log: &str| {
        let path = dir.path().join("test.log");
        std::fs::write(&path, log).unwrap();
        Command::new("awk")
            .arg("-f")
            .arg(repo.join(".ci/tally.awk"))
            .arg(&path)
            .output()
            .unwrap()
    };
    let tests = "test result: ok. 12 passed; 0 failed; 0 ignored\n\
                 test result: ok. 3 passed; 0 failed; 0 ignored\n";
    let editor = "neovim: 27 passed, 0 failed\n";
    let all = tally(&format!(
        "{tests}wheel: 3 passed, 0 failed\npre-commit: 6 passed, 0 failed\n{editor}"
    ));
    assert_eq!(stdout(&all), "51 passed, 0 failed\n");
    assert_eq!(all.status.code(), Some(0));
    let no_hook = tally(&format!("{tests}wheel: 3 passed, 0 failed\n{editor}"));
    assert_eq!(no_hook.status.code(), Some(1));
    assert!(stdout(&no_hook).contains("missing: the pre-commit result line"));
    let no_editor = tally(&format!(
        "{tests}wheel: 3 passed, 0 failed\npre-commit: 6 passed, 0 failed\n"
    ));
    assert_eq!(no_editor.status.code(), Some(1));
    assert!(stdout(&no_editor).contains("missing: the neovim result line"));
    let failing = tally(&format!(
        "{tests}wheel: 3 passed, 0 failed\npre-commit: 5 passed, 1 failed\n{editor}"
    ));
    assert_eq!(failing.status.code(), Some(1));
    assert_eq!(stdout(&failing), "50 passed, 1 failed\n");
}

/// The command line is the last layer, as in ruff: `--select` starts the selection
/// over, so a file's `ignore` no longer applies; `--ignore` alone adds to the file's,
/// and `--extend-select` brings back a rule the file ignores.
#[test]
fn command_line_select_starts_over_like_ruff() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "pyproject.toml",
        "[tool.dormlint]\nignore = [\"DJM101\"]\nextend-select = []\n",
    );
    write(root, "app/views.py", BAD_VIEW);
    assert_eq!(json(&["check", "."], root), [row("views.py", 8, "DJM102")]);
    assert_eq!(
        json(&["check", ".", "--select", "DJM101"], root),
        [row("views.py", 6, "DJM101")]
    );
    assert_eq!(
        json(
            &["check", ".", "--select", "DJM1", "--ignore", "DJM102"],
            root
        ),
        [row("views.py", 6, "DJM101")]
    );
    assert!(json(&["check", ".", "--ignore", "DJM102"], root).is_empty());
    // the command line's --extend-select comes after the file's ignore
    assert_eq!(
        json(&["check", ".", "--extend-select", "DJM101"], root),
        [row("views.py", 6, "DJM101"), row("views.py", 8, "DJM102")]
    );
}

/// `--select DJM403` without preview selects nothing: a warning says why, as ruff's.
#[test]
fn selecting_only_preview_rules_without_preview_warns() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let warned = dormlint(&["check", ".", "--select", "DJM403"], dir.path());
    assert_eq!(warned.status.code(), Some(0));
    assert_eq!(
        stderr(&warned),
        "dormlint: warning: `DJM403` selects only preview rules, which need `--preview` (or `preview = true`)\n"
    );
    let with_preview = dormlint(
        &["check", ".", "--select", "DJM403", "--preview"],
        dir.path(),
    );
    assert_eq!(stderr(&with_preview), "");
    let mixed = dormlint(&["check", ".", "--select", "DJM1"], dir.path());
    assert_eq!(stderr(&mixed), "");
}
