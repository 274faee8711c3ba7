//! `dormlint server` as an editor sees it: the real binary, spoken to in JSON-RPC with
//! `Content-Length` framing over its stdin and stdout. Every read has a timeout, so a
//! server that stops answering fails the test instead of hanging it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(30);

const MODELS: &str = "\
from django.db import models


class Student(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField()
    enrolled = models.DateField()
";

/// The queryset is tested on row 6 (line 5 from 0) after `étudiants_𝓍 and `: 23
/// characters, but 24 UTF-16 code units, since `𝓍` lies outside the BMP.
const VIEWS: &str = "\
from school.models import Student


def report(request, étudiants_𝓍):
    students = Student.objects.filter(enrolled__year=2024)
    if étudiants_𝓍 and students:
        return \"some\"
    return \"none\"
";

/// A tiny LSP client: it writes framed messages to the server and reads framed ones
/// back on a thread, so that waiting can time out.
struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    /// Notifications read while waiting for a response, not yet asked for.
    pending: VecDeque<Value>,
    next_id: i64,
}

impl Client {
    fn start(cwd: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dormlint"))
            .arg("server")
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            while let Some(message) = read_message(&mut stdout) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            pending: VecDeque::new(),
            next_id: 0,
        }
    }

    fn send_raw(&mut self, body: &[u8]) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        self.send_raw(message.to_string().as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its whole response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.read();
            if message.get("method").is_none() && message["id"] == id {
                return message;
            }
            self.pending.push_back(message);
        }
    }

    /// Reads one message, or fails the test after `TIMEOUT`.
    fn read(&mut self) -> Value {
        self.incoming
            .recv_timeout(TIMEOUT)
            .expect("the server answers in time")
    }

    /// The next notification with `method` (earlier ones of other methods are dropped).
    fn notification(&mut self, method: &str) -> Value {
        loop {
            let message = match self.pending.pop_front() {
                Some(message) => message,
                None => self.read(),
            };
            if message["method"] == method {
                return message["params"].clone();
            }
        }
    }

    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // A failed test must not leave a server behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `Content-Length` framed message; `None` when the stream ends.
fn read_message(input: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    input.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for byte in path.to_str().unwrap().bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("school")).unwrap();
    std::fs::write(dir.path().join("school/__init__.py"), "").unwrap();
    std::fs::write(dir.path().join("school/models.py"), MODELS).unwrap();
    dir
}

fn initialize(client: &mut Client, root: &Path) -> Value {
    initialize_with(client, root, Value::Null)
}

fn initialize_with(client: &mut Client, root: &Path, options: Value) -> Value {
    let response = client.request(
        "initialize",
        json!({"processId": null, "rootUri": file_uri(root), "capabilities": {},
            "initializationOptions": options}),
    );
    client.notify("initialized", json!({}));
    response
}

fn open(client: &mut Client, uri: &str, text: &str) {
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    );
}

/// The codes of the next diagnostics published, in order.
fn published_codes(client: &mut Client) -> Vec<String> {
    let published = client.notification("textDocument/publishDiagnostics");
    published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

/// Applies LSP text edits to an ASCII text (where a UTF-16 unit is a byte).
fn apply_edits(text: &str, edits: &Value) -> String {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |position: &Value| {
        starts[position["line"].as_u64().unwrap() as usize]
            + position["character"].as_u64().unwrap() as usize
    };
    let mut out = text.to_string();
    // Back to front, so earlier offsets stay valid.
    for edit in edits.as_array().unwrap().iter().rev() {
        let range = offset(&edit["range"]["start"])..offset(&edit["range"]["end"]);
        out.replace_range(range, edit["newText"].as_str().unwrap());
    }
    out
}

/// Three fixable findings (DJM101, DJM104, DJM102) and one without a fix (DJM203).
const FIXABLE: &str = "\
from school.models import Student


def report(request):
    students = Student.objects.filter(enrolled__year=2024)
    if students:
        return 2
    if Student.objects.filter(name=\"a\").count() > 0:
        return 1
    for s in Student.objects.all():
        print(Student.objects.get(pk=s.pk))
    return len(Student.objects.filter(name=\"b\"))
";

fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({
        "start": {"line": start.0, "character": start.1},
        "end": {"line": end.0, "character": end.1},
    })
}

#[test]
fn diagnostics_and_quick_fixes_in_utf16_then_a_clean_shutdown() {
    let dir = project();
    let mut client = Client::start(dir.path());
    let init = initialize(&mut client, dir.path());
    let capabilities = &init["result"]["capabilities"];
    assert_eq!(capabilities["textDocumentSync"]["change"], 1, "full sync");
    assert_eq!(capabilities["textDocumentSync"]["openClose"], true);
    assert_eq!(
        capabilities["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix", "source.fixAll.dormlint"])
    );
    assert_eq!(capabilities["hoverProvider"], true);
    assert_eq!(init["result"]["serverInfo"]["name"], "dormlint");

    let uri = file_uri(&dir.path().join("school/views.py"));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": VIEWS}}),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], uri);
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{published:#}");
    let diagnostic = &diagnostics[0];
    // Characters 23..31 of the line, UTF-16 units 24..32.
    assert_eq!(diagnostic["range"], range((5, 24), (5, 32)));
    assert_eq!(diagnostic["code"], "DJM101");
    assert_eq!(diagnostic["source"], "dormlint");
    assert_eq!(diagnostic["severity"], 2, "a warning");
    assert!(diagnostic.get("codeDescription").is_none());
    // "3 fields": the model came from the project index, not from this buffer.
    assert_eq!(
        diagnostic["message"],
        "`students` loads every matching `Student` row (3 fields each) just to test whether there is one\n\
         help: use `students.exists()`: the database checks for one row"
    );

    // The cursor inside `students`.
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": range((5, 27), (5, 27)),
            "context": {"diagnostics": [diagnostic]},
        }),
    );
    let actions = actions["result"].as_array().unwrap();
    assert_eq!(actions.len(), 2, "{actions:#?}");
    let fix = &actions[0];
    assert_eq!(fix["title"], "Use `students.exists()`");
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"][0]["code"], "DJM101");
    assert_eq!(
        fix["edit"]["changes"][&uri],
        json!([{"range": range((5, 24), (5, 32)), "newText": "students.exists()"}])
    );
    let noqa = &actions[1];
    assert_eq!(noqa["kind"], "quickfix");
    assert!(noqa["title"].as_str().unwrap().contains("# noqa: DJM101"));
    let line_end = VIEWS.lines().nth(5).unwrap().encode_utf16().count() as u32;
    assert_eq!(line_end, 33);
    assert_eq!(
        noqa["edit"]["changes"][&uri],
        json!([{"range": range((5, line_end), (5, line_end)), "newText": "  # noqa: DJM101"}])
    );

    let elsewhere = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": range((0, 0), (0, 4)),
            "context": {"diagnostics": []},
        }),
    );
    assert_eq!(elsewhere["result"], json!([]));

    let unknown = client.request("textDocument/definition", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "MethodNotFound");

    let fixed = VIEWS.replace("and students:", "and students.exists():");
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": fixed}],
        }),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], uri);
    assert_eq!(published["version"], 2);
    assert_eq!(published["diagnostics"], json!([]));

    let shutdown = client.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    assert!(shutdown.get("error").is_none());
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(0));
}

#[test]
fn saving_rebuilds_the_index_and_malformed_input_is_survived() {
    let dir = project();
    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());
    let uri = file_uri(&dir.path().join("school/views.py"));
    let text = "from school.models import Student\n\nif Student.objects.all():\n    pass\n";
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    let message = published["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("(3 fields each)"), "{message}");

    // Not JSON, then parameters of the wrong shape: answered or skipped, never fatal.
    client.send_raw(b"{not json");
    let bad = client.request("textDocument/codeAction", json!({"range": 7}));
    assert_eq!(bad["error"]["code"], -32602, "InvalidParams");
    client.notify("textDocument/didChange", json!({"textDocument": 3}));

    // A field added to the model on disk counts once the file is saved.
    let models = dir.path().join("school/models.py");
    std::fs::write(
        &models,
        format!("{MODELS}    graduated = models.BooleanField()\n"),
    )
    .unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": file_uri(&models)}}),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], uri);
    let message = published["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("(4 fields each)"), "{message}");

    // A file created and saved joins the index: its function returns a queryset.
    let selectors = dir.path().join("school/selectors.py");
    std::fs::write(
        &selectors,
        "from school.models import Student\n\n\ndef everyone():\n    return Student.objects.all()\n",
    )
    .unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": file_uri(&selectors)}}),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], uri, "the open buffer is checked again");
    let reports = dir.path().join("school/reports.py");
    let reports_uri = file_uri(&reports);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": reports_uri, "languageId": "python", "version": 1,
            "text": "from school.selectors import everyone\n\nif everyone():\n    pass\n"}}),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], reports_uri);
    assert_eq!(published["diagnostics"][0]["code"], "DJM101");
    assert_eq!(published["diagnostics"][0]["range"]["start"]["line"], 2);

    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], uri);
    assert_eq!(published["diagnostics"], json!([]));

    // `exit` without `shutdown` is an error exit, as the protocol says.
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(1));
}

/// Secondary places reach the editor as `relatedInformation`: DJM202 names the outer
/// loop, DJM203 the loop, each with its exact range and label.
#[test]
fn related_information_points_at_the_loops() {
    let dir = project();
    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());
    let uri = file_uri(&dir.path().join("school/loops.py"));
    let text = "\
from school.models import Student


def pairs():
    for a in Student.objects.all():
        for b in Student.objects.filter(name=a.name):
            print(a, b)


def lookups():
    for s in Student.objects.all():
        print(Student.objects.get(pk=s.pk))
";
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    let diagnostics = published["diagnostics"].as_array().unwrap();
    let summary: Vec<Value> = diagnostics
        .iter()
        .map(
            |d| json!({"code": d["code"], "range": d["range"], "related": d["relatedInformation"]}),
        )
        .collect();
    // 0-based lines; `Student.objects.all()` spans characters 13..34 of each `for` line.
    assert_eq!(
        json!(summary),
        json!([
            {
                "code": "DJM202",
                "range": range((5, 17), (5, 52)),
                "related": [{
                    "location": {"uri": uri, "range": range((4, 13), (4, 34))},
                    "message": "outer loop",
                }],
            },
            {
                "code": "DJM203",
                "range": range((11, 14), (11, 42)),
                "related": [{
                    "location": {"uri": uri, "range": range((10, 13), (10, 34))},
                    "message": "the loop",
                }],
            },
        ])
    );
}

/// `source.fixAll.dormlint`, as a save hook asks for it: one action whose edit applies
/// every safe fix of the buffer, the same text `check --fix` writes; none to a buffer
/// with a syntax error, and still one (empty) action so Neovim's `apply = true` stays
/// quiet.
#[test]
fn fix_all_applies_every_safe_fix_and_leaves_a_broken_buffer_alone() {
    let dir = project();
    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());
    let uri = file_uri(&dir.path().join("school/views.py"));
    open(&mut client, &uri, FIXABLE);
    assert_eq!(
        published_codes(&mut client),
        ["DJM101", "DJM104", "DJM203", "DJM102"]
    );
    let fix_all = |client: &mut Client, only: Value| {
        let response = client.request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri},
                "range": range((0, 0), (0, 0)),
                "context": {"diagnostics": [], "only": only},
            }),
        );
        response["result"].clone()
    };
    let actions = fix_all(&mut client, json!(["source.fixAll.dormlint"]));
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.dormlint");
    assert_eq!(actions[0]["title"], "Apply every safe dormlint fix");
    let edits = &actions[0]["edit"]["changes"][&uri];
    assert_eq!(
        edits,
        &json!([
            {"range": range((5, 7), (5, 15)), "newText": "students.exists()"},
            {"range": range((7, 7), (7, 51)), "newText": "Student.objects.filter(name=\"a\").exists()"},
            {"range": range((11, 11), (11, 48)), "newText": "Student.objects.filter(name=\"b\").count()"},
        ])
    );
    let fixed = FIXABLE
        .replace("if students:", "if students.exists():")
        .replace(".count() > 0:", ".exists():")
        .replace(
            "len(Student.objects.filter(name=\"b\"))",
            "Student.objects.filter(name=\"b\").count()",
        );
    assert_eq!(apply_edits(FIXABLE, edits), fixed);

    // Parent kinds ask for it too (VS Code's `source.fixAll` on save, its "Source
    // Action..." menu); a request for quick fixes only does not get it.
    for parent in ["source.fixAll", "source"] {
        let actions = fix_all(&mut client, json!([parent]));
        assert_eq!(actions[0]["kind"], "source.fixAll.dormlint", "{parent}");
        assert_eq!(&actions[0]["edit"]["changes"][&uri], edits, "{parent}");
    }
    assert_eq!(fix_all(&mut client, json!(["quickfix"])), json!([]));
    assert_eq!(
        fix_all(&mut client, json!(["source.organizeImports"])),
        json!([])
    );

    // The same findings in a buffer that does not parse: not one edit.
    let broken = format!("{FIXABLE}def broken(:\n");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": broken}]}),
    );
    let codes = published_codes(&mut client);
    assert!(codes.contains(&"DJM001".to_string()), "{codes:?}");
    let actions = fix_all(&mut client, json!(["source.fixAll.dormlint"]));
    assert_eq!(actions.as_array().unwrap().len(), 1);
    assert_eq!(actions[0]["edit"]["changes"][&uri], json!([]));

    // Nothing to fix: still the one action, with an empty edit.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(published_codes(&mut client), ["DJM203"]);
    let actions = fix_all(&mut client, json!(["source.fixAll.dormlint"]));
    assert_eq!(actions.as_array().unwrap().len(), 1);
    assert_eq!(actions[0]["edit"]["changes"][&uri], json!([]));
}

/// Hover over a finding shows its rule's document, the Markdown of rules/CODE.md; the
/// character after the finding, a line without one and an unknown buffer show nothing.
#[test]
fn hover_on_a_finding_shows_the_rule_document() {
    let dir = project();
    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());
    let uri = file_uri(&dir.path().join("school/views.py"));
    open(&mut client, &uri, VIEWS);
    assert_eq!(published_codes(&mut client), ["DJM101"]);
    let hover = |client: &mut Client, uri: &str, line: u32, character: u32| {
        let response = client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        );
        assert!(response.get("error").is_none(), "{response:#}");
        response["result"].clone()
    };
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/DJM101.md")).unwrap();
    let expected = json!({
        "contents": {"kind": "markdown", "value": doc},
        "range": range((5, 24), (5, 32)),
    });
    // UTF-16 units 24..32 of the line: its first and last character, and one between.
    for character in [24, 27, 31] {
        assert_eq!(
            hover(&mut client, &uri, 5, character),
            expected,
            "{character}"
        );
    }
    assert_eq!(hover(&mut client, &uri, 5, 32), Value::Null, "just after");
    assert_eq!(hover(&mut client, &uri, 5, 23), Value::Null, "just before");
    assert_eq!(hover(&mut client, &uri, 0, 0), Value::Null, "no finding");
    let other = file_uri(&dir.path().join("school/other.py"));
    assert_eq!(hover(&mut client, &other, 0, 0), Value::Null, "not open");
}

/// `select`/`ignore` from the editor override the configuration file's selection:
/// in `initializationOptions` (under `settings` or at the top level) and in
/// `workspace/didChangeConfiguration`, which checks the open buffers again.
#[test]
fn editor_settings_override_the_configuration_file() {
    let dir = project();
    std::fs::write(dir.path().join("dormlint.toml"), "select = [\"DJM2\"]\n").unwrap();
    let uri = file_uri(&dir.path().join("school/views.py"));

    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());
    open(&mut client, &uri, FIXABLE);
    assert_eq!(
        published_codes(&mut client),
        ["DJM203"],
        "the file's selection"
    );
    drop(client);

    let mut client = Client::start(dir.path());
    initialize_with(
        &mut client,
        dir.path(),
        json!({"settings": {"select": ["DJM1"], "ignore": ["DJM104"], "preview": false}}),
    );
    open(&mut client, &uri, FIXABLE);
    assert_eq!(published_codes(&mut client), ["DJM101", "DJM102"]);

    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"select": ["DJM104", "DJM203"]}}),
    );
    assert_eq!(published_codes(&mut client), ["DJM104", "DJM203"]);
    // Neovim nests the settings under the server's name.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"dormlint": {"ignore": ["DJM203"]}}}),
    );
    assert_eq!(
        published_codes(&mut client),
        [] as [&str; 0],
        "the file's DJM2, less DJM203"
    );
    drop(client);

    let mut client = Client::start(dir.path());
    initialize_with(&mut client, dir.path(), json!({"select": ["DJM102"]}));
    open(&mut client, &uri, FIXABLE);
    assert_eq!(
        published_codes(&mut client),
        ["DJM102"],
        "top-level options"
    );
}
