//! Turning findings into what users read: rows and columns, then text (codespan),
//! concise lines, JSON and JSON lines in ruff's shape.

mod text;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rustpython_parser::text_size::TextRange;
use serde::Serialize;

pub use text::ColorChoice;

use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::source::{LineIndex, Position};

/// A finding placed in its file.
#[derive(Clone, Debug)]
pub struct Located {
    pub rule: Rule,
    pub message: String,
    pub help: Option<String>,
    pub range: TextRange,
    pub start: Position,
    pub end: Position,
    pub fix: Option<LocatedFix>,
    pub secondary: Vec<(TextRange, String)>,
}

#[derive(Clone, Debug)]
pub struct LocatedFix {
    pub message: String,
    pub edits: Vec<LocatedEdit>,
}

#[derive(Clone, Debug)]
pub struct LocatedEdit {
    pub content: String,
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
    Text,
    Concise,
    Json,
    JsonLines,
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
        OutputFormat::Concise => {
            for report in reports {
                for d in &report.diagnostics {
                    writeln!(
                        out,
                        "{}:{}:{}: {} {}",
                        report.path.display(),
                        d.start.row,
                        d.start.column,
                        d.rule.code(),
                        d.message
                    )?;
                }
            }
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
