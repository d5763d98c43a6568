//! The command line (SPEC section 1). Global options work before or after the
//! subcommand, and every option with an environment equivalent takes it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::alerts::Severity;
use crate::alerts::channels::ChannelId;
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

    /// Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m.
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
    /// Send alerts through the configured channels.
    #[command(subcommand)]
    Alert(AlertCommand),
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
}

impl CheckTarget {
    /// The single check this target names; `None` for `all`.
    pub fn single(self) -> Option<CheckId> {
        match self {
            CheckTarget::All => None,
            CheckTarget::Db => Some(CheckId::Database),
            CheckTarget::Cache => Some(CheckId::Cache),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Send an alert through every configured channel (or those of --channel).
    Send(SendArgs),
    /// Send a clearly labelled test alert through every configured channel, SMS included.
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// What happened, e.g. disk_full (a short identifier: it is the alert's identity).
    #[arg(long = "type", value_name = "TYPE")]
    pub alert_type: String,

    /// How bad it is.
    #[arg(long, value_enum)]
    pub severity: Severity,

    /// A sentence for people.
    #[arg(long, value_name = "TEXT")]
    pub message: String,

    /// Details as a JSON object, e.g. '{"host":"db1","used_percent":97}'.
    #[arg(long, value_name = "JSON")]
    pub context: Option<String>,

    /// Only these channels (comma-separated); each must be configured.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub channel: Vec<ChannelId>,

    /// Print exactly what each channel would send, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Only these channels (comma-separated); each must be configured.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub channel: Vec<ChannelId>,

    /// Print exactly what each channel would send, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
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

    #[test]
    fn alert_send_takes_type_severity_message_context_and_channels() {
        let cli = Cli::try_parse_from([
            "vitals",
            "alert",
            "send",
            "--type",
            "disk_full",
            "--severity",
            "critical",
            "--message",
            "full",
            "--context",
            "{}",
            "--channel",
            "slack,pagerduty",
            "--dry-run",
        ]);
        let Ok(Cli {
            command: Command::Alert(AlertCommand::Send(args)),
            ..
        }) = cli
        else {
            panic!("parse failed");
        };
        assert_eq!(args.alert_type, "disk_full");
        assert_eq!(args.severity, Severity::Critical);
        assert_eq!(args.context.as_deref(), Some("{}"));
        assert_eq!(args.channel, [ChannelId::Slack, ChannelId::PagerDuty]);
        assert!(args.dry_run);
    }
}
