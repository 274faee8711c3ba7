//! `dormlint server`: the language server. It speaks LSP over stdin and stdout, checks
//! every open Python buffer against the project index as it changes, publishes the
//! findings as diagnostics, and offers each finding's safe fix and a `# noqa` comment
//! as quick fixes.
//!
//! One thread handles the messages in order. The project index is built once after
//! `initialize` and again on every save (`Project::load` re-reads the tree); checking a
//! buffer is one parse of one file, fast enough to run inline. dormlint counts columns
//! in characters and LSP in UTF-16 code units: `Lines` converts, using the buffer text.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, BufRead, Read};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::Instant;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOptions, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, InitializeResult, Location, NumberOrString, Position,
    PublishDiagnosticsParams, Range, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, TextEdit, Uri,
    WorkspaceEdit,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::registry::Rule;
use crate::report::Located;
use crate::settings::Settings;
use crate::{Project, noqa, source};

/// The settings the server checks with: the one place to change when configuration
/// files are read. It is given the workspace root and called again on every save, so
/// an edited configuration takes effect without restarting the server.
fn settings_for(root: &Path) -> Settings {
    // The same configuration files `check` reads; a broken one is reported on stderr
    // (the editor's log) and the defaults are used.
    crate::config::settings_for(root).unwrap_or_else(|error| {
        eprintln!("dormlint: {}", error.0);
        Settings::default()
    })
}

/// Runs the server until the client says `exit` or closes stdin. Exit code 0 only when
/// `shutdown` came first, as the protocol asks.
pub fn run() -> io::Result<ExitCode> {
    // Deeply nested code is walked recursively in places; `check` runs on worker
    // threads with large stacks, and so does everything here.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(crate::WORKER_STACK_BYTES)
        .build()
        .map_err(io::Error::other)?;
    let (connection, writer) = stdio()?;
    let served = pool.install(|| serve(&connection));
    // The writer ends once every queued message is written and the sender is gone.
    drop(connection);
    let written = writer.join().unwrap_or(Ok(()));
    let clean = served?;
    written?;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A message as read from stdin, or why it could not be one.
enum Frame {
    Message(Message),
    Malformed(String),
}

/// The stdio transport. `lsp_server`'s own ends the session at the first message it
/// cannot parse; this one reads the frames itself, skips a frame that is not JSON-RPC
/// (saying so on stderr) and goes on with the next.
fn stdio() -> io::Result<(Connection, thread::JoinHandle<io::Result<()>>)> {
    let (server, transport) = Connection::memory();
    let Connection {
        sender: to_server,
        receiver: from_server,
    } = transport;
    thread::Builder::new()
        .name("dormlint-lsp-reader".to_string())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            // Dropping `to_server` at the end tells the server the client is gone.
            while let Ok(Some(frame)) = read_frame(&mut input) {
                match frame {
                    Frame::Message(message) => {
                        let exit =
                            matches!(&message, Message::Notification(n) if n.method == "exit");
                        if to_server.send(message).is_err() || exit {
                            break;
                        }
                    }
                    Frame::Malformed(reason) => {
                        eprintln!("dormlint server: skipped a malformed message: {reason}");
                    }
                }
            }
        })?;
    let writer = thread::Builder::new()
        .name("dormlint-lsp-writer".to_string())
        .spawn(move || {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for message in from_server {
                message.write(&mut out)?;
            }
            Ok(())
        })?;
    Ok((server, writer))
}

/// Reads one `Content-Length` framed message; `None` at the end of the input.
fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Frame>> {
    let mut length = None;
    let mut saw_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let header = String::from_utf8_lossy(&line);
        let header = header.trim_end_matches(['\n', '\r']);
        if header.is_empty() {
            if saw_header {
                break;
            }
            // Stray blank lines between messages are harmless.
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<u64>().ok();
        }
    }
    let Some(length) = length else {
        return Ok(Some(Frame::Malformed(
            "no valid Content-Length header".to_string(),
        )));
    };
    // Read through `take`, not into a buffer of the announced size: a wrong length
    // must not allocate gigabytes up front.
    let mut body = Vec::new();
    input.by_ref().take(length).read_to_end(&mut body)?;
    if (body.len() as u64) < length {
        return Ok(None);
    }
    Ok(Some(match serde_json::from_slice::<Message>(&body) {
        Ok(message) => Frame::Message(message),
        Err(error) => Frame::Malformed(error.to_string()),
    }))
}

fn send(connection: &Connection, message: impl Into<Message>) -> io::Result<()> {
    connection.sender.send(message.into()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::BrokenPipe,
            "the connection to the client is closed",
        )
    })
}

/// The handshake, then the main loop. `Ok(true)` when `shutdown` came before the end.
fn serve(connection: &Connection) -> io::Result<bool> {
    // Before `initialize` the protocol wants requests refused and notifications
    // dropped, except `exit`.
    let (id, params) = loop {
        let Ok(message) = connection.receiver.recv() else {
            return Ok(false);
        };
        match message {
            Message::Request(request) if request.method == "initialize" => {
                break (request.id, request.params);
            }
            Message::Request(request) => send(
                connection,
                Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized yet".to_string(),
                ),
            )?,
            Message::Notification(notification) if notification.method == "exit" => {
                return Ok(false);
            }
            _ => {}
        }
    };
    let root = workspace_root(&params);
    // Answer first, index second: the client is not kept waiting on `initialize`, and
    // the documents it opens meanwhile queue up until the index is there.
    send(connection, Response::new_ok(id, initialize_result()))?;
    let mut server = Server {
        connection,
        project: load_project(&root),
        root,
        documents: BTreeMap::new(),
        shutdown_requested: false,
    };
    server.main_loop()
}

fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::FULL),
                    // Saves rebuild the index; the text on disk is read from there.
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..TextDocumentSyncOptions::default()
                },
            )),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                resolve_provider: Some(false),
                ..CodeActionOptions::default()
            })),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "dormlint".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    }
}

/// The workspace root: `rootUri`, else the first workspace folder, else `rootPath`,
/// else the current directory. Read from the raw JSON rather than `InitializeParams`:
/// a client capability lsp-types cannot parse must not cost the user the project.
fn workspace_root(params: &Value) -> PathBuf {
    let file_uri = |value: &Value| {
        value
            .as_str()
            .and_then(|text| text.parse::<Uri>().ok())
            .and_then(|uri| file_path(&uri))
    };
    params
        .get("rootUri")
        .and_then(file_uri)
        .or_else(|| {
            params
                .get("workspaceFolders")?
                .as_array()?
                .iter()
                .find_map(|folder| folder.get("uri").and_then(file_uri))
        })
        .or_else(|| {
            params
                .get("rootPath")?
                .as_str()
                .filter(|path| !path.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Indexes the tree under `root`; when that fails, buffers are checked on their own
/// (the models of other files are unknown then, so fewer querysets are recognised).
fn load_project(root: &Path) -> Project {
    let settings = settings_for(root);
    let started = Instant::now();
    let loaded = panic::catch_unwind(AssertUnwindSafe(|| Project::load(root, &settings)));
    match loaded {
        Ok(Ok(project)) => {
            eprintln!(
                "dormlint server: indexed {} in {:.2}s",
                root.display(),
                started.elapsed().as_secs_f64()
            );
            project
        }
        Ok(Err(error)) => {
            eprintln!(
                "dormlint server: cannot index {}: {}; checking buffers on their own",
                root.display(),
                error.0
            );
            Project::empty(&settings)
        }
        Err(_) => {
            eprintln!(
                "dormlint server: indexing {} failed (a bug: please report it); checking buffers on their own",
                root.display()
            );
            Project::empty(&settings)
        }
    }
}

/// An open buffer.
struct Document {
    text: String,
    version: i32,
    /// Where the buffer is saved, or would be: it gives the module name and says
    /// whether this is test code.
    path: PathBuf,
    /// Only Python buffers are checked; other files the client opens are kept quiet.
    python: bool,
    /// The findings for `text`, `None` while the buffer has changed since its last check.
    findings: Option<Vec<Located>>,
}

struct Server<'a> {
    connection: &'a Connection,
    root: PathBuf,
    project: Project,
    /// Ordered, so that diagnostics are published in the same order every time.
    documents: BTreeMap<Uri, Document>,
    shutdown_requested: bool,
}

impl Server<'_> {
    fn main_loop(&mut self) -> io::Result<bool> {
        while let Ok(message) = self.connection.receiver.recv() {
            if let Some(clean) = self.handle(message)? {
                return Ok(clean);
            }
            // Handle everything already queued before checking: while the user types
            // fast, only the latest text of a buffer is checked.
            while let Ok(message) = self.connection.receiver.try_recv() {
                if let Some(clean) = self.handle(message)? {
                    return Ok(clean);
                }
            }
            self.publish_stale()?;
        }
        // The client closed stdin without `exit`.
        Ok(self.shutdown_requested)
    }

    /// Handles one message; `Some(clean)` once the session is over.
    fn handle(&mut self, message: Message) -> io::Result<Option<bool>> {
        match message {
            Message::Request(request) => {
                let response = self.respond(request)?;
                send(self.connection, response)?;
            }
            Message::Notification(notification) if notification.method == "exit" => {
                return Ok(Some(self.shutdown_requested));
            }
            // After `shutdown` nothing but `exit` is expected; the rest is dropped.
            Message::Notification(_) if self.shutdown_requested => {}
            Message::Notification(notification) => self.notify(notification)?,
            // The server sends no requests, so no response is awaited.
            Message::Response(_) => {}
        }
        Ok(None)
    }

    fn respond(&mut self, request: Request) -> io::Result<Response> {
        let id = request.id;
        if self.shutdown_requested {
            return Ok(Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_string(),
            ));
        }
        Ok(match request.method.as_str() {
            "shutdown" => {
                self.shutdown_requested = true;
                Response::new_ok(id, ())
            }
            "initialize" => Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is already initialized".to_string(),
            ),
            "textDocument/codeAction" => match params::<CodeActionParams>(request.params) {
                Ok(params) => Response::new_ok(id, self.code_actions(&params)?),
                Err(message) => Response::new_err(id, ErrorCode::InvalidParams as i32, message),
            },
            method => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("dormlint does not handle `{method}`"),
            ),
        })
    }

    fn notify(&mut self, notification: Notification) -> io::Result<()> {
        let method = notification.method;
        let value = notification.params;
        let handled = match method.as_str() {
            "textDocument/didOpen" => params(value).map(|p| self.did_open(p)),
            "textDocument/didChange" => params(value).map(|p| self.did_change(p)),
            "textDocument/didSave" => params(value).map(|p| self.did_save(p)),
            "textDocument/didClose" => match params(value) {
                Ok(p) => {
                    self.did_close(p)?;
                    Ok(())
                }
                Err(message) => Err(message),
            },
            // `initialized`, `$/cancelRequest` (requests are answered at once, in
            // order) and whatever else the client announces need nothing.
            _ => Ok(()),
        };
        if let Err(message) = handled {
            eprintln!("dormlint server: ignored `{method}`: {message}");
        }
        Ok(())
    }

    fn did_open(&mut self, params: DidOpenTextDocumentParams) {
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

    fn did_change(&mut self, params: DidChangeTextDocumentParams) {
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

    /// A save may change what other files declare (models, managers, functions
    /// returning querysets): the saved file's facts are read again and the index
    /// updated (files whose answers change are re-checked, nothing else is re-read),
    /// then every open buffer is checked again.
    fn did_save(&mut self, params: DidSaveTextDocumentParams) {
        let started = Instant::now();
        let path = document_path(&params.text_document.uri);
        let configuration = path.file_name().is_some_and(|name| {
            name == "dormlint.toml" || name == ".dormlint.toml" || name == "pyproject.toml"
        });
        // New settings may select other rules or exclude other files: index anew.
        let checked = if configuration {
            self.project = load_project(&self.root);
            usize::MAX
        } else {
            self.project.saved(&path)
        };
        if std::env::var_os("DORMLINT_DEBUG_INDEX").is_some() {
            eprintln!(
                "dormlint server: {} saved, {checked} files checked in {:.3}s",
                path.display(),
                started.elapsed().as_secs_f64()
            );
        }
        for document in self.documents.values_mut() {
            document.findings = None;
        }
    }

    fn did_close(&mut self, params: DidCloseTextDocumentParams) -> io::Result<()> {
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
    fn publish_stale(&mut self) -> io::Result<()> {
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

    /// The quick fixes for the findings that intersect the requested range: safe fixes
    /// first, then one `# noqa` per rule and line.
    fn code_actions(&mut self, params: &CodeActionParams) -> io::Result<Vec<CodeActionOrCommand>> {
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

fn params<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|error| format!("invalid parameters: {error}"))
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
fn lsp_diagnostic(uri: &Uri, lines: &Lines<'_>, finding: &Located) -> Diagnostic {
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

/// A buffer's lines, to turn dormlint's positions into LSP's. dormlint checks the text
/// without its byte order mark and counts characters (or bytes, for secondary ranges);
/// LSP counts UTF-16 code units of the buffer as the editor holds it, where a
/// character outside the Basic Multilingual Plane is two units and a byte order mark
/// one.
struct Lines<'a> {
    /// The buffer without its byte order mark, as `Project::check_buffer` reads it.
    text: &'a str,
    starts: Vec<usize>,
    bom: bool,
}

impl<'a> Lines<'a> {
    fn new(buffer: &'a str) -> Self {
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
    fn line(&self, line: usize) -> Option<&'a str> {
        let start = *self.starts.get(line)?;
        let end = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }

    /// The LSP position of the byte `at` of 0-based `line` (clamped to the line).
    fn line_position(&self, line: usize, at: usize) -> Position {
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
    fn position(&self, position: source::Position) -> Position {
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
fn document_path(uri: &Uri) -> PathBuf {
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
fn file_path(uri: &Uri) -> Option<PathBuf> {
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

    #[test]
    fn frames_that_are_not_json_rpc_are_skipped_and_reading_goes_on() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Length: 5\r\n\r\n{{oops\r\nContent-Length: {}\r\n\r\n{good}Content-Length: 99\r\n\r\n{{",
            good.len()
        );
        let mut input = io::Cursor::new(input.into_bytes());
        assert!(matches!(
            read_frame(&mut input).unwrap(),
            Some(Frame::Malformed(_))
        ));
        assert!(matches!(
            read_frame(&mut input).unwrap(),
            Some(Frame::Message(Message::Notification(n))) if n.method == "initialized"
        ));
        assert!(read_frame(&mut input).unwrap().is_none(), "truncated body");
    }
}
