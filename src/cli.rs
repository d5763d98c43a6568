//! The command line (SPEC section 1). Global options work before or after the
//! subcommand, and every option with an environment equivalent takes it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::checks::CheckId;
use crate::status::EXIT_CODES_HELP;

#[derive(Debug, Parser)]
#[command(
    name = "vitals",
    version,
    about = "Tells whether a platform's dependencies are healthy, and raises, routes and tracks alerts when they are not.",
    after_help = EXIT_CODES_HELP,
    after_long_help = EXIT_CODES_HELP,
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format.
    #[arg(long, global = true, value_enum, env = "VITALS_FORMAT", default_value_t = Format::Table)]
    pub format: Format,

    /// Shorthand for --format json.
    #[arg(long, global = true)]
    pub json: bool,

    /// When to colour output (NO_COLOR and TERM=dumb turn "auto" off).
    #[arg(long, global = true, value_enum, value_name = "WHEN", env = "VITALS_COLOR", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Read variables from this file instead of ./.env (the real environment still wins).
    #[arg(long, global = true, value_name = "PATH", env = "VITALS_ENV_FILE")]
    pub env_file: Option<PathBuf>,

    /// Time allowed per check, e.g. 500ms, 5s, 2m.
    #[arg(long, global = true, value_name = "DURATION", env = "VITALS_TIMEOUT", default_value = "5s", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// More logging on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// Log nothing but errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl GlobalArgs {
    pub fn format(&self) -> Format {
        if self.json { Format::Json } else { self.format }
    }
}

fn parse_timeout(value: &str) -> Result<Duration, String> {
    crate::config::parse_duration(value).map_err(|expected| format!("expected {expected}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the health of dependencies.
    Check(CheckArgs),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// What to check.
    #[arg(value_enum)]
    pub target: CheckTarget,

    /// Checks that must be configured: an unconfigured one counts as unhealthy (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub require: Vec<CheckId>,
}

/// `check` targets: one check, or all of them at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckTarget {
    /// Every check, concurrently.
    All,
    /// PostgreSQL (DATABASE_URL).
    #[value(alias = "database")]
    Db,
    /// Redis (REDIS_URL).
    Cache,
    /// External APIs (ANTHROPIC_API_KEY, HUBSPOT_API_KEY, SENDGRID_API_KEY) and the endpoints in vitals.toml.
    Services,
}

impl CheckTarget {
    /// The single check this target names; `None` for `all`.
    pub fn single(self) -> Option<CheckId> {
        match self {
            CheckTarget::All => None,
            CheckTarget::Db => Some(CheckId::Database),
            CheckTarget::Cache => Some(CheckId::Cache),
            CheckTarget::Services => Some(CheckId::ExternalServices),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Report every variable group as configured, not configured or invalid (secrets hidden).
    Validate,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_work_after_the_subcommand() {
        let cli = Cli::try_parse_from(["vitals", "check", "db", "--json", "--timeout", "2s"]);
        let cli = cli.map_err(|e| e.to_string());
        let Ok(cli) = cli else {
            panic!("{cli:?}");
        };
        assert_eq!(cli.global.format(), Format::Json);
        assert_eq!(cli.global.timeout, Duration::from_secs(2));
    }

    #[test]
    fn require_takes_a_list() {
        let cli = Cli::try_parse_from(["vitals", "check", "all", "--require", "db,cache"]);
        let Ok(Cli {
            command: Command::Check(args),
            ..
        }) = cli
        else {
            panic!("parse failed");
        };
        assert_eq!(args.require, [CheckId::Database, CheckId::Cache]);
    }
}
