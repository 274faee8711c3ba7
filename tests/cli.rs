//! The command line as users and tools rely on it (interface.md): exit codes, output
//! formats, selection, suppression comments, discovery.

mod common;

use std::path::Path;

use common::{BAD_VIEW, copy_tree, dormlint, findings, stderr, stdout, write};

#[test]
fn exit_codes_say_clean_findings_or_failure() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "clean.py", "x = 1\n");
    let clean = dormlint(&["check", "clean.py"], dir.path());
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    assert!(stdout(&clean).contains("No problems found; 1 file checked"));

    write(dir.path(), "views.py", BAD_VIEW);
    let found = dormlint(&["check", "."], dir.path());
    assert_eq!(found.status.code(), Some(1));
    let zero = dormlint(&["check", ".", "--exit-zero"], dir.path());
    assert_eq!(zero.status.code(), Some(0));
    // ruff's short forms of --exit-zero and --no-cache
    std::fs::remove_dir_all(dir.path().join(".dormlint_cache")).unwrap();
    let short = dormlint(&["check", ".", "-e", "-n"], dir.path());
    assert_eq!(short.status.code(), Some(0));
    assert!(stdout(&short).contains("DJM101"));
    assert!(!dir.path().join(".dormlint_cache").exists());

    let missing = dormlint(&["check", "nowhere"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        stderr(&missing).trim(),
        "dormlint: nowhere: no such file or directory"
    );

    let bad_rule = dormlint(&["check", ".", "--select", "DJM999"], dir.path());
    assert_eq!(bad_rule.status.code(), Some(2));
    assert!(stderr(&bad_rule).contains("unknown rule selector `DJM999`"));
}

#[test]
fn json_has_ruffs_shape_with_name_severity_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let first = &json[0];
    let filename = first["filename"].as_str().unwrap();
    assert!(std::path::Path::new(filename).is_absolute());
    assert!(filename.ends_with("views.py"));
    assert_eq!(first["code"], "DJM101");
    assert_eq!(first["name"], "queryset-truthiness");
    assert_eq!(first["severity"], "warning");
    assert_eq!(
        first["location"],
        serde_json::json!({"row": 6, "column": 8})
    );
    assert_eq!(
        first["end_location"],
        serde_json::json!({"row": 6, "column": 14})
    );
    assert_eq!(first["noqa_row"], 6);
    assert_eq!(first["url"], serde_json::Value::Null);
    assert_eq!(
        first["fix"],
        serde_json::json!({
            "applicability": "safe",
            "message": "Use `orders.exists()`",
            "edits": [{"content": "orders.exists()", "location": {"row": 6, "column": 8}, "end_location": {"row": 6, "column": 14}}]
        })
    );
    let second = &json[1];
    assert_eq!(second["code"], "DJM102");
    assert_eq!(
        second["fix"]["edits"][0]["content"],
        "Order.objects.filter(paid=True).count()"
    );
    assert_eq!(json.as_array().unwrap().len(), 2);
}

#[test]
fn json_lines_and_concise_carry_the_same_findings_and_full_is_text() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let lines = dormlint(&["check", ".", "--output-format", "json-lines"], dir.path());
    let rows: Vec<serde_json::Value> = stdout(&lines)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["code"], "DJM102");

    let concise = dormlint(
        &["check", "views.py", "--output-format", "concise", "-q"],
        dir.path(),
    );
    assert_eq!(
        stdout(&concise),
        "views.py:6:8: DJM101 [*] `orders` loads every matching `Order` row just to test whether there is one\n\
         views.py:8:12: DJM102 [*] `len(Order.objects.filter(paid=True))` loads every matching `Order` row into memory just to count them\n"
    ); // `full` is ruff's name for the default format.
    let text = dormlint(&["check", "views.py", "--no-cache"], dir.path());
    let full = dormlint(
        &["check", "views.py", "--no-cache", "--output-format", "full"],
        dir.path(),
    );
    assert!(stdout(&text).contains("help:"));
    assert_eq!(
        stdout(&full).split("checked in").next(),
        stdout(&text).split("checked in").next()
    );
}

/// Coloured as ruff colours its concise lines: path bold, `:` cyan, code bold red,
/// the `*` of `[*]` cyan.
#[test]
fn concise_output_is_coloured_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let colored = dormlint(
        &[
            "check",
            "views.py",
            "--output-format",
            "concise",
            "-q",
            "--color",
            "always",
        ],
        dir.path(),
    );
    let first = stdout(&colored).lines().next().unwrap().to_string();
    assert_eq!(
        first,
        "\u{1b}[0m\u{1b}[1mviews.py\u{1b}[0m\
         \u{1b}[0m\u{1b}[36m:\u{1b}[0m6\u{1b}[0m\u{1b}[36m:\u{1b}[0m8\u{1b}[0m\u{1b}[36m:\u{1b}[0m \
         \u{1b}[0m\u{1b}[1m\u{1b}[31mDJM101\u{1b}[0m \
         [\u{1b}[0m\u{1b}[36m*\u{1b}[0m] `orders` loads every matching `Order` row just to test whether there is one"
    );
    let auto = dormlint(
        &["check", "views.py", "--output-format", "concise", "-q"],
        dir.path(),
    );
    assert!(!stdout(&auto).contains('\u{1b}'), "a pipe gets no colour");
}

#[test]
fn text_output_shows_snippet_help_rule_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let output = dormlint(&["check", "views.py", "--color", "never"], dir.path());
    let text = stdout(&output);
    let text = text
        .rsplit_once(" in ")
        .map(|(head, _)| head)
        .unwrap_or(&text);
    insta::assert_snapshot!("text_output", text);
    assert!(stdout(&output).contains("Found 2 problems (2 fixable) in 1 file; 1 file checked in"));
    let colored = dormlint(&["check", "views.py", "--color", "always"], dir.path());
    assert!(stdout(&colored).contains("\u{1b}["));
}

#[test]
fn select_ignore_and_extend_select_take_codes_and_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    let codes = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", ".", "--output-format", "json"];
        all.extend_from_slice(args);
        findings(&dormlint(&all, dir.path()))
            .into_iter()
            .map(|f| f.2)
            .collect()
    };
    assert_eq!(codes(&["--select", "DJM101"]), ["DJM101"]);
    assert_eq!(codes(&["--select", "DJM2"]), Vec::<String>::new());
    assert_eq!(
        codes(&["--select", "DJM2", "--extend-select", "DJM102"]),
        ["DJM102"]
    );
    assert_eq!(codes(&["--ignore", "DJM1"]), Vec::<String>::new());
    assert_eq!(codes(&["--select", "queryset-len"]), ["DJM102"]);
    assert_eq!(
        codes(&["--select", "ALL", "--ignore", "DJM101"]),
        ["DJM102"]
    );
}

#[test]
fn noqa_comments_silence_rows_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let source = BAD_VIEW
        .replace("    if orders:\n", "    if orders:  # noqa: DJM101\n")
        .replace("paid=True))\n", "paid=True))  # NOQA:djm203\n");
    write(dir.path(), "a.py", &source);
    // the DJM203 code silences nothing there, and DJM003 says so
    assert_eq!(
        findings(&dormlint(
            &["check", "a.py", "--output-format", "json"],
            dir.path()
        )),
        [
            ("a.py".to_string(), 8, "DJM102".to_string()),
            ("a.py".to_string(), 8, "DJM003".to_string()),
        ]
    );
    write(
        dir.path(),
        "b.py",
        BAD_VIEW.replace("paid=True))\n", "paid=True))  # noqa\n"),
    );
    assert_eq!(
        findings(&dormlint(
            &["check", "b.py", "--output-format", "json"],
            dir.path()
        )),
        [("b.py".to_string(), 6, "DJM101".to_string())]
    );
    write(
        dir.path(),
        "c.py",
        format!("# dormlint: noqa: DJM102\n{BAD_VIEW}"),
    );
    assert_eq!(
        findings(&dormlint(
            &["check", "c.py", "--output-format", "json"],
            dir.path()
        )),
        [("c.py".to_string(), 7, "DJM101".to_string())]
    );
    write(dir.path(), "d.py", format!("{BAD_VIEW}# dormlint: noqa\n"));
    let d = dormlint(&["check", "d.py"], dir.path());
    assert_eq!(d.status.code(), Some(0));
    // Directives are case-insensitive, DJM003 too: a file whose only directive is
    // upper-case had its unused codes go unreported.
    let source = BAD_VIEW
        .replace("    if orders:\n", "    if orders:  # NOQA: DJM101\n")
        .replace("paid=True))\n", "paid=True))  # NOQA: DJM203\n");
    write(dir.path(), "e.py", &source);
    assert_eq!(
        findings(&dormlint(
            &["check", "e.py", "--output-format", "json"],
            dir.path()
        )),
        [
            ("e.py".to_string(), 8, "DJM102".to_string()),
            ("e.py".to_string(), 8, "DJM003".to_string()),
        ]
    );
}

#[test]
fn discovery_excludes_defaults_gitignore_and_globs_but_never_explicit_files() {
    let dir = tempfile::tempdir().unwrap();
    for path in [
        "app/views.py",
        ".venv/lib/site.py",
        "node_modules/x.py",
        "build/gen.py",
        "generated/out.py",
        "legacy/old.py",
    ] {
        write(dir.path(), path, BAD_VIEW);
    }
    write(dir.path(), ".gitignore", "generated/\n");
    write(dir.path(), "app/readme.md", "if qs:\n");
    let files = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", "--output-format", "json"];
        all.extend_from_slice(args);
        let mut files: Vec<String> = findings(&dormlint(&all, dir.path()))
            .into_iter()
            .map(|f| f.0)
            .collect();
        files.dedup();
        files
    };
    assert_eq!(files(&["."]), ["views.py", "old.py"]);
    assert_eq!(files(&[".", "--exclude", "legacy"]), ["views.py"]);
    assert_eq!(
        files(&[".", "--no-respect-gitignore", "--exclude", "legacy"]),
        ["views.py", "out.py"]
    );
    // pre-commit passes staged files one by one: they are checked whatever the rules say
    assert_eq!(
        files(&["generated/out.py", "--exclude", "generated"]),
        ["out.py"]
    );
    let markdown = dormlint(&["check", "app/readme.md"], dir.path());
    assert_eq!(markdown.status.code(), Some(0));
    assert!(stdout(&markdown).contains("0 files checked"));
}

#[test]
fn test_code_is_exempt_from_query_rules_judged_below_the_root() {
    let dir = tempfile::tempdir().unwrap();
    for path in [
        "tests/test_views.py",
        "app/tests.py",
        "app/test_x.py",
        "conftest.py",
    ] {
        write(dir.path(), path, BAD_VIEW);
    }
    write(dir.path(), "test/project/app/views.py", BAD_VIEW);
    // its root is where its pyproject.toml (or .git, setup.py, manage.py) is
    write(
        dir.path(),
        "test/project/pyproject.toml",
        "[project]\nname = \"p\"\n",
    );
    for (path, cwd) in [
        ("test/project", dir.path().to_path_buf()),
        (".", dir.path().join("test/project")),
        ("views.py", dir.path().join("test/project/app")),
    ] {
        let output = dormlint(&["check", path, "--output-format", "json"], &cwd);
        assert_eq!(
            findings(&output).len(),
            2,
            "a project under a `test` directory is not test code ({path})"
        );
    }
    let root = dormlint(
        &["check", ".", "--output-format", "json", "--exclude", "test"],
        dir.path(),
    );
    assert!(findings(&root).is_empty());
    // The positive control: the four test files were found and checked, not skipped.
    let text = dormlint(
        &["check", ".", "--exclude", "test", "--color", "never"],
        dir.path(),
    );
    assert!(
        stdout(&text).starts_with("No problems found; 4 files checked"),
        "{}",
        stdout(&text)
    );
}

/// Test code is parsed for syntax errors but not walked: what its functions return
/// does not decide the answers production code gets.
#[test]
fn test_code_reports_syntax_errors_and_teaches_the_index_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app/models.py",
        "from django.db import models\n\n\n\
         class BookManager(models.Manager):\n    \
             def search(self, q):\n        \
                 return search_backend.query(q)\n\n\n\
         class Book(models.Model):\n    \
             title = models.CharField(max_length=100)\n    \
             objects = BookManager()\n",
    );
    let view = "from app.models import Book\n\n\n\
                def find(request):\n    \
                    books = Book.objects.search(request.GET[\"q\"])\n    \
                    if books:\n        \
                        return 1\n    \
                    return 0\n";
    write(dir.path(), "app/views.py", view);
    // A stub in the tests whose `search()` does return a queryset.
    write(
        dir.path(),
        "tests/stubs.py",
        "from django.db import models\n\n\n\
         class StubQuerySet(models.QuerySet):\n    \
             def search(self, q):\n        \
                 return self.filter(title=q)\n",
    );
    write(dir.path(), "tests/test_broken.py", "total = 1 +\n");
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(
        findings(&output),
        vec![("test_broken.py".to_string(), 1, "DJM001".to_string())]
    );
    // The positive control: the same stub in production code answers for `search()`.
    std::fs::rename(
        dir.path().join("tests/stubs.py"),
        dir.path().join("app/stubs.py"),
    )
    .unwrap();
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(
        findings(&output),
        vec![
            ("views.py".to_string(), 6, "DJM101".to_string()),
            ("test_broken.py".to_string(), 1, "DJM001".to_string()),
        ]
    );
}

/// Test code's declarations stay out of the project index too: a test model's relation
/// named `model` does not make production code's `field.model` a related manager.
#[test]
fn test_models_do_not_join_the_project_index() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app/views.py",
        "def any_row(field):\n    \
             rows = field.model._default_manager.all()\n    \
             if rows:\n        \
                 return 1\n    \
             return 0\n",
    );
    let models = "from django.db import models\n\n\n\
                  class Tag(models.Model):\n    \
                      name = models.CharField(max_length=10)\n\n\n\
                  class Label(models.Model):\n    \
                      model = models.ManyToManyField(Tag)\n";
    write(dir.path(), "tests/models.py", models);
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(
        findings(&output),
        vec![("views.py".to_string(), 3, "DJM101".to_string())]
    );
    // The control: in the app, the relation is one `field.model` may be.
    write(dir.path(), "app/models.py", models);
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(findings(&output), vec![]);
}

#[test]
fn rules_lists_the_registry_and_explain_prints_documents() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dormlint(&["rules", "--output-format", "json"], dir.path());
    let json: serde_json::Value = serde_json::from_slice(&rules.stdout).unwrap();
    let codes: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"DJM101") && codes.contains(&"DJM301"));
    assert_eq!(json[4]["name"], "queryset-truthiness");
    assert_eq!(json[4]["family"], "evaluation");
    assert!(json[4]["summary"].as_str().unwrap().ends_with('.'));

    let explain = dormlint(&["explain", "DJM203"], dir.path());
    assert!(stdout(&explain).starts_with("DJM203: query-in-loop\n======"));
    assert!(stdout(&explain).contains("\nExample\n"));
    let by_name = dormlint(&["explain", "query-in-loop"], dir.path());
    assert_eq!(stdout(&by_name), stdout(&explain));
    // ruff's command for the same is `ruff rule`.
    let as_ruff = dormlint(&["rule", "DJM203"], dir.path());
    assert_eq!(stdout(&as_ruff), stdout(&explain));
    let unknown = dormlint(&["explain", "DJM999"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
}

/// The README's rule table is the registry's.
#[test]
fn readme_rule_table_matches_the_registry() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table: Vec<(String, String)> = readme
        .lines()
        .filter(|l| l.starts_with("| DJM"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_string(), cells[2].trim_matches('`').to_string())
        })
        .collect();
    let registry: Vec<(String, String)> = dormlint::registry::RULES
        .iter()
        .map(|r| (r.code.to_string(), r.name.to_string()))
        .collect();
    assert_eq!(table, registry);
}

/// pre-commit passes only the staged files: a staged view is still judged against the
/// models of its project (here a unique key that makes `if shelf:` one row), and the
/// project's other files join the index without being reported. Without a project
/// marker or configuration above it, a named file gets no context.
#[test]
fn a_file_named_alone_is_judged_against_its_project() {
    let dir = tempfile::tempdir().unwrap();
    let models = "from django.db import models\n\n\nclass Shelf(models.Model):\n    code = models.CharField(max_length=20, unique=True)\n";
    let view = "from .models import Shelf\n\n\ndef view(request, c):\n    shelf = Shelf.objects.filter(code=c)\n    if shelf:\n        return 1\n    return len(Shelf.objects.all())\n";
    write(dir.path(), "shop/models.py", models);
    write(dir.path(), "shop/views.py", view);
    write(dir.path(), "shop/tasks.py", BAD_VIEW);
    let rows = |output: &std::process::Output| -> Vec<(String, u64, String)> { findings(output) };
    let check = |args: &[&str]| dormlint(args, dir.path());
    let json = ["--output-format", "json", "--no-cache"];
    // No marker: only the named file is read, and the unique key is unknown.
    let alone = check(&[&["check", "shop/views.py"][..], &json[..]].concat());
    assert_eq!(
        rows(&alone),
        [
            ("views.py".to_string(), 6, "DJM101".to_string()),
            ("views.py".to_string(), 8, "DJM102".to_string()),
        ]
    );
    write(dir.path(), "pyproject.toml", "");
    let in_project = check(&[&["check", "shop/views.py"][..], &json[..]].concat());
    assert_eq!(
        rows(&in_project),
        [("views.py".to_string(), 8, "DJM102".to_string())]
    );
    assert!(stdout(&check(&["check", "shop/views.py", "--no-cache"])).contains("1 file checked"));
}

/// Found in a new-user review: a staged cache module lost DJM404's per-host figure,
/// because the deployment files of its project were not read (`uwsgi.ini` here). A file
/// named alone now gets the messages `check .` gives it, word for word, and the
/// deployment files it was judged with are not reported.
#[test]
fn a_file_named_alone_is_judged_against_its_projects_deployment() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/stories/two_caches"),
        dir.path(),
    );
    write(dir.path(), "manage.py", "");
    let concise = |args: &[&str]| {
        let all = [
            args,
            &["--no-cache", "--output-format", "concise", "-q"][..],
        ]
        .concat();
        stdout(&dormlint(&all, dir.path()))
    };
    let whole = concise(&["check", "."]);
    let staged = concise(&["check", "--force-exclude", "quotes/caches.py"]);
    let of_caches: String = whole
        .lines()
        .filter(|line| line.starts_with("quotes/caches.py:"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(of_caches.contains("for 4 uWSGI workers"), "{whole}");
    assert_eq!(staged, of_caches);
}

/// DJM104's help shows the replacement when it is short, and elides a long receiver.
#[test]
fn count_for_existence_help_shows_short_replacements_whole() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "views.py",
        "from shop.models import Order\n\
         \n\
         def short():\n\
         \x20   return Order.objects.count() > 0\n\
         \n\
         def long(customer, region):\n\
         \x20   return Order.objects.filter(customer=customer, region=region, paid=True, shipped=False).count() > 0\n",
    );
    let output = dormlint(&["check", "views.py", "--color", "never"], dir.path());
    let text = stdout(&output);
    let helps: Vec<&str> = text
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("= help: "))
        .collect();
    assert_eq!(
        helps,
        [
            "use `Order.objects.exists()`: the database stops at the first row",
            "use `….exists()`: the database stops at the first row",
        ]
    );
}
