//! The command line: clap definitions, and turning flags into `Settings`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config;
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
    /// Remove the cache (`.dormlint_cache`, or `$DORMLINT_CACHE_DIR`).
    Clean,
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
    /// A configuration file to use instead of looking for one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Only these rules: codes, prefixes (DJM2) or ALL; comma-separated or repeated.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Rules to add to the selection.
    #[arg(long, value_delimiter = ',')]
    pub extend_select: Vec<String>,
    /// Rules to turn off.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Paths to leave out (globs), besides the default exclusions.
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// More paths to leave out (globs).
    #[arg(long, value_delimiter = ',')]
    pub extend_exclude: Vec<String>,
    /// Read the source from standard input and report it under this path.
    #[arg(long)]
    pub stdin_filename: Option<PathBuf>,
    /// Apply the safe fixes in place.
    #[arg(long)]
    pub fix: bool,
    /// Show the safe fixes as a diff instead of applying them.
    #[arg(long)]
    pub diff: bool,
    /// Add `# noqa: CODE` on the rows of the current findings.
    #[arg(long)]
    pub add_noqa: bool,
    /// Print how many findings each rule has instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Report DJM201 outside batch contexts too.
    #[arg(long)]
    pub strict_iterator: bool,
    /// Number of worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Neither read nor write `.dormlint_cache`.
    #[arg(long)]
    pub no_cache: bool,
    /// Do not honour .gitignore files.
    #[arg(long)]
    pub no_respect_gitignore: bool,
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print findings only, no summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Benchmark floor: read and parse every file on the same threads, check nothing.
    #[arg(long, hide = true)]
    pub parse_only: bool,
}

impl CheckArgs {
    /// Defaults, then the configuration file, then the command line.
    pub fn settings(&self) -> Result<Settings, String> {
        let mut settings = Settings::default();
        let start = self
            .stdin_filename
            .clone()
            .or_else(|| self.paths.first().cloned())
            .unwrap_or_else(|| PathBuf::from("."));
        let config_path = match &self.config {
            Some(path) => Some(path.clone()),
            None => config::find(&start),
        };
        let file = match &config_path {
            Some(path) => Some(config::load(path).map_err(|e| e.0)?),
            None => None,
        };
        if let Some(file) = &file {
            config::apply(file, &mut settings).map_err(|e| e.0)?;
        }
        let empty = config::FileConfig::default();
        let file = file.as_ref().unwrap_or(&empty);
        // The command line's `--select` replaces the file's; the rest adds up.
        let select = if self.select.is_empty() {
            &file.select
        } else {
            &self.select
        };
        let extend_select: Vec<String> = file
            .extend_select
            .iter()
            .chain(&self.extend_select)
            .cloned()
            .collect();
        let ignore: Vec<String> = file.ignore.iter().chain(&self.ignore).cloned().collect();
        settings.select_rules(select, &extend_select, &ignore)?;
        settings.strict_iterator |= self.strict_iterator;
        settings.parse_only = self.parse_only;
        settings.cache = !self.no_cache;
        settings.threads = self.threads;
        settings.exclude.extend(self.exclude.iter().cloned());
        settings.exclude.extend(self.extend_exclude.iter().cloned());
        if self.no_respect_gitignore {
            settings.respect_gitignore = false;
        }
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
