//! The open buffers: what the client sent, checked against the project index, and
//! published as diagnostics, with dormlint's positions converted to LSP's UTF-16 ones.

use std::io;
use std::path::PathBuf;

use lsp_server::{Connection, Notification};
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, Location, NumberOrString, Position,
    PublishDiagnosticsParams, Range, Uri,
};

use super::Server;
use super::protocol::send;
use crate::report::Located;
use crate::source;

/// An open buffer.
pub(crate) struct Document {
    pub(crate) text: String,
    pub(crate) version: i32,
    /// Where the buffer is saved, or would be: it gives the module name and says
    /// whether this is test code.
    pub(crate) path: PathBuf,
    /// Only Python buffers are checked; other files the client opens are kept quiet.
    pub(crate) python: bool,
    /// The findings for `text`, `None` while the buffer has changed since its last check.
    pub(crate) findings: Option<Vec<Located>>,
}

impl Server<'_> {
    pub(crate) fn did_open(&mut self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let path = document_path(&item.uri);
        let python = item.language_id == "python"
            || path
                .extension()
                .is_some_and(|ext| ext == "py" || ext == "pyi");
        self.documents.insert(
            item.uri,
            Document {
                text: item.text,
                version: item.version,
                path,
                python,
                findings: None,
            },
        );
    }

    pub(crate) fn did_change(&mut self, params: DidChangeTextDocumentParams) {
        let Some(document) = self.documents.get_mut(&params.text_document.uri) else {
            eprintln!(
                "dormlint server: a change to `{}`, which is not open",
                params.text_document.uri.as_str()
            );
            return;
        };
        for change in params.content_changes {
            match change.range {
                None => document.text = change.text,
                // Full sync was asked for, but a client that sends ranges anyway still
                // gets its edits applied rather than a corrupted buffer.
                Some(range) => {
                    let start = byte_offset(&document.text, range.start);
                    let end = byte_offset(&document.text, range.end).max(start);
                    document.text.replace_range(start..end, &change.text);
                }
            }
        }
        document.version = params.text_document.version;
        document.findings = None;
    }

    pub(crate) fn did_close(&mut self, params: DidCloseTextDocumentParams) -> io::Result<()> {
        let uri = params.text_document.uri;
        let Some(document) = self.documents.remove(&uri) else {
            return Ok(());
        };
        if !document.python {
            return Ok(());
        }
        // The findings of a closed buffer would go stale in the problems list.
        publish(self.connection, uri, Vec::new(), None)
    }

    /// Checks every Python buffer that changed since its last check and publishes
    /// its diagnostics.
    pub(crate) fn publish_stale(&mut self) -> io::Result<()> {
        for (uri, document) in &mut self.documents {
            if !document.python || document.findings.is_some() {
                continue;
            }
            let findings = self.project.check_buffer(&document.path, &document.text);
            let lines = Lines::new(&document.text);
            let diagnostics = findings
                .iter()
                .map(|finding| lsp_diagnostic(uri, &lines, finding))
                .collect();
            document.findings = Some(findings);
            publish(
                self.connection,
                uri.clone(),
                diagnostics,
                Some(document.version),
            )?;
        }
        Ok(())
    }
}

fn publish(
    connection: &Connection,
    uri: Uri,
    diagnostics: Vec<Diagnostic>,
    version: Option<i32>,
) -> io::Result<()> {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    send(
        connection,
        Notification::new("textDocument/publishDiagnostics".to_string(), params),
    )
}

/// A finding as LSP shows it. The help text follows the message on its own line
/// (`…\nhelp: …`): every client shows the message, few show related information.
/// Secondary places (an outer loop) go in `relatedInformation`.
pub(crate) fn lsp_diagnostic(uri: &Uri, lines: &Lines<'_>, finding: &Located) -> Diagnostic {
    let message = match &finding.help {
        Some(help) => format!("{}\nhelp: {help}", finding.message),
        None => finding.message.clone(),
    };
    let related: Vec<DiagnosticRelatedInformation> = finding
        .secondary
        .iter()
        .map(|(range, label)| DiagnosticRelatedInformation {
            location: Location::new(
                uri.clone(),
                Range::new(
                    lines.offset_position(usize::from(range.start())),
                    lines.offset_position(usize::from(range.end())),
                ),
            ),
            message: label.clone(),
        })
        .collect();
    Diagnostic {
        range: Range::new(lines.position(finding.start), lines.position(finding.end)),
        severity: Some(if finding.rule.is_tool() {
            DiagnosticSeverity::ERROR
        } else {
            DiagnosticSeverity::WARNING
        }),
        code: Some(NumberOrString::String(finding.rule.code().to_string())),
        // No rule has a documentation URL yet; `dormlint explain CODE` is the document.
        code_description: None,
        source: Some("dormlint".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// A buffer's lines, to turn dormlint's positions into LSP's. dormlint checks the text
/// without its byte order mark and counts characters (or bytes, for secondary ranges);
/// LSP counts UTF-16 code units of the buffer as the editor holds it, where a
/// character outside the Basic Multilingual Plane is two units and a byte order mark
/// one.
pub(crate) struct Lines<'a> {
    /// The buffer without its byte order mark, as `Project::check_buffer` reads it.
    text: &'a str,
    starts: Vec<usize>,
    bom: bool,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(buffer: &'a str) -> Self {
        let (text, bom) = match buffer.strip_prefix('\u{feff}') {
            Some(text) => (text, true),
            None => (buffer, false),
        };
        Lines {
            text,
            starts: line_starts(text),
            bom,
        }
    }

    /// The text of 0-based `line` without its line ending.
    pub(crate) fn line(&self, line: usize) -> Option<&'a str> {
        let start = *self.starts.get(line)?;
        let end = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }

    /// The LSP position of the byte `at` of 0-based `line` (clamped to the line).
    pub(crate) fn line_position(&self, line: usize, at: usize) -> Position {
        let text = self.line(line).unwrap_or("");
        let units: usize = text
            .char_indices()
            .take_while(|&(i, _)| i < at)
            .map(|(_, c)| c.len_utf16())
            .sum();
        let shift = usize::from(self.bom && line == 0);
        Position::new(to_u32(line), to_u32(units + shift))
    }

    /// A 1-based row and character column, as in `Located`, as an LSP position. A
    /// position past the end of its line or of the text is clamped to it.
    pub(crate) fn position(&self, position: source::Position) -> Position {
        let line = position.row.saturating_sub(1);
        let Some(text) = self.line(line) else {
            let last = self.starts.len() - 1;
            return self.line_position(last, usize::MAX);
        };
        let at = text
            .char_indices()
            .nth(position.column.saturating_sub(1))
            .map_or(text.len(), |(i, _)| i);
        self.line_position(line, at)
    }

    /// A byte offset into the text, as in a `TextRange`, as an LSP position.
    fn offset_position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        // `starts[0]` is 0, so at least one start is at or before `offset`.
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        self.line_position(line, offset - self.starts[line])
    }
}

/// The byte offset where each line starts. A line ends at `\n`, `\r\n` or a lone `\r`,
/// as in dormlint's own line index and in LSP.
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (i, &byte) in bytes.iter().enumerate() {
        if byte == b'\n' || (byte == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            starts.push(i + 1);
        }
    }
    starts
}

/// The byte offset of an LSP position in `text` (the whole buffer, byte order mark
/// included), clamped to the line and to the text. Never inside a character.
fn byte_offset(text: &str, position: Position) -> usize {
    let starts = line_starts(text);
    let Some(&start) = starts.get(position.line as usize) else {
        return text.len();
    };
    let end = starts
        .get(position.line as usize + 1)
        .copied()
        .unwrap_or(text.len());
    let line = text[start..end].trim_end_matches(['\n', '\r']);
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units + c.len_utf16() > position.character as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    start + line.len()
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Where a document lives: the file of a `file:` URI; for other schemes (an unsaved
/// `untitled:` buffer) the last segment of the URI's path, enough for a module name.
pub(crate) fn document_path(uri: &Uri) -> PathBuf {
    if let Some(path) = file_path(uri) {
        return path;
    }
    let decoded = percent_decode(uri.path().as_str());
    let decoded = String::from_utf8_lossy(&decoded);
    match decoded.rsplit(['/', '\\']).next() {
        Some(name) if !name.is_empty() => PathBuf::from(name),
        _ => PathBuf::from("untitled.py"),
    }
}

/// The path of a `file:` URI (`file:///home/a/b%20c.py`, `file:///C:/a/b.py`).
pub(crate) fn file_path(uri: &Uri) -> Option<PathBuf> {
    if !uri.scheme()?.as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    let host = uri
        .authority()
        .map(|authority| authority.host().as_str().to_string())
        .filter(|host| !host.is_empty() && !host.eq_ignore_ascii_case("localhost"));
    let path = percent_decode(uri.path().as_str());
    native_path(host, path)
}

#[cfg(unix)]
fn native_path(host: Option<String>, path: Vec<u8>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    // A file on another host cannot be read here.
    if host.is_some() || path.first() != Some(&b'/') {
        return None;
    }
    Some(PathBuf::from(std::ffi::OsString::from_vec(path)))
}

#[cfg(not(unix))]
fn native_path(host: Option<String>, path: Vec<u8>) -> Option<PathBuf> {
    let path = String::from_utf8(path).ok()?;
    let path = match host {
        // A UNC path: `file://server/share/a.py` is `\\server\share\a.py`.
        Some(host) => format!("//{host}{path}"),
        // `/C:/a.py` is `C:/a.py`.
        None => match path.strip_prefix('/') {
            Some(rest) if rest.as_bytes().get(1) == Some(&b':') => rest.to_string(),
            _ => path,
        },
    };
    Some(PathBuf::from(path.replace('/', "\\")))
}

/// `%XX` escapes to bytes; a `%` not followed by two hex digits stays as it is.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let hex = |byte: u8| (byte as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            )
        {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn columns_become_utf16_units_and_a_bom_counts_on_the_first_line() {
        let text = "\u{feff}x = 'é𝓍'\r\nif 𝓍𝓍 and qs:\rend";
        let lines = Lines::new(text);
        let at = |row, column| lines.position(source::Position { row, column });
        assert_eq!(at(1, 1), pos(0, 1));
        assert_eq!(at(1, 8), pos(0, 9), "after é (1 unit) and 𝓍 (2 units)");
        assert_eq!(at(2, 11), pos(1, 12));
        assert_eq!(at(2, 99), pos(1, 15), "clamped to the line");
        assert_eq!(at(3, 4), pos(2, 3));
        assert_eq!(at(9, 1), pos(2, 3), "clamped to the text");
        let qs = lines.text.find("qs").unwrap();
        assert_eq!(lines.offset_position(qs), pos(1, 12));
        assert_eq!(lines.offset_position(usize::MAX), pos(2, 3));
    }

    #[test]
    fn lsp_positions_become_byte_offsets_within_the_text() {
        let text = "a𝓍b\nc";
        assert_eq!(byte_offset(text, pos(0, 1)), 1);
        assert_eq!(byte_offset(text, pos(0, 3)), 5);
        assert_eq!(byte_offset(text, pos(0, 2)), 1, "never inside a character");
        assert_eq!(byte_offset(text, pos(0, 50)), 6, "clamped to the line");
        assert_eq!(byte_offset(text, pos(1, 1)), 8);
        assert_eq!(byte_offset(text, pos(7, 0)), 8, "clamped to the text");
    }

    #[test]
    fn file_uris_become_paths() {
        let uri = |text: &str| text.parse::<Uri>().unwrap();
        #[cfg(unix)]
        {
            assert_eq!(
                file_path(&uri("file:///srv/app/%C3%A9t%C3%A9%20x.py")),
                Some(PathBuf::from("/srv/app/été x.py"))
            );
            assert_eq!(
                file_path(&uri("file://localhost/srv/a.py")),
                Some(PathBuf::from("/srv/a.py"))
            );
            assert_eq!(file_path(&uri("file://elsewhere/srv/a.py")), None);
        }
        assert_eq!(file_path(&uri("untitled:Untitled-1")), None);
        assert_eq!(
            document_path(&uri("untitled:Untitled-1")),
            PathBuf::from("Untitled-1")
        );
        assert_eq!(percent_decode("a%2"), b"a%2");
    }
}
