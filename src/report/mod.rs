//! Turning findings into what users read: rows and columns, then text (codespan),
//! concise lines, JSON and JSON lines in ruff's shape.

mod text;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ruff_text_size::TextRange;
use serde::Serialize;

pub use text::ColorChoice;

use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::source::{LineIndex, Position};

/// A finding placed in its file.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Located {
    pub rule: Rule,
    pub message: String,
    pub help: Option<String>,
    #[serde(with = "crate::cache::range")]
    pub range: TextRange,
    pub start: Position,
    pub end: Position,
    pub fix: Option<LocatedFix>,
    #[serde(with = "crate::cache::labelled_ranges")]
    pub secondary: Vec<(TextRange, String)>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct LocatedFix {
    pub message: String,
    pub edits: Vec<LocatedEdit>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct LocatedEdit {
    pub content: String,
    #[serde(with = "crate::cache::range")]
    pub range: TextRange,
    pub start: Position,
    pub end: Position,
}

/// One checked file's findings, with its text when there is something to show.
#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub source: Option<String>,
    pub diagnostics: Vec<Located>,
}

pub(crate) fn locate(text: &str, lines: &LineIndex, diagnostic: Diagnostic) -> Located {
    let fix = diagnostic.fix.map(|fix| LocatedFix {
        message: fix.message,
        edits: fix
            .edits
            .into_iter()
            .map(|edit| LocatedEdit {
                start: lines.position(text, edit.range.start()),
                end: lines.position(text, edit.range.end()),
                content: edit.content,
                range: edit.range,
            })
            .collect(),
    });
    Located {
        rule: diagnostic.rule,
        start: lines.position(text, diagnostic.range.start()),
        end: lines.position(text, diagnostic.range.end()),
        message: diagnostic.message,
        help: diagnostic.help,
        range: diagnostic.range,
        fix,
        secondary: diagnostic.secondary,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Snippets, help and a summary; `full` is ruff's name for the same.
    #[value(alias = "full")]
    Text,
    Concise,
    Json,
    JsonLines,
    Sarif,
    Github,
}

pub struct Summary {
    pub files_checked: usize,
    pub seconds: f64,
}

#[derive(Serialize)]
struct JsonPosition {
    row: usize,
    column: usize,
}

impl From<Position> for JsonPosition {
    fn from(position: Position) -> Self {
        JsonPosition {
            row: position.row,
            column: position.column,
        }
    }
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    content: &'a str,
    location: JsonPosition,
    end_location: JsonPosition,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    applicability: &'static str,
    message: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    filename: String,
    location: JsonPosition,
    end_location: JsonPosition,
    fix: Option<JsonFix<'a>>,
    url: Option<String>,
    noqa_row: usize,
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

fn json_diagnostic<'a>(path: &Path, d: &'a Located) -> JsonDiagnostic<'a> {
    JsonDiagnostic {
        code: d.rule.code(),
        name: d.rule.name(),
        severity: if d.rule.is_tool() { "error" } else { "warning" },
        message: &d.message,
        filename: absolute(path),
        location: d.start.into(),
        end_location: d.end.into(),
        fix: d.fix.as_ref().map(|fix| JsonFix {
            applicability: "safe",
            message: &fix.message,
            edits: fix
                .edits
                .iter()
                .map(|edit| JsonEdit {
                    content: &edit.content,
                    location: edit.start.into(),
                    end_location: edit.end.into(),
                })
                .collect(),
        }),
        url: None,
        noqa_row: d.start.row,
    }
}

/// Writes every finding in `format`; reports must already be sorted.
pub fn write(
    out: &mut dyn Write,
    format: OutputFormat,
    reports: &[FileReport],
    summary: &Summary,
    color: ColorChoice,
    quiet: bool,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => {
            let all: Vec<JsonDiagnostic> = reports
                .iter()
                .flat_map(|r| r.diagnostics.iter().map(|d| json_diagnostic(&r.path, d)))
                .collect();
            serde_json::to_writer_pretty(&mut *out, &all)?;
            writeln!(out)
        }
        OutputFormat::JsonLines => {
            for report in reports {
                for d in &report.diagnostics {
                    serde_json::to_writer(&mut *out, &json_diagnostic(&report.path, d))?;
                    writeln!(out)?;
                }
            }
            Ok(())
        }
        OutputFormat::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif(reports))?;
            writeln!(out)
        }
        OutputFormat::Github => {
            for report in reports {
                for d in &report.diagnostics {
                    writeln!(
                        out,
                        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                        if d.rule.is_tool() { "error" } else { "warning" },
                        escape_property(&report.path.display().to_string()),
                        d.start.row,
                        d.start.column,
                        d.end.row,
                        d.end.column,
                        d.rule.code(),
                        escape_data(&format!("{} ({})", d.message, d.rule.name())),
                    )?;
                }
            }
            Ok(())
        }
        OutputFormat::Concise => {
            text::write_concise(out, reports, color)?;
            if !quiet {
                write_summary(out, reports, summary)?;
            }
            Ok(())
        }
        OutputFormat::Text => {
            text::write_rich(out, reports, color)?;
            if !quiet {
                write_summary(out, reports, summary)?;
            }
            Ok(())
        }
    }
}

/// GitHub workflow commands: `%`, CR and LF are escaped in data; `:` and `,` too in
/// property values.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The rule's first reference: its documentation page for SARIF's `helpUri`.
fn help_uri(doc: &str) -> Option<&str> {
    let references = &doc[doc.find("## References")?..];
    let start = references.find("](http")? + 2;
    let end = references[start..].find(')')? + start;
    Some(&references[start..end])
}

/// The first paragraph of "What it does".
fn full_description(doc: &str) -> String {
    let Some(at) = doc.find("## What it does") else {
        return String::new();
    };
    doc[at + "## What it does".len()..]
        .trim_start()
        .split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// SARIF 2.1.0: one run, a rule for every code, a result for every finding, with
/// paths relative to the working directory.
fn sarif(reports: &[FileReport]) -> serde_json::Value {
    use serde_json::json;
    let rules: Vec<serde_json::Value> = crate::registry::RULES
        .iter()
        .map(|info| {
            let mut rule = json!({
                "id": info.code,
                "name": info.name,
                "shortDescription": {"text": info.summary()},
                "fullDescription": {"text": full_description(info.doc)},
                "help": {"text": info.doc, "markdown": info.doc},
                "defaultConfiguration": {"level": if info.rule.is_tool() { "error" } else { "warning" }},
                "properties": {"family": info.family},
            });
            if let Some(uri) = help_uri(info.doc) {
                rule["helpUri"] = json!(uri);
            }
            rule
        })
        .collect();
    let cwd = std::env::current_dir().unwrap_or_default();
    let results: Vec<serde_json::Value> = reports
        .iter()
        .flat_map(|report| {
            let absolute = std::path::absolute(&report.path).unwrap_or_else(|_| report.path.clone());
            let relative = absolute.strip_prefix(&cwd).unwrap_or(&report.path).to_path_buf();
            let uri = relative.to_string_lossy().replace('\\', "/");
            report.diagnostics.iter().map(move |d| {
                let index = crate::registry::RULES.iter().position(|r| r.rule == d.rule).unwrap_or(0);
                json!({
                    "ruleId": d.rule.code(),
                    "ruleIndex": index,
                    "level": if d.rule.is_tool() { "error" } else { "warning" },
                    "message": {"text": d.message},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                            "region": {
                                "startLine": d.start.row,
                                "startColumn": d.start.column,
                                "endLine": d.end.row,
                                "endColumn": d.end.column.max(if d.end.row == d.start.row { d.start.column } else { 1 }),
                            }
                        }
                    }],
                })
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dormlint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://docs.djangoproject.com/en/5.1/topics/db/optimization/",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

fn write_summary(out: &mut dyn Write, reports: &[FileReport], summary: &Summary) -> io::Result<()> {
    let problems: usize = reports.iter().map(|r| r.diagnostics.len()).sum();
    let fixable: usize = reports
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter(|d| d.fix.is_some())
        .count();
    let files = reports.iter().filter(|r| !r.diagnostics.is_empty()).count();
    let checked = format!(
        "{} {} checked in {:.2}s.",
        summary.files_checked,
        if summary.files_checked == 1 {
            "file"
        } else {
            "files"
        },
        summary.seconds
    );
    if problems == 0 {
        writeln!(out, "No problems found; {checked}")
    } else {
        writeln!(
            out,
            "Found {problems} {} ({fixable} fixable) in {files} {}; {checked}",
            if problems == 1 { "problem" } else { "problems" },
            if files == 1 { "file" } else { "files" },
        )
    }
}
