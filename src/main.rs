//! The binary: parse arguments, run, map the result to an exit code.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use dormlint::cli::{CheckArgs, Cli, Command, RulesFormat};
use dormlint::registry::{RULES, Rule};
use dormlint::report::{self, Summary};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check(&args),
        Command::Rules { output_format } => rules(output_format).map(|_| ExitCode::SUCCESS),
        Command::Explain { rule } => explain(&rule),
        Command::Server => dormlint::server::run(),
        Command::Clean => clean(),
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`dormlint check | head`) is not an error.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dormlint: {error}");
            ExitCode::from(2)
        }
    }
}

/// `dormlint clean`: removes the cache the current directory's configuration uses (or
/// `$DORMLINT_CACHE_DIR`), as `ruff clean` does.
fn clean() -> io::Result<ExitCode> {
    let settings = match dormlint::config::settings_for(Path::new(".")) {
        Ok(settings) => settings,
        Err(error) => return usage_error(error.0),
    };
    match dormlint::clean_cache(&settings)? {
        Some(dir) => eprintln!("dormlint: removed {}", dir.display()),
        None => eprintln!("dormlint: no cache to remove"),
    }
    Ok(ExitCode::SUCCESS)
}

fn usage_error(message: String) -> io::Result<ExitCode> {
    eprintln!("dormlint: {message}");
    Ok(ExitCode::from(2))
}

fn check(args: &CheckArgs) -> io::Result<ExitCode> {
    let settings = match args.settings() {
        Ok(settings) => settings,
        Err(message) => return usage_error(message),
    };
    if let Some(path) = &args.stdin_filename {
        return check_stdin(args, &settings, path);
    }
    let paths = args.paths();
    let result = match dormlint::check_paths(&paths, &settings) {
        Ok(result) => result,
        Err(error) => return usage_error(error.0),
    };
    if std::env::var_os("DORMLINT_DEBUG_INDEX").is_some() {
        eprintln!(
            "dormlint: {} files, {} parsed, {} checked again after the index settled",
            result.files_checked, result.parsed, result.rechecked
        );
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if args.diff {
        let diffs = rewrite(
            &result.reports,
            dormlint::apply_fixes,
            |path, before, after| {
                let name = path.display().to_string();
                let diff = similar::TextDiff::from_lines(before, after);
                write!(out, "{}", diff.unified_diff().header(&name, &name))
            },
        )?;
        if !args.quiet {
            writeln!(out, "Would fix {diffs} {}.", plural(diffs, "problem"))?;
        }
        out.flush()?;
        return Ok(exit(diffs > 0, args));
    }
    if args.add_noqa {
        let added = rewrite(&result.reports, dormlint::add_noqa, |path, _, after| {
            write_keeping_bom(path, after)
        })?;
        writeln!(out, "Added {added} noqa {}.", plural(added, "directive"))?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut result = result;
    if args.fix {
        let fixed_count = rewrite(&result.reports, dormlint::apply_fixes, |path, _, after| {
            write_keeping_bom(path, after)
        })?;
        if fixed_count > 0 {
            // What is left, as the fixed files now read.
            result = match dormlint::check_paths(&paths, &settings) {
                Ok(result) => result,
                Err(error) => return usage_error(error.0),
            };
            if !args.quiet {
                writeln!(
                    out,
                    "Fixed {fixed_count} {}.",
                    plural(fixed_count, "problem")
                )?;
            }
        }
    }
    if args.statistics {
        write_statistics(&mut out, &result.reports)?;
    } else {
        report::write(
            &mut out,
            args.output_format,
            &result.reports,
            &Summary {
                files_checked: result.files_checked,
                seconds: result.seconds,
            },
            args.color,
            args.quiet,
        )?;
    }
    out.flush()?;
    let found = result.reports.iter().any(|r| !r.diagnostics.is_empty());
    Ok(exit(found, args))
}

/// Rewrites the text of every report that has it with `change` (fixes, noqa comments),
/// hands each changed file to `act`, and returns how many changes were made.
fn rewrite(
    reports: &[dormlint::report::FileReport],
    change: fn(&str, &[dormlint::report::Located]) -> (String, usize),
    mut act: impl FnMut(&Path, &str, &str) -> io::Result<()>,
) -> io::Result<usize> {
    let mut total = 0;
    for report in reports {
        let Some(source) = &report.source else {
            continue;
        };
        let (changed, count) = change(source, &report.diagnostics);
        if count > 0 {
            act(&report.path, source, &changed)?;
            total += count;
        }
    }
    Ok(total)
}

/// Writes `text` (decoded, so without a BOM) over `path`, keeping the BOM the file had:
/// a fix changes the code it names, not the encoding marker.
fn write_keeping_bom(path: &Path, text: &str) -> io::Result<()> {
    let mut head = [0u8; 3];
    let had_bom = std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut head))
        .is_ok()
        && head == *b"\xef\xbb\xbf";
    if had_bom && !text.starts_with('\u{feff}') {
        std::fs::write(path, format!("\u{feff}{text}"))
    } else {
        std::fs::write(path, text)
    }
}

fn exit(found: bool, args: &CheckArgs) -> ExitCode {
    if found && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// `--stdin-filename`: the buffer is checked against the project around `path`, with
/// the configuration that applies there. With `--fix` the fixed text goes to stdout.
fn check_stdin(
    args: &CheckArgs,
    settings: &dormlint::settings::Settings,
    path: &Path,
) -> io::Result<ExitCode> {
    let mut text = String::new();
    if let Err(error) = io::stdin().read_to_string(&mut text) {
        return usage_error(format!("cannot read standard input: {error}"));
    }
    let root = settings
        .config_root
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    let project = dormlint::Project::load(&root, settings)
        .unwrap_or_else(|_| dormlint::Project::empty(settings));
    let findings = project.check_buffer(path, &text);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if args.fix {
        let (fixed, _) = dormlint::apply_fixes(&text, &findings);
        out.write_all(fixed.as_bytes())?;
        out.flush()?;
        let left = project.check_buffer(path, &fixed);
        return Ok(exit(!left.is_empty(), args));
    }
    let found = !findings.is_empty();
    let reports = vec![dormlint::report::FileReport {
        path: path.to_path_buf(),
        source: Some(text),
        diagnostics: findings,
    }];
    if args.statistics {
        write_statistics(&mut out, &reports)?;
    } else {
        report::write(
            &mut out,
            args.output_format,
            &reports,
            &Summary {
                files_checked: 1,
                seconds: 0.0,
            },
            args.color,
            args.quiet,
        )?;
    }
    out.flush()?;
    Ok(exit(found, args))
}

/// `--statistics`: one line a rule, most frequent first.
fn write_statistics(
    out: &mut dyn Write,
    reports: &[dormlint::report::FileReport],
) -> io::Result<()> {
    let mut counts: std::collections::BTreeMap<Rule, (usize, usize)> =
        std::collections::BTreeMap::new();
    for d in reports.iter().flat_map(|r| &r.diagnostics) {
        let entry = counts.entry(d.rule).or_default();
        entry.0 += 1;
        entry.1 += usize::from(d.fix.is_some());
    }
    let mut rows: Vec<(Rule, (usize, usize))> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    for (rule, (count, fixable)) in rows {
        let marker = if fixable > 0 { "[*] " } else { "    " };
        writeln!(out, "{count:>5}  {}  {marker}{}", rule.code(), rule.name())?;
    }
    Ok(())
}

fn rules(format: RulesFormat) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match format {
        RulesFormat::Json => {
            let rules: Vec<serde_json::Value> = RULES
                .iter()
                .map(|info| {
                    serde_json::json!({
                        "code": info.code,
                        "name": info.name,
                        "family": info.family,
                        "default": info.default_enabled,
                        "summary": info.summary(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rules)?;
            writeln!(out)
        }
        RulesFormat::Text => {
            for info in RULES {
                writeln!(
                    out,
                    "{}  {:<38} {:<11} {:<3}  {}",
                    info.code,
                    info.name,
                    info.family,
                    if info.default_enabled { "on" } else { "off" },
                    info.summary()
                )?;
            }
            Ok(())
        }
    }
}

fn explain(rule: &str) -> io::Result<ExitCode> {
    let Some(rule) = Rule::from_code_or_name(rule) else {
        return usage_error(format!(
            "unknown rule `{rule}`; `dormlint rules` lists them"
        ));
    };
    use std::io::IsTerminal;
    let stdout = io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut out = stdout.lock();
    out.write_all(dormlint::explain::render(rule.info().doc, color).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
