//! The binary: parse arguments, run, map the result to an exit code.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use dormlint::cli::{CheckArgs, Cli, Command, RulesFormat};
use dormlint::registry::{RULES, Rule};
use dormlint::report::{self, Summary};

/// mimalloc instead of glibc's malloc: a cold run builds and frees millions of small
/// AST nodes and strings, and glibc's allocator took about a fifth of its CPU time
/// (`perf`, bench corpus, single thread).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return argument_error(&error),
    };
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

/// Bad arguments: one line saying what is wrong (with clap's "did you mean" when it
/// has one), then the usage line; help and version print as clap prints them.
fn argument_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = error.print();
        return ExitCode::from(2);
    }
    let rendered = error.render().to_string();
    let what = rendered
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .trim_end_matches('.');
    let tip = rendered
        .lines()
        .find_map(|line| line.trim().strip_prefix("tip: a similar "))
        .and_then(|tip| tip.split_once(" exists: "))
        .map(|(_, similar)| format!(" (did you mean {similar}?)"))
        .unwrap_or_default();
    let values = rendered
        .lines()
        .find_map(|line| line.trim().strip_prefix("[possible values: "))
        .map(|values| format!(" (one of: {})", values.trim_end_matches(']')))
        .unwrap_or_default();
    // The usage of the subcommand typed, if one was.
    let mut command = <Cli as clap::CommandFactory>::command();
    command.build();
    let typed = std::env::args().nth(1).unwrap_or_default();
    let (usage, help) = match command.find_subcommand_mut(&typed) {
        Some(sub) => (sub.render_usage(), format!("dormlint {typed} --help")),
        None => (command.render_usage(), "dormlint --help".to_string()),
    };
    eprintln!("dormlint: {what}{tip}{values}");
    eprintln!("{} (see `{help}`)", usage.to_string().trim());
    ExitCode::from(2)
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

/// Where findings go: standard output, or `--output-file`.
fn output(args: &CheckArgs) -> io::Result<Box<dyn Write>> {
    Ok(match &args.output_file {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let file = std::fs::File::create(path).map_err(|e| {
                io::Error::new(e.kind(), format!("{}: cannot write: {e}", path.display()))
            })?;
            Box::new(io::BufWriter::new(file))
        }
        None => Box::new(io::BufWriter::new(io::stdout())),
    })
}

/// Colour never goes into a file.
fn color(args: &CheckArgs) -> report::ColorChoice {
    match (&args.output_file, args.color) {
        (Some(_), report::ColorChoice::Auto) => report::ColorChoice::Never,
        (_, color) => color,
    }
}

/// A selector on the command line that names only preview rules selects nothing
/// without preview: say so on stderr, as ruff does, instead of a silent clean run.
fn warn_preview_only_selections(args: &CheckArgs, settings: &dormlint::settings::Settings) {
    if settings.preview {
        return;
    }
    for selector in args.select.iter().chain(&args.extend_select) {
        let Ok(rules) = dormlint::registry::select(selector) else {
            continue;
        };
        if !rules.is_empty() && rules.iter().all(|rule| rule.is_preview()) {
            eprintln!(
                "dormlint: warning: `{selector}` selects only preview rules, which need `--preview` (or `preview = true`)"
            );
        }
    }
}

fn check(args: &CheckArgs) -> io::Result<ExitCode> {
    let settings = match args.settings() {
        Ok(settings) => settings,
        Err(message) => return usage_error(message),
    };
    warn_preview_only_selections(args, &settings);
    if args.paths.len() > 1 && args.paths.iter().any(|p| p == Path::new("-")) {
        return usage_error("`-` (standard input) cannot be checked with other paths".to_string());
    }
    if let Some(path) = args.stdin_path() {
        return check_stdin(args, &settings, &path);
    }
    let paths = args.paths();
    if args.show_files || args.show_settings {
        return show(args, &settings, &paths);
    }
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
    let mut out = output(args)?;
    if args.diff {
        // A clean unified diff on stdout; the count on stderr, as ruff does.
        let diffs = rewrite(
            &result.reports,
            dormlint::apply_fixes,
            |path, before, after| write_diff(&mut out, path, before, after),
        )?;
        out.flush()?;
        if !args.quiet && diffs > 0 {
            eprintln!("Would fix {diffs} {}.", plural(diffs, "problem"));
        }
        return Ok(exit(diffs > 0, args));
    }
    if args.add_noqa {
        let added = rewrite(&result.reports, dormlint::add_noqa, |path, _, after| {
            write_keeping_bom(path, after)
        })?;
        if !args.quiet {
            writeln!(out, "Added {added} noqa {}.", plural(added, "directive"))?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut result = result;
    let mut fixed_count = 0;
    if args.fix || args.fix_only {
        fixed_count = rewrite(&result.reports, dormlint::apply_fixes, |path, _, after| {
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
    let fixed = fixed_count > 0 && args.exit_non_zero_on_fix;
    if args.fix_only {
        // What is left is not reported, and does not fail the run.
        out.flush()?;
        return Ok(exit(fixed, args));
    }
    if args.statistics {
        write_statistics(&mut out, &result.reports, args.output_format)?;
    } else {
        report::write(
            &mut out,
            args.output_format,
            &result.reports,
            &Summary {
                files_checked: result.files_checked,
                seconds: result.seconds,
            },
            color(args),
            args.quiet,
        )?;
    }
    out.flush()?;
    let found = result.reports.iter().any(|r| !r.diagnostics.is_empty());
    Ok(exit(found || fixed, args))
}

/// A unified diff of one file, headed by its path on both sides.
fn write_diff(out: &mut dyn Write, path: &Path, before: &str, after: &str) -> io::Result<()> {
    let name = path.display().to_string();
    let diff = similar::TextDiff::from_lines(before, after);
    write!(out, "{}", diff.unified_diff().header(&name, &name))
}

/// `--show-files` and `--show-settings`: what a run would check, and with what.
fn show(
    args: &CheckArgs,
    settings: &dormlint::settings::Settings,
    paths: &[PathBuf],
) -> io::Result<ExitCode> {
    let discovered = match dormlint::discover::discover(paths, settings) {
        Ok(discovered) => discovered,
        Err(error) => return usage_error(error.0),
    };
    let mut files: Vec<PathBuf> = discovered
        .files
        .iter()
        .map(|f| f.path.clone())
        .chain(discovered.configs.iter().cloned())
        .map(|p| relative_to_cwd(&p))
        .collect();
    files.sort();
    files.dedup();
    let mut out = output(args)?;
    if args.show_files {
        for file in &files {
            writeln!(out, "{}", file.display())?;
        }
    } else {
        let Some(first) = files.first() else {
            return usage_error("no files to show the settings of".to_string());
        };
        write!(out, "{}", settings.for_file(first).describe(first))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A path below the working directory as relative; others as they are (as ruff shows).
fn relative_to_cwd(path: &Path) -> PathBuf {
    let absolute = dormlint::settings::normalize(path);
    let cwd = dormlint::settings::normalize(Path::new("."));
    absolute
        .strip_prefix(&cwd)
        .map(Path::to_path_buf)
        .unwrap_or(absolute)
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

/// `--stdin-filename` (or `-`): the buffer is checked against the project around
/// `path`, with the configuration that applies there. With `--fix` the fixed text goes
/// to stdout and what is left to stderr; with `--diff`, a diff to stdout.
fn check_stdin(
    args: &CheckArgs,
    settings: &dormlint::settings::Settings,
    path: &Path,
) -> io::Result<ExitCode> {
    let mut text = String::new();
    if let Err(error) = io::stdin().read_to_string(&mut text) {
        return usage_error(format!("cannot read standard input: {error}"));
    }
    let fixing = args.fix || args.fix_only;
    if dormlint::discover::force_excluded(settings, path) {
        // Excluded: nothing to say, and the buffer passes through unchanged.
        if fixing {
            io::stdout().write_all(text.as_bytes())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let root = settings
        .for_file(path)
        .config_root
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    let project = dormlint::Project::load(&root, settings)
        .unwrap_or_else(|_| dormlint::Project::empty(settings));
    let findings = project.check_buffer(path, &text);
    let summary = Summary {
        files_checked: 1,
        seconds: 0.0,
    };
    if args.diff {
        let (fixed, count) = dormlint::apply_fixes(&text, &findings);
        let mut out = output(args)?;
        if count > 0 {
            write_diff(&mut out, path, &text, &fixed)?;
        }
        out.flush()?;
        if !args.quiet && count > 0 {
            eprintln!("Would fix {count} {}.", plural(count, "problem"));
        }
        return Ok(exit(count > 0, args));
    }
    if fixing {
        let (fixed, count) = dormlint::apply_fixes(&text, &findings);
        let mut out = io::BufWriter::new(io::stdout().lock());
        out.write_all(fixed.as_bytes())?;
        out.flush()?;
        let left = project.check_buffer(path, &fixed);
        let applied = count > 0 && args.exit_non_zero_on_fix;
        if args.fix_only {
            return Ok(exit(applied, args));
        }
        // What is left goes to stderr, in the format asked for.
        let found = !left.is_empty();
        let reports = vec![dormlint::report::FileReport {
            path: path.to_path_buf(),
            source: Some(fixed),
            diagnostics: left,
        }];
        let mut err = io::BufWriter::new(io::stderr().lock());
        report::write(
            &mut err,
            args.output_format,
            &reports,
            &summary,
            report::ColorChoice::Never,
            args.quiet,
        )?;
        err.flush()?;
        return Ok(exit(found || applied, args));
    }
    let found = !findings.is_empty();
    let reports = vec![dormlint::report::FileReport {
        path: path.to_path_buf(),
        source: Some(text),
        diagnostics: findings,
    }];
    let mut out = output(args)?;
    if args.statistics {
        write_statistics(&mut out, &reports, args.output_format)?;
    } else {
        report::write(
            &mut out,
            args.output_format,
            &reports,
            &summary,
            color(args),
            args.quiet,
        )?;
    }
    out.flush()?;
    Ok(exit(found, args))
}

/// `--statistics`: one line a rule, most frequent first (a JSON array with
/// `--output-format json`, in ruff's shape).
fn write_statistics(
    out: &mut dyn Write,
    reports: &[dormlint::report::FileReport],
    format: report::OutputFormat,
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
    if format == report::OutputFormat::Json {
        let rows: Vec<serde_json::Value> = rows
            .iter()
            .map(|(rule, (count, fixable))| {
                serde_json::json!({
                    "code": rule.code(),
                    "name": rule.name(),
                    "count": count,
                    "fixable": *fixable > 0,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        return writeln!(out);
    }
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
                        "default": info.default_enabled && !info.rule.is_preview(),
                        "preview": info.rule.is_preview(),
                        "preview_contexts": info
                            .rule
                            .preview_contexts()
                            .iter()
                            .map(|c| c.describe())
                            .collect::<Vec<_>>(),
                        "summary": info.summary(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rules)?;
            writeln!(out)
        }
        RulesFormat::Text => {
            for info in RULES {
                let status = if info.rule.is_preview() {
                    "preview"
                } else if info.default_enabled {
                    "on"
                } else {
                    "off"
                };
                let contexts: Vec<&str> = info
                    .rule
                    .preview_contexts()
                    .iter()
                    .map(|c| c.describe())
                    .collect();
                let context = if contexts.is_empty() || info.rule.is_preview() {
                    String::new()
                } else {
                    format!(" [preview {}]", contexts.join(", "))
                };
                writeln!(
                    out,
                    "{}  {:<38} {:<11} {:<7}  {}{context}",
                    info.code,
                    info.name,
                    info.family,
                    status,
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
