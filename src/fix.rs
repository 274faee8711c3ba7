//! Applying what `--fix` and `--add-noqa` change in a file's text.

use crate::noqa;
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
/// how many rows got a directive.
pub(crate) fn add_noqa(text: &str, findings: &[Located]) -> (String, usize) {
    let mut by_row: std::collections::BTreeMap<usize, Vec<&str>> =
        std::collections::BTreeMap::new();
    for finding in findings {
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
