//! Django's own models (`django.contrib`: auth, contenttypes, sites, sessions, admin,
//! redirects, flatpages), known to the index as if the project declared them, so that
//! `User.objects`, `user.groups`, `group.user_set` and `ContentType.objects.get_for_model`
//! are querysets and managers with known keys and relations.
//!
//! The declarations are written by hand in `contrib/*.py`, one file per Django module,
//! as the fields, keys, managers and relations of Django 5.2's own declarations and
//! nothing else. `tests::stubs_match_django` reads Django's source and compares what the
//! index learns from each (run by `.ci/run`, which downloads the pinned sdist).

use std::sync::OnceLock;

use crate::semantic::index::FileFacts;

/// (module, hand-written declarations).
const STUBS: &[(&str, &str)] = &[
    (
        "django.contrib.auth.base_user",
        include_str!("contrib/auth_base_user.py"),
    ),
    (
        "django.contrib.auth.models",
        include_str!("contrib/auth.py"),
    ),
    (
        "django.contrib.contenttypes.models",
        include_str!("contrib/contenttypes.py"),
    ),
    (
        "django.contrib.sites.models",
        include_str!("contrib/sites.py"),
    ),
    (
        "django.contrib.sessions.base_session",
        include_str!("contrib/sessions_base_session.py"),
    ),
    (
        "django.contrib.sessions.models",
        include_str!("contrib/sessions.py"),
    ),
    (
        "django.contrib.admin.models",
        include_str!("contrib/admin.py"),
    ),
    (
        "django.contrib.redirects.models",
        include_str!("contrib/redirects.py"),
    ),
    (
        "django.contrib.flatpages.models",
        include_str!("contrib/flatpages.py"),
    ),
];

/// Models whose tables hold a few rows in any project, so that loading them whole costs
/// nothing worth a finding: one content type and four permissions per model, a site or
/// a handful, groups an administrator creates by hand. Sessions, admin log entries,
/// users, redirects and flat pages grow with use and are not here.
pub(crate) const FEW_ROWS: &[&str] = &[
    "django.contrib.auth.models.Group",
    "django.contrib.auth.models.Permission",
    "django.contrib.contenttypes.models.ContentType",
    "django.contrib.sites.models.Site",
];

/// The facts of every module in `STUBS`, parsed once per process.
pub(crate) fn facts() -> &'static [FileFacts] {
    static FACTS: OnceLock<Vec<FileFacts>> = OnceLock::new();
    FACTS.get_or_init(|| {
        STUBS
            .iter()
            .map(|(module, source)| {
                let parsed = crate::parse::parse_module(source);
                FileFacts {
                    module: module.to_string(),
                    classes: crate::semantic::facts::declarations(&parsed.body, module),
                    ..FileFacts::default()
                }
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::index::ClassFact;

    /// The Django release the declarations follow (`.ci/run` downloads its sdist).
    const DJANGO_VERSION: &str = "5.2.8";

    /// What the index learns from a class, in a comparable form.
    fn summary(class: &ClassFact) -> String {
        let mut relations = class.relation_accessors.clone();
        relations.sort();
        let mut unique = class.unique_keys.clone();
        unique.sort();
        let mut parents = class.parent_keys.clone();
        parents.sort();
        let mut managers: Vec<String> = class
            .attribute_calls
            .iter()
            .filter(|(name, _)| name == "objects")
            .map(|(name, callee)| format!("{name}={callee}"))
            .collect();
        managers.sort();
        format!(
            "bases={:?} fields={} relations={relations:?} unique={unique:?} parents={parents:?} managers={managers:?}",
            class.bases, class.field_count
        )
    }

    #[test]
    fn every_stub_parses_and_declares_models() {
        for ((module, source), facts) in STUBS.iter().zip(facts()) {
            assert!(
                crate::parse::parse_module(source).errors.is_empty(),
                "{module}"
            );
            assert!(!facts.classes.is_empty(), "{module}");
        }
        let names: Vec<&str> = facts()
            .iter()
            .flat_map(|f| f.classes.iter().map(|c| c.name.as_str()))
            .collect();
        for model in [
            "User",
            "Group",
            "Permission",
            "ContentType",
            "Site",
            "Session",
        ] {
            assert!(names.contains(&model), "{model}");
        }
        for model in ["LogEntry", "Redirect", "FlatPage"] {
            assert!(names.contains(&model), "{model}");
        }
    }

    /// The stubs say what Django's own declarations say, class by class. Needs Django's
    /// source: `DJANGO_SOURCE` names the unpacked sdist of `DJANGO_VERSION` (the
    /// directory holding `django/`). `.ci/run` downloads it; elsewhere the test is
    /// skipped unless asked for with `--ignored`.
    #[test]
    #[ignore = "needs Django's source in DJANGO_SOURCE"]
    fn stubs_match_django() {
        let root = std::path::PathBuf::from(
            std::env::var("DJANGO_SOURCE").expect("DJANGO_SOURCE names Django's sdist"),
        );
        for stub in facts() {
            let relative = format!("{}.py", stub.module.replace('.', "/"));
            let text = std::fs::read_to_string(root.join(&relative))
                .unwrap_or_else(|e| panic!("{relative}: {e}"));
            let parsed = crate::parse::parse_module(&text);
            let real = crate::semantic::facts::declarations(&parsed.body, &stub.module);
            for class in &stub.classes {
                let theirs = real
                    .iter()
                    .find(|c| c.name == class.name)
                    .unwrap_or_else(|| panic!("{} is not in {relative}", class.name));
                assert_eq!(
                    summary(class),
                    summary(theirs),
                    "{}.{} differs from Django {DJANGO_VERSION}",
                    stub.module,
                    class.name
                );
            }
        }
    }
}
