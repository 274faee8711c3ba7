//! `dormlint server`: the language server. It speaks LSP over stdin and stdout, checks
//! every open Python buffer against the project index as it changes, publishes the
//! findings as diagnostics, and offers each finding's safe fix and a `# noqa` comment
//! as quick fixes.
//!
//! One thread handles the messages in order. The project index is built once after
//! `initialize`; a save re-reads only the saved file's declarations and re-checks the
//! files whose answers change (`Project::saved`), a saved configuration file re-indexes
//! the tree; checking a buffer is one parse of one file, fast enough to run inline. dormlint counts columns
//! in characters and LSP in UTF-16 code units: `Lines` converts, using the buffer text.
//!
//! The job is split by what each part knows: `protocol` reads and writes JSON-RPC
//! frames, `documents` keeps the open buffers and publishes their diagnostics (it
//! converts positions), `actions` answers code actions, `hover` shows rule documents,
//! `options` reads the editor's settings. This file is the handshake and the loop that
//! dispatches each message.

mod actions;
mod documents;
mod hover;
mod options;
mod protocol;

use std::collections::BTreeMap;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    DidSaveTextDocumentParams, HoverParams, HoverProviderCapability, InitializeResult,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use serde_json::Value;

use crate::Project;
use crate::settings::Settings;

use documents::{Document, document_path, file_path};
use options::EditorSettings;
use protocol::{params, send, stdio};

/// The settings the server checks with: the one place to change when configuration
/// files are read. It is given the workspace root and called again on every save, so
/// an edited configuration takes effect without restarting the server. The editor's
/// selection, when it sent one, overrides the file's.
fn settings_for(root: &Path, editor: &EditorSettings) -> Settings {
    // The same configuration files `check` reads; a broken one is reported on stderr
    // (the editor's log) and the defaults are used.
    let mut settings = crate::config::settings_for(root).unwrap_or_else(|error| {
        eprintln!("dormlint: {}", error.0);
        Settings::default()
    });
    editor.apply(&mut settings);
    settings
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
    let editor = params
        .get("initializationOptions")
        .and_then(EditorSettings::from_value)
        .unwrap_or_default();
    // Answer first, index second: the client is not kept waiting on `initialize`, and
    // the documents it opens meanwhile queue up until the index is there.
    send(connection, Response::new_ok(id, initialize_result()))?;
    let mut server = Server {
        connection,
        project: load_project(&root, &editor),
        root,
        editor,
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
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, actions::FIX_ALL]),
                resolve_provider: Some(false),
                ..CodeActionOptions::default()
            })),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
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
fn load_project(root: &Path, editor: &EditorSettings) -> Project {
    let settings = settings_for(root, editor);
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

struct Server<'a> {
    connection: &'a Connection,
    root: PathBuf,
    project: Project,
    /// The rule selection the editor sent, laid over the configuration file's.
    editor: EditorSettings,
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
            "textDocument/hover" => match params::<HoverParams>(request.params) {
                Ok(params) => Response::new_ok(id, self.hover(&params)?),
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
            "workspace/didChangeConfiguration" => {
                self.did_change_configuration(&value);
                Ok(())
            }
            // `initialized`, `$/cancelRequest` (requests are answered at once, in
            // order) and whatever else the client announces need nothing.
            _ => Ok(()),
        };
        if let Err(message) = handled {
            eprintln!("dormlint server: ignored `{method}`: {message}");
        }
        Ok(())
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
            self.project = load_project(&self.root, &self.editor);
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

    /// New editor settings select other rules: the tree is indexed anew with them, as
    /// when a configuration file is saved, and every open buffer checked again.
    /// Settings without any of dormlint's keys (another tool's, or `null` from a client
    /// that expects to be asked) change nothing.
    fn did_change_configuration(&mut self, params: &Value) {
        let Some(editor) = EditorSettings::from_value(params) else {
            return;
        };
        if editor == self.editor {
            return;
        }
        self.editor = editor;
        self.project = load_project(&self.root, &self.editor);
        for document in self.documents.values_mut() {
            document.findings = None;
        }
    }
}
