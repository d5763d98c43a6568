//! The dashboard's drawings of a check's last day, from its history: the
//! response-time line (inline SVG) and the status strip (a list of
//! columns). Pure functions of the history's columns; every figure they
//! draw is also said in words (a title, an accessible label), and every
//! status that is not healthy has a mark of its own, not only a colour.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::page::word;
use crate::status::Status;

/// The chart's drawing box; it stretches to the card's width.
pub const WIDTH: f64 = 240.0;
pub const HEIGHT: f64 = 40.0;
/// Room above the highest point and below the lowest, for the line's width.
const PAD: f64 = 3.0;

/// A check's last day, as the history's columns hold it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trend {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Each column's worst status; `None` where nothing ran.
    pub statuses: Vec<Option<Status>>,
    /// Each column's slowest response time in milliseconds; `None` where none was measured.
    pub response_ms: Vec<Option<f64>>,
}

/// A status by its name in the history: a name this vitals does not know
/// reads as unknown.
pub fn status_of(name: &str) -> Status {
    Status::from_str(name).unwrap_or(Status::Unknown)
}

/// A coordinate: one decimal at most, no trailing `.0`.
fn coordinate(v: f64) -> String {
    let text = format!("{v:.1}");
    match text.strip_suffix(".0") {
        Some(whole) if whole != "-0" => whole.to_owned(),
        Some(_) => "0".to_owned(),
        None => text,
    }
}

/// A response time as the page says it.
pub fn millis(ms: f64) -> String {
    format!("{ms:.1} ms")
}

/// The measured values: finite ones only.
fn measured(values: &[Option<f64>]) -> impl Iterator<Item = f64> + '_ {
    values.iter().flatten().copied().filter(|v| v.is_finite())
}

/// The lowest and highest measured value; `None` when there is none.
pub fn range(values: &[Option<f64>]) -> Option<(f64, f64)> {
    measured(values).fold(None, |range, v| match range {
        None => Some((v, v)),
        Some((low, high)) => Some((f64::min(low, v), f64::max(high, v))),
    })
}

/// The line's path: one point per column, at the column's middle, the
/// highest value at the top; a column without a value breaks the line, and
/// a point alone is drawn as a dot (a segment of no length, with round
/// caps). `None` when nothing was measured.
pub fn path(values: &[Option<f64>]) -> Option<String> {
    let (low, high) = range(values)?;
    let step = WIDTH / values.len() as f64;
    let y = |v: f64| {
        if high > low {
            PAD + (high - v) / (high - low) * (HEIGHT - 2.0 * PAD)
        } else {
            HEIGHT / 2.0
        }
    };
    let mut d = String::new();
    let mut run = 0;
    for (i, value) in values.iter().enumerate() {
        match value.filter(|v| v.is_finite()) {
            Some(v) => {
                let command = if run == 0 { 'M' } else { 'L' };
                d.push(command);
                d.push_str(&coordinate((i as f64 + 0.5) * step));
                d.push(' ');
                d.push_str(&coordinate(y(v)));
                run += 1;
            }
            None => {
                if run == 1 {
                    d.push_str("h0");
                }
                run = 0;
            }
        }
    }
    if run == 1 {
        d.push_str("h0");
    }
    Some(d)
}

/// How long one column lasts, in words: `30 min`.
fn column_span(trend: &Trend, columns: usize) -> String {
    // To the nearest second: the range ends on a millisecond, not where it began.
    let ms = (trend.until - trend.since).num_milliseconds().max(0) as f64;
    let seconds = (ms / 1000.0 / columns.max(1) as f64).round() as u64;
    super::page::span(std::time::Duration::from_secs(seconds))
}

/// The response-time chart of a card, with its lowest and highest value
/// beside it and all its figures in its accessible label.
pub fn response_chart(trend: &Trend) -> Markup {
    let values = &trend.response_ms;
    let (Some(d), Some((low, high))) = (path(values), range(values)) else {
        return html! { p class="chart none" { "No response time recorded in the last 24 h." } };
    };
    let latest = values
        .iter()
        .rev()
        .flatten()
        .find(|v| v.is_finite())
        .copied()
        .unwrap_or(high);
    let said = format!(
        "Response time over the last 24 h, the slowest run of each {}: from {} to {}, latest {}",
        column_span(trend, values.len()),
        millis(low),
        millis(high),
        millis(latest)
    );
    html! {
        figure class="chart" {
            svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) preserveAspectRatio="none" role="img"
                aria-label=(said) {
                title { (said) }
                path d=(d) fill="none" stroke-width="2" stroke-linecap="round"
                    stroke-linejoin="round" vector-effect="non-scaling-stroke" {}
            }
            figcaption {
                span class="max" { "max " (millis(high)) }
                " "
                span class="min" { "min " (millis(low)) }
            }
        }
    }
}

/// The mark of a status in the strip: none for healthy, a sign for the rest.
fn mark(status: Option<Status>) -> &'static str {
    match status {
        None | Some(Status::Healthy) => "",
        Some(Status::Degraded) => "!",
        Some(Status::Unhealthy) => "×",
        Some(Status::Unknown) => "?",
        Some(Status::Unconfigured) => "–",
    }
}

fn column_class(status: Option<Status>) -> &'static str {
    status.map_or("none", super::page::class)
}

/// What a column says: `2026-11-29 12:00–12:30 UTC: Unhealthy`.
fn column_title(from: DateTime<Utc>, to: DateTime<Utc>, status: Option<Status>) -> String {
    format!(
        "{}–{} UTC: {}",
        from.format("%Y-%m-%d %H:%M"),
        to.format("%H:%M"),
        status.map_or("no run", word)
    )
}

/// The status strip of a card: a column per part of the last day, each
/// titled with its time and status; its label counts the columns of each
/// status and names the times that were not healthy.
pub fn status_strip(trend: &Trend) -> Markup {
    let columns = trend.statuses.len();
    if columns == 0 {
        return html! {};
    }
    let width = trend.until - trend.since;
    let edge = |i: usize| trend.since + width * i as i32 / columns as i32;
    let titles: Vec<String> = trend
        .statuses
        .iter()
        .enumerate()
        .map(|(i, status)| column_title(edge(i), edge(i + 1), *status))
        .collect();
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for status in &trend.statuses {
        let said = status.map_or("no run", word);
        match counts.iter_mut().find(|(s, _)| *s == said) {
            Some((_, n)) => *n += 1,
            None => counts.push((said, 1)),
        }
    }
    let counted: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let bad: Vec<&str> = trend
        .statuses
        .iter()
        .zip(&titles)
        .filter(|(s, _)| s.is_some_and(|s| s != Status::Healthy))
        .map(|(_, t)| t.as_str())
        .collect();
    let mut label = format!(
        "Status over the last 24 h, a column each {}: {}",
        column_span(trend, columns),
        counted.join(", ")
    );
    if !bad.is_empty() {
        label.push_str(". Not healthy: ");
        label.push_str(&bad.join("; "));
    }
    html! {
        ol class="strip" role="img" aria-label=(label) {
            @for (status, title) in trend.statuses.iter().zip(&titles) {
                li class=(column_class(*status)) title=(title) { (mark(*status)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.to_utc())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn trend(statuses: Vec<Option<Status>>, response_ms: Vec<Option<f64>>) -> Trend {
        Trend {
            since: at("2026-11-29T12:00:00Z"),
            until: at("2026-11-30T12:00:00Z"),
            statuses,
            response_ms,
        }
    }

    #[test]
    fn three_points_span_the_height() {
        // Columns of 80 wide: the points at their middles; the highest at the top.
        assert_eq!(
            path(&[Some(1.0), Some(3.0), Some(2.0)]).as_deref(),
            Some("M40 37L120 3L200 20")
        );
    }

    #[test]
    fn nothing_measured_draws_nothing() {
        assert_eq!(path(&[]), None);
        assert_eq!(path(&[None, None]), None);
        assert_eq!(path(&[Some(f64::NAN), None]), None);
        let page = response_chart(&trend(vec![None; 2], vec![None; 2])).into_string();
        assert_eq!(
            page,
            r#"<p class="chart none">No response time recorded in the last 24 h.</p>"#
        );
    }

    #[test]
    fn a_single_point_is_a_dot_in_the_middle() {
        assert_eq!(path(&[Some(5.0)]).as_deref(), Some("M120 20h0"));
        assert_eq!(
            path(&[None, Some(5.0), None, None]).as_deref(),
            Some("M90 20h0")
        );
    }

    #[test]
    fn equal_values_are_a_flat_line_in_the_middle() {
        assert_eq!(
            path(&[Some(2.0), Some(2.0), Some(2.0), Some(2.0)]).as_deref(),
            Some("M30 20L90 20L150 20L210 20")
        );
    }

    #[test]
    fn missing_and_unmeasurable_values_break_the_line() {
        assert_eq!(
            path(&[
                Some(0.0),
                Some(10.0),
                None,
                Some(f64::NAN),
                Some(5.0),
                Some(f64::INFINITY),
            ])
            .as_deref(),
            Some("M20 37L60 3M180 20h0")
        );
    }

    #[test]
    fn the_chart_says_its_figures_in_words() {
        let chart = response_chart(&trend(
            vec![None; 4],
            vec![Some(1.25), None, Some(40.0), Some(3.0)],
        ))
        .into_string();
        let said = "Response time over the last 24 h, the slowest run of each 6 h: \
                    from 1.2 ms to 40.0 ms, latest 3.0 ms";
        assert_eq!(
            chart,
            format!(
                r#"<figure class="chart"><svg viewBox="0 0 240 40" preserveAspectRatio="none" role="img" aria-label="{said}"><title>{said}</title><path d="M30 37h0M150 3L210 35.5" fill="none" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" vector-effect="non-scaling-stroke"></path></svg><figcaption><span class="max">max 40.0 ms</span> <span class="min">min 1.2 ms</span></figcaption></figure>"#
            )
        );
    }

    #[test]
    fn the_strip_titles_each_column_and_marks_what_was_not_healthy() {
        let strip = status_strip(&trend(
            vec![
                Some(Status::Healthy),
                None,
                Some(Status::Unhealthy),
                Some(Status::Degraded),
            ],
            vec![None; 4],
        ))
        .into_string();
        let label = "Status over the last 24 h, a column each 6 h: 1 Healthy, 1 no run, \
                     1 Unhealthy, 1 Degraded. Not healthy: 2026-11-30 00:00–06:00 UTC: Unhealthy; \
                     2026-11-30 06:00–12:00 UTC: Degraded";
        assert_eq!(
            strip,
            format!(
                "<ol class=\"strip\" role=\"img\" aria-label=\"{label}\">\
                 <li class=\"healthy\" title=\"2026-11-29 12:00–18:00 UTC: Healthy\"></li>\
                 <li class=\"none\" title=\"2026-11-29 18:00–00:00 UTC: no run\"></li>\
                 <li class=\"unhealthy\" title=\"2026-11-30 00:00–06:00 UTC: Unhealthy\">×</li>\
                 <li class=\"degraded\" title=\"2026-11-30 06:00–12:00 UTC: Degraded\">!</li></ol>"
            )
        );
        assert_eq!(
            status_strip(&trend(Vec::new(), Vec::new())).into_string(),
            ""
        );
    }

    #[test]
    fn statuses_read_by_name() {
        assert_eq!(status_of("degraded"), Status::Degraded);
        assert_eq!(status_of("exploded"), Status::Unknown);
    }
}
