//! The dashboard: one HTML page built by a pure function from a run's
//! result and the open alerts. Every string from outside (check messages,
//! alert text, names) is escaped by maud; the page loads nothing but its
//! own stylesheet and script, so it works offline under a strict
//! Content-Security-Policy, and colour is never the only signal: each
//! status has its word and its icon.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

use super::chart::{self, Trend};
use crate::alerts::{Alert, AlertStatus};
use crate::history::{Incident, PastAnomaly};
use crate::status::Status;

/// What the page shows of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub name: String,
    pub status: Status,
    pub message: String,
    pub response_time_ms: Option<f64>,
    /// A few of the check's own fields, as label and value.
    pub facts: Vec<(String, String)>,
    /// How long it has had this status.
    pub for_: Duration,
    /// Its uptime over `past::WINDOWS`, from the history.
    pub uptime: [Option<f64>; 3],
    /// Its last day from the history; `None` before a run is recorded.
    pub trend: Option<Trend>,
}

/// An uptime as the card says it: `99.95 %`, or `–` where nothing was recorded.
pub fn uptime_text(ratio: Option<f64>) -> String {
    match ratio {
        Some(r) => format!("{:.2} %", r * 100.0),
        None => "–".to_owned(),
    }
}

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct View {
    pub overall: Status,
    pub checked_at: DateTime<Utc>,
    pub age: Duration,
    pub cards: Vec<Card>,
    /// The latest incidents and anomalies across checks, newest first, by check.
    pub incidents: Vec<(String, Incident)>,
    pub anomalies: Vec<(String, PastAnomaly)>,
    /// The open alerts, or why they could not be read.
    pub alerts: std::sync::Arc<Result<Vec<Alert>, String>>,
    /// Whether alerts may be changed here (a token is set).
    pub writable: bool,
    /// Seconds between reloads.
    pub refresh: u64,
    pub instance: String,
    pub version: &'static str,
}

/// A status in words, as the page and the badges say it.
pub fn word(status: Status) -> &'static str {
    match status {
        Status::Healthy => "Healthy",
        Status::Degraded => "Degraded",
        Status::Unhealthy => "Unhealthy",
        Status::Unknown => "Unknown",
        Status::Unconfigured => "Unconfigured",
    }
}

/// A short duration in words: `42 s`, `5 min`, `3 h 20 min`, `2 d 4 h`.
pub fn span(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => match (s % 3600) / 60 {
            0 => format!("{} h", s / 3600),
            m => format!("{} h {m} min", s / 3600),
        },
        _ => match (s % 86_400) / 3600 {
            0 => format!("{} d", s / 86_400),
            h => format!("{} d {h} h", s / 86_400),
        },
    }
}

/// The check's own scalar fields (and, for a check made of parts, each
/// part's status), at most `MAX_FACTS` of them.
pub fn facts(details: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    const MAX_FACTS: usize = 8;
    let mut out = Vec::new();
    for (key, value) in details {
        let label = key.replace('_', " ");
        match value {
            Value::String(s) => out.push((label, s.clone())),
            Value::Number(n) => out.push((label, n.to_string())),
            Value::Bool(b) => out.push((label, if *b { "yes" } else { "no" }.to_owned())),
            Value::Object(parts) => {
                for (name, part) in parts {
                    if let Some(status) = part.get("status").and_then(Value::as_str) {
                        out.push((name.clone(), status.to_owned()));
                    }
                }
            }
            Value::Array(_) | Value::Null => {}
        }
    }
    out.truncate(MAX_FACTS);
    out
}

pub(super) fn class(status: Status) -> &'static str {
    match status {
        Status::Healthy => "healthy",
        Status::Degraded => "degraded",
        Status::Unhealthy => "unhealthy",
        Status::Unknown => "unknown",
        Status::Unconfigured => "unconfigured",
    }
}

/// The icon of a status, drawn from the symbols the page defines once.
fn icon(status: Status) -> Markup {
    html! {
        svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false" {
            use href=(format!("#icon-{}", class(status))) {}
        }
    }
}

/// One symbol per status, each a different shape: a tick, a triangle with
/// a bar, a cross, a question mark, a dash. The shape takes the icon's colour (`fill`), the
/// mark its `stroke`: a `<use>`d symbol inherits them, no selector reaches in.
fn symbols() -> Markup {
    html! {
        svg class="symbols" aria-hidden="true" focusable="false" {
            symbol id="icon-healthy" viewBox="0 0 16 16" {
                circle cx="8" cy="8" r="7.5" stroke="none" {}
                path d="M4.5 8.5l2.3 2.3 4.7-5.3" fill="none" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" {}
            }
            symbol id="icon-degraded" viewBox="0 0 16 16" {
                path d="M8 0.5l7.5 14.5h-15z" stroke="none" {}
                path d="M8 5.5v4.5M8 12.2v.6" fill="none" stroke-width="2" stroke-linecap="round" {}
            }
            symbol id="icon-unhealthy" viewBox="0 0 16 16" {
                rect x="0.5" y="0.5" width="15" height="15" rx="3" stroke="none" {}
                path d="M5 5l6 6M11 5l-6 6" fill="none" stroke-width="2" stroke-linecap="round" {}
            }
            symbol id="icon-unknown" viewBox="0 0 16 16" {
                path d="M8 0.5l7.5 7.5-7.5 7.5-7.5-7.5z" stroke="none" {}
                path d="M6 6.2a2 2 0 1 1 2.8 1.8c-.5.3-.8.7-.8 1.3M8 11.7v.6" fill="none" stroke-width="1.8" stroke-linecap="round" {}
            }
            symbol id="icon-unconfigured" viewBox="0 0 16 16" {
                circle cx="8" cy="8" r="7.5" stroke="none" {}
                path d="M4.5 8h7" fill="none" stroke-width="2" stroke-linecap="round" {}
            }
        }
    }
}

fn time(at: DateTime<Utc>) -> Markup {
    stamp(&at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// An RFC 3339 instant, readable: `2026-11-30 15:04:05Z`.
fn stamp(rfc3339: &str) -> Markup {
    html! { time datetime=(rfc3339) { (rfc3339.replace('T', " ")) } }
}

fn card(card: &Card) -> Markup {
    html! {
        article class={"card " (class(card.status))} id={"check-" (card.name)}
            data-check=(card.name) data-status=(class(card.status)) {
            h2 { (icon(card.status)) " " (card.name) }
            p class="state" {
                strong class="word" { (word(card.status)) }
                " for " (span(card.for_))
            }
            p class="message" { (card.message) }
            dl {
                @if let Some(ms) = card.response_time_ms {
                    dt { "response time" }
                    dd { (super::chart::millis(ms)) }
                }
                @for (label, value) in &card.facts {
                    dt { (label) }
                    dd { (value) }
                }
                @if card.uptime.iter().any(Option::is_some) {
                    dt { "uptime 24 h / 7 d / 30 d" }
                    dd class="uptime" {
                        (uptime_text(card.uptime[0])) " / "
                        (uptime_text(card.uptime[1])) " / "
                        (uptime_text(card.uptime[2]))
                    }
                }
            }
            @if let Some(trend) = &card.trend {
                (chart::response_chart(trend))
                (chart::status_strip(trend))
            }
        }
    }
}

/// A value of a metric in its unit, as people read it.
pub fn figure(value: f64, unit: &str) -> String {
    match unit {
        "seconds" => chart::millis(value * 1000.0),
        "bytes" => format!("{:.1} MiB", value / 1_048_576.0),
        "ratio" => format!("{:.1} %", value * 100.0),
        _ if value.fract() == 0.0 => format!("{value:.0}"),
        _ => format!("{value:.2}"),
    }
}

fn incident_row(check: &str, incident: &Incident) -> Markup {
    let status = chart::status_of(&incident.status);
    let lasted = Duration::try_from_secs_f64(incident.duration_seconds).unwrap_or_default();
    html! {
        tr data-check=(check) {
            td { (check) }
            td { (incident.instance) }
            td class=(class(status)) { (icon(status)) " " (word(status)) }
            td { (time(incident.started_at)) }
            td class="lasted" {
                @if incident.ended_at.is_none() { "ongoing, " }
                (span(lasted))
            }
            td class="message" { (incident.message) }
        }
    }
}

fn anomaly_row(check: &str, anomaly: &PastAnomaly) -> Markup {
    html! {
        tr data-check=(check) {
            td { (check) }
            td { (anomaly.instance) }
            td { code { (anomaly.metric) } }
            td { (time(anomaly.since)) }
            td class="peak" {
                (figure(anomaly.peak, anomaly.unit)) " vs baseline "
                (figure(anomaly.baseline, anomaly.unit))
            }
            td {
                @match anomaly.until {
                    Some(until) => { "ended " (time(until)) }
                    None => { "ongoing" }
                }
            }
        }
    }
}

/// The latest incidents and anomalies across checks, from the history.
fn recent(view: &View) -> Markup {
    html! {
        section class="recent" aria-labelledby="recent-title" {
            h2 id="recent-title" { "Recent incidents and anomalies" }
            (recent_table(
                "incidents",
                "Incidents, last 7 days",
                "No incident recorded in the last 7 days.",
                ["Check", "Instance", "Status", "Started", "Lasted", "Message"],
                view.incidents.iter().map(|(check, i)| incident_row(check, i)),
            ))
            (recent_table(
                "anomalies",
                "Anomalies, last 7 days",
                "No anomaly recorded in the last 7 days.",
                ["Check", "Instance", "Metric", "Since", "Peak", "Until"],
                view.anomalies.iter().map(|(check, a)| anomaly_row(check, a)),
            ))
        }
    }
}

/// One list of the recent section: its heading, and its rows or a line
/// saying there are none.
fn recent_table(
    class: &str,
    title: &str,
    none: &str,
    columns: [&str; 6],
    rows: impl Iterator<Item = Markup>,
) -> Markup {
    let mut rows = rows.peekable();
    html! {
        h3 { (title) }
        @if rows.peek().is_none() {
            p class="none" { (none) }
        } @else {
            div class="table" {
                table class=(class) {
                    thead { tr { @for column in columns { th scope="col" { (column) } } } }
                    tbody { @for row in rows { (row) } }
                }
            }
        }
    }
}

fn alert_row(alert: &Alert, writable: bool) -> Markup {
    let status = match alert.status {
        AlertStatus::Active => "active",
        AlertStatus::Acknowledged => "acknowledged",
        AlertStatus::Resolved => "resolved",
    };
    html! {
        li class={"alert " (alert.severity.as_ref())} data-alert=(alert.id) data-status=(status) {
            p class="what" {
                strong { (alert.severity.label()) } " "
                code { (alert.alert_type) } " "
                span class="alert-status" { (status) }
                @if let Some(held) = alert.held {
                    " (held: " (held.as_ref())
                    @if let Some(reason) = &alert.held_reason { ": " (reason) }
                    ")"
                }
            }
            p class="message" { (alert.message) }
            p class="when" {
                "since " (stamp(&alert.triggered_at.to_string()))
                " · " (alert.occurrences) " occurrence" @if alert.occurrences != 1 { "s" }
                " · id " code { (alert.id.get(..12).unwrap_or(&alert.id)) }
                @if let Some(by) = &alert.acknowledged_by { " · acknowledged by " (by) }
            }
            @if writable {
                p class="actions" {
                    @if alert.status == AlertStatus::Active {
                        button type="button" data-action="ack" data-id=(alert.id) { "Acknowledge" }
                        " "
                    }
                    button type="button" data-action="resolve" data-id=(alert.id) { "Resolve" }
                }
            }
        }
    }
}

fn alerts(view: &View) -> Markup {
    html! {
        section class="alerts" aria-labelledby="alerts-title" {
            @match view.alerts.as_ref() {
                Err(why) => {
                    h2 id="alerts-title" { "Open alerts" }
                    p class="unavailable" { "The alerts cannot be read: " (why) }
                }
                Ok(open) => {
                    h2 id="alerts-title" { "Open alerts (" (open.len()) ")" }
                    @if open.is_empty() {
                        p class="none" { "No open alert." }
                    } @else {
                        ul { @for alert in open { (alert_row(alert, view.writable)) } }
                    }
                    @if view.writable && !open.is_empty() {
                        form id="auth" class="auth" autocomplete="off" {
                            label { "Token " input type="password" name="token" required; }
                            label { "Your name " input type="text" name="by" required; }
                            label { "Note (resolve) " input type="text" name="note"; }
                            p id="said" role="status" aria-live="polite" {}
                        }
                    }
                }
            }
        }
    }
}

/// The whole page.
pub fn dashboard(view: &View) -> String {
    let overall = word(view.overall);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="referrer" content="no-referrer";
                title { (overall) " · vitals" }
                link rel="icon" href="assets/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="assets/vitals.css";
                script src="assets/vitals.js" defer {}
                noscript { meta http-equiv="refresh" content=(view.refresh); }
            }
            body data-refresh=(view.refresh) {
                (symbols())
                header class={"overall " (class(view.overall))} data-status=(class(view.overall)) {
                    h1 { (icon(view.overall)) " " span class="word" { (overall) } }
                    p {
                        "Checked " (time(view.checked_at)) " (" (span(view.age)) " ago) on "
                        (view.instance) "."
                    }
                }
                main {
                    section class="checks" aria-label="Checks" {
                        @for c in &view.cards { (card(c)) }
                    }
                    (alerts(view))
                    (recent(view))
                }
                footer {
                    "vitals " (view.version) " · "
                    a href="metrics" { "metrics" } " · "
                    a href="api/v1/status" { "status API" } " · "
                    a href="api/v1/alerts" { "alerts API" }
                }
            }
        }
    }
    .into_string()
}

/// The page's stylesheet, served from `assets/`: light and dark, a grid that
/// is one column on a phone and fills a wall screen.
pub const STYLESHEET: &str = include_str!("assets/vitals.css");

/// The page's icon: a pulse.
pub const ICON: &str = include_str!("assets/favicon.svg");

/// The page's script: reloads it, and acknowledges or resolves alerts with the token.
pub const SCRIPT: &str = include_str!("assets/vitals.js");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Severity;

    fn view(message: &str, alerts: Vec<Alert>, writable: bool) -> View {
        View {
            overall: Status::Unhealthy,
            checked_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
            age: Duration::from_secs(3),
            cards: vec![Card {
                name: "cache".to_owned(),
                status: Status::Unhealthy,
                message: message.to_owned(),
                response_time_ms: Some(1.25),
                facts: vec![("used memory".to_owned(), "<b>1</b>".to_owned())],
                for_: Duration::from_secs(125),
                uptime: [Some(0.9995), Some(0.5), None],
                trend: None,
            }],
            incidents: Vec::new(),
            anomalies: Vec::new(),
            alerts: std::sync::Arc::new(Ok(alerts)),
            writable,
            refresh: 30,
            instance: "web-1".to_owned(),
            version: "0.1.0",
        }
    }

    #[test]
    fn a_card_says_its_uptime_over_each_window() {
        let page = dashboard(&view("down", Vec::new(), false));
        assert!(
            page.contains(
                r#"<dt>uptime 24 h / 7 d / 30 d</dt><dd class="uptime">99.95 % / 50.00 % / –</dd>"#
            ),
            "{page}"
        );
        let mut none = view("down", Vec::new(), false);
        none.cards[0].uptime = [None; 3];
        assert!(!dashboard(&none).contains("class=\"uptime\""));
    }

    #[test]
    fn outside_text_is_escaped() {
        let hostile = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;
        let alert = Alert::new(
            "cache_failure",
            Severity::Error,
            hostile,
            Default::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let page = dashboard(&view(hostile, vec![alert], true));
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<b>1</b>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img"));
        assert!(page.contains("&lt;b&gt;1&lt;/b&gt;"));
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.to_utc())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn recent_incidents_and_anomalies_are_listed_and_escaped() {
        let hostile = "<script>alert(1)</script>";
        let mut v = view("down", Vec::new(), false);
        v.cards[0].name = hostile.to_owned();
        v.cards[0].trend = Some(Trend {
            since: at("2026-11-29T12:00:00Z"),
            until: at("2026-11-30T12:00:00Z"),
            statuses: vec![Some(Status::Healthy), Some(Status::Unhealthy)],
            response_ms: vec![Some(2.0), None],
        });
        v.incidents = vec![
            (
                hostile.to_owned(),
                Incident {
                    instance: "web-1".to_owned(),
                    status: "unhealthy".to_owned(),
                    started_at: at("2026-11-30T09:15:00Z"),
                    ended_at: None,
                    duration_seconds: 9900.0,
                    message: "<img src=x onerror=alert(2)>".to_owned(),
                },
            ),
            (
                "database".to_owned(),
                Incident {
                    instance: "web-1".to_owned(),
                    status: "degraded".to_owned(),
                    started_at: at("2026-11-29T08:00:00Z"),
                    ended_at: Some(at("2026-11-29T08:05:00Z")),
                    duration_seconds: 300.0,
                    message: "slow".to_owned(),
                },
            ),
        ];
        v.anomalies = vec![(
            "database".to_owned(),
            PastAnomaly {
                instance: "web-1".to_owned(),
                metric: "vitals_check_response_seconds".to_owned(),
                unit: "seconds",
                since: at("2026-11-30T10:00:00Z"),
                until: None,
                peak: 0.051,
                last_value: 0.05,
                baseline: 0.001,
                band: [0.0, 0.006],
            },
        )];
        let page = dashboard(&v);
        assert!(
            !page.contains("<script>alert") && !page.contains("<img"),
            "{page}"
        );
        assert!(page.contains(
            "<tr data-check=\"&lt;script&gt;alert(1)&lt;/script&gt;\"><td>&lt;script&gt;alert(1)&lt;/script&gt;</td>\
             <td>web-1</td><td class=\"unhealthy\"><svg class=\"icon\" viewBox=\"0 0 16 16\" aria-hidden=\"true\" \
             focusable=\"false\"><use href=\"#icon-unhealthy\"></use></svg> Unhealthy</td>\
             <td><time datetime=\"2026-11-30T09:15:00Z\">2026-11-30 09:15:00Z</time></td>\
             <td class=\"lasted\">ongoing, 2 h 45 min</td>\
             <td class=\"message\">&lt;img src=x onerror=alert(2)&gt;</td></tr>"
        ), "{page}");
        assert!(page.contains("<td class=\"lasted\">5 min</td>"), "{page}");
        assert!(
            page.contains(
                "<td><code>vitals_check_response_seconds</code></td>\
             <td><time datetime=\"2026-11-30T10:00:00Z\">2026-11-30 10:00:00Z</time></td>\
             <td class=\"peak\">51.0 ms vs baseline 1.0 ms</td><td>ongoing</td>"
            ),
            "{page}"
        );
        // The card draws its day: the line and the strip.
        assert!(page.contains(r#"<path d="M60 20h0""#), "{page}");
        assert!(page.contains(
            r#"<li class="unhealthy" title="2026-11-30 00:00–12:00 UTC: Unhealthy">×</li>"#
        ));

        let empty = dashboard(&view("down", Vec::new(), false));
        assert!(empty.contains("No incident recorded in the last 7 days."));
        assert!(empty.contains("No anomaly recorded in the last 7 days."));
        assert!(!empty.contains("class=\"strip\""));
    }

    #[test]
    fn figures_read_in_their_units() {
        assert_eq!(figure(0.0125, "seconds"), "12.5 ms");
        assert_eq!(figure(3_145_728.0, "bytes"), "3.0 MiB");
        assert_eq!(figure(0.925, "ratio"), "92.5 %");
        assert_eq!(figure(12.0, "count"), "12");
        assert_eq!(figure(2.5, "count"), "2.50");
    }

    #[test]
    fn each_status_has_its_word_and_icon() {
        let page = dashboard(&view("down", Vec::new(), false));
        assert!(page.contains(r#"<strong class="word">Unhealthy</strong> for 2 min"#));
        assert!(page.contains(r##"<use href="#icon-unhealthy">"##));
        assert!(page.contains("<dt>response time</dt><dd>1.2 ms</dd>"));
        assert!(page.contains("No open alert."));
        assert!(!page.contains("id=\"auth\""));
    }

    #[test]
    fn actions_only_with_a_token() {
        let alert = Alert::new("cache_failure", Severity::Error, "down", Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let read_only = dashboard(&view("down", vec![alert.clone()], false));
        assert!(!read_only.contains("data-action"));
        let writable = dashboard(&view("down", vec![alert], true));
        assert!(writable.contains(r#"data-action="ack""#));
        assert!(writable.contains(r#"data-action="resolve""#));
        assert!(writable.contains(r#"id="auth""#));
    }

    #[test]
    fn nothing_is_loaded_from_elsewhere() {
        let page = dashboard(&view("down", Vec::new(), false));
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{page}"
        );
        assert!(!STYLESHEET.contains("http") && !STYLESHEET.contains("@import"));
        assert!(!SCRIPT.contains("http"));
        // Its one URL is the SVG namespace, which names and loads nothing.
        assert_eq!(ICON.matches("http").count(), 1);
    }

    #[test]
    fn spans_read_as_words() {
        assert_eq!(span(Duration::from_secs(42)), "42 s");
        assert_eq!(span(Duration::from_secs(300)), "5 min");
        assert_eq!(span(Duration::from_secs(3600)), "1 h");
        assert_eq!(span(Duration::from_secs(12_000)), "3 h 20 min");
        assert_eq!(span(Duration::from_secs(86_400 * 2 + 3600 * 4)), "2 d 4 h");
    }

    #[test]
    fn facts_are_scalars_and_parts() {
        let details = serde_json::json!({
            "version": "16.2",
            "connections": 3,
            "ssl": true,
            "tags": ["a"],
            "services": {"anthropic_api": {"status": "healthy"}, "broken": {}}
        });
        let Value::Object(map) = details else {
            panic!("an object")
        };
        assert_eq!(
            facts(&map),
            vec![
                ("version".to_owned(), "16.2".to_owned()),
                ("connections".to_owned(), "3".to_owned()),
                ("ssl".to_owned(), "yes".to_owned()),
                ("anthropic_api".to_owned(), "healthy".to_owned()),
            ]
        );
    }
}
