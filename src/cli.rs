//! The command line: clap definitions, and turning flags into `Settings`.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::config;
use crate::report::{ColorChoice, OutputFormat};
use crate::settings::{FilePattern, Settings};

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
    Check(Box<CheckArgs>),
    /// List every rule: code, name, family, default, summary.
    Rules {
        #[arg(long, value_enum, default_value = "text")]
        output_format: RulesFormat,
    },
    /// Show a rule's document (`rule` works too, as in ruff).
    #[command(visible_alias = "rule")]
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
    /// A configuration file to use for every file instead of the nearest one, or a
    /// `KEY = VALUE` TOML override of one setting (repeatable).
    #[arg(long, value_name = "FILE|KEY=VALUE")]
    pub config: Vec<String>,
    /// Ignore every configuration file.
    #[arg(long)]
    pub isolated: bool,
    /// Only these rules: codes, prefixes (DJM2), rule names or ALL; comma-separated or repeated.
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
    /// Apply the exclusions to paths named on the command line too (for pre-commit).
    #[arg(long, overrides_with = "no_force_exclude")]
    pub force_exclude: bool,
    #[arg(long, overrides_with = "force_exclude", hide = true)]
    pub no_force_exclude: bool,
    /// Read the source from standard input and report it under this path.
    #[arg(long)]
    pub stdin_filename: Option<PathBuf>,
    /// Apply the safe fixes in place.
    #[arg(long)]
    pub fix: bool,
    /// Apply the safe fixes, and report nothing about what is left.
    #[arg(long)]
    pub fix_only: bool,
    /// Exit 1 when a fix was applied, even if nothing is left to report.
    #[arg(long)]
    pub exit_non_zero_on_fix: bool,
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
    #[arg(short, long)]
    pub exit_zero: bool,
    /// Report DJM201 outside batch contexts too.
    #[arg(long)]
    pub strict_iterator: bool,
    /// Enable preview rules and behaviours.
    #[arg(long, overrides_with = "no_preview")]
    pub preview: bool,
    /// Turn preview off again where a configuration file turns it on.
    #[arg(long, overrides_with = "preview")]
    pub no_preview: bool,
    /// Write the findings to this file instead of standard output.
    #[arg(short, long)]
    pub output_file: Option<PathBuf>,
    /// Print the settings the first file is checked with, and stop.
    #[arg(long)]
    pub show_settings: bool,
    /// Print the files that would be checked, and stop.
    #[arg(long)]
    pub show_files: bool,
    /// Number of worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Neither read nor write `.dormlint_cache`.
    #[arg(short, long)]
    pub no_cache: bool,
    /// The cache directory, instead of `.dormlint_cache` (or `$DORMLINT_CACHE_DIR`).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
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
    /// Defaults, then the configuration files, then the command line.
    pub fn settings(&self) -> Result<Settings, String> {
        let cwd = std::env::current_dir()
            .map_err(|e| format!("cannot read the working directory: {e}"))?;
        let mut overrides = config::Overrides {
            select: self.select.clone(),
            extend_select: self.extend_select.clone(),
            ignore: self.ignore.clone(),
            exclude: self
                .exclude
                .iter()
                .chain(&self.extend_exclude)
                .map(|pattern| FilePattern::new(pattern, &cwd))
                .collect(),
            inline: None,
            strict_iterator: self.strict_iterator,
            no_respect_gitignore: self.no_respect_gitignore,
            preview: (self.preview || self.no_preview).then_some(self.preview),
            force_exclude: (self.force_exclude || self.no_force_exclude)
                .then_some(self.force_exclude),
        };
        for pattern in &overrides.exclude {
            pattern
                .check()
                .map_err(|e| format!("--exclude: invalid pattern `{}`: {e}", pattern.pattern))?;
        }
        let mut file = None;
        for value in &self.config {
            if Path::new(value).is_file() {
                if file.is_some() {
                    return Err("--config: give one configuration file; more settings go as `--config KEY=VALUE`".to_string());
                }
                file = Some(PathBuf::from(value));
                continue;
            }
            let inline = config::parse_inline(value, &cwd).map_err(|e| e.0)?;
            overrides.inline = Some(match overrides.inline.take() {
                Some(before) => before.combine(inline),
                None => inline,
            });
        }
        let source = match (file, self.isolated) {
            (Some(_), true) => {
                return Err("--config FILE cannot be used with --isolated".to_string());
            }
            (Some(file), false) => config::Source::File(file),
            (None, true) => config::Source::Isolated,
            (None, false) => config::Source::Discover,
        };
        let mut settings = config::resolve(source, overrides, &cwd).map_err(|e| e.0)?;
        settings.parse_only = self.parse_only;
        settings.cache = !self.no_cache;
        settings.cache_dir = self.cache_dir.clone();
        settings.threads = self.threads;
        Ok(settings)
    }

    /// Whether the source comes from standard input: `--stdin-filename`, or `-` as the
    /// only path.
    pub fn stdin_path(&self) -> Option<PathBuf> {
        if let Some(path) = &self.stdin_filename {
            return Some(path.clone());
        }
        (self.paths.len() == 1 && self.paths[0] == Path::new("-")).then(|| PathBuf::from("-"))
    }

    pub fn paths(&self) -> Vec<PathBuf> {
        if self.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            self.paths.clone()
        }
    }
}
