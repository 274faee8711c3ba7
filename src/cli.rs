//! The command line: clap definitions, and turning flags into `Settings`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::{ColorChoice, OutputFormat};
use crate::settings::Settings;

#[derive(Parser, Debug)]
#[command(
    name = "dormlint",
    version,
    about = "Finds the Django ORM and process patterns that make Python services eat memory"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check Python files and directories (default: the current directory).
    Check(CheckArgs),
    /// List every rule: code, name, family, default, summary.
    Rules {
        #[arg(long, value_enum, default_value = "text")]
        output_format: RulesFormat,
    },
    /// Show a rule's document.
    Explain {
        /// A rule code (DJM101) or name (queryset-truthiness).
        rule: String,
    },
    /// Run the language server (LSP over stdin and stdout), for editors.
    Server,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check.
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub output_format: OutputFormat,
    /// Only these rules: codes, prefixes (DJM2) or ALL; comma-separated or repeated.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Rules to add to the selection.
    #[arg(long, value_delimiter = ',')]
    pub extend_select: Vec<String>,
    /// Rules to turn off.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Paths to leave out (globs).
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Report DJM201 outside batch contexts too.
    #[arg(long)]
    pub strict_iterator: bool,
    /// Number of worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Do not honour .gitignore files.
    #[arg(long)]
    pub no_respect_gitignore: bool,
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print findings only, no summary.
    #[arg(short, long)]
    pub quiet: bool,
}

impl CheckArgs {
    pub fn settings(&self) -> Result<Settings, String> {
        let mut settings = Settings::default();
        settings.select_rules(&self.select, &self.extend_select, &self.ignore)?;
        settings.strict_iterator = self.strict_iterator;
        settings.threads = self.threads;
        settings.exclude = self.exclude.clone();
        settings.respect_gitignore = !self.no_respect_gitignore;
        Ok(settings)
    }

    pub fn paths(&self) -> Vec<PathBuf> {
        if self.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            self.paths.clone()
        }
    }
}
