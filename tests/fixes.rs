//! What `--fix` and `--diff` write, byte for byte: every fixture folder with fixable
//! findings is copied to a temporary directory, its `--diff` output and the full text of
//! every file `--fix` changed are snapshots; the cases a snapshot cannot show (a BOM, CRLF,
//! a file that does not parse, a run that reads the cache) are asserted on raw bytes.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{dormlint, stdout, write};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every file below `root`, by path relative to it.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry.path().strip_prefix(root).unwrap();
            (
                relative.to_string_lossy().replace('\\', "/"),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

/// The number in "Would fix N problems." / "Fixed N problems.".
fn count_in(output: &str, prefix: &str) -> usize {
    output
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `{prefix}` line in\n{output}"))
}

/// Copies `fixtures/<folder>` to a temporary directory, runs `--diff` then `--fix` on it
/// with `select`, and returns the diff and the full text of every changed file. Preview
/// is on, so the fixes of findings only preview mode reports are pinned too.
fn fix_folder(folder: &str, select: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let name = Path::new(folder).file_name().unwrap().to_str().unwrap();
    let before = files(&fixtures().join(folder));
    for (path, bytes) in &before {
        write(&dir.path().join(name), path, bytes);
    }
    let args = |mode: &'static str| {
        [
            "check",
            name,
            "--select",
            select,
            "--no-cache",
            "--preview",
            mode,
        ]
    };
    let diff = dormlint(&args("--diff"), dir.path());
    assert_eq!(diff.status.code(), Some(1), "{}", common::stderr(&diff));
    // The diff on stdout, the count on stderr, as ruff prints them.
    let would_fix = count_in(&common::stderr(&diff), "Would fix ");
    let diff = stdout(&diff).replace(&dir.path().display().to_string(), "[TMP]");
    assert_eq!(
        files(&dir.path().join(name)),
        before,
        "--diff wrote to the files"
    );

    let fixed = dormlint(&args("--fix"), dir.path());
    let fixed_count = count_in(&stdout(&fixed), "Fixed ");
    assert_eq!(fixed_count, would_fix);
    assert!(fixed_count > 0);
    let after = files(&dir.path().join(name));
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "--fix added or removed files"
    );
    let mut changed = String::new();
    for (path, bytes) in &after {
        if before[path] != *bytes {
            let text = String::from_utf8(bytes.clone()).unwrap();
            changed.push_str(&format!("=== {path} ===\n{text}"));
        }
    }
    // Every fixed file still parses.
    let parsed = dormlint(
        &["check", name, "--select", "DJM001", "--no-cache", "-q"],
        dir.path(),
    );
    assert_eq!(parsed.status.code(), Some(0), "{}", stdout(&parsed));
    (diff, changed)
}

macro_rules! fixed_folder {
    ($test:ident, $folder:literal, $select:literal, $name:literal) => {
        #[test]
        fn $test() {
            let (diff, fixed) = fix_folder($folder, $select);
            insta::assert_snapshot!(concat!($name, "_diff"), diff);
            insta::assert_snapshot!(concat!($name, "_fixed"), fixed);
        }
    };
}

// DJM203 runs beside DJM101 so that DJM003 judges the `# noqa: ..., DJM203` directives.
fixed_folder!(
    fixes_djm101_and_unused_noqa,
    "DJM101",
    "DJM101,DJM203,DJM003",
    "DJM101"
);
fixed_folder!(fixes_djm102, "DJM102", "DJM102", "DJM102");
fixed_folder!(fixes_djm104, "DJM104", "DJM104", "DJM104");
fixed_folder!(fixes_djm106, "DJM106", "DJM106", "DJM106");
fixed_folder!(fixes_djm205, "DJM205", "DJM205", "DJM205");
fixed_folder!(
    fixes_story_len_and_in,
    "stories/len_and_in",
    "ALL",
    "story_len_and_in"
);
fixed_folder!(
    fixes_story_students_view,
    "stories/students_view",
    "ALL",
    "story_students_view"
);

/// A file with a BOM and CRLF line endings, with three fixes on rows that end in `\r\n`.
const BOM_CRLF: &[u8] = b"\xef\xbb\xbffrom shop.models import Order\r\n\r\n\r\ndef f():\r\n    qs = Order.objects.filter(paid=True)\r\n    if qs:  # noqa: DJM203\r\n        return len(Order.objects.all())\r\n    return Order.objects.count() == 0\r\n";
const BOM_CRLF_FIXED: &[u8] = b"\xef\xbb\xbffrom shop.models import Order\r\n\r\n\r\ndef f():\r\n    qs = Order.objects.filter(paid=True)\r\n    if qs.exists():\r\n        return Order.objects.all().count()\r\n    return not Order.objects.exists()\r\n";

/// The BOM is kept and the edits land where the findings are, whether the findings come
/// from a fresh check or from the cache a previous run wrote (whose file text was read
/// again with its BOM: every edit landed 3 bytes early and garbled the file).
#[test]
fn bom_and_crlf_survive_fix_with_and_without_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "fresh.py", BOM_CRLF);
    let fixed = dormlint(
        &[
            "check",
            "fresh.py",
            "--select",
            "ALL",
            "--no-cache",
            "--fix",
        ],
        dir.path(),
    );
    assert!(stdout(&fixed).starts_with("Fixed 4 problems.\n"));
    assert_eq!(
        std::fs::read(dir.path().join("fresh.py")).unwrap(),
        BOM_CRLF_FIXED
    );

    write(dir.path(), "cached.py", BOM_CRLF);
    let diff = dormlint(
        &["check", "cached.py", "--select", "ALL", "--diff"],
        dir.path(),
    );
    assert_eq!(common::stderr(&diff), "Would fix 4 problems.\n");
    assert!(dir.path().join(".dormlint_cache").exists());
    let fixed = dormlint(
        &["check", "cached.py", "--select", "ALL", "--fix"],
        dir.path(),
    );
    assert!(stdout(&fixed).starts_with("Fixed 4 problems.\n"));
    assert_eq!(
        std::fs::read(dir.path().join("cached.py")).unwrap(),
        BOM_CRLF_FIXED
    );
}

/// `--stdin-filename` with `--fix`: the buffer's BOM is stripped before the check, so the
/// edits are placed after it (they were placed 3 bytes early).
#[test]
fn bom_on_stdin_fix() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dormlint"))
        .args([
            "check",
            "--stdin-filename",
            "views.py",
            "--select",
            "ALL",
            "--fix",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(BOM_CRLF).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.stdout, BOM_CRLF_FIXED);
}

/// `--add-noqa` keeps the BOM too.
#[test]
fn bom_survives_add_noqa() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "views.py",
        b"\xef\xbb\xbffrom shop.models import Order\r\nif Order.objects.all():\r\n    pass\r\n",
    );
    let added = dormlint(
        &[
            "check",
            "views.py",
            "--select",
            "DJM101",
            "--no-cache",
            "--add-noqa",
        ],
        dir.path(),
    );
    assert_eq!(stdout(&added), "Added 1 noqa directive.\n");
    assert_eq!(
        std::fs::read(dir.path().join("views.py")).unwrap(),
        b"\xef\xbb\xbffrom shop.models import Order\r\nif Order.objects.all():  # noqa: DJM101\r\n    pass\r\n"
    );
}

/// A file that does not parse gets no fix, not even DJM003's: its directives silenced
/// nothing only because nothing was checked.
#[test]
fn syntax_error_file_is_left_unchanged_by_fix() {
    let dir = tempfile::tempdir().unwrap();
    let source = "\
from shop.models import Order


def fine():
    if Order.objects.all():  # noqa: DJM203
        return len(Order.objects.all())  # noqa: DJM102, DJM203
    return Order.objects.count() == 0


def broken(:
    pass
";
    write(dir.path(), "broken.py", source);
    let diff = dormlint(
        &[
            "check",
            "broken.py",
            "--select",
            "ALL",
            "--no-cache",
            "--diff",
        ],
        dir.path(),
    );
    assert_eq!(stdout(&diff), "", "no diff for a file with a syntax error");
    let fixed = dormlint(
        &[
            "check",
            "broken.py",
            "--select",
            "ALL",
            "--no-cache",
            "--fix",
        ],
        dir.path(),
    );
    assert_eq!(fixed.status.code(), Some(1));
    assert!(!stdout(&fixed).contains("Fixed"), "{}", stdout(&fixed));
    assert_eq!(
        std::fs::read(dir.path().join("broken.py")).unwrap(),
        source.as_bytes()
    );
}

/// The fixes of a small buffer, through `--stdin-filename ... --fix`.
fn fix_stdin(source: &str) -> String {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dormlint"))
        .args([
            "check",
            "--stdin-filename",
            "views.py",
            "--select",
            "ALL",
            "--fix",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
}

/// `(a | b).count() > 0` became `a | b.exists()`: `.exists()` on `b` alone, then `|`
/// between a queryset and a bool.
#[test]
fn djm104_bracketed_receiver_keeps_its_brackets() {
    let source = "\
from shop.models import Order

a = Order.objects.filter(paid=True)
b = Order.objects.filter(sent=True)
x = (a | b).count() > 0
y = (a | b).count() == 0
if (a | b).count():
    pass
";
    assert_eq!(
        fix_stdin(source),
        "\
from shop.models import Order

a = Order.objects.filter(paid=True)
b = Order.objects.filter(sent=True)
x = (a | b).exists()
y = not (a | b).exists()
if (a | b).exists():
    pass
"
    );
}

/// A comment between the receiver and `.count()`, or between `.count()` and the
/// comparison, was deleted with them: now no fix is offered there.
#[test]
fn djm104_comment_around_count_is_never_dropped() {
    let source = "\
from shop.models import Order

x = (
    Order.objects.filter(paid=True)  # paid only
    .count() > 0
)
y = (
    Order.objects.count()  # all of them
    == 0
)
";
    assert_eq!(fix_stdin(source), source);
}

/// DJM104's fix title quotes the replacement when it is short and elides the receiver
/// when it is long (found by cargo-mutants: no test read the title).
#[test]
fn djm104_fix_title_quotes_a_short_replacement_and_elides_a_long_one() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "views.py",
        "from shop.models import Order\n\n\ndef f():\n    a = Order.objects.count() > 0\n    \
         b = Order.objects.filter(customer__region__name=\"north\", paid=True).count() == 0\n    \
         return a, b\n",
    );
    let output = dormlint(
        &[
            "check",
            "views.py",
            "--select",
            "DJM104",
            "--no-cache",
            "--output-format",
            "json",
        ],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let titles: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["fix"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Use `Order.objects.exists()`", "Use `….exists()`"]);
}
