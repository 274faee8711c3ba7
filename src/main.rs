//! The binary: parse arguments, run, map the result to an exit code.

use std::io::{self, Write};
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

fn usage_error(message: String) -> io::Result<ExitCode> {
    eprintln!("dormlint: {message}");
    Ok(ExitCode::from(2))
}

fn check(args: &CheckArgs) -> io::Result<ExitCode> {
    let settings = match args.settings() {
        Ok(settings) => settings,
        Err(message) => return usage_error(message),
    };
    let result = match dormlint::check_paths(&args.paths(), &settings) {
        Ok(result) => result,
        Err(error) => return usage_error(error.0),
    };
    if std::env::var_os("DORMLINT_DEBUG_INDEX").is_some() {
        eprintln!(
            "dormlint: {} files, {} checked again after the index settled",
            result.files_checked, result.rechecked
        );
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
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
    out.flush()?;
    let found = result.reports.iter().any(|r| !r.diagnostics.is_empty());
    Ok(if found && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
                    "{}  {:<38} {:<10} {:<3}  {}",
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
