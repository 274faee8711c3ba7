//! What `--fix` and `--diff` write, byte for byte: every fixture folder with fixable
//! findings is copied to a temporary directory, its `--diff` output and the full text of
//! every file `--fix` changed are snapshots; the cases a snapshot cannot show (a BOM, CRLF,
//! a file that does not parse, a run that reads the cache) are asserted on raw bytes.

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
