//! Code actions: each finding's safe fix as a quick fix, and a `# noqa: CODE` comment
//! on the finding's line.

use std::collections::{HashMap, HashSet};
use std::io;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Diagnostic, Range, TextEdit,
    Uri, WorkspaceEdit,
};

use super::Server;
use super::documents::{Lines, lsp_diagnostic};
use crate::noqa;
use crate::registry::Rule;

impl Server<'_> {
    /// The quick fixes for the findings that intersect the requested range: safe fixes
    /// first, then one `# noqa` per rule and line.
    pub(crate) fn code_actions(
        &mut self,
        params: &CodeActionParams,
    ) -> io::Result<Vec<CodeActionOrCommand>> {
        let wants_quickfix = params.context.only.as_ref().is_none_or(|kinds| {
            kinds
                .iter()
                .any(|kind| kind.as_str().is_empty() || kind.as_str() == "quickfix")
        });
        if !wants_quickfix {
            return Ok(Vec::new());
        }
        // Answer for the text the client has now, publishing what changed on the way.
        self.publish_stale()?;
        let uri = &params.text_document.uri;
        let Some(document) = self.documents.get(uri) else {
            return Ok(Vec::new());
        };
        let Some(findings) = &document.findings else {
            return Ok(Vec::new());
        };
        let lines = Lines::new(&document.text);
        let mut fixes = Vec::new();
        let mut suppressions = Vec::new();
        let mut suppressed: HashSet<(usize, Rule)> = HashSet::new();
        for finding in findings {
            let diagnostic = lsp_diagnostic(uri, &lines, finding);
            if !intersects(diagnostic.range, params.range) {
                continue;
            }
            if let Some(fix) = &finding.fix {
                let edits = fix
                    .edits
                    .iter()
                    .map(|edit| TextEdit {
                        range: Range::new(lines.position(edit.start), lines.position(edit.end)),
                        new_text: edit.content.clone(),
                    })
                    .collect();
                fixes.push(quick_fix(
                    fix.message.clone(),
                    uri,
                    edits,
                    &diagnostic,
                    true,
                ));
            }
            // `# noqa` on a syntax error or an internal error hides a broken file.
            if finding.rule.is_tool() || !suppressed.insert((finding.start.row, finding.rule)) {
                continue;
            }
            let code = finding.rule.code();
            if let Some(edit) = noqa_edit(&lines, finding.start.row.saturating_sub(1), code) {
                suppressions.push(quick_fix(
                    format!("Suppress {code} on this line (`# noqa: {code}`)"),
                    uri,
                    vec![edit],
                    &diagnostic,
                    false,
                ));
            }
        }
        fixes.extend(suppressions);
        Ok(fixes)
    }
}

fn quick_fix(
    title: String,
    uri: &Uri,
    edits: Vec<TextEdit>,
    diagnostic: &Diagnostic,
    preferred: bool,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..WorkspaceEdit::default()
        }),
        is_preferred: preferred.then_some(true),
        ..CodeAction::default()
    })
}

/// Ranges touching at an end intersect: a cursor just after `qs` still gets its fix.
fn intersects(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The edit that silences `code` on 0-based `line`: the code joins the line's
/// `# noqa: ...` list, or `  # noqa: CODE` goes at the end of the line.
fn noqa_edit(lines: &Lines<'_>, line: usize, code: &str) -> Option<TextEdit> {
    let text = lines.line(line)?;
    // A comment after a `\` continuation is a syntax error; the finding's row cannot
    // carry a `noqa` there.
    if text.trim_end().ends_with('\\') {
        return None;
    }
    let (at, new_text) = match noqa::code_list_end(text) {
        Some(end) => (end, format!(", {code}")),
        // A bare `# noqa` already silences everything on the line.
        None if noqa::line_suppression(text).is_some() => return None,
        None => (text.len(), format!("  # noqa: {code}")),
    };
    let position = lines.line_position(line, at);
    Some(TextEdit {
        range: Range::new(position, position),
        new_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Position;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn noqa_goes_at_the_end_of_the_line_or_joins_the_list() {
        let text = "if 𝓍 and qs:\nif qs:  # noqa: DJM102  why\nif qs:  # noqa\nif a and \\\n";
        let lines = Lines::new(text);
        let edit = noqa_edit(&lines, 0, "DJM101").unwrap();
        assert_eq!(edit.range, Range::new(pos(0, 13), pos(0, 13)));
        assert_eq!(edit.new_text, "  # noqa: DJM101");
        let edit = noqa_edit(&lines, 1, "DJM101").unwrap();
        assert_eq!(edit.range, Range::new(pos(1, 22), pos(1, 22)));
        assert_eq!(edit.new_text, ", DJM101");
        assert!(noqa_edit(&lines, 2, "DJM101").is_none());
        assert!(noqa_edit(&lines, 3, "DJM101").is_none());
    }
}
