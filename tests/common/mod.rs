//! Helpers shared by the tests that run the real binary.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub fn dormlint(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dormlint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

/// Runs the binary with `input` on its standard input.
pub fn dormlint_stdin(args: &[&str], cwd: &Path, input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dormlint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn write(root: &Path, relative: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// The JSON findings as (file name, row, code).
pub fn findings(output: &Output) -> Vec<(String, u64, String)> {
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    json.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let file = Path::new(d["filename"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                file,
                d["location"]["row"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub const BAD_VIEW: &str = "\
from shop.models import Order


def has_orders(customer):
    orders = Order.objects.filter(customer=customer)
    if orders:
        return True
    return len(Order.objects.filter(paid=True))
";

/// Copies a tree (fixtures) into a temporary directory, so that runs never write into
/// the source tree.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
