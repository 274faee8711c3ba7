//! Hover: the document of the rule behind the finding under the cursor, the same
//! Markdown `dormlint explain` renders.

use std::io;

use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind, Position, Range};

use super::Server;
use super::documents::Lines;

impl Server<'_> {
    /// The documents of the rules whose findings cover `position`, each once, in the
    /// order the findings are published; `None` (null) where there is no finding.
    pub(crate) fn hover(&mut self, params: &HoverParams) -> io::Result<Option<Hover>> {
        // Answer for the text the client has now, publishing what changed on the way.
        self.publish_stale()?;
        let at = &params.text_document_position_params;
        let Some(document) = self.documents.get(&at.text_document.uri) else {
            return Ok(None);
        };
        let Some(findings) = &document.findings else {
            return Ok(None);
        };
        let lines = Lines::new(&document.text);
        let mut range = None;
        let mut docs: Vec<&str> = Vec::new();
        for finding in findings {
            let covered = Range::new(lines.position(finding.start), lines.position(finding.end));
            if !covers(covered, at.position) {
                continue;
            }
            range.get_or_insert(covered);
            let doc = finding.rule.info().doc;
            if !docs.contains(&doc) {
                docs.push(doc);
            }
        }
        if docs.is_empty() {
            return Ok(None);
        }
        Ok(Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: docs.join("\n---\n\n"),
            }),
            // The first finding's range: the editor highlights what the text is about.
            range,
        }))
    }
}

/// Whether the character at `position` lies in `range`: the end is excluded (the
/// character after a finding is not part of it), but an empty range covers its start.
fn covers(range: Range, position: Position) -> bool {
    range.start <= position
        && (position < range.end || (range.start == range.end && position == range.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_character_after_a_finding_is_not_under_it() {
        let range = Range::new(Position::new(2, 4), Position::new(2, 8));
        assert!(covers(range, Position::new(2, 4)));
        assert!(covers(range, Position::new(2, 7)));
        assert!(!covers(range, Position::new(2, 8)));
        assert!(!covers(range, Position::new(2, 3)));
        let empty = Range::new(Position::new(1, 0), Position::new(1, 0));
        assert!(covers(empty, Position::new(1, 0)));
        assert!(!covers(empty, Position::new(1, 1)));
    }
}
