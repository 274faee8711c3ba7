//! The persistent cache: a warm run says exactly what a cold one says and parses
//! nothing, a change to one file re-checks the files whose index answers it changed,
//! another build or other settings never read it, and `--no-cache` leaves no trace.

mod common;

use common::{dormlint, stdout, write};

const MODELS: &str = "\
from django.db import models


class PublishedManager(models.Manager):
    pass


class Book(models.Model):
    title = models.CharField(max_length=10)
    published = PublishedManager()
";

const VIEWS: &str = "\
from .models import Book


def shelf():
    if Book.published.filter(title=\"x\"):
        return 1
";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "shop/__init__.py", "");
    write(dir.path(), "shop/models.py", MODELS);
    write(dir.path(), "shop/views.py", VIEWS);
    dir
}

/// Edits models.py so that `Book.published` no longer exists: views.py's DJM101 goes.
fn remove_the_custom_manager(dir: &std::path::Path) {
    write(
        dir,
        "shop/models.py",
        MODELS.replace("    published = PublishedManager()\n", ""),
    );
}

fn json(dir: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec!["check", ".", "--output-format", "json"];
    args.extend_from_slice(extra);
    stdout(&dormlint(&args, dir))
}

#[test]
fn warm_runs_say_what_cold_runs_say() {
    let dir = project();
    let cold = json(dir.path(), &["--no-cache"]);
    assert!(cold.contains("DJM101"));
    let first = json(dir.path(), &[]);
    let warm = json(dir.path(), &[]);
    assert_eq!(first, cold);
    assert_eq!(warm, cold);
    assert!(dir.path().join(".dormlint_cache/.gitignore").exists());
}

/// A models module is a dependency of the views that ask about it: removing the custom
/// manager re-checks views.py although views.py did not change.
#[test]
fn a_change_to_models_rechecks_the_views_that_asked_about_them() {
    let dir = project();
    assert!(json(dir.path(), &[]).contains("DJM101"));
    // sleep past the file system's timestamp granularity so the edit is seen
    std::thread::sleep(std::time::Duration::from_millis(20));
    remove_the_custom_manager(dir.path());
    let after = json(dir.path(), &[]);
    assert!(!after.contains("DJM101"), "{after}");
    assert_eq!(after, json(dir.path(), &["--no-cache"]));
}

#[test]
fn no_cache_leaves_no_trace_and_settings_have_their_own_cache() {
    let dir = project();
    json(dir.path(), &["--no-cache"]);
    assert!(!dir.path().join(".dormlint_cache").exists());
    assert!(json(dir.path(), &["--select", "DJM102"]).trim() == "[]");
    assert!(
        json(dir.path(), &[]).contains("DJM101"),
        "a cache for other settings is not reused"
    );
}

/// The line `DORMLINT_DEBUG_INDEX` prints: how many files this run read and parsed.
fn parsed(dir: &std::path::Path, env: &[(&str, &std::path::Path)]) -> usize {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_dormlint"));
    command
        .args(["check", ".", "--output-format", "json"])
        .current_dir(dir)
        .env("DORMLINT_DEBUG_INDEX", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains(" parsed, "))
        .unwrap_or_else(|| panic!("no count in {stderr}"));
    line.split(", ")
        .find_map(|part| part.strip_suffix(" parsed"))
        .unwrap()
        .parse()
        .unwrap()
}

/// A cache that is never read would pass every other test: the warm run must parse
/// nothing, and one edited leaf file must be the only one parsed again.
#[test]
fn a_warm_run_parses_nothing_and_one_change_parses_one_file() {
    let dir = project();
    assert_eq!(parsed(dir.path(), &[]), 3, "cold: every file");
    assert_eq!(parsed(dir.path(), &[]), 0, "warm, nothing changed");
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(dir.path(), "shop/views.py", format!("{VIEWS}\n\nX = 1\n"));
    assert_eq!(parsed(dir.path(), &[]), 1, "only the edited view");
    assert_eq!(parsed(dir.path(), &[]), 0);
}

/// `DORMLINT_CACHE_DIR` moves the cache (none is left in the tree); `dormlint clean`
/// removes it, and the next run parses everything again.
#[test]
fn the_cache_moves_with_dormlint_cache_dir_and_clean_removes_it() {
    let dir = project();
    let elsewhere = tempfile::tempdir().unwrap();
    let cache = elsewhere.path().join("cache");
    assert_eq!(parsed(dir.path(), &[("DORMLINT_CACHE_DIR", &cache)]), 3);
    assert!(!dir.path().join(".dormlint_cache").exists());
    let files: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".bin"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(parsed(dir.path(), &[("DORMLINT_CACHE_DIR", &cache)]), 0);

    let clean = std::process::Command::new(env!("CARGO_BIN_EXE_dormlint"))
        .arg("clean")
        .current_dir(dir.path())
        .env("DORMLINT_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0));
    assert!(!cache.exists());
    assert_eq!(parsed(dir.path(), &[("DORMLINT_CACHE_DIR", &cache)]), 3);

    // ruff's `--cache-dir`, which wins over the variable.
    let flagged = elsewhere.path().join("flagged");
    let with_flag = |env: &[(&str, &std::path::Path)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_dormlint"));
        command
            .args(["check", ".", "--cache-dir"])
            .arg(&flagged)
            .current_dir(dir.path())
            .env("DORMLINT_DEBUG_INDEX", "1");
        for (key, value) in env {
            command.env(key, value);
        }
        String::from_utf8_lossy(&command.output().unwrap().stderr).into_owned()
    };
    assert!(with_flag(&[("DORMLINT_CACHE_DIR", &cache)]).contains(" 3 parsed,"));
    assert!(flagged.is_dir());
    assert!(with_flag(&[]).contains(" 0 parsed,"));
    assert!(!dir.path().join(".dormlint_cache").exists());
}

/// A rebuilt binary (same version, new executable) never reads the old one's cache:
/// a copy of the binary with another modification time is another build.
#[test]
fn another_build_of_the_same_version_does_not_read_the_cache() {
    let dir = project();
    let bin = tempfile::tempdir().unwrap();
    let copy = bin.path().join("dormlint");
    std::fs::copy(env!("CARGO_BIN_EXE_dormlint"), &copy).unwrap();
    let run = |exe: &std::path::Path| {
        let output = std::process::Command::new(exe)
            .args(["check", ".", "--output-format", "json"])
            .current_dir(dir.path())
            .env("DORMLINT_DEBUG_INDEX", "1")
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    assert!(run(std::path::Path::new(env!("CARGO_BIN_EXE_dormlint"))).contains(" 3 parsed,"));
    let copied = run(&copy);
    assert!(copied.contains(" 3 parsed,"), "{copied}");
    assert!(run(&copy).contains(" 0 parsed,"));
}

/// Caches of other settings are pruned: at most four files stay in the directory.
#[test]
fn caches_of_other_settings_are_pruned() {
    let dir = project();
    for select in ["DJM101", "DJM102", "DJM103", "DJM104", "DJM105", "DJM201"] {
        json(dir.path(), &["--select", select]);
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    let kept = std::fs::read_dir(dir.path().join(".dormlint_cache"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "bin")
        })
        .count();
    assert_eq!(kept, 4);
}

/// The directory of the index parts beside the cache's results file.
fn shards(dir: &std::path::Path) -> std::path::PathBuf {
    let found: Vec<std::path::PathBuf> = std::fs::read_dir(dir.join(".dormlint_cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "index"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

/// An unchanged tree is answered from the results alone: with the index parts gone,
/// the warm run still parses nothing and says what the cold run said.
#[test]
fn an_unchanged_tree_never_reads_the_index_parts() {
    let dir = project();
    let cold = json(dir.path(), &[]);
    std::fs::remove_dir_all(shards(dir.path())).unwrap();
    assert_eq!(parsed(dir.path(), &[]), 0);
    assert_eq!(json(dir.path(), &[]), cold);
}

/// Index parts that were lost (a run stopped between writing the shards and the
/// results, a disk full) make their files be checked again, never be trusted blank:
/// after an edit the findings are those of a run without a cache.
#[test]
fn lost_index_parts_are_checked_again() {
    let dir = project();
    json(dir.path(), &[]);
    std::fs::remove_dir_all(shards(dir.path())).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    remove_the_custom_manager(dir.path());
    assert_eq!(parsed(dir.path(), &[]), 3, "every file lost its part");
    let after = json(dir.path(), &[]);
    assert!(!after.contains("DJM101"), "{after}");
    assert_eq!(after, json(dir.path(), &["--no-cache"]));
}

/// A deleted file's index part leaves the cache with it: no shard names it after the
/// next run, and one edited file rewrites only its own shard.
#[test]
fn a_deleted_files_part_is_pruned_and_one_edit_rewrites_one_shard() {
    let dir = project();
    write(dir.path(), "shop/extra.py", "from .models import Book\n");
    json(dir.path(), &[]);
    let holds = |name: &str| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(shards(dir.path()))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let bytes = std::fs::read(p).unwrap();
                bytes.windows(name.len()).any(|w| w == name.as_bytes())
            })
            .collect()
    };
    assert_eq!(holds("extra.py").len(), 1);
    std::fs::remove_file(dir.path().join("shop/extra.py")).unwrap();
    json(dir.path(), &[]);
    assert_eq!(holds("extra.py"), Vec::<std::path::PathBuf>::new());

    let modified = |path: &std::path::Path| std::fs::metadata(path).unwrap().modified().unwrap();
    let before: Vec<_> = std::fs::read_dir(shards(dir.path()))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (modified(&p), p))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(dir.path(), "shop/views.py", format!("{VIEWS}\n\nX = 1\n"));
    json(dir.path(), &[]);
    let rewritten: Vec<_> = before
        .iter()
        .filter(|(time, path)| modified(path) != *time)
        .map(|(_, path)| path.clone())
        .collect();
    assert_eq!(rewritten, holds("views.py"), "only the edited file's shard");
}

/// Whether the run reused the cache's index (`DORMLINT_DEBUG_INDEX`), and its JSON.
fn graph_reused(dir: &std::path::Path) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_dormlint"))
        .args(["check", ".", "--output-format", "json"])
        .current_dir(dir)
        .env("DORMLINT_DEBUG_INDEX", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    (
        stderr.contains("index reused"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The index (the call graph with it) is kept when an edit declares and calls nothing
/// new (edit after edit: the results keep its generation), and built again when a call
/// is added;
/// either way the findings are those of a run without a cache.
#[test]
fn the_index_is_reused_until_an_edit_changes_what_is_declared_or_called() {
    let dir = project();
    write(dir.path(), "shop/tasks.py", "from .views import shelf\n");
    json(dir.path(), &[]);
    for n in 0..2 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        write(
            dir.path(),
            "shop/views.py",
            format!("{VIEWS}\n# edit {n}\n"),
        );
        let (reused, findings) = graph_reused(dir.path());
        assert!(reused, "edit {n}: only a comment changed");
        assert_eq!(findings, json(dir.path(), &["--no-cache"]));
    }
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(
        dir.path(),
        "shop/tasks.py",
        "from .views import shelf\n\n\ndef nightly():\n    shelf()\n",
    );
    let (reused, findings) = graph_reused(dir.path());
    assert!(!reused, "a function and a call were added");
    assert_eq!(findings, json(dir.path(), &["--no-cache"]));
}

/// The cache's results file (`NAME.bin`).
fn results_file(dir: &std::path::Path) -> std::path::PathBuf {
    shards(dir).with_extension("bin")
}

/// A run that wrote its shards but not its results (stopped, or the write failed)
/// leaves parts of a generation the results do not know: the next run checks those
/// files again rather than trusting them beside the old findings.
#[test]
fn parts_written_without_their_results_are_not_trusted() {
    let dir = project();
    json(dir.path(), &[]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    remove_the_custom_manager(dir.path());
    // A directory where the results' temporary file goes: only that write fails.
    let mut blocked = results_file(dir.path()).into_os_string();
    blocked.push(".tmp");
    std::fs::create_dir(&blocked).unwrap();
    let without_results = json(dir.path(), &[]);
    std::fs::remove_dir(&blocked).unwrap();
    let expected = json(dir.path(), &["--no-cache"]);
    assert_eq!(without_results, expected);
    assert!(!expected.contains("DJM101"), "{expected}");
    assert_eq!(json(dir.path(), &[]), expected);
    assert_eq!(json(dir.path(), &[]), expected);
}

/// An edited file whose part the cache lost: what it declared before is unknown, so
/// the files that asked about it are checked again too.
#[test]
fn an_edited_file_without_its_part_rechecks_its_dependents() {
    let dir = project();
    json(dir.path(), &[]);
    let shard_of_models: std::path::PathBuf = std::fs::read_dir(shards(dir.path()))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let bytes = std::fs::read(p).unwrap();
            bytes.windows(9).any(|w| w == b"models.py")
        })
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(
        dir.path(),
        "shop/models.py",
        format!("{MODELS}\n# edited\n"),
    );
    // The models shard's write fails: its part stays that of the run before.
    let mut blocked = shard_of_models.into_os_string();
    blocked.push(".tmp");
    std::fs::create_dir(&blocked).unwrap();
    assert!(json(dir.path(), &[]).contains("DJM101"));
    std::fs::remove_dir(&blocked).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(dir.path(), "shop/models.py", "X = 1\n");
    let expected = json(dir.path(), &["--no-cache"]);
    assert!(!expected.contains("DJM101"), "{expected}");
    assert_eq!(json(dir.path(), &[]), expected);
}

/// A file checked again while the index is reused (a function it calls changed what
/// it returns) keeps its declarations in the cache: when a later edit makes the index
/// be built again from every file's declarations, its model is still known.
#[test]
fn a_file_rechecked_while_the_index_is_reused_keeps_its_declarations() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "shop/__init__.py", "");
    write(root, "shop/models.py", MODELS);
    write(
        root,
        "shop/helpers.py",
        "from .models import Book\n\n\ndef books():\n    return Book.objects.all()\n",
    );
    write(
        root,
        "shop/views.py",
        "from django.db import models\n\nfrom .helpers import books\n\n\nclass Shelf(models.Model):\n    name = models.CharField(max_length=10)\n\n\ndef shelf():\n    if books():\n        return 1\n",
    );
    write(
        root,
        "shop/tasks.py",
        "from celery import shared_task\n\nfrom .views import Shelf\n\n\n@shared_task\ndef nightly():\n    for shelf in Shelf.objects.all():\n        print(shelf.name)\n",
    );
    let cold = json(root, &[]);
    assert!(cold.contains("DJM101") && cold.contains("DJM201"), "{cold}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(
        root,
        "shop/helpers.py",
        "from .models import Book\n\n\ndef books():\n    return [Book.objects.all()]\n",
    );
    let (reused, findings) = graph_reused(root);
    assert!(reused, "only what books() returns changed");
    assert!(
        !findings.contains("DJM101"),
        "views.py was checked again: {findings}"
    );
    assert_eq!(findings, json(root, &["--no-cache"]));
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(
        root,
        "shop/models.py",
        format!("{MODELS}\n\nclass Shop(models.Model):\n    pass\n"),
    );
    let (reused, findings) = graph_reused(root);
    assert!(!reused, "a model was added");
    assert!(
        findings.contains("DJM201"),
        "Shelf is still a model: {findings}"
    );
    assert_eq!(findings, json(root, &["--no-cache"]));
}
