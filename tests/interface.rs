//! The parts of interface.md that make dormlint a drop-in beside ruff: configuration
//! files, standard input, fixes, noqa upkeep, and the CI formats.

mod common;

use std::path::Path;
use std::process::Command;

use common::{BAD_VIEW, dormlint, dormlint_stdin, findings, stderr, stdout, write};

fn codes(output: &std::process::Output) -> Vec<(String, u64, String)> {
    findings(output)
}

#[test]
fn configuration_is_found_upward_and_the_command_line_wins() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nname = \"shop\"\n\n[tool.dormlint]\nselect = [\"DJM1\"]\nignore = [\"DJM102\"]\n\n[tool.dormlint.per-file-ignores]\n\"legacy/**\" = [\"DJM101\"]\n",
    );
    write(dir.path(), "app/views.py", BAD_VIEW);
    write(dir.path(), "legacy/views.py", BAD_VIEW);
    // from a subdirectory, the configuration above it applies
    let app = dormlint(
        &["check", ".", "--output-format", "json"],
        &dir.path().join("app"),
    );
    assert_eq!(
        codes(&app),
        [("views.py".to_string(), 6, "DJM101".to_string())]
    );
    let all = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(
        codes(&all),
        [("views.py".to_string(), 6, "DJM101".to_string())],
        "legacy/ ignores DJM101"
    );
    // --select starts the selection over, the file's ignore included (as ruff's does);
    // --ignore adds to its ignores
    let selected = dormlint(
        &[
            "check",
            "app",
            "--select",
            "DJM102",
            "--output-format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(
        codes(&selected),
        [("views.py".to_string(), 8, "DJM102".to_string())]
    );
    let extended = dormlint(
        &[
            "check",
            "app",
            "--extend-select",
            "DJM102",
            "--output-format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(
        codes(&extended),
        [
            ("views.py".to_string(), 6, "DJM101".to_string()),
            ("views.py".to_string(), 8, "DJM102".to_string())
        ],
        "the command line's --extend-select comes after the file's ignore, as in ruff"
    );
}

#[test]
fn dormlint_toml_wins_over_pyproject_and_config_flag_over_both() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.dormlint]\nselect = [\"DJM101\"]\n",
    );
    write(dir.path(), "dormlint.toml", "select = [\"DJM102\"]\n");
    write(dir.path(), "other.toml", "ignore = [\"DJM1\"]\n");
    write(dir.path(), "views.py", BAD_VIEW);
    let found = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(
        codes(&found),
        [("views.py".to_string(), 8, "DJM102".to_string())]
    );
    let flag = dormlint(
        &[
            "check",
            ".",
            "--config",
            "other.toml",
            "--output-format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(codes(&flag), []);
    // `.dormlint.toml` comes first, as `.ruff.toml` does in ruff.
    write(dir.path(), ".dormlint.toml", "select = [\"DJM101\"]\n");
    let dotted = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(
        codes(&dotted),
        [("views.py".to_string(), 6, "DJM101".to_string())]
    );
}

#[test]
fn configuration_errors_name_the_file_the_key_and_a_near_miss() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let cases = [
        (
            "selct = [\"DJM101\"]\n",
            "dormlint.toml: unknown key `selct` (did you mean `select`?)",
        ),
        (
            "strict-iterator = \"yes\"\n",
            "dormlint.toml: `strict-iterator` must be a boolean, not a string",
        ),
        (
            "max-cache-entries = 0\n",
            "dormlint.toml: `max-cache-entries` must be a positive integer, not an integer",
        ),
        (
            "select = [\"DJM1001\"]\n",
            "dormlint.toml: `select`: unknown rule `DJM1001` (did you mean",
        ),
        (
            "[per-file-ignores]\n\"tests/*\" = [\"queryset-truthyness\"]\n",
            "`per-file-ignores` \"tests/*\": unknown rule `queryset-truthyness` (did you mean `queryset-truthiness`?)",
        ),
        ("select = [\n", "dormlint.toml: invalid TOML"),
    ];
    for (text, message) in cases {
        write(dir.path(), "dormlint.toml", text);
        let output = dormlint(&["check", "."], dir.path());
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(
            stderr(&output).contains(message),
            "{text}: {}",
            stderr(&output)
        );
        assert_eq!(stderr(&output).lines().count(), 1, "one line on stderr");
    }
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.dormlint]\nignor = []\n",
    );
    std::fs::remove_file(dir.path().join("dormlint.toml")).unwrap();
    let output = dormlint(&["check", "."], dir.path());
    assert!(
        stderr(&output).contains(
            "pyproject.toml: [tool.dormlint] unknown key `ignor` (did you mean `ignore`?)"
        )
    );
}

/// With several broken nested configurations, the one reported is the first by path,
/// whichever a walker thread reaches first.
#[test]
fn the_first_broken_configuration_by_path_is_reported_every_time() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    for n in 1..=12 {
        write(dir.path(), &format!("d{n:02}/views.py"), BAD_VIEW);
        write(
            dir.path(),
            &format!("d{n:02}/dormlint.toml"),
            "selct = []\n",
        );
    }
    for _ in 0..20 {
        let output = dormlint(&["check", ".", "--threads", "4"], dir.path());
        assert_eq!(output.status.code(), Some(2));
        let message = stderr(&output);
        assert!(
            message.contains("d01") && message.contains("unknown key `selct`"),
            "{message}"
        );
    }
}

#[test]
fn configuration_keys_reach_what_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dormlint.toml",
        "strict-iterator = true\nbatch-decorators = [\"nightly\"]\nmax-cache-entries = 1000\nextend-exclude = [\"generated\"]\nrespect-gitignore = false\n",
    );
    write(dir.path(), ".gitignore", "ignored/\n");
    write(dir.path(), "ignored/views.py", BAD_VIEW);
    write(dir.path(), "generated/views.py", BAD_VIEW);
    write(
        dir.path(),
        "jobs.py",
        "from collections import deque\nfrom shop.models import Order\n\nRECENT = deque(maxlen=5000)\n\n\ndef view():\n    for order in Order.objects.all():\n        print(order)\n",
    );
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    let found = codes(&output);
    assert!(
        found.contains(&("jobs.py".to_string(), 8, "DJM201".to_string())),
        "strict-iterator: {found:?}"
    );
    assert!(
        found.contains(&("jobs.py".to_string(), 4, "DJM404".to_string())),
        "max-cache-entries: {found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(file, row, _)| file == "views.py" && *row == 6),
        "respect-gitignore = false"
    );
    let files: std::collections::BTreeSet<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(files.len(), 2, "generated/ is excluded: {found:?}");
}

#[test]
fn stdin_is_reported_under_its_path_with_that_paths_configuration() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dormlint.toml",
        "[per-file-ignores]\n\"legacy/*\" = [\"DJM102\"]\n",
    );
    let output = dormlint_stdin(
        &[
            "check",
            "--stdin-filename",
            "app/views.py",
            "--output-format",
            "concise",
            "-q",
        ],
        dir.path(),
        BAD_VIEW,
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "app/views.py:6:8: DJM101 [*] `orders` loads every matching `Order` row just to test whether there is one\n\
         app/views.py:8:12: DJM102 [*] `len(Order.objects.filter(paid=True))` loads every matching `Order` row into memory just to count them\n"
    );
    let legacy = dormlint_stdin(
        &[
            "check",
            "--stdin-filename",
            "legacy/views.py",
            "--output-format",
            "json",
        ],
        dir.path(),
        BAD_VIEW,
    );
    assert_eq!(
        codes(&legacy),
        [("views.py".to_string(), 6, "DJM101".to_string())]
    );
    let fixed = dormlint_stdin(
        &["check", "--stdin-filename", "app/views.py", "--fix"],
        dir.path(),
        BAD_VIEW,
    );
    assert_eq!(fixed.status.code(), Some(0));
    assert_eq!(
        stdout(&fixed),
        BAD_VIEW
            .replace("if orders:", "if orders.exists():")
            .replace(
                "len(Order.objects.filter(paid=True))",
                "Order.objects.filter(paid=True).count()"
            )
    );
}

#[test]
fn diff_shows_fixes_without_writing_and_fix_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let diff = dormlint(&["check", "views.py", "--diff"], dir.path());
    assert_eq!(diff.status.code(), Some(1));
    assert!(stdout(&diff).contains("-    if orders:\n+    if orders.exists():\n"));
    assert_eq!(
        stderr(&diff),
        "Would fix 2 problems.\n",
        "the count goes to stderr"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("views.py")).unwrap(),
        BAD_VIEW
    );
    let fix = dormlint(&["check", "views.py", "--fix"], dir.path());
    assert_eq!(fix.status.code(), Some(0), "{}", stdout(&fix));
    assert!(stdout(&fix).contains("Fixed 2 problems."));
    let after = std::fs::read_to_string(dir.path().join("views.py")).unwrap();
    assert!(
        after.contains("if orders.exists():")
            && after.contains("Order.objects.filter(paid=True).count()")
    );
}

/// Every fixture, fixed: the files still parse and no fixable finding is left.
#[test]
fn fixes_on_every_fixture_leave_parsing_files_without_the_finding() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for code in ["DJM101", "DJM102", "DJM104"] {
        let dir = tempfile::tempdir().unwrap();
        common::copy_tree(&fixtures.join(code), dir.path());
        let before = dormlint(
            &["check", ".", "--select", code, "--output-format", "json"],
            dir.path(),
        );
        let json: serde_json::Value = serde_json::from_slice(&before.stdout).unwrap();
        let fixable = json
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| !d["fix"].is_null())
            .count();
        assert!(fixable > 5, "{code}: {fixable} fixable findings");
        dormlint(&["check", ".", "--select", code, "--fix"], dir.path());
        let after = dormlint(
            &["check", ".", "--select", code, "--output-format", "json"],
            dir.path(),
        );
        let json: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
        for d in json.as_array().unwrap() {
            assert_ne!(d["code"], "DJM001", "{code}: a fix broke the syntax: {d}");
            assert!(d["fix"].is_null(), "{code}: a fixable finding is left: {d}");
        }
        // CPython agrees that every fixed file parses.
        for entry in walkdir::WalkDir::new(dir.path()) {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "py") {
                let status = Command::new("python3")
                    .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"])
                    .arg(entry.path())
                    .status()
                    .unwrap();
                assert!(status.success(), "{}", entry.path().display());
            }
        }
    }
}

#[test]
fn add_noqa_silences_current_findings_and_unused_ones_are_reported_and_fixed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let added = dormlint(&["check", ".", "--add-noqa"], dir.path());
    assert!(stdout(&added).contains("Added 2 noqa directives."));
    let text = std::fs::read_to_string(dir.path().join("views.py")).unwrap();
    assert!(text.contains("    if orders:  # noqa: DJM101\n"));
    let clean = dormlint(&["check", "."], dir.path());
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    // once the code is fixed by hand, the directive is stale
    std::fs::write(
        dir.path().join("views.py"),
        text.replace("if orders:", "if orders.exists():"),
    )
    .unwrap();
    let stale = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(
        codes(&stale),
        [("views.py".to_string(), 6, "DJM003".to_string())]
    );
    dormlint(&["check", ".", "--fix"], dir.path());
    let text = std::fs::read_to_string(dir.path().join("views.py")).unwrap();
    assert!(text.contains("    if orders.exists():\n"), "{text}");
    // other tools' codes and a bare noqa are not dormlint's to judge
    write(
        dir.path(),
        "other.py",
        "x = 1  # noqa: E501\ny = 2  # noqa\n",
    );
    assert_eq!(
        dormlint(&["check", "other.py"], dir.path()).status.code(),
        Some(0)
    );
}

#[test]
fn github_and_statistics_formats() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let github = dormlint(
        &["check", "views.py", "--output-format", "github"],
        dir.path(),
    );
    assert_eq!(
        stdout(&github).lines().next().unwrap(),
        "::warning file=views.py,line=6,col=8,endLine=6,endColumn=14,title=DJM101::`orders` loads every matching `Order` row just to test whether there is one (queryset-truthiness)"
    );
    let statistics = dormlint(&["check", "views.py", "--statistics"], dir.path());
    assert_eq!(
        stdout(&statistics),
        "    1  DJM101  [*] queryset-truthiness\n    1  DJM102  [*] queryset-len\n"
    );
}

/// The SARIF 2.1.0 schema, vendored with its source and licence (tests/data/README.md):
/// `cargo test` needs neither the network nor npm.
fn sarif_schema() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/views.py", BAD_VIEW);
    write(dir.path(), "broken.py", "def f(:\n");
    let output = dormlint(&["check", ".", "--output-format", "sarif"], dir.path());
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // The official schema's `language` patterns are a malformed regex (a stray `]`),
    // which a strict validator refuses to compile; that pattern is repaired.
    let schema: serde_json::Value = serde_json::from_str(&sarif_schema().to_string().replace(
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    ))
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), dormlint::registry::RULES.len());
    let truthiness = rules.iter().find(|r| r["id"] == "DJM101").unwrap();
    assert_eq!(truthiness["name"], "queryset-truthiness");
    assert!(
        truthiness["helpUri"]
            .as_str()
            .unwrap()
            .starts_with("https://docs.djangoproject.com/")
    );
    let results = run["results"].as_array().unwrap();
    // Two findings in views.py; the broken file's two recovered syntax errors.
    assert_eq!(results.len(), 4);
    let first = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(first["artifactLocation"]["uri"], "app/views.py");
    assert_eq!(first["region"]["startLine"], 6);
    assert_eq!(results[2]["ruleId"], "DJM001");
    assert_eq!(results[2]["level"], "error");
    assert_eq!(results[3]["ruleId"], "DJM001");
}

#[test]
fn no_color_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let plain = Command::new(env!("CARGO_BIN_EXE_dormlint"))
        .args(["check", "views.py", "--color", "auto"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&plain).contains('\u{1b}'));
}

/// Found in the new-user trial: `--add-noqa` on a tree-wide finding (DJM501) wrote a
/// directive that DJM003 then called unused, and `--fix` removed it again.
#[test]
fn add_noqa_on_tree_wide_findings_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "shop/settings.py",
        "DEBUG = True\nINSTALLED_APPS = [\"shop\"]\nROOT_URLCONF = \"shop.urls\"\n",
    );
    write(dir.path(), "shop/__init__.py", "");
    write(dir.path(), "Procfile", "web: gunicorn shop.wsgi\n");
    let before = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    let found: Vec<String> = findings(&before).into_iter().map(|f| f.2).collect();
    assert_eq!(found, ["DJM503", "DJM501"]);
    dormlint(&["check", ".", "--add-noqa"], dir.path());
    let after = dormlint(&["check", "."], dir.path());
    assert_eq!(after.status.code(), Some(0), "{}", stdout(&after));
    let summary = stdout(&after);
    assert!(
        summary.contains("3 files checked"),
        "the Procfile counts: {summary}"
    );
}

/// Found in a new-user review: on a row whose directive already held an unused code,
/// `--add-noqa` wrote `# noqa: DJM101, DJM401, DJM003`, and the DJM003 in it silenced
/// every later report that the directive was stale. `-q` left its summary line in.
#[test]
fn add_noqa_never_writes_the_unused_directive_code() {
    let dir = tempfile::tempdir().unwrap();
    let source = "from functools import cache\n\n\n@cache  # noqa: DJM101\ndef rate(code):\n    return code\n";
    write(dir.path(), "rates.py", source);
    let added = dormlint(
        &["check", ".", "--no-cache", "--add-noqa", "-q"],
        dir.path(),
    );
    assert_eq!(added.status.code(), Some(0));
    assert_eq!(stdout(&added), "");
    let text = std::fs::read_to_string(dir.path().join("rates.py")).unwrap();
    assert_eq!(
        text,
        source.replace("# noqa: DJM101", "# noqa: DJM101, DJM401")
    );
    // The cache bounded by hand: the whole directive is stale, and said so.
    std::fs::write(
        dir.path().join("rates.py"),
        text.replace("@cache", "@lru_cache(maxsize=8)")
            .replace("import cache", "import lru_cache"),
    )
    .unwrap();
    let stale = dormlint(
        &["check", ".", "--no-cache", "--output-format", "json"],
        dir.path(),
    );
    assert_eq!(
        codes(&stale),
        [("rates.py".to_string(), 4, "DJM003".to_string())]
    );
}

/// Issue 8 (user text lost): a file that does not parse had its `# noqa: DJM101` called
/// unused and removed by `--fix`. Such a file comes out of `--fix` byte for byte, and
/// `--diff` proposes nothing for it.
#[test]
fn issue_8_fix_leaves_a_file_with_a_syntax_error_byte_for_byte() {
    let broken = "\
from shop.models import Order


def has_orders(customer):
    orders = Order.objects.filter(customer=customer)
    if orders:  # noqa: DJM101
        return True
    return len(Order.objects.filter(paid=True)  # noqa: DJM102, DJM101
    def broken(:
";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", broken);
    let json = dormlint(
        &["check", "views.py", "--output-format", "json"],
        dir.path(),
    );
    assert_eq!(
        codes(&json)
            .into_iter()
            .map(|(_, _, code)| code)
            .collect::<Vec<_>>(),
        ["DJM001", "DJM001", "DJM001"],
        "a broken file gets its syntax errors (the parser recovers) and no DJM003"
    );
    let diff = dormlint(&["check", "views.py", "--diff"], dir.path());
    assert!(!stdout(&diff).contains("@@"), "{}", stdout(&diff));
    let fix = dormlint(&["check", "views.py", "--fix"], dir.path());
    assert_eq!(
        fix.status.code(),
        Some(1),
        "the syntax error is still reported"
    );
    assert_eq!(
        std::fs::read(dir.path().join("views.py")).unwrap(),
        broken.as_bytes()
    );
}
