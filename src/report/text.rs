//! The rich text format: codespan-reporting snippets with the rule's help and name.

use std::io::{self, Write};

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::termcolor::{self, Color, ColorSpec, WriteColor};
use codespan_reporting::term::{self, Config};

use super::FileReport;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// `auto` means colour on a terminal unless `NO_COLOR` is set (no-color.org).
    pub fn resolve(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }

    /// A buffer that writes ANSI colours when standard output gets them.
    fn buffer(self) -> termcolor::Buffer {
        use std::io::IsTerminal;
        if self.resolve(io::stdout().is_terminal()) {
            termcolor::Buffer::ansi()
        } else {
            termcolor::Buffer::no_color()
        }
    }
}

/// One line a finding, `path:row:column: CODE [*] message`, coloured as ruff colours
/// its concise output: the path bold, the `:` separators cyan, the code bold red, the
/// `*` of `[*]` (fixable) cyan.
pub(super) fn write_concise(
    out: &mut dyn Write,
    reports: &[FileReport],
    color: ColorChoice,
) -> io::Result<()> {
    let mut buffer = color.buffer();
    let bold = ColorSpec::new().set_bold(true).clone();
    let code = ColorSpec::new()
        .set_bold(true)
        .set_fg(Some(Color::Red))
        .clone();
    let cyan = ColorSpec::new().set_fg(Some(Color::Cyan)).clone();
    let paint = |buffer: &mut termcolor::Buffer, spec: &ColorSpec, text: &str| {
        buffer.set_color(spec)?;
        write!(buffer, "{text}")?;
        buffer.reset()
    };
    for report in reports {
        for d in &report.diagnostics {
            paint(&mut buffer, &bold, &report.path.display().to_string())?;
            for number in [d.start.row, d.start.column] {
                paint(&mut buffer, &cyan, ":")?;
                write!(buffer, "{number}")?;
            }
            paint(&mut buffer, &cyan, ":")?;
            write!(buffer, " ")?;
            paint(&mut buffer, &code, d.rule.code())?;
            write!(buffer, " ")?;
            if d.fix.is_some() {
                write!(buffer, "[")?;
                paint(&mut buffer, &cyan, "*")?;
                write!(buffer, "] ")?;
            }
            writeln!(buffer, "{}", d.message)?;
        }
    }
    out.write_all(buffer.as_slice())
}

pub(super) fn write_rich(
    out: &mut dyn Write,
    reports: &[FileReport],
    color: ColorChoice,
) -> io::Result<()> {
    let config = Config::default();
    for report in reports {
        if report.diagnostics.is_empty() {
            continue;
        }
        let source = report.source.as_deref().unwrap_or("");
        let file = SimpleFile::new(report.path.display().to_string(), source);
        let mut buffer = color.buffer();
        for d in &report.diagnostics {
            let severity = if d.rule.is_tool() {
                Severity::Error
            } else {
                Severity::Warning
            };
            let range = usize::from(d.range.start())..usize::from(d.range.end());
            let mut labels = vec![Label::primary((), range)];
            for (secondary, label) in &d.secondary {
                labels.push(
                    Label::secondary(
                        (),
                        usize::from(secondary.start())..usize::from(secondary.end()),
                    )
                    .with_message(label.clone()),
                );
            }
            let mut notes = Vec::new();
            // Without a snippet (an unreadable file) the file is named nowhere else.
            if source.is_empty() {
                notes.push(format!("file: {}", report.path.display()));
            }
            if let Some(help) = &d.help {
                notes.push(format!("help: {help}"));
            }
            notes.push(format!(
                "note: `{}` is on; see `dormlint explain {}`",
                d.rule.name(),
                d.rule.code()
            ));
            let diagnostic = Diagnostic::new(severity)
                .with_code(d.rule.code())
                .with_message(&d.message)
                .with_labels(if source.is_empty() {
                    Vec::new()
                } else {
                    labels
                })
                .with_notes(notes);
            if term::emit_to_write_style(&mut buffer, &config, &file, &diagnostic).is_err() {
                // A position outside the text (an unreadable file): say it without a snippet.
                writeln!(
                    buffer,
                    "{}: {} {}",
                    report.path.display(),
                    d.rule.code(),
                    d.message
                )?;
            }
        }
        out.write_all(buffer.as_slice())?;
    }
    Ok(())
}
