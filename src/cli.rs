//! The command line: clap's types, and nothing else knows them but `main.rs`
//! and `commands/`. Global options work before or after the subcommand, and
//! every option with an environment equivalent takes it.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use strum::{EnumMessage, IntoEnumIterator};

use crate::alerts::Severity;
use crate::alerts::channels::{CHANNELS, ChannelId};
use crate::checks::BUILTINS;
use crate::exit_codes_help;
use crate::output::{ColorChoice, Format};

/// One value an option takes: the name shown, the other names accepted, and
/// its help, as clap's own `ValueEnum` would show them.
fn possible(name: &'static str, aliases: &[&'static str], help: Option<&str>) -> PossibleValue {
    let value = PossibleValue::new(name).aliases(aliases.iter().copied());
    match help {
        // clap shows a one-sentence doc comment without its full stop.
        Some(doc) => value.help(doc.trim_end_matches('.').to_owned()),
        None => value,
    }
}

/// Parses one of the domain's named enums (severities, formats) by the
/// names strum gives it: the first name of each variant is the one shown,
/// any others are accepted as aliases, and its doc comment is its help.
fn named<T>() -> impl TypedValueParser<Value = T>
where
    T: IntoEnumIterator + EnumMessage + FromStr + Clone + Send + Sync + 'static,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let values = T::iter().map(|value| {
        let (first, aliases) = value
            .get_serializations()
            .split_first()
            .map_or(("", &[][..]), |(first, rest)| (*first, rest));
        possible(first, aliases, value.get_documentation())
    });
    PossibleValuesParser::new(values).try_map(|name| T::from_str(&name))
}

/// A built-in check by any of its names (the short one shown first), with
/// its help when `help` is set.
fn check_values(help: bool) -> impl Iterator<Item = PossibleValue> {
    BUILTINS.iter().map(move |check| {
        let (first, other) = check.names();
        possible(first, other.as_slice(), help.then_some(check.help))
    })
}

/// Check names as typed: the built-ins (and `all` where `with_all`) are
/// offered for `--help` and completions, and any other name passes, for a
/// check declared in vitals.toml, which only `commands::check` can read.
#[derive(Clone)]
struct CheckNames {
    with_all: bool,
}

impl TypedValueParser for CheckNames {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::NonEmptyStringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let all = possible("all", &[], Some("Every check, concurrently."));
        let all = self.with_all.then_some(all);
        Some(Box::new(all.into_iter().chain(check_values(self.with_all))))
    }
}

fn channel_name() -> impl TypedValueParser<Value = ChannelId> {
    let values = CHANNELS
        .iter()
        .map(|channel| possible(channel.name, &[], Some(channel.help)));
    PossibleValuesParser::new(values).try_map(|name| ChannelId::from_str(&name))
}

#[derive(Debug, Parser)]
#[command(
    name = "vitals",
    version,
    about = "Tells whether a platform's dependencies are healthy, and raises, routes and tracks alerts when they are not.",
    after_help = concat!(
        "Examples:
  vitals check all                          every check, as a table
  vitals check all --json | jq .overall_status
  vitals config validate                    what is configured, secrets hidden

",
        exit_codes_help!()
    ),
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
    #[arg(long, global = true, value_parser = named::<Format>(), env = "VITALS_FORMAT", default_value = "table")]
    pub format: Format,

    /// Shorthand for --format json.
    #[arg(long, global = true)]
    pub json: bool,

    /// Write the result to this file (atomically: a collector never reads half of it) instead of stdout.
    #[arg(long, global = true, value_name = "FILE", env = "VITALS_OUTPUT")]
    pub output: Option<PathBuf>,

    /// When to colour output (NO_COLOR and TERM=dumb turn "auto" off).
    #[arg(long, global = true, value_parser = named::<ColorChoice>(), value_name = "WHEN", env = "VITALS_COLOR", default_value = "auto")]
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

/// Parses the command line. `--json` and `--format` both given as options
/// must agree: the later one silently winning would hide a mistake. A
/// `VITALS_FORMAT` from the environment yields to `--json`.
pub fn parse(args: &[OsString]) -> Result<Cli, clap::Error> {
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut innermost = &matches;
    while let Some((_, sub)) = innermost.subcommand() {
        innermost = sub;
    }
    let flagged_format = innermost
        .get_one::<Format>("format")
        .filter(|_| innermost.value_source("format") == Some(ValueSource::CommandLine));
    if innermost.get_flag("json")
        && let Some(format) = flagged_format
        && *format != Format::Json
    {
        let name = format!("{format:?}").to_lowercase();
        return Err(Cli::command().error(
            ErrorKind::ArgumentConflict,
            format!(
                "--json and --format {name} ask for two formats: give one of them \
                 (--json is --format json)"
            ),
        ));
    }
    Cli::from_arg_matches(&matches)
}

/// A completion script for `shell`, as `vitals completions` prints it.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "vitals", &mut script);
    script
}

fn parse_timeout(value: &str) -> Result<Duration, crate::config::Expected> {
    crate::config::parse_duration(value)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the health of dependencies.
    // Each example is a command, then what it does on a line of its own:
    // on an 80-column terminal no line is wrapped (clap would lose the
    // indentation). Prose is one line per paragraph, for clap to wrap.
    #[command(after_help = concat!(
        "Examples:
  vitals check all
      every check, concurrently, as a table
  vitals check db --json | jq .status
      one check, as JSON
  vitals check all --require db,cache
      an unconfigured db or cache counts as unhealthy
  vitals check replica root-disk --json
      checks declared in vitals.toml ([[check]]), by name
  vitals check --list
      every check there is, its kind and what it looks at
  vitals check all --timeout 2s
      each check gets at most 2 seconds
  vitals check all --alert > /dev/null
      from cron: alert on trouble, resolve on recovery (and record the run)
  vitals check all --record > /dev/null
      from cron: keep each run for `vitals history`
  vitals check all --format nagios
      a Nagios/Icinga plugin status line with perfdata
  vitals check all --format prometheus --output \"$DIR/vitals.prom\"
      for the node_exporter textfile collector reading $DIR

With --alert the exit code is still the checks' own, raised to at least 1 when alerting failed (the alert store, or a notification that reached nobody); the reason is on stderr.

",
        exit_codes_help!()
    ))]
    Check(CheckArgs),
    /// Send alerts through the configured channels.
    #[command(subcommand)]
    Alert(AlertCommand),
    /// Report recorded check runs: uptime, response times, incidents.
    #[command(after_help = concat!(
        "Examples:
  vitals history
      every recorded check over the last 24 hours
  vitals history db --since 7d
      one check over a week
  vitals history --since 2026-11-01 --until 2026-11-08
      a week by dates (UTC)
  vitals history --json | jq '.checks[].uptime_percent'
  vitals history --since 30d --format csv > history.csv

Runs are recorded by `vitals check … --record` (or VITALS_RECORD=1, or --alert). Exit code 3 when nothing was recorded in the range.

",
        exit_codes_help!()
    ))]
    History(HistoryArgs),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run the checks every interval behind a dashboard, metrics and an API.
    #[command(after_help = concat!(
        "Examples:
  vitals serve
      every configured check each minute, on http://127.0.0.1:9464/
  vitals serve --alert db cache
      two checks, raising and resolving their alerts as check --alert does
  VITALS_SERVE_TOKEN=… vitals serve --listen 0.0.0.0:9464
      on every address; acknowledging alerts needs the token
  curl -s 'http://127.0.0.1:9464/api/v1/status?max_age=10s'
      a result at most 10 s old (one run serves every request waiting for it)

Endpoints: / (dashboard), /metrics, /healthz, /api/v1/status, /api/v1/checks/NAME, /api/v1/alerts, POST /api/v1/alerts/ID/ack|resolve (Authorization: Bearer, body {\"by\": …, \"note\": …}), /badge/NAME.svg. SIGTERM or SIGINT: no new connection, requests and the round in progress finish, exit 0.

",
        exit_codes_help!()
    ))]
    Serve(ServeArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  vitals completions bash > /etc/bash_completion.d/vitals
  vitals completions zsh > \"${fpath[1]}/_vitals\"
  vitals completions fish > ~/.config/fish/completions/vitals.fish
  vitals completions powershell >> $PROFILE
  vitals completions elvish > ~/.config/elvish/lib/vitals.elv")]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// What to check: all, built-in checks, or checks declared in vitals.toml by name (one prints its own object, several the document of all).
    #[arg(value_name = "NAME", value_parser = CheckNames { with_all: true }, required_unless_present = "list")]
    pub names: Vec<String>,

    /// List the checks there are (built-in and declared), with their kind and what each looks at; run nothing.
    #[arg(long, conflicts_with_all = ["names", "require", "alert"])]
    pub list: bool,

    /// Checks that must be configured: an unconfigured one counts as unhealthy (comma-separated; declared checks too).
    #[arg(long, value_parser = CheckNames { with_all: false }, value_delimiter = ',', value_name = "LIST")]
    pub require: Vec<String>,

    /// Raise an alert for each check in trouble ({check}_failure, {check}_degraded) and resolve it when the check is healthy again; repeats are de-duplicated in the alert store (VITALS_STATE). Records the run too.
    #[arg(long)]
    pub alert: bool,

    /// Record the run in the store (VITALS_STATE) for `vitals history` (also VITALS_RECORD=1).
    #[arg(long)]
    pub record: bool,

    /// Answer each check from its latest run recorded on this instance when that run is at most this old, e.g. 30s, 5m (also VITALS_MAX_AGE); the others run. Not with --alert.
    #[arg(long, value_name = "DURATION", value_parser = crate::config::parse_duration)]
    pub max_age: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The checks to run, built-in or declared in vitals.toml (default: every configured one).
    #[arg(value_name = "NAME", value_parser = CheckNames { with_all: false })]
    pub names: Vec<String>,

    /// Address and port to listen on (port 0: any free port, said on stderr).
    #[arg(long, value_name = "ADDR", env = "VITALS_LISTEN", default_value = "127.0.0.1:9464", value_parser = parse_listen)]
    pub listen: SocketAddr,

    /// How often the checks run, with a little jitter, e.g. 30s, 5m (at least 1s).
    #[arg(long, value_name = "DURATION", env = "VITALS_INTERVAL", default_value = "60s", value_parser = parse_interval)]
    pub interval: Duration,

    /// Raise an alert for each check in trouble and resolve it on recovery, each round, as check --alert does.
    #[arg(long)]
    pub alert: bool,

    /// Every request needs VITALS_SERVE_TOKEN (Bearer, or Basic with any user name), not only changes.
    #[arg(long)]
    pub private: bool,
}

fn parse_listen(value: &str) -> Result<SocketAddr, String> {
    value.trim().parse::<SocketAddr>().map_err(|_| {
        format!("expected an address and port such as 127.0.0.1:9464 or [::1]:9464, not {value:?}")
    })
}

fn parse_interval(value: &str) -> Result<Duration, crate::config::Expected> {
    let interval = crate::config::parse_duration(value)?;
    if interval < Duration::from_secs(1) {
        return Err(crate::config::Expected(format!(
            "an interval of at least 1s, not {value}"
        )));
    }
    Ok(interval)
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Checks to report (names or aliases); every recorded check when none is given.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,

    /// Start of the range: a duration back from now (24h, 7d, 30d) or an RFC 3339 time or date.
    #[arg(long, value_name = "WHEN", default_value = "24h")]
    pub since: String,

    /// End of the range (default now), as --since.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// Only the runs this vitals instance recorded (VITALS_INSTANCE); every instance by default.
    #[arg(long, value_name = "NAME")]
    pub instance: Option<String>,

    /// List the anomalies of the range too (metrics that left their usual band).
    #[arg(long)]
    pub anomalies: bool,
}

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Record an alert and send it through every configured channel (or those of --channel), unless it repeats an open alert within ALERT_REPEAT_INTERVAL.
    #[command(after_help = concat!(
        "Examples:
  vitals alert send --type disk_full --severity critical --message \"/var is 97% full on db1\" --label host=db1
  vitals alert send --type deploy_failed --severity error --message \"deploy 1234 failed\" --channel slack
  vitals alert send --type disk_full --severity critical --message \"/var is full\" --label host=db1 --dry-run

An open alert of the same type and labels is not notified again until ALERT_REPEAT_INTERVAL
(4h) has passed, unless its severity rises; an acknowledged one is not notified again at all.

",
        exit_codes_help!()
    ))]
    Send(SendArgs),
    /// Send a clearly labelled test alert through every configured channel, SMS included (not recorded).
    Test(TestArgs),
    /// List the alerts in the store: open ones (active and acknowledged) unless --status says otherwise.
    #[command(after_help = "Examples:
  vitals alert list                              active and acknowledged alerts
  vitals alert list --status all --json | jq '.[] | {id, alert_type, status}'
  vitals alert list --severity critical --status active")]
    List(ListArgs),
    /// Acknowledge an alert: it is not notified again, and PagerDuty's incident is acknowledged.
    #[command(after_help = "Examples:
  vitals alert ack 3f9a0c12 --by alice
  vitals alert ack 3f9a                        (any unique prefix of 4 or more; --by defaults to you)")]
    Ack(AckArgs),
    /// Resolve an alert: it is closed, PagerDuty's incident resolved, and e-mail and Slack told.
    #[command(after_help = "Examples:
  vitals alert resolve 3f9a0c12be47 --by alice --note \"rotated the logs\"")]
    Resolve(ResolveArgs),
    /// Silence matching alerts for a while: they are still recorded (held: silenced, with the silence's id), nobody is notified, and one still open when the silence ends is notified then, once.
    #[command(after_help = "Examples:
  vitals alert silence --check db --for 2h --reason \"database upgrade\"
  vitals alert silence --type disk_full --match host=db1 --until 18:30 --reason \"resizing /var\"
  vitals alert silence --match instance=web2 --until 2031-05-06T07:00:00Z --by alice --reason \"rebuilding web2\"

Several matchers must all hold. --until takes an RFC 3339 time or a local HH:MM (the next one to come).")]
    Silence(SilenceArgs),
    /// List the silences in force or yet to start (--all: those that ended too).
    Silences(SilencesArgs),
    /// End a silence now; alerts it held that are still raised are notified at their next run.
    #[command(after_help = "Examples:
  vitals alert unsilence 7c01                     (any unique prefix of 4 or more)")]
    Unsilence(UnsilenceArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["check", "alert_type", "matches"])))]
#[command(group(clap::ArgGroup::new("when").required(true).args(["for_", "until"])))]
pub struct SilenceArgs {
    /// Alerts of this check (its name or alias; declared checks too).
    #[arg(long, value_parser = CheckNames { with_all: false }, value_name = "NAME")]
    pub check: Option<String>,

    /// Alerts of this type, e.g. disk_full.
    #[arg(long = "type", value_name = "TYPE")]
    pub alert_type: Option<String>,

    /// Alerts with this label (repeatable), e.g. instance=web1 or service=billing.
    #[arg(long = "match", value_name = "LABEL=VALUE")]
    pub matches: Vec<String>,

    /// How long, e.g. 30m, 2h.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_timeout)]
    pub for_: Option<Duration>,

    /// Until when: an RFC 3339 time, or a local HH:MM (the next one to come).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Who silences (default: your login name, else $USER, else uid:N).
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,

    /// Why: shown beside every alert it holds.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct SilencesArgs {
    /// Those that ended too.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct UnsilenceArgs {
    /// The silence's id, or any unique prefix of it (at least 4 characters, any case).
    pub id: String,

    /// Who ends it (default: your login name, else $USER, else uid:N).
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only alerts of this severity.
    #[arg(long, value_parser = named::<Severity>())]
    pub severity: Option<Severity>,

    /// Only alerts in this state (default: active and acknowledged).
    #[arg(long, value_enum)]
    pub status: Option<ListStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListStatus {
    Active,
    Acknowledged,
    Resolved,
    /// Every alert, resolved ones included.
    All,
}

#[derive(Debug, Args)]
pub struct AckArgs {
    /// The alert's id, or any unique prefix of it (at least 4 characters, any case).
    pub id: String,

    /// Who acknowledges it (default: your login name, else $USER, else uid:N).
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The alert's id, or any unique prefix of it (at least 4 characters, any case).
    pub id: String,

    /// Who resolves it (default: your login name, else $USER, else uid:N).
    #[arg(long, value_name = "WHO")]
    pub by: Option<String>,

    /// What was done about it.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// What happened, e.g. disk_full (a short identifier: with the labels, the alert's identity).
    #[arg(long = "type", value_name = "TYPE")]
    pub alert_type: String,

    /// How bad it is.
    #[arg(long, value_parser = named::<Severity>())]
    pub severity: Severity,

    /// A sentence for people; `-` reads it from stdin. Longer than 64 KiB is cut.
    #[arg(long, value_name = "TEXT")]
    pub message: String,

    /// Details as a JSON object, e.g. '{"host":"db1","used_percent":97}'.
    #[arg(long, value_name = "JSON")]
    pub context: Option<String>,

    /// A label (repeatable): with the type, the alert's identity, so add --label host=db1 to tell servers apart. Names as Prometheus'; alertname, check, target, instance, service, metric and severity are vitals' own.
    #[arg(long, value_name = "NAME=VALUE")]
    pub label: Vec<String>,

    /// Only these channels (comma-separated); each must be configured.
    #[arg(long, value_parser = channel_name(), value_delimiter = ',', value_name = "LIST")]
    pub channel: Vec<ChannelId>,

    /// Say what a send would do (the alert store is read, not written) and print exactly what each channel would send; send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Only these channels (comma-separated); each must be configured.
    #[arg(long, value_parser = channel_name(), value_delimiter = ',', value_name = "LIST")]
    pub channel: Vec<ChannelId>,

    /// Print exactly what each channel would send, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Report every variable group as configured, not configured or invalid (secrets hidden).
    #[command(after_help = "Examples:
  vitals config validate
  vitals config validate --env-file /etc/vitals/vitals.env --json | jq .errors

Exit codes: 0 valid, 1 warnings (e.g. no alert channel, a .env others can read), 2 errors.")]
    Validate,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap_complete::Generator;
    use std::path::{Path, PathBuf};

    /// Every generated file: completions for each shell, a man page per command.
    fn generated() -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        for shell in clap_complete::Shell::value_variants() {
            files.push((
                Path::new("completions").join(shell.file_name("vitals")),
                completions(*shell),
            ));
        }
        // Building propagates the global options into every subcommand's page.
        let mut root = Cli::command().name("vitals");
        root.build();
        let mut pages = vec![root];
        while let Some(page) = pages.pop() {
            let name = page.get_name().to_owned();
            for sub in page.get_subcommands().filter(|s| s.get_name() != "help") {
                pages.push(sub.clone().name(format!("{name}-{}", sub.get_name())));
            }
            let mut roff = Vec::new();
            clap_mangen::Man::new(page)
                .render(&mut roff)
                .unwrap_or_else(|e| panic!("rendering man page {name}: {e}"));
            roff.extend(environment_and_files(name == "vitals").into_bytes());
            files.push((Path::new("man").join(format!("{name}.1")), roff));
        }
        files.sort();
        files
    }

    /// The ENVIRONMENT and FILES sections: on vitals(1) every variable of
    /// the table, group by group, with its default; the other pages point there.
    fn environment_and_files(root: bool) -> String {
        use clap_mangen::roff::{Roff, bold, italic, roman};
        let mut page = Roff::new();
        page.control("SH", ["ENVIRONMENT"]);
        if !root {
            page.text([
                roman("Every variable vitals reads, and what it means, is in "),
                bold("vitals"),
                roman("(1). Real environment variables win over those of the env file."),
            ]);
            page.control("SH", ["FILES"]);
            page.text([roman("See "), bold("vitals"), roman("(1).")]);
            return page.to_roff();
        }
        page.text([roman(
            "vitals is configured by environment variables, which a .env file in the working \
             directory (or --env-file) may set; variables already in the environment win. An \
             empty value means unset.",
        )]);
        for group in crate::settings::table().groups() {
            page.control("SS", [group.title]);
            for var in group.vars {
                page.control("TP", []);
                page.text([bold(var.name)]);
                let default = var
                    .default
                    .map(|d| format!(" Default: {d}."))
                    .unwrap_or_default();
                page.text([roman(format!("{}{default}", var.help))]);
            }
        }
        page.control("SH", ["FILES"]);
        for (file, what) in [
            (
                "./.env",
                "Variables for vitals, loaded when present (another file with --env-file or \
                 VITALS_ENV_FILE); a relative path in it is relative to its directory. Keep it \
                 private: chmod 600.",
            ),
            (
                "./vitals.toml",
                "Your own HTTP endpoints ([[service]]) and checks ([[check]]: plugins, TCP ports…), another file with VITALS_CONFIG.",
            ),
            (
                "$XDG_STATE_HOME/vitals/alerts.db, else ~/.local/state/vitals/alerts.db",
                "The alert store and the check history when VITALS_STATE is unset: an SQLite \
                 file, created 0600 by alert send, check --alert and check --record.",
            ),
        ] {
            page.control("TP", []);
            page.text([italic(file)]);
            page.text([roman(what)]);
        }
        page.to_roff()
    }

    /// The committed completions and man pages match what the CLI generates.
    #[test]
    fn completions_and_man_pages_are_in_sync() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let files = generated();
        if std::env::var_os("VITALS_REGENERATE").is_some() {
            for dir in ["completions", "man"] {
                let _ = std::fs::remove_dir_all(root.join(dir));
                std::fs::create_dir_all(root.join(dir)).unwrap_or_else(|e| panic!("{dir}: {e}"));
            }
            for (path, content) in &files {
                std::fs::write(root.join(path), content)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
        let mut stale: Vec<String> = files
            .iter()
            .filter(|(path, content)| std::fs::read(root.join(path)).ok().as_ref() != Some(content))
            .map(|(path, _)| path.display().to_string())
            .collect();
        for dir in ["completions", "man"] {
            for entry in std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = Path::new(dir).join(entry.file_name());
                if !files.iter().any(|(p, _)| *p == path) {
                    stale.push(format!("{} (no longer generated)", path.display()));
                }
            }
        }
        assert!(
            stale.is_empty(),
            "out of date: {stale:?}\nregenerate with: VITALS_REGENERATE=1 cargo test --lib completions_and_man_pages"
        );
    }

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
        assert_eq!(args.require, ["db", "cache"]);
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
        use crate::alerts::channels::{pagerduty, slack};
        assert_eq!(args.channel, [slack::CHANNEL.id(), pagerduty::CHANNEL.id()]);
        assert!(args.dry_run);
    }
}
