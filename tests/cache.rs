//! The persistent cache: a warm run says exactly what a cold one says, a change to one
//! file re-checks the files whose index answers it changed, and `--no-cache` leaves no
//! trace.

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
    write(
        dir.path(),
        "shop/models.py",
        MODELS.replace("    published = PublishedManager()\n", ""),
    );
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
