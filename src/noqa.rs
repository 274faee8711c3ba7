//! Suppression comments: `# noqa`, `# noqa: DJM101, DJM203` on a diagnostic's start
//! row, and the file-level `# dormlint: noqa` / `# dormlint: noqa: DJM401`; and the
//! directives that silence nothing (DJM003).

use crate::diagnostic::{self, Diagnostic};
use crate::registry::Rule;
use crate::settings::Settings;
use crate::source::LineIndex;

/// What a comment suppresses: everything, or the listed codes.
#[derive(Debug, PartialEq)]
pub(crate) enum Suppression {
    All,
    Codes(Vec<String>),
}

impl Suppression {
    fn covers(&self, rule: Rule) -> bool {
        match self {
            Suppression::All => true,
            Suppression::Codes(codes) => codes
                .iter()
                .any(|code| code.eq_ignore_ascii_case(rule.code())),
        }
    }
}

/// The comment part of a line: from the first `#` outside a string literal. Strings that
/// span lines are not tracked; a `#` inside one is rare enough not to matter here.
fn comment(line: &str) -> Option<&str> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => return Some(&line[i..]),
            _ => {}
        }
    }
    None
}

/// Parses `noqa` or `noqa: A1, B2` starting right after the word `noqa`, and where
/// in `rest` the last code ends (0 for a bare `noqa`).
fn codes_after(rest: &str) -> (Suppression, usize) {
    let trimmed = rest.trim_start();
    let Some(list) = trimmed.strip_prefix(':') else {
        return (Suppression::All, 0);
    };
    let list_start = rest.len() - list.len();
    let mut codes = Vec::new();
    let mut end = 0;
    let mut token_start = 0;
    // The separators are one byte each, so each token starts one byte after the last.
    for token in list.split([',', ' ', '\t']) {
        let at = token_start;
        token_start += token.len() + 1;
        let code = token.trim();
        if code.is_empty() {
            continue;
        }
        let is_code = code.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && code.chars().any(|c| c.is_ascii_digit())
            && code.chars().all(|c| c.is_ascii_alphanumeric());
        if !is_code {
            break;
        }
        codes.push(code.to_ascii_uppercase());
        let leading = token.len() - token.trim_start().len();
        end = list_start + at + leading + code.len();
    }
    if codes.is_empty() {
        (Suppression::All, 0)
    } else {
        (Suppression::Codes(codes), end)
    }
}

/// The line-level suppression in a comment, if any (`# noqa`, `#noqa:DJM101`).
pub(crate) fn line_suppression(line: &str) -> Option<Suppression> {
    directive(line).map(|(_, suppression)| suppression)
}

/// The directive's byte range in `line` (from its `#` to the end of its codes) and
/// what it suppresses.
pub(crate) fn directive(line: &str) -> Option<(std::ops::Range<usize>, Suppression)> {
    let comment = comment(line)?;
    let comment_start = line.len() - comment.len();
    let lower = comment.to_ascii_lowercase();
    let mut search = 0;
    while let Some(found) = lower[search..].find("noqa") {
        let at = search + found;
        let before = lower[..at].trim_end();
        let is_directive = before.ends_with('#')
            && !before
                .trim_end_matches('#')
                .trim_end()
                .ends_with("dormlint:");
        if is_directive {
            let hash = before.len() - 1;
            // The end of the last code as parsed: searching for its text could find it
            // inside an earlier code (`DJM10` in `DJM101, DJM10`) and cut the list there.
            let (suppression, codes_end) = codes_after(&comment[at + 4..]);
            let end = at + 4 + codes_end;
            return Some((comment_start + hash..comment_start + end, suppression));
        }
        search = at + 4;
    }
    None
}

/// Where another code joins the line's `# noqa: A1, B2` list (the editor's "suppress"
/// action): the byte offset just after its last code. `None` when the line has no
/// such list: no directive, or a bare `# noqa`, which already silences everything.
pub(crate) fn code_list_end(line: &str) -> Option<usize> {
    match directive(line)? {
        (range, Suppression::Codes(_)) => Some(range.end),
        (_, Suppression::All) => None,
    }
}

/// `line` with `# noqa: CODE` added for `codes` (merged into a directive already there).
pub(crate) fn add_codes(line: &str, codes: &[&str]) -> String {
    match directive(line) {
        Some((_, Suppression::All)) => line.to_string(),
        Some((range, Suppression::Codes(existing))) => {
            let mut all: Vec<String> = existing;
            for code in codes {
                if !all.iter().any(|c| c.eq_ignore_ascii_case(code)) {
                    all.push(code.to_string());
                }
            }
            format!(
                "{}# noqa: {}{}",
                &line[..range.start],
                all.join(", "),
                &line[range.end..]
            )
        }
        None => format!("{}  # noqa: {}", line.trim_end(), codes.join(", ")),
    }
}

/// The file-level directives (`# dormlint: noqa[: CODES]`) anywhere in the file.
pub(crate) fn file_suppressions(text: &str) -> Vec<Suppression> {
    if !text.contains("dormlint:") {
        return Vec::new();
    }
    text.lines()
        .filter_map(comment)
        .filter_map(|comment| {
            let lower = comment.to_ascii_lowercase();
            let at = lower.find("dormlint:")?;
            let rest = lower[at + "dormlint:".len()..].trim_start();
            rest.starts_with("noqa").then(|| {
                let offset = comment.len() - rest.len() + 4;
                codes_after(&comment[offset..]).0
            })
        })
        .collect()
}

/// Whether a diagnostic of `rule` starting on 0-based `line` is suppressed.
pub(crate) fn is_suppressed(
    text: &str,
    lines: &LineIndex,
    file_level: &[Suppression],
    rule: Rule,
    line: usize,
) -> bool {
    if file_level.iter().any(|s| s.covers(rule)) {
        return true;
    }
    line_suppression(lines.line_text(text, line)).is_some_and(|s| s.covers(rule))
}

/// DJM003: codes in `# noqa: ...` directives that silence nothing on their row. Only
/// codes of rules that ran are judged: other tools' codes are theirs.
pub(crate) fn unused(
    text: &str,
    lines: &LineIndex,
    found: &[Diagnostic],
    settings: &Settings,
) -> Vec<Diagnostic> {
    // Directives are case-insensitive (`# NOQA: DJM101`): so is this shortcut.
    if !text
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"noqa"))
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive(['\n', '\r']) {
        let start = offset;
        offset += line.len();
        let Some((span, Suppression::Codes(codes))) = directive(line) else {
            continue;
        };
        let row = lines.line_of(ruff_text_size::TextSize::from(start as u32));
        let used = |code: &str| {
            found.iter().any(|d| {
                d.rule.code().eq_ignore_ascii_case(code) && lines.line_of(d.range.start()) == row
            })
        };
        let unused: Vec<&String> = codes
            .iter()
            .filter(|code| code.to_ascii_uppercase().starts_with("DJM"))
            .filter(|code| match Rule::from_code_or_name(code) {
                // Tree-wide rules are settled after this file's pass: not judged here.
                Some(rule) => settings.rules.contains(&rule) && !rule.is_tree_wide() && !used(code),
                None => true,
            })
            .collect();
        if unused.is_empty() {
            continue;
        }
        let kept: Vec<&String> = codes.iter().filter(|c| !unused.contains(c)).collect();
        let range = ruff_text_size::TextRange::new(
            ((start + span.start) as u32).into(),
            ((start + span.end) as u32).into(),
        );
        let listed = unused
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let (replacement, removal) = if kept.is_empty() {
            // Remove the directive and the blanks before it.
            let before = line[..span.start].trim_end().len();
            let range =
                ruff_text_size::TextRange::new(((start + before) as u32).into(), range.end());
            (String::new(), range)
        } else {
            let kept = kept
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            (format!("# noqa: {kept}"), range)
        };
        out.push(
            Diagnostic::new(
                Rule::UnusedNoqa,
                format!("this `noqa` silences nothing: no {listed} finding starts on this row"),
                range,
            )
            .with_help("remove the unused codes")
            .with_fix(diagnostic::Fix::replacement(
                "Remove the unused codes",
                removal,
                replacement,
            )),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_directives() {
        assert_eq!(line_suppression("x = 1  # noqa"), Some(Suppression::All));
        assert_eq!(
            line_suppression("if qs:  #NOQA:djm101,DJM203 because"),
            Some(Suppression::Codes(vec!["DJM101".into(), "DJM203".into()]))
        );
        assert_eq!(
            line_suppression("x = 1  # type: ignore  # noqa: DJM102"),
            Some(Suppression::Codes(vec!["DJM102".into()]))
        );
        assert_eq!(line_suppression("s = '# noqa'"), None);
        assert_eq!(line_suppression("x = 1  # dormlint: noqa"), None);
        assert_eq!(line_suppression("x = 1  # not a noqa"), None);
    }

    #[test]
    fn directives_have_spans_and_take_more_codes() {
        let line = "if qs:  # noqa: DJM101  why";
        let (range, _) = directive(line).unwrap();
        assert_eq!(&line[range], "# noqa: DJM101");
        assert_eq!(
            add_codes(line, &["DJM203"]),
            "if qs:  # noqa: DJM101, DJM203  why"
        );
        assert_eq!(add_codes("x = 1", &["DJM102"]), "x = 1  # noqa: DJM102");
        assert_eq!(add_codes("x = 1  # noqa", &["DJM102"]), "x = 1  # noqa");
    }

    #[test]
    fn spans_end_at_the_last_code_whatever_the_spacing() {
        // Spaces before the colon, and whitespace `split` does not cut on (a form
        // feed) before a code: the span still ends right after the last code.
        for line in [
            "x = 1  # noqa   : DJM101, DJM10  why",
            "x = 1  # noqa:\x0cDJM101,\x0cDJM10  why",
        ] {
            let (range, _) = directive(line).unwrap();
            assert!(line[range].ends_with("DJM10"), "{line:?}");
        }
    }

    #[test]
    fn a_code_that_is_a_prefix_of_an_earlier_one_keeps_the_list_whole() {
        // The end was once found by searching for the last code's text, which matched
        // inside `DJM101` and wrote `# noqa: DJM101, DJM10, DJM2031, DJM10  why`.
        let line = "x = 1  # noqa: DJM101, DJM10  why";
        assert_eq!(
            add_codes(line, &["DJM203"]),
            "x = 1  # noqa: DJM101, DJM10, DJM203  why"
        );
        assert_eq!(
            &line[..code_list_end(line).unwrap()],
            "x = 1  # noqa: DJM101, DJM10"
        );
        let (range, _) = directive("y  #noqa:djm2010,djm201,").unwrap();
        assert_eq!(range, 3..23);
    }

    #[test]
    fn new_codes_join_the_end_of_an_existing_list() {
        let line = "if qs:  # NOQA:djm101,DJM203 because";
        assert_eq!(
            &line[..code_list_end(line).unwrap()],
            "if qs:  # NOQA:djm101,DJM203"
        );
        assert_eq!(code_list_end("x = 1  # noqa"), None);
        assert_eq!(code_list_end("x = 1"), None);
    }

    #[test]
    fn file_directives() {
        assert_eq!(
            file_suppressions("# dormlint: noqa\nx = 1\n"),
            vec![Suppression::All]
        );
        assert_eq!(
            file_suppressions("x = 1\n# dormlint: noqa: DJM401, DJM403\n"),
            vec![Suppression::Codes(vec!["DJM401".into(), "DJM403".into()])]
        );
        assert!(file_suppressions("x = 'dormlint: noqa'\n").is_empty());
    }

    #[test]
    fn strings_before_the_comment_are_skipped_whole() {
        assert_eq!(line_suppression("x = 'a'  # noqa"), Some(Suppression::All));
        assert_eq!(line_suppression(r#"s = "a # noqa""#), None);
        assert_eq!(
            line_suppression(r"s = 'it\'s'  # noqa"),
            Some(Suppression::All)
        );
    }

    #[test]
    fn the_directive_is_the_first_noqa_after_a_hash() {
        let line = "x = 1  # see noqa docs  # noqa: DJM101";
        let (range, suppression) = directive(line).unwrap();
        assert_eq!(&line[range], "# noqa: DJM101");
        assert_eq!(suppression, Suppression::Codes(vec!["DJM101".into()]));
        let line = "x = 1  # noqa  because";
        let (range, _) = directive(line).unwrap();
        assert_eq!(&line[range], "# noqa");
    }

    #[test]
    fn file_directives_after_other_words() {
        assert_eq!(
            file_suppressions("x = 1  # generated; dormlint:  noqa:DJM401\n"),
            vec![Suppression::Codes(vec!["DJM401".into()])]
        );
    }
}
