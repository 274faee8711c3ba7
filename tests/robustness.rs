//! No input takes the run down: syntax errors, bytes that are not UTF-8 text, panics,
//! absurd nesting and directory loops each end as a diagnostic for that file or a clean
//! skip, and every other file is still checked.

mod common;

use common::{BAD_VIEW, dormlint, findings, stdout, write};

fn codes_by_file(output: &std::process::Output) -> Vec<(String, String)> {
    findings(output)
        .into_iter()
        .map(|(file, _, code)| (file, code))
        .collect()
}

#[test]
fn syntax_errors_become_djm001_with_the_parsers_words_and_position() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "broken.py", "def f(:\n    pass\n");
    write(dir.path(), "views.py", BAD_VIEW);
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json[0]["code"], "DJM001");
    assert_eq!(json[0]["severity"], "error");
    assert_eq!(
        json[0]["location"],
        serde_json::json!({"row": 1, "column": 7})
    );
    assert!(
        json[0]["message"].as_str().unwrap()
            == "SyntaxError: Expected a parameter or the end of the parameter list"
    );
    // The parser recovers and reports the next error too, as ruff does.
    assert_eq!(json[1]["code"], "DJM001");
    assert_eq!(
        json[1]["location"],
        serde_json::json!({"row": 1, "column": 8})
    );
    assert_eq!(
        json[1]["message"],
        "SyntaxError: Expected `)`, found newline"
    );
    assert_eq!(
        json.as_array().unwrap().len(),
        4,
        "views.py is still checked"
    );
}

#[test]
fn unreadable_bytes_become_djm002() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latin1.py", b"# caf\xe9\nx = 1\n");
    write(dir.path(), "nul.py", [0u8; 64]);
    write(dir.path(), "bom.py", b"\xef\xbb\xbfx = 1\n");
    write(
        dir.path(),
        "crlf.py",
        b"from a import B\r\nif B.objects.all():\r\n    pass\r\n",
    );
    write(
        dir.path(),
        "lone_cr.py",
        b"x = 1\rif B.objects.all():\r    pass\r",
    );
    write(
        dir.path(),
        "form_feed.py",
        b"x = 1\n\x0c\nif B.objects.all():\n    pass\n",
    );
    write(dir.path(), "views.py", BAD_VIEW);
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let summary: Vec<(String, String, u64)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let file = d["filename"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            (
                file,
                d["code"].as_str().unwrap().to_string(),
                d["location"]["row"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("crlf.py".into(), "DJM101".into(), 2),
            ("form_feed.py".into(), "DJM101".into(), 3),
            ("latin1.py".into(), "DJM002".into(), 1),
            ("lone_cr.py".into(), "DJM101".into(), 2),
            ("nul.py".into(), "DJM002".into(), 1),
            ("views.py".into(), "DJM101".into(), 6),
            ("views.py".into(), "DJM102".into(), 8),
        ]
    );
    let latin1 = json
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "DJM002")
        .unwrap();
    assert_eq!(
        latin1["message"],
        "the file is not valid UTF-8 (invalid byte at offset 5) and declares no other encoding"
    );
}

/// PEP 263: a file that declares its encoding is valid Python in that encoding. It is
/// checked like any other, and `--fix` leaves its bytes alone: the fixed text would be
/// written back as UTF-8. A declaration that cannot be honoured is DJM002.
#[test]
fn declared_encodings_are_decoded_and_their_files_are_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let latin_1: &[u8] = b"# -*- coding: latin-1 -*-\nfrom a import B\nname = \"caf\xe9\"\nif B.objects.all():\n    pass\n";
    write(dir.path(), "latin1.py", latin_1);
    write(
        dir.path(),
        "cp1252.py",
        b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = \"\x93q\x94\"\nif B.objects.all():\n    pass\n",
    );
    // The declaration counts on the first two lines only.
    write(
        dir.path(),
        "third_line.py",
        b"x = 1\ny = 2\n# coding: latin-1\nz = \"\xe9\"\n",
    );
    write(dir.path(), "unknown.py", b"# coding: klingon\nx = 1\n");
    // The control: the same finding in a UTF-8 file comes with its fix.
    write(
        dir.path(),
        "utf8.py",
        b"# coding: utf-8\nif B.objects.all():\n    pass\n",
    );
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let summary: Vec<(String, String, u64, bool)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["filename"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                d["code"].as_str().unwrap().to_string(),
                d["location"]["row"].as_u64().unwrap(),
                d["fix"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("cp1252.py".into(), "DJM101".into(), 4, true),
            ("latin1.py".into(), "DJM101".into(), 4, true),
            ("third_line.py".into(), "DJM002".into(), 1, true),
            ("unknown.py".into(), "DJM002".into(), 1, true),
            ("utf8.py".into(), "DJM101".into(), 2, false),
        ]
    );
    assert_eq!(
        json[3]["message"],
        "the file declares the encoding `klingon`, which dormlint cannot decode"
    );
    dormlint(&["check", ".", "--fix"], dir.path());
    assert_eq!(
        std::fs::read(dir.path().join("latin1.py")).unwrap(),
        latin_1
    );
}

#[test]
fn a_panic_in_one_file_becomes_djm000_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "explodes.py", "x = 1\n");
    write(dir.path(), "views.py", BAD_VIEW);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_dormlint"))
        .args(["check", ".", "--output-format", "json"])
        .current_dir(dir.path())
        .env("DORMLINT_TEST_PANIC_ON", "explodes.py")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        codes_by_file(&output),
        [
            ("explodes.py".to_string(), "DJM000".to_string()),
            ("views.py".to_string(), "DJM101".to_string()),
            ("views.py".to_string(), "DJM102".to_string()),
        ]
    );
}

/// 50 000 levels of each expression kind: parsed, walked (to a depth limit) and freed
/// without recursion.
#[test]
fn deep_nesting_of_every_expression_kind_does_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let n = 50_000;
    let cases = [
        ("attribute.py", format!("x = a{}\n", ".b".repeat(n))),
        ("binary.py", format!("x = a{}\n", " + b".repeat(n))),
        ("unary.py", format!("x = {}a\n", "-".repeat(n))),
        ("calls.py", format!("x = f{}\n", "()".repeat(n))),
        ("subscripts.py", format!("x = a{}\n", "[0]".repeat(n))),
        (
            "lists.py",
            format!("x = {}{}\n", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "methods.py",
            format!(
                "x = Book.objects{}\nif x:\n    pass\n",
                ".filter()".repeat(n)
            ),
        ),
    ];
    for (name, source) in &cases {
        write(dir.path(), name, source);
    }
    write(dir.path(), "views.py", BAD_VIEW);
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files: Vec<(String, String)> = codes_by_file(&output);
    assert!(files.contains(&("views.py".to_string(), "DJM102".to_string())));
    assert!(
        files.iter().all(|(file, _)| file == "views.py"),
        "{files:?}"
    );
}

#[test]
fn symlink_loops_and_directories_named_like_python_files_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pkg/views.py", BAD_VIEW);
    std::os::unix::fs::symlink(dir.path().join("pkg"), dir.path().join("pkg/again")).unwrap();
    std::fs::create_dir_all(dir.path().join("pkg/x.py")).unwrap();
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let found = codes_by_file(&output);
    assert!(
        found.contains(&("again".to_string(), "DJM002".to_string())),
        "{found:?}"
    );
    assert_eq!(
        found.iter().filter(|(file, _)| file == "views.py").count(),
        2
    );
}

/// A file that cannot be read is DJM002 and the rest is still checked. A dangling
/// symlink fails to read for root too (CI runs as root, where mode 000 reads fine);
/// mode 000 is checked as well when we are not root.
#[test]
fn an_unreadable_file_is_djm002_even_for_root() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", BAD_VIEW);
    std::os::unix::fs::symlink("nowhere.py", dir.path().join("dangling.py")).unwrap();
    write(dir.path(), "secret.py", BAD_VIEW);
    let secret = dir.path().join("secret.py");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let root_reads_anyway = std::fs::read(&secret).is_ok();
    let output = dormlint(
        &["check", ".", "--no-cache", "--output-format", "json"],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let dangling = json
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["filename"].as_str().unwrap().ends_with("dangling.py"))
        .expect("the dangling symlink is reported");
    assert_eq!(dangling["code"], "DJM002");
    assert_eq!(dangling["message"], "no such file or directory");
    let found = codes_by_file(&output);
    let secret_codes: Vec<&str> = found
        .iter()
        .filter(|(f, _)| f == "secret.py")
        .map(|(_, c)| c.as_str())
        .collect();
    if root_reads_anyway {
        assert_eq!(secret_codes, ["DJM101", "DJM102"]);
    } else {
        assert_eq!(secret_codes, ["DJM002"]);
    }
    assert!(found.contains(&("views.py".to_string(), "DJM101".to_string())));
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("DJM"));
}

/// Python 3.10-3.14 syntax parses as itself (PEP 695, 696, 701, 750, 758, `match`,
/// `except*`): each file is checked; invalid code is still DJM001. No cache is written
/// into the source tree.
#[test]
fn modern_python_is_checked_not_reported_as_a_syntax_error() {
    // A copy: a run writes its cache where it runs, and the source tree stays clean.
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/modern"),
        dir.path(),
    );
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(
        codes_by_file(&output),
        [
            ("match_and_except_star.py".to_string(), "DJM101".to_string()),
            ("pep695_type_params.py".to_string(), "DJM102".to_string()),
            ("pep696_defaults.py".to_string(), "DJM102".to_string()),
            ("pep701_fstrings.py".to_string(), "DJM101".to_string()),
            ("pep750_tstrings.py".to_string(), "DJM101".to_string()),
            ("pep758_except.py".to_string(), "DJM104".to_string()),
            ("really_broken.py".to_string(), "DJM001".to_string()),
            ("really_broken.py".to_string(), "DJM001".to_string()),
        ]
    );
}

/// A 20 MB generated module (the size of a generated migration or data file) is
/// checked like any other, and its findings are found.
#[test]
fn a_20_megabyte_file_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = String::from("from shop.models import Order\n\n");
    let mut n = 0;
    while source.len() < 20 * 1024 * 1024 {
        source.push_str(&format!("VALUE_{n} = {{'id': {n}, 'name': 'item {n}'}}\n"));
        n += 1;
    }
    source.push_str("\n\ndef check():\n    if Order.objects.filter(status=1):\n        return 1\n");
    write(dir.path(), "generated.py", &source);
    write(dir.path(), "views.py", BAD_VIEW);
    let output = dormlint(&["check", ".", "--output-format", "json"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let found = codes_by_file(&output);
    assert!(
        found.contains(&("generated.py".to_string(), "DJM101".to_string())),
        "{found:?}"
    );
    assert!(found.contains(&("views.py".to_string(), "DJM102".to_string())));
}

/// What runs on a file the parser had to recover: findings inside a top-level function
/// or class with no syntax error are kept (an editor keeps showing them while another
/// function is half-typed), without fixes; findings in a broken function or at module
/// level, whose scope was not read whole, are not reported.
#[test]
fn a_recovered_file_reports_findings_only_in_its_intact_functions() {
    let source = "\
from shop.models import Order

if Order.objects.all():
    pass


def intact(customer):
    orders = Order.objects.filter(customer=customer)
    return len(orders)


def half_typed(customer):
    orders = Order.objects.filter(customer=customer)
    if orders:
        return [o for o in orders if o.
";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "views.py", source);
    let output = dormlint(
        &["check", ".", "--output-format", "json", "--no-cache"],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<(u64, &str)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["location"]["row"].as_u64().unwrap(),
                d["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [(9, "DJM102"), (16, "DJM001")]);
    assert!(
        json[0]["fix"].is_null(),
        "no fix is offered in a broken file"
    );
}
