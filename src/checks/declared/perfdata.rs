//! Nagios performance data, as the monitoring-plugins development guidelines
//! define it: `'label'=value[UOM];[warn];[crit];[min];[max]`, items
//! separated by spaces, labels quoted with `'` when they hold spaces (a `'`
//! inside doubled), thresholds as ranges (`10`, `10:`, `~:10`, `10:20`,
//! `@10:20`). A plugin's perfdata is outside text: an item that does not
//! parse is skipped and said, never a failure of the check.

use std::fmt;

/// A threshold range: alert outside `start..=end` (inside when `inside`).
/// `None` ends are infinite (`~` for the start, nothing for the end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub inside: bool,
}

impl Range {
    /// Parses `[@][start:][end]`, where start may be `~`.
    pub fn parse(text: &str) -> Option<Range> {
        let (inside, rest) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (start, end) = match rest.split_once(':') {
            Some((start, end)) => {
                let start = match start {
                    "~" => None,
                    "" => Some(0.0),
                    s => Some(number(s)?),
                };
                let end = match end {
                    "" => None,
                    e => Some(number(e)?),
                };
                (start, end)
            }
            None if rest.is_empty() => return None,
            None => (Some(0.0), Some(number(rest)?)),
        };
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            return None;
        }
        Some(Range { start, end, inside })
    }

    /// Whether `value` raises this threshold's alert.
    pub fn alerts(&self, value: f64) -> bool {
        let within = self.start.is_none_or(|s| value >= s) && self.end.is_none_or(|e| value <= e);
        if self.inside { within } else { !within }
    }

    /// The single number a gauge threshold can show: the end, else the start.
    pub fn bound(&self) -> Option<f64> {
        self.end.or(self.start)
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.inside {
            f.write_str("@")?;
        }
        match (self.start, self.end) {
            (Some(s), Some(e)) if s == 0.0 && !self.inside => write!(f, "{}", show(e)),
            (Some(s), end) => {
                write!(f, "{}:", show(s))?;
                end.map_or(Ok(()), |e| write!(f, "{}", show(e)))
            }
            (None, end) => {
                f.write_str("~:")?;
                end.map_or(Ok(()), |e| write!(f, "{}", show(e)))
            }
        }
    }
}

/// One measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct PerfItem {
    pub label: String,
    /// `None` for `U` (the plugin could not measure it).
    pub value: Option<f64>,
    /// The unit of measure as given: `s`, `ms`, `us`, `%`, `B`, `KB`, `MB`,
    /// `TB`, `c`, or empty (a plain number). Kept as given, never converted.
    pub uom: String,
    pub warn: Option<Range>,
    pub crit: Option<Range>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl PerfItem {
    pub fn new(label: impl Into<String>, value: Option<f64>, uom: &str) -> PerfItem {
        PerfItem {
            label: label.into(),
            value,
            uom: uom.to_owned(),
            warn: None,
            crit: None,
            min: None,
            max: None,
        }
    }

    /// `value[UOM];warn;crit;min;max`, trailing empty fields dropped: what
    /// follows the `=`.
    pub fn data(&self) -> String {
        let value = self
            .value
            .map_or_else(|| "U".to_owned(), |v| format!("{}{}", show(v), self.uom));
        let range = |r: &Option<Range>| r.map(|r| r.to_string()).unwrap_or_default();
        let num = |n: Option<f64>| n.map(show).unwrap_or_default();
        format!(
            "{value};{};{};{};{}",
            range(&self.warn),
            range(&self.crit),
            num(self.min),
            num(self.max)
        )
        .trim_end_matches(';')
        .to_owned()
    }
}

impl fmt::Display for PerfItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", quote(&self.label), self.data())
    }
}

/// A label as perfdata writes it: quoted when it must be, `'` doubled.
/// Any whitespace counts, not only spaces: items are separated, and the
/// text trimmed, at every kind.
pub fn quote(label: &str) -> String {
    if label
        .chars()
        .any(|c| c.is_whitespace() || c == '\'' || c == '=')
    {
        format!("'{}'", label.replace('\'', "''"))
    } else {
        label.to_owned()
    }
}

/// What a plugin's perfdata came to: the items read, and what was skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub items: Vec<PerfItem>,
    /// Each item that did not parse, cut short, with why.
    pub skipped: Vec<String>,
}

/// Parses the perfdata of a plugin's output (everything after the first
/// `|` of its first line and of its long output, joined with spaces).
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (item, after) = next_item(rest);
        rest = after.trim_start();
        match item {
            Ok(item) => {
                if parsed.items.iter().any(|i| i.label == item.label) {
                    parsed.skipped.push(format!(
                        "{}: the label is given twice",
                        shown(&quote(&item.label))
                    ));
                } else {
                    parsed.items.push(item);
                }
            }
            Err(skipped) => parsed.skipped.push(skipped),
        }
    }
    parsed
}

/// Items shown in a skip message are cut to this many characters.
const SHOWN: usize = 40;

/// Reads one item off the front of `text`; returns it (or why it was
/// skipped) and the rest.
fn next_item(text: &str) -> (Result<PerfItem, String>, &str) {
    // The label: quoted (with '' for a quote) or up to the `=`.
    let (label, after_label) = if let Some(quoted) = text.strip_prefix('\'') {
        let mut label = String::new();
        let mut chars = quoted.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if quoted[i + 1..].starts_with('\'') {
                    label.push('\'');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                label.push(c);
            }
        }
        match end {
            Some(end) => (label, &quoted[end..]),
            None => {
                return (
                    Err(format!("{}: the label's quote is not closed", shown(text))),
                    "",
                );
            }
        }
    } else {
        let end = text.find(['=', ' ']).unwrap_or(text.len());
        (text[..end].to_owned(), &text[end..])
    };
    let word_end = |s: &str| s.find(char::is_whitespace).unwrap_or(s.len());
    let Some(data) = after_label.strip_prefix('=') else {
        let end = (text.len() - after_label.len()) + word_end(after_label);
        let whole = &text[..end];
        return (
            Err(format!("{}: expected label=value", shown(whole))),
            &text[end..],
        );
    };
    let end = word_end(data);
    let (data, rest) = (&data[..end], &data[end..]);
    if label.is_empty() {
        return (Err(format!("={}: the label is empty", shown(data))), rest);
    }
    let item = item(&label, data)
        .map_err(|why| format!("{}={}: {why}", shown(&quote(&label)), shown(data)));
    (item, rest)
}

fn shown(text: &str) -> String {
    crate::text::cut(text, SHOWN)
}

/// `value[UOM];[warn];[crit];[min];[max]`.
fn item(label: &str, data: &str) -> Result<PerfItem, &'static str> {
    let mut fields = data.split(';');
    let first = fields.next().unwrap_or_default();
    let (value, uom) = if first == "U" {
        (None, "")
    } else {
        let split = first
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
            .unwrap_or(first.len());
        let (number_text, uom) = first.split_at(split);
        let value = number(number_text).ok_or("the value is not a number")?;
        (Some(value), uom)
    };
    if !uom.is_empty() && !uom.chars().all(|c| c.is_ascii_alphabetic() || c == '%') {
        return Err("the unit of measure is not letters or %");
    }
    let mut range = |what: &'static str| -> Result<Option<Range>, &'static str> {
        match fields.next() {
            None | Some("") => Ok(None),
            Some(text) => Range::parse(text).map(Some).ok_or(what),
        }
    };
    let warn = range("the warning range is malformed")?;
    let crit = range("the critical range is malformed")?;
    let mut bound = |what: &'static str| -> Result<Option<f64>, &'static str> {
        match fields.next() {
            None | Some("") => Ok(None),
            Some(text) => number(text).map(Some).ok_or(what),
        }
    };
    let min = bound("the minimum is not a number")?;
    let max = bound("the maximum is not a number")?;
    Ok(PerfItem {
        label: label.to_owned(),
        value,
        uom: uom.to_owned(),
        warn,
        crit,
        min,
        max,
    })
}

/// A finite decimal number.
fn number(text: &str) -> Option<f64> {
    let value: f64 = text.parse().ok()?;
    value.is_finite().then_some(value)
}

/// Plain decimal notation, no exponent, no trailing zeros.
fn show(v: f64) -> String {
    let text = format!("{v:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `perfdata` fuzz target: a quoted label starting with a
    /// carriage return was written unquoted, and read back without it.
    #[test]
    fn labels_with_any_whitespace_are_quoted_and_read_back() {
        let first = parse("'\r'=5 'a\tb'=1");
        assert_eq!(first.skipped, Vec::<String>::new());
        let written: Vec<String> = first.items.iter().map(ToString::to_string).collect();
        assert_eq!(written, ["'\r'=5", "'a\tb'=1"]);
        let again = parse(&written.join(" "));
        assert_eq!(again.items, first.items);
    }

    /// Found by the `perfdata` fuzz target: a skip message quoted a long
    /// label whole, so a plugin decided how long the message was.
    #[test]
    fn skip_messages_cut_long_labels() {
        let label = "l".repeat(500);
        let parsed = parse(&format!("{label}=5x! {label}=1 {label}=2"));
        assert_eq!(parsed.items.len(), 1);
        assert_eq!(parsed.skipped.len(), 2);
        for skipped in &parsed.skipped {
            assert!(skipped.chars().count() < 200, "{skipped}");
        }
    }

    fn range(start: Option<f64>, end: Option<f64>, inside: bool) -> Option<Range> {
        Some(Range { start, end, inside })
    }

    /// The range table of the monitoring-plugins development guidelines.
    #[test]
    fn guideline_ranges() {
        /// A range, what it parses to, and values with whether each alerts.
        type Case<'a> = (&'a str, Option<Range>, &'a [(f64, bool)]);
        let cases: &[Case<'_>] = &[
            (
                "10",
                range(Some(0.0), Some(10.0), false),
                &[(-1.0, true), (0.0, false), (10.0, false), (11.0, true)],
            ),
            (
                "10:",
                range(Some(10.0), None, false),
                &[(9.9, true), (10.0, false), (1e9, false)],
            ),
            (
                "~:10",
                range(None, Some(10.0), false),
                &[(-1e9, false), (10.0, false), (10.1, true)],
            ),
            (
                "10:20",
                range(Some(10.0), Some(20.0), false),
                &[(9.0, true), (15.0, false), (21.0, true)],
            ),
            (
                "@10:20",
                range(Some(10.0), Some(20.0), true),
                &[(9.0, false), (10.0, true), (20.0, true), (21.0, false)],
            ),
        ];
        for (text, expected, checks) in cases {
            let parsed = Range::parse(text);
            assert_eq!(parsed, *expected, "{text}");
            let Some(r) = parsed else { continue };
            assert_eq!(r.to_string(), *text);
            for (value, alerts) in *checks {
                assert_eq!(r.alerts(*value), *alerts, "{text} at {value}");
            }
        }
        for bad in ["", "@", "a", "20:10", "1:2:3", "~", "10:x"] {
            assert_eq!(Range::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn guideline_examples() {
        // check_disk, check_load, check_http, check_procs and check_ping as Debian's print them.
        let p = parse("/=2643MB;5948;6291;0;6622 /boot=68MB;88;93;0;98");
        assert_eq!(p.skipped, Vec::<String>::new());
        assert_eq!(
            p.items[0],
            PerfItem {
                label: "/".into(),
                value: Some(2643.0),
                uom: "MB".into(),
                warn: range(Some(0.0), Some(5948.0), false),
                crit: range(Some(0.0), Some(6291.0), false),
                min: Some(0.0),
                max: Some(6622.0),
            }
        );
        assert_eq!(p.items[1].label, "/boot");

        let p = parse(
            "load1=0.040;15.000;30.000;0; load5=0.030;10.000;25.000;0; load15=0.000;5.000;20.000;0;",
        );
        let labels: Vec<&str> = p.items.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(labels, ["load1", "load5", "load15"]);
        assert_eq!(p.items[0].value, Some(0.04));
        assert_eq!(p.items[0].max, None);

        let p = parse("time=0.002071s;;;0.000000;10.000000 size=612B;;;0");
        assert_eq!(p.items[0].uom, "s");
        assert_eq!(p.items[0].max, Some(10.0));
        assert_eq!(p.items[1].uom, "B");

        let p =
            parse("'rta'=0.045ms;100.000;500.000;0; 'pl'=0%;20;60;; 'with space'=3c;;;; 'it''s'=U");
        assert_eq!(p.skipped, Vec::<String>::new());
        let items: Vec<(&str, Option<f64>, &str)> = p
            .items
            .iter()
            .map(|i| (i.label.as_str(), i.value, i.uom.as_str()))
            .collect();
        assert_eq!(
            items,
            [
                ("rta", Some(0.045), "ms"),
                ("pl", Some(0.0), "%"),
                ("with space", Some(3.0), "c"),
                ("it's", None, ""),
            ]
        );
        assert_eq!(p.items[3].to_string(), "'it''s'=U");
        assert_eq!(p.items[2].to_string(), "'with space'=3c");
        assert_eq!(p.items[0].data(), "0.045ms;100;500;0");

        let p = parse("users=4;@10:20;~:50 temp=-3.5;10:;@~:0");
        assert_eq!(p.skipped, Vec::<String>::new());
        assert_eq!(p.items[0].warn, range(Some(10.0), Some(20.0), true));
        assert_eq!(p.items[0].crit, range(None, Some(50.0), false));
        assert_eq!(p.items[1].value, Some(-3.5));
        assert_eq!(p.items[1].crit, range(None, Some(0.0), true));
    }

    #[test]
    fn invalid_items_are_skipped_and_said() {
        let p = parse("good=1 bad=x1 novalue 'open=3 ");
        assert_eq!(p.items.len(), 1);
        assert_eq!(
            p.skipped,
            [
                "bad=x1: the value is not a number",
                "novalue: expected label=value",
                "'open=3 : the label's quote is not closed",
            ]
        );
        let p = parse("a=1;x a=2 =3 b=1;2;3;m c=1$ d=1e999");
        assert_eq!(
            p.skipped,
            [
                "a=1;x: the warning range is malformed",
                "=3: the label is empty",
                "b=1;2;3;m: the minimum is not a number",
                "c=1$: the unit of measure is not letters or %",
                "d=1e999: the value is not a number",
            ]
        );
        assert_eq!(parse("a=1 a=2").skipped, ["a: the label is given twice"]);
        assert_eq!(parse("   "), Parsed::default());
    }
}
