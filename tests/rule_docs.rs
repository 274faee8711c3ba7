//! Every rule has its document with the sections users read in `dormlint explain`,
//! and the documents' examples are true: Example fires the rule, Use instead does not.

use dormlint::registry::RULES;
use dormlint::settings::Settings;

const SECTIONS: &[&str] = &[
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## References",
];

fn python_block<'a>(doc: &'a str, section: &str) -> Option<&'a str> {
    let start = doc.find(section)? + section.len();
    let rest = &doc[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    let body = &rest[..end];
    let code = body.split("```python\n").nth(1)?;
    code.split("\n```").next()
}

#[test]
fn every_rule_document_has_its_title_and_sections_in_order() {
    for rule in RULES {
        let title = format!("# {}: {}\n", rule.code, rule.name);
        assert!(
            rule.doc.starts_with(&title),
            "{} must start with {title:?}",
            rule.code
        );
        let mut last = 0;
        for section in SECTIONS {
            let at = rule
                .doc
                .find(section)
                .unwrap_or_else(|| panic!("{} lacks {section}", rule.code));
            assert!(at > last, "{}: {section} is out of order", rule.code);
            last = at;
        }
        assert!(
            rule.summary().ends_with('.'),
            "{}: summary {:?}",
            rule.code,
            rule.summary()
        );
        assert!(
            rule.doc.contains("docs.djangoproject.com") || rule.rule.is_tool(),
            "{} cites no Django docs",
            rule.code
        );
    }
}

#[test]
fn examples_fire_and_fixes_do_not() {
    let mut checked = 0;
    for rule in RULES.iter().filter(|r| !r.rule.is_tool()) {
        let mut settings = Settings::default();
        settings
            .select_rules(&[rule.code.to_string()], &[], &[])
            .unwrap();
        let example = python_block(rule.doc, "## Example").expect("a python Example");
        let fixed = python_block(rule.doc, "## Use instead").expect("a python Use instead");
        let fired = dormlint::check_text(example, &settings);
        assert!(
            fired.iter().any(|(r, _)| *r == rule.rule),
            "{}: the Example does not fire: {fired:?}\n{example}",
            rule.code
        );
        let after = dormlint::check_text(fixed, &settings);
        assert!(
            after.is_empty(),
            "{}: Use instead still reports {after:?}\n{fixed}",
            rule.code
        );
        checked += 1;
    }
    assert_eq!(checked, RULES.iter().filter(|r| !r.rule.is_tool()).count());
}

#[test]
fn the_syntax_error_example_is_one() {
    let doc = RULES.iter().find(|r| r.code == "DJM001").unwrap().doc;
    let settings = Settings::default();
    let broken = python_block(doc, "## Example").unwrap();
    assert!(
        dormlint::check_text(broken, &settings)
            .iter()
            .any(|(r, _)| r.code() == "DJM001")
    );
    let fixed = python_block(doc, "## Use instead").unwrap();
    assert!(dormlint::check_text(fixed, &settings).is_empty());
}
