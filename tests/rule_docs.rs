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

fn fenced_block<'a>(doc: &'a str, section: &str, language: &str) -> Option<&'a str> {
    let start = doc.find(section)? + section.len();
    let rest = &doc[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    let body = &rest[..end];
    let code = body.split(&format!("```{language}\n")).nth(1)?;
    code.split("\n```").next()
}

fn python_block<'a>(doc: &'a str, section: &str) -> Option<&'a str> {
    fenced_block(doc, section, "python")
}

/// A `text` block of deployment files, each starting with a `# path` line, written
/// out as a tree and checked with only `rule` selected: the codes found.
fn check_text_tree(block: &str, rule: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut current: Option<(String, String)> = None;
    let mut files = Vec::new();
    for line in block.lines() {
        let header = line.strip_prefix("# ").filter(|p| {
            !p.contains(' ') && (p.contains('/') || p.contains('.') || *p == "Procfile")
        });
        match header {
            Some(path) => {
                files.extend(current.take());
                current = Some((path.to_string(), String::new()));
            }
            None => {
                let (_, text) = current.as_mut().expect("the block starts with `# path`");
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    files.extend(current);
    for (path, text) in &files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mut settings = Settings::default();
    // A preview rule's document shows what it reports with preview on.
    settings.preview =
        dormlint::registry::Rule::from_code_or_name(rule).is_some_and(|rule| rule.is_preview());
    settings
        .select_rules(&[rule.to_string()], &[], &[])
        .unwrap();
    let result = dormlint::check_paths(&[dir.path().to_path_buf()], &settings).unwrap();
    result
        .reports
        .iter()
        .flat_map(|r| r.diagnostics.iter().map(|d| d.rule.code().to_string()))
        .collect()
}

/// The rules that judge a whole tree document their examples as files.
#[test]
fn tree_wide_examples_fire_and_fixes_do_not() {
    for rule in RULES.iter().filter(|r| r.rule.is_tree_wide()) {
        let example = fenced_block(rule.doc, "## Example", "text").expect("a text Example");
        let fixed = fenced_block(rule.doc, "## Use instead", "text").expect("a text Use instead");
        let fired = check_text_tree(example, rule.code);
        assert!(
            fired.iter().any(|c| c == rule.code),
            "{}: the Example does not fire: {fired:?}",
            rule.code
        );
        let after = check_text_tree(fixed, rule.code);
        assert!(
            after.is_empty(),
            "{}: Use instead still reports {after:?}",
            rule.code
        );
    }
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
    let mut checked = Vec::new();
    let per_file = |r: &&dormlint::registry::RuleInfo| !r.rule.is_tool() && !r.rule.is_tree_wide();
    for rule in RULES.iter().filter(per_file) {
        let mut settings = Settings::default();
        // A preview rule's document shows what it reports with preview on.
        settings.preview = rule.rule.is_preview();
        // DJM003 judges the codes of rules that ran: its example needs them all on.
        let selection = if rule.code == "DJM003" {
            "ALL"
        } else {
            rule.code
        };
        settings
            .select_rules(&[selection.to_string()], &[], &[])
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
        checked.push(rule.code);
    }
    // Every rule but the tool codes and the tree-wide rules, named here and not derived
    // from the filter above, so a filter that lets nothing through fails.
    let others = [
        "DJM000", "DJM001", "DJM002", "DJM208", "DJM209", "DJM501", "DJM503", "DJM504", "DJM505",
    ];
    let expected: Vec<&str> = RULES
        .iter()
        .map(|r| r.code)
        .filter(|code| !others.contains(code))
        .collect();
    assert_eq!(checked, expected);
    assert!(checked.len() >= 17, "{checked:?}");
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
