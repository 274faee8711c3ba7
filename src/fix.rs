//! Applying what `--fix` and `--add-noqa` change in a file's text.

use crate::noqa;
use crate::registry::Rule;
use crate::report::Located;

/// Applies the safe fixes of `findings` to `text`; edits that overlap one already
/// applied are left for the next run. Returns the new text and how many fixes it took.
pub(crate) fn apply_fixes(text: &str, findings: &[Located]) -> (String, usize) {
    // Edits computed on a file that does not parse may rest on a misread of it: a file
    // with a syntax error is never rewritten.
    if findings
        .iter()
        .any(|f| f.rule == crate::registry::Rule::SyntaxError)
    {
        return (text.to_string(), 0);
    }
    let mut edits: Vec<(usize, usize, &str, usize)> = Vec::new();
    for (i, finding) in findings.iter().enumerate() {
        if let Some(fix) = &finding.fix {
            for edit in &fix.edits {
                let start = usize::from(edit.range.start());
                let end = usize::from(edit.range.end());
                edits.push((start, end, edit.content.as_str(), i));
            }
        }
    }
    edits.sort_by_key(|(start, end, _, _)| (*start, *end));
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    let mut applied = std::collections::BTreeSet::new();
    for (start, end, content, finding) in edits {
        if start < cursor
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            continue;
        }
        out.push_str(&text[cursor..start]);
        out.push_str(content);
        cursor = end;
        applied.insert(finding);
    }
    out.push_str(&text[cursor..]);
    (out, applied.len())
}

/// Adds `# noqa: CODE` to the start row of every finding. Returns the new text and
/// how many rows got a directive. A DJM003 (unused directive) is never added, as ruff's
/// `--add-noqa` never adds RUF100: `# noqa: DJM101, DJM003` would silence the report
/// that the directive is stale, on that row, for good.
pub(crate) fn add_noqa(text: &str, findings: &[Located]) -> (String, usize) {
    let mut by_row: std::collections::BTreeMap<usize, Vec<&str>> =
        std::collections::BTreeMap::new();
    for finding in findings.iter().filter(|f| f.rule != Rule::UnusedNoqa) {
        let codes = by_row.entry(finding.start.row).or_default();
        if !codes.contains(&finding.rule.code()) {
            codes.push(finding.rule.code());
        }
    }
    let mut out = String::with_capacity(text.len() + 16 * by_row.len());
    let mut changed = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let ending_len = line.len() - line.trim_end_matches(['\n', '\r']).len();
        let (body, ending) = line.split_at(line.len() - ending_len);
        match by_row.get(&(i + 1)) {
            Some(codes) => {
                let updated = noqa::add_codes(body, codes);
                changed += usize::from(updated != body);
                out.push_str(&updated);
            }
            None => out.push_str(body),
        }
        out.push_str(ending);
    }
    (out, changed)
}

#[cfg(test)]
mod tests {
    //! Edits built by hand, for the cases the fixtures cannot reach: edits that touch or
    //! overlap, an edit ending at the end of the file, one off a character boundary.

    use ruff_text_size::{TextRange, TextSize};

    use super::*;
    use crate::diagnostic::{Diagnostic, Fix};
    use crate::registry::Rule;
    use crate::source::LineIndex;

    fn range(start: u32, end: u32) -> TextRange {
        TextRange::new(TextSize::new(start), TextSize::new(end))
    }

    /// A finding of `rule` on `text[start..end]` whose fix writes `content` there.
    fn fixed(text: &str, rule: Rule, (start, end): (u32, u32), content: &str) -> Located {
        let diagnostic = Diagnostic::new(rule, "m", range(start, end)).with_fix(Fix::replacement(
            "f",
            range(start, end),
            content.to_string(),
        ));
        crate::report::locate(text, &LineIndex::new(text), diagnostic)
    }

    #[test]
    fn touching_edits_all_apply_up_to_the_last_byte() {
        let text = "abcdef";
        let findings = [
            fixed(text, Rule::QuerysetLen, (2, 4), "Y"),
            fixed(text, Rule::QuerysetLen, (0, 2), "X"),
            fixed(text, Rule::QuerysetLen, (5, 6), "Z"),
        ];
        assert_eq!(apply_fixes(text, &findings), ("XYeZ".to_string(), 3));
    }

    #[test]
    fn an_overlapping_edit_waits_for_the_next_run() {
        let text = "abcdef";
        let findings = [
            fixed(text, Rule::QuerysetLen, (0, 3), "X"),
            fixed(text, Rule::CountForExistence, (2, 4), "Y"),
        ];
        assert_eq!(apply_fixes(text, &findings), ("Xdef".to_string(), 1));
    }

    #[test]
    fn edits_off_a_character_boundary_or_past_the_end_are_skipped() {
        let text = "é = 1";
        let findings = [
            fixed(text, Rule::QuerysetLen, (1, 3), "X"),
            fixed(text, Rule::QuerysetLen, (0, 1), "X"),
            fixed(text, Rule::QuerysetLen, (5, 9), "X"),
        ];
        assert_eq!(apply_fixes(text, &findings), (text.to_string(), 0));
    }

    #[test]
    fn a_syntax_error_in_the_file_blocks_every_fix() {
        let text = "abcdef";
        let findings = [
            fixed(text, Rule::QuerysetLen, (0, 2), "X"),
            crate::report::locate(
                text,
                &LineIndex::new(text),
                Diagnostic::new(Rule::SyntaxError, "m", range(4, 5)),
            ),
        ];
        assert_eq!(apply_fixes(text, &findings), (text.to_string(), 0));
    }

    #[test]
    fn add_noqa_writes_each_code_once_a_row_and_keeps_line_endings() {
        let text = "a = 1  # noqa\n\nif qs:\r\n    pass";
        let findings = [
            fixed(text, Rule::QuerysetTruthiness, (0, 1), ""),
            fixed(text, Rule::QuerysetTruthiness, (15, 17), ""),
            fixed(text, Rule::QuerysetTruthiness, (15, 17), ""),
            fixed(text, Rule::QueryInLoop, (15, 17), ""),
            fixed(text, Rule::QuerysetLen, (27, 31), ""),
        ];
        assert_eq!(
            add_noqa(text, &findings),
            (
                "a = 1  # noqa\n\nif qs:  # noqa: DJM101, DJM203\r\n    pass  # noqa: DJM102"
                    .to_string(),
                2
            )
        );
    }
}
