//! Code actions: each finding's safe fix as a quick fix, a `# noqa: CODE` comment on
//! the finding's line, and `source.fixAll.dormlint`, every safe fix of the buffer at
//! once (what editors run on save).

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
use crate::report::{Located, LocatedEdit};

/// The kind of the fix-all action, as editors name it in their save hooks.
pub(crate) const FIX_ALL: CodeActionKind = CodeActionKind::new("source.fixAll.dormlint");

impl Server<'_> {
    /// The quick fixes for the findings that intersect the requested range (safe fixes
    /// first, then one `# noqa` per rule and line), and the fix-all action when the
    /// client asks for it by kind.
    pub(crate) fn code_actions(
        &mut self,
        params: &CodeActionParams,
    ) -> io::Result<Vec<CodeActionOrCommand>> {
        let only = params.context.only.as_deref();
        let wants_quickfix = asks_for(only, &CodeActionKind::QUICKFIX, true);
        // Not offered unasked: the list at the cursor stays about the cursor. VS Code's
        // "Source Action..." menu asks for `source`, save hooks for the kind itself.
        let wants_fix_all = asks_for(only, &FIX_ALL, false);
        if !wants_quickfix && !wants_fix_all {
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
        let mut actions = Vec::new();
        if wants_quickfix {
            actions = quick_fixes(uri, &lines, findings, params.range);
        }
        if wants_fix_all {
            // Offered even when there is nothing to fix: Neovim's `apply = true` then
            // applies an empty edit quietly instead of saying "No code actions
            // available" on every save.
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: "Apply every safe dormlint fix".to_string(),
                kind: Some(FIX_ALL),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), fix_all(&lines, findings))])),
                    ..WorkspaceEdit::default()
                }),
                ..CodeAction::default()
            }));
        }
        Ok(actions)
    }
}

/// Whether a request's `only` list asks for `kind`. Kinds are hierarchical: `source`
/// and `source.fixAll` ask for `source.fixAll.dormlint`, the empty kind for all.
fn asks_for(only: Option<&[CodeActionKind]>, kind: &CodeActionKind, unasked: bool) -> bool {
    let Some(only) = only else {
        return unasked;
    };
    let kind = kind.as_str();
    only.iter().any(|asked| {
        let asked = asked.as_str();
        asked.is_empty()
            || kind == asked
            || kind
                .strip_prefix(asked)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// The quick fixes for the findings that intersect `range`.
fn quick_fixes(
    uri: &Uri,
    lines: &Lines<'_>,
    findings: &[Located],
    range: Range,
) -> Vec<CodeActionOrCommand> {
    let mut fixes = Vec::new();
    let mut suppressions = Vec::new();
    let mut suppressed: HashSet<(usize, Rule)> = HashSet::new();
    for finding in findings {
        let diagnostic = lsp_diagnostic(uri, lines, finding);
        if !intersects(diagnostic.range, range) {
            continue;
        }
        if let Some(fix) = &finding.fix {
            let edits = fix
                .edits
                .iter()
                .map(|edit| text_edit(lines, edit))
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
        if let Some(edit) = noqa_edit(lines, finding.start.row.saturating_sub(1), code) {
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
    fixes
}

/// Every safe fix of the buffer as one list of edits, in buffer order. LSP forbids
/// overlapping edits: a fix touching text an earlier fix already changes is left for
/// the next save, as `check --fix` leaves it for the next run; a fix is taken whole or
/// not at all. A buffer with a syntax error gets no edit, as `--fix` never rewrites
/// such a file: its findings carry no fix, and this holds even if one did.
fn fix_all(lines: &Lines<'_>, findings: &[Located]) -> Vec<TextEdit> {
    if findings.iter().any(|f| f.rule == Rule::SyntaxError) {
        return Vec::new();
    }
    let span = |edit: &LocatedEdit| {
        (
            usize::from(edit.range.start()),
            usize::from(edit.range.end()),
        )
    };
    let mut fixes: Vec<&[LocatedEdit]> = findings
        .iter()
        .filter_map(|finding| Some(finding.fix.as_ref()?.edits.as_slice()))
        .filter(|edits| !edits.is_empty())
        .collect();
    fixes.sort_by_key(|edits| edits.iter().map(span).min());
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut edits: Vec<&LocatedEdit> = Vec::new();
    for fix in fixes {
        let clashes = fix.iter().map(span).any(|(start, end)| {
            taken
                .iter()
                .any(|&(s, e)| (start < e && s < end) || (start, end) == (s, e))
        });
        if clashes {
            continue;
        }
        taken.extend(fix.iter().map(span));
        edits.extend(fix);
    }
    edits.sort_by_key(|edit| span(edit));
    edits
        .into_iter()
        .map(|edit| text_edit(lines, edit))
        .collect()
}

fn text_edit(lines: &Lines<'_>, edit: &LocatedEdit) -> TextEdit {
    TextEdit {
        range: Range::new(lines.position(edit.start), lines.position(edit.end)),
        new_text: edit.content.clone(),
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
