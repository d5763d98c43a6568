//! Table views of results, for people at a terminal.

use comfy_table::{ContentArrangement, Table, presets};
use owo_colors::OwoColorize;
use serde_json::Value;

use super::{Render, Style};
use crate::alerts::channels::Content;
use crate::alerts::lifecycle::{AlertList, Changed, Sent};
use crate::alerts::store::StatusFilter;
use crate::alerts::{Alert, AlertStatus, Delivery, Outcome, Preview, Timestamp};
use crate::checks::runner::{Listing, Report, Single};
use crate::checks::{CheckId, CheckResult};
use crate::settings::validate::{self, GroupStatus, Verdict};
use crate::status::Status;
use crate::text::printable;

/// A table with headers, drawn with box characters on a terminal and ASCII otherwise.
pub fn new(style: &Style, headers: &[&str]) -> Table {
    let mut table = Table::new();
    if style.tty {
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        table.load_style(presets::ASCII_FULL_CONDENSED);
    }
    if !headers.is_empty() {
        table.set_header(headers.iter().map(|h| paint_header(style, h)));
    }
    table
}

fn paint_header(style: &Style, text: &str) -> String {
    if style.color {
        text.bold().to_string()
    } else {
        text.to_owned()
    }
}

/// A status word in its colour.
pub fn status(style: &Style, status: Status) -> String {
    paint(style, status.as_ref(), status)
}

/// Any word in the colour of a status: green, yellow, magenta (unknown), red,
/// or dimmed when unconfigured.
pub(super) fn paint(style: &Style, word: &str, tone: Status) -> String {
    if !style.color {
        return word.to_owned();
    }
    match tone {
        Status::Healthy => word.green().to_string(),
        Status::Degraded => word.yellow().to_string(),
        Status::Unknown => word.magenta().to_string(),
        Status::Unhealthy => word.red().bold().to_string(),
        Status::Unconfigured => word.dimmed().to_string(),
    }
}

fn time(ms: Option<f64>) -> String {
    ms.map(|ms| format!("{ms:.2} ms"))
        .unwrap_or_else(|| "-".to_owned())
}

impl Render for Single<'_> {
    /// Every field of the JSON object, nested ones as `parent.child`.
    fn table(&self, style: &Style) -> String {
        let result = self.result;
        let mut table = new(style, &["FIELD", "VALUE"]);
        table.add_row(vec!["status".to_owned(), status(style, result.status)]);
        if let Some(ms) = result.response_time_ms {
            table.add_row(vec!["response_time_ms".to_owned(), format!("{ms:.2}")]);
        }
        for (key, value) in &result.details {
            add_flattened(&mut table, style, key, value);
        }
        table.add_row(vec![
            "message".to_owned(),
            printable(&result.message).into_owned(),
        ]);
        format!(
            "{table}{}{}",
            anomaly_note(&[(self.id, result)]),
            cached_note(&[(self.id, result)])
        )
    }

    fn check_results(&self) -> Option<Vec<(CheckId, &CheckResult)>> {
        Some(vec![(self.id, self.result)])
    }
}

/// Below a check's table: each anomaly its recorded metrics show, since when.
fn anomaly_note(results: &[(CheckId, &CheckResult)]) -> String {
    let lines: Vec<String> = results
        .iter()
        .flat_map(|(id, r)| r.anomalies.iter().map(move |a| (id, a)))
        .map(|(id, a)| {
            format!(
                "\n  {}: {} (since {})",
                id.key(),
                printable(&a.describe()),
                a.since
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
            )
        })
        .collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!("\nanomalies:{}", lines.concat())
    }
}

/// Below a check's table: each result answered from the history
/// (`--max-age`), and how old its run is.
fn cached_note(results: &[(CheckId, &CheckResult)]) -> String {
    results
        .iter()
        .filter_map(|(id, r)| Some((id, r.freshness.filter(|f| f.cached)?)))
        .map(|(id, f)| {
            format!(
                "\n{}: from a run recorded {} ago (at {})",
                id.key(),
                crate::text::ago(f.age),
                f.at.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
            )
        })
        .collect()
}

fn add_flattened(table: &mut Table, style: &Style, key: &str, value: &Value) {
    match value {
        // A map of sub-results (the services of `check services`): one line each.
        Value::Object(map) if !map.is_empty() && map.values().all(|v| sub_status(v).is_some()) => {
            for (k, v) in map {
                table.add_row(vec![format!("{key}.{k}"), sub_result(style, v)]);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                add_flattened(table, style, &format!("{key}.{k}"), v);
            }
        }
        Value::Null => {
            table.add_row(vec![key.to_owned(), "-".to_owned()]);
        }
        Value::String(s) => {
            table.add_row(vec![key.to_owned(), printable(s).into_owned()]);
        }
        other => {
            table.add_row(vec![key.to_owned(), other.to_string()]);
        }
    }
}

fn sub_status(value: &Value) -> Option<Status> {
    serde_json::from_value(value.get("status")?.clone()).ok()
}

/// `healthy, HTTP 200, 182.40 ms: API key accepted`.
fn sub_result(style: &Style, value: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(s) = sub_status(value) {
        parts.push(status(style, s));
    }
    if let Some(code) = value.get("status_code").and_then(Value::as_u64) {
        parts.push(format!("HTTP {code}"));
    }
    if let Some(ms) = value.get("response_time_ms").and_then(Value::as_f64) {
        parts.push(time(Some(ms)));
    }
    let message = value.get("message").and_then(Value::as_str).unwrap_or("");
    format!("{}: {}", parts.join(", "), printable(message))
}

impl Render for Report {
    fn table(&self, style: &Style) -> String {
        let mut table = new(style, &["CHECK", "STATUS", "TIME", "MESSAGE"]);
        for (id, result) in &self.checks {
            table.add_row(vec![
                id.key().to_owned(),
                status(style, result.status),
                time(result.response_time_ms),
                printable(&result.message).into_owned(),
            ]);
        }
        let results: Vec<(CheckId, &CheckResult)> =
            self.checks.iter().map(|(id, r)| (*id, r)).collect();
        format!(
            "{table}\noverall: {} in {:.2} ms at {}{}{}",
            status(style, self.overall_status),
            self.duration_ms,
            self.timestamp,
            anomaly_note(&results),
            cached_note(&results)
        )
    }

    fn check_results(&self) -> Option<Vec<(CheckId, &CheckResult)>> {
        Some(self.checks.iter().map(|(id, r)| (*id, r)).collect())
    }
}

impl Render for Listing {
    fn table(&self, style: &Style) -> String {
        let mut table = new(style, &["CHECK", "KIND", "TARGET"]);
        for check in &self.checks {
            let target = match &check.target {
                Some(target) => printable(target).into_owned(),
                None => paint(style, "not configured", Status::Unconfigured),
            };
            table.add_row(vec![check.name.to_owned(), check.kind.to_owned(), target]);
        }
        table.to_string()
    }
}

impl Render for validate::Report {
    fn table(&self, style: &Style) -> String {
        let mut table = new(style, &["GROUP", "STATUS", "DETAILS"]);
        for (_, group) in &self.groups {
            let state = match group.status {
                GroupStatus::Configured => paint(style, "configured", Status::Healthy),
                GroupStatus::NotConfigured => paint(style, "not configured", Status::Unconfigured),
                GroupStatus::Invalid => paint(style, "invalid", Status::Unhealthy),
            };
            let mut lines: Vec<String> = group
                .variables
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            lines.extend(group.errors.iter().map(|e| format!("error: {e}")));
            table.add_row(vec![group.title.to_owned(), state, lines.join("\n")]);
        }
        let mut text = table.to_string();
        text.push_str("\nrouting (which alerts reach which channel):");
        for (severity, channels) in &self.routing {
            let reached: Vec<&str> = channels.iter().map(AsRef::as_ref).collect();
            let reached = if reached.is_empty() {
                "no channel".to_owned()
            } else {
                reached.join(", ")
            };
            text.push_str(&format!("\n  {:<9} {reached}", severity.as_ref()));
        }
        text.push_str(&rules(&self.rules));
        for warning in &self.warnings {
            text.push_str(&format!("\nwarning: {warning}"));
        }
        let verdict = match self.result {
            Verdict::Valid => paint(style, "valid", Status::Healthy),
            Verdict::Warnings => paint(style, "valid, with warnings", Status::Degraded),
            Verdict::Errors => paint(style, "invalid", Status::Unhealthy),
        };
        text.push_str(&format!("\nconfiguration: {verdict}"));
        if let Some(file) = &self.env_file {
            text.push_str(&format!(" (loaded {file})"));
        }
        text
    }
}

/// `config validate`'s lines on what `check --alert` applies.
fn rules(rules: &validate::Rules) -> String {
    let runs = |n: u32, what: &str| match n {
        1 => format!("1 {what}run"),
        n => format!("{n} {what}runs in a row"),
    };
    let mut text = String::from("\nalerting rules (check --alert):");
    let width = rules
        .checks
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    for (name, check) in &rules.checks {
        text.push_str(&format!(
            "\n  {name:<width$} raised after {}, resolved after {}",
            runs(check.failure_threshold, "failing "),
            runs(check.success_threshold, "healthy ")
        ));
        if !check.depends_on.is_empty() {
            let deps: Vec<String> = check
                .depends_on
                .iter()
                .map(|d| printable(d).into_owned())
                .collect();
            text.push_str(&format!("; depends on {}", deps.join(", ")));
        }
    }
    text.push_str(&format!(
        "\n  flapping: more than {} changes between trouble and health within {} hold a check's alerts",
        rules.flap_changes,
        humantime::format_duration(std::time::Duration::from_secs(rules.flap_window_seconds))
    ));
    for window in &rules.maintenance {
        let covers = match &window.checks {
            Some(names) => names.join(", "),
            None => "every check".to_owned(),
        };
        let next = window.next_start.map_or_else(
            || "no start within a week".to_owned(),
            |at| {
                format!(
                    "next starts {}",
                    at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M %Z")
                )
            },
        );
        text.push_str(&format!(
            "\n  {}: {}; {next}",
            printable(&window.window),
            printable(&covers)
        ));
    }
    text
}

fn outcome(style: &Style, outcome: Outcome) -> String {
    let tone = match outcome {
        Outcome::Delivered => Status::Healthy,
        Outcome::Failed => Status::Unhealthy,
        Outcome::Skipped => Status::Unconfigured,
        Outcome::Suppressed | Outcome::Pending | Outcome::Unknown => Status::Degraded,
    };
    paint(style, outcome.as_ref(), tone)
}

/// The error, or what the provider said about the accepted message.
fn delivery_details(d: &Delivery) -> String {
    if let Some(error) = &d.error {
        return error.clone();
    }
    let said: Vec<&str> = [&d.provider_id, &d.provider_status]
        .into_iter()
        .filter_map(|v| v.as_deref())
        .collect();
    if said.is_empty() {
        "accepted".to_owned()
    } else {
        said.join(" ")
    }
}

impl Render for Alert {
    /// One row per channel and recipient, then a one-line summary.
    fn table(&self, style: &Style) -> String {
        let mut table = new(
            style,
            &["CHANNEL", "RECIPIENT", "OUTCOME", "ATTEMPTS", "DETAILS"],
        );
        for d in &self.deliveries {
            table.add_row(vec![
                d.channel.to_string(),
                printable(&d.recipient).into_owned(),
                outcome(style, d.outcome),
                d.attempts.to_string(),
                printable(&delivery_details(d)).into_owned(),
            ]);
        }
        let count = |o: Outcome| self.deliveries.iter().filter(|d| d.outcome == o).count();
        let not_attempted = count(Outcome::Skipped) + count(Outcome::Suppressed);
        let mut summary = format!(
            "alert {} {} [{}]: {} of {} delivered",
            self.id,
            self.identity,
            self.severity.label(),
            count(Outcome::Delivered),
            self.deliveries.len() - not_attempted,
        );
        for o in [Outcome::Skipped, Outcome::Suppressed, Outcome::Unknown] {
            if count(o) > 0 {
                summary.push_str(&format!(", {} {}", count(o), o.as_ref()));
            }
        }
        format!("{table}\n{summary}")
    }
}

impl Render for Sent<'_> {
    /// A repeat that was not notified has no deliveries: say why instead of an empty table.
    fn table(&self, style: &Style) -> String {
        match &self.note {
            Some(note) => format!(
                "alert {} {} [{}] ({}): {note}",
                self.alert.id,
                self.alert.identity,
                self.alert.severity.label(),
                self.alert.status.as_ref(),
            ),
            None => self.alert.table(style),
        }
    }
}

impl Render for Changed<'_> {
    fn table(&self, style: &Style) -> String {
        let a = self.alert;
        let by = |who: &Option<String>, at: Option<Timestamp>| {
            format!(
                "by {} at {}",
                who.as_deref().unwrap_or("?"),
                at.map_or_else(|| "?".to_owned(), |t| t.to_string())
            )
        };
        let what = match a.status {
            AlertStatus::Active => "active".to_owned(),
            AlertStatus::Acknowledged => {
                format!("acknowledged {}", by(&a.acknowledged_by, a.acknowledged_at))
            }
            AlertStatus::Resolved => format!(
                "resolved {}{}",
                by(&a.resolved_by, a.resolved_at),
                a.resolution_note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            ),
        };
        let line = format!(
            "alert {} {} [{}] {what}",
            a.id,
            a.identity,
            a.severity.label()
        );
        if a.deliveries.is_empty() {
            format!(
                "{line}\nno channel was told: follow-ups go only to channels that may have \
                 announced the alert (PagerDuty for an acknowledgement; e-mail, Slack and PagerDuty for a resolution)"
            )
        } else {
            format!("{}\n{line}", a.table(style))
        }
    }
}

impl Render for AlertList {
    /// One row per alert, fitted to the width: ids as short as they stay
    /// unique (8 characters at least), identity and message cut with `…`
    /// (whole in `--json`); why an alert is held back on a line of its own.
    fn table(&self, style: &Style) -> String {
        let which = match self.filter {
            StatusFilter::Open => "open".to_owned(),
            StatusFilter::Only(status) => status.as_ref().to_owned(),
            StatusFilter::All => "stored".to_owned(),
        };
        let which = match self.severity {
            Some(severity) => format!("{which} {severity}"),
            None => which,
        };
        if self.alerts.is_empty() {
            return format!("no {which} alerts");
        }
        let ids: Vec<&str> = self.alerts.iter().map(|a| a.id.as_str()).collect();
        let id_len = unique_prefix_len(&ids, SHORT_ID);
        let column = |header, cells: Vec<String>, fit| Column { header, cells, fit };
        let each = |f: &dyn Fn(&Alert) -> String| self.alerts.iter().map(f).collect::<Vec<_>>();
        let columns = vec![
            column("ID", each(&|a| short_id(a, id_len)), Fit::Fixed),
            column("ALERT", each(&shown_identity), Fit::Shrink(16)),
            column("SEVERITY", each(&|a| a.severity.label()), Fit::Fixed),
            column("STATUS", each(&status_with_held), Fit::Fixed),
            column("COUNT", each(&|a| a.occurrences.to_string()), Fit::Fixed),
            column(
                "TRIGGERED",
                each(&|a| a.triggered_at.to_string()),
                Fit::Droppable,
            ),
            column(
                "LAST NOTIFIED",
                each(&|a| {
                    a.last_notified_at
                        .map_or_else(|| "-".to_owned(), |t| t.to_string())
                }),
                Fit::Droppable,
            ),
            column(
                "MESSAGE",
                each(&|a| match a.message.split_once('\n') {
                    Some((first, _)) => format!("{first} …"),
                    None => a.message.clone(),
                }),
                Fit::Shrink(10),
            ),
        ];
        let columns = fit(columns, style.width);
        let headers: Vec<&str> = columns.iter().map(|c| c.header).collect();
        let mut table = new(style, &headers);
        table.set_content_arrangement(ContentArrangement::Disabled);
        for (row, alert) in self.alerts.iter().enumerate() {
            let tone = match alert.status {
                AlertStatus::Active => Status::Unhealthy,
                AlertStatus::Acknowledged => Status::Degraded,
                AlertStatus::Resolved => Status::Healthy,
            };
            table.add_row(
                columns
                    .iter()
                    .map(|c| {
                        let cell = printable(&c.cells[row]).into_owned();
                        if c.header == "STATUS" {
                            paint(style, &cell, tone)
                        } else {
                            cell
                        }
                    })
                    .collect::<Vec<_>>(),
            );
        }
        let mut text = table.to_string();
        for a in &self.alerts {
            if let Some(held) = a.held {
                text.push_str(&format!(
                    "\n{} held ({held}): {}",
                    short_id(a, id_len),
                    printable(a.held_reason.as_deref().unwrap_or("no reason recorded"))
                ));
            }
        }
        let count = self.alerts.len();
        let noun = if count == 1 { "alert" } else { "alerts" };
        format!("{text}\n{count} {which} {noun}")
    }
}

fn short_id(alert: &Alert, len: usize) -> String {
    alert.id.chars().take(len).collect()
}

/// Ids are shown this short unless two listed alerts share the prefix.
const SHORT_ID: usize = 8;

/// The shortest length, at least `min`, at which every one of `ids` differs.
fn unique_prefix_len(ids: &[&str], min: usize) -> usize {
    let longest = ids.iter().map(|id| id.len()).max().unwrap_or(min);
    (min..longest)
        .find(|&n| {
            let mut prefixes: Vec<&str> = ids.iter().map(|id| &id[..n.min(id.len())]).collect();
            prefixes.sort_unstable();
            prefixes.windows(2).all(|w| w[0] != w[1])
        })
        .unwrap_or(longest)
}

/// The type and the labels but `check` (the type names it): `database_failure{instance=web1,…}`.
fn shown_identity(alert: &Alert) -> String {
    let labels: Vec<String> = alert
        .labels
        .iter()
        .filter(|(name, _)| *name != "check")
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    if labels.is_empty() {
        alert.alert_type.clone()
    } else {
        format!("{}{{{}}}", alert.alert_type, labels.join(","))
    }
}

fn status_with_held(alert: &Alert) -> String {
    match alert.held {
        Some(held) => format!("{} ({held})", alert.status.as_ref()),
        None => alert.status.as_ref().to_owned(),
    }
}

/// How a column gives way when the table is wider than the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// Always whole.
    Fixed,
    /// Cut with `…`, down to this many characters.
    Shrink(usize),
    /// Left out, in order, when cutting is not enough.
    Droppable,
}

struct Column {
    header: &'static str,
    cells: Vec<String>,
    fit: Fit,
}

impl Column {
    fn natural(&self) -> usize {
        self.cells
            .iter()
            .map(|c| c.chars().count())
            .chain([self.header.len()])
            .max()
            .unwrap_or(0)
    }
}

/// Fits columns into `width` (a table drawn as `| a | b |`): cuts the
/// shrinkable ones, each keeping a share of the room in proportion to what
/// it would need, then leaves out the droppable ones, first listed first.
fn fit(mut columns: Vec<Column>, width: Option<usize>) -> Vec<Column> {
    let Some(width) = width else {
        return columns;
    };
    loop {
        let borders = 3 * columns.len() + 1;
        let fixed: usize = columns
            .iter()
            .filter(|c| !matches!(c.fit, Fit::Shrink(_)))
            .map(Column::natural)
            .sum();
        let budget = width.saturating_sub(borders + fixed);
        let shrinkable: Vec<(usize, usize, usize)> = columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c.fit {
                Fit::Shrink(min) => Some((i, c.natural(), min.min(c.natural()))),
                _ => None,
            })
            .collect();
        let natural: usize = shrinkable.iter().map(|s| s.1).sum();
        let least: usize = shrinkable.iter().map(|s| s.2).sum();
        if natural <= budget {
            return columns;
        }
        let droppable = columns.iter().position(|c| c.fit == Fit::Droppable);
        if let (true, Some(i)) = (least > budget, droppable) {
            columns.remove(i);
            continue;
        }
        let spare = budget.saturating_sub(least);
        let wanted = natural - least;
        for (i, natural, least) in shrinkable {
            let give = (spare * (natural - least)).checked_div(wanted).unwrap_or(0);
            let keep = least + give;
            for cell in &mut columns[i].cells {
                *cell = cut_to(cell, keep);
            }
        }
        return columns;
    }
}

/// At most `width` characters, the last one `…` when cut.
fn cut_to(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        crate::text::cut(text, width.saturating_sub(1))
    }
}

impl Render for Preview {
    /// Each message as it would go out, under a header naming channel and recipients.
    fn table(&self, style: &Style) -> String {
        let mut text = format!(
            "dry run: nothing was sent\n{}\nalert {} {} [{}]\n",
            self.decision.summary,
            self.alert.id,
            self.alert.identity,
            self.alert.severity.label()
        );
        for m in &self.messages {
            let via = m.provider.map(|p| format!(" via {p}")).unwrap_or_default();
            let to = if m.to.is_empty() {
                String::new()
            } else {
                format!(" to {}", m.to.join(", "))
            };
            let header = format!("=== {}{via}{to} ===", m.channel);
            text.push_str(&format!("\n{}\n", paint_header(style, &header)));
            match &m.content {
                Content::Email {
                    subject,
                    text: plain,
                    html,
                } => text.push_str(&format!(
                    "Subject: {subject}\n--- text/plain ---\n{plain}--- text/html ---\n{html}"
                )),
                Content::Json { body } => {
                    let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
                    text.push_str(&format!("{pretty}\n"));
                }
                Content::Form { form } => {
                    for (name, value) in form {
                        text.push_str(&format!("{name}: {value}\n"));
                    }
                }
                Content::Skipped { skipped } => {
                    text.push_str(&format!("nothing would be sent: {skipped}\n"));
                }
            }
        }
        text
    }
}
