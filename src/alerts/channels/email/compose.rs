//! The message itself, the same whichever way it is sent: subject, a text
//! part and an HTML part in which every value is escaped.

use super::super::resolution_lines;
use crate::alerts::{Alert, Event, Severity, Timestamp};

/// What every alert e-mail says, whichever way it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailContent {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Its place in the alert's thread, set when it is sent.
    pub thread: Option<Thread>,
}

/// How mail clients thread an alert's messages: the first notification
/// about an alert is `Message-ID: <{id}@{domain}>`, and every later one (a
/// repeat, the acknowledgement, the resolution) has its own id and replies
/// to that one (`In-Reply-To`, `References`).
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    pub message_id: String,
    pub in_reply_to: Option<String>,
}

impl Thread {
    /// `domain` is the sender's; `now` makes a later message's id its own.
    pub fn of(alert: &Alert, event: Event, domain: &str, now: Timestamp) -> Thread {
        let first = format!("<{}@{domain}>", alert.id);
        // Nobody may have been told yet: this is the message that starts the thread.
        if event == Event::Trigger && alert.notified_message.is_none() {
            return Thread {
                message_id: first,
                in_reply_to: None,
            };
        }
        Thread {
            message_id: format!(
                "<{}.{}.{}@{domain}>",
                alert.id,
                event.as_ref(),
                now.millis()
            ),
            in_reply_to: Some(first),
        }
    }
}

/// Critical red, error and warning orange, info blue: the Python module's
/// colours (docs/COMPATIBILITY.md).
pub fn color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#D32F2F",
        Severity::Error | Severity::Warning => "#F57C00",
        Severity::Info => "#1976D2",
    }
}

/// The colour of a "resolved" notification.
const RESOLVED_COLOR: &str = "#388E3C";

/// Everything that goes into the HTML part passes through here.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Subject `[SEVERITY] {platform} Alert: {type}` (`[RESOLVED]` when it is
/// over), a text part and an HTML part.
pub fn compose(alert: &Alert, event: Event, platform: &str) -> EmailContent {
    let severity = alert.severity.label();
    let (head, color, extra) = match event {
        Event::Resolve => (
            "RESOLVED".to_owned(),
            RESOLVED_COLOR,
            resolution_lines(alert),
        ),
        Event::Trigger | Event::Acknowledge => {
            (severity.clone(), color(alert.severity), Vec::new())
        }
    };
    // A header must stay one line whatever ALERT_SUBJECT_PREFIX holds.
    let subject: String = format!("[{head}] {platform} Alert: {}", alert.alert_type)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let context = serde_json::to_string_pretty(&alert.context).unwrap_or_default();
    let extra_text: String = extra
        .iter()
        .map(|(name, value)| format!("{name}: {value}\n"))
        .collect();
    let text = format!(
        "{subject}\n\n\
         Message: {message}\n\
         Severity: {severity}\n\
         Alert ID: {id}\n\
         Timestamp: {at}\n\
         {extra_text}\n\
         Context:\n{context}\n\n\
         -- \n{platform} Monitoring\n",
        message = alert.message,
        id = alert.id,
        at = alert.triggered_at,
    );
    let e = html_escape;
    let extra_html: String = extra
        .iter()
        .map(|(name, value)| {
            format!(
                "<tr><td><strong>{name}</strong></td><td>{}</td></tr>\n",
                e(value)
            )
        })
        .collect();
    let html = format!(
        "<!DOCTYPE html>\n\
         <html>\n\
         <head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: Arial, Helvetica, sans-serif; color: #222222;\">\n\
         <h2 style=\"color: {color};\">[{head}] {kind}</h2>\n\
         <p><strong>Message:</strong></p>\n\
         <p style=\"white-space: pre-wrap;\">{message}</p>\n\
         <table cellpadding=\"4\">\n\
         <tr><td><strong>Severity</strong></td><td style=\"color: {severity_color};\"><strong>{severity}</strong></td></tr>\n\
         <tr><td><strong>Alert ID</strong></td><td>{id}</td></tr>\n\
         <tr><td><strong>Timestamp</strong></td><td>{at}</td></tr>\n\
         {extra_html}\
         </table>\n\
         <p><strong>Context:</strong></p>\n\
         <pre style=\"background: #f4f4f4; padding: 8px;\">{context}</pre>\n\
         <p style=\"color: #888888; font-size: 12px;\">{platform} Monitoring</p>\n\
         </body>\n\
         </html>\n",
        title = e(&subject),
        severity_color = self::color(alert.severity),
        kind = e(&alert.alert_type),
        message = e(&alert.message),
        id = e(&alert.id),
        at = alert.triggered_at,
        context = e(&context),
        platform = e(platform),
    );
    EmailContent {
        subject,
        text,
        html,
        thread: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value};

    #[test]
    fn every_value_is_html_escaped() {
        let mut context = Map::new();
        context.insert("q".into(), Value::String("<b>\"x\" & 'y'</b>".into()));
        let made = Alert::new(
            "xss<script>",
            Severity::Critical,
            "<script>alert('x')</script> & \"quotes\" 😀",
            context,
        );
        let alert = made.unwrap_or_else(|e| panic!("{e}"));
        let c = compose(&alert, Event::Trigger, "Acme & <Co>");
        assert_eq!(c.subject, "[CRITICAL] Acme & <Co> Alert: xss<script>");
        assert!(!c.html.contains("<script>"), "{}", c.html);
        assert!(
            c.html.contains(
                "<p style=\"white-space: pre-wrap;\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot; 😀</p>"
            ),
            "{}",
            c.html
        );
        assert!(
            c.html
                .contains("<h2 style=\"color: #D32F2F;\">[CRITICAL] xss&lt;script&gt;</h2>")
        );
        assert!(
            c.html.contains(
                "&quot;q&quot;: &quot;&lt;b&gt;\\&quot;x\\&quot; &amp; &#39;y&#39;&lt;/b&gt;&quot;"
            ),
            "{}",
            c.html
        );
        assert!(c.html.contains("Acme &amp; &lt;Co&gt; Monitoring"));
        // The text part is plain text: nothing to escape, everything as written.
        assert!(
            c.text
                .contains("Message: <script>alert('x')</script> & \"quotes\" 😀\n")
        );
    }

    #[test]
    fn subject_and_colours_per_severity() {
        let alert = Alert::new("disk_full", Severity::Warning, "m", Map::new())
            .unwrap_or_else(|e| panic!("{e}"));
        let c = compose(&alert, Event::Trigger, "Digital Agency");
        assert_eq!(c.subject, "[WARNING] Digital Agency Alert: disk_full");
        assert_eq!(color(Severity::Warning), color(Severity::Error));
        assert!(c.html.contains("color: #F57C00;"));
        assert!(
            c.text
                .starts_with("[WARNING] Digital Agency Alert: disk_full\n\nMessage: m\n")
        );
        assert!(c.text.contains(&format!("Alert ID: {}\n", alert.id)));
        assert!(c.text.contains("Context:\n{}\n"));
    }

    #[test]
    fn a_resolved_notification_says_so_and_by_whom() {
        let mut alert = Alert::new("disk_full", Severity::Critical, "97% <full>", Map::new())
            .unwrap_or_else(|e| panic!("{e}"));
        alert.resolved_at = Some(alert.triggered_at);
        alert.resolved_by = Some("bob".into());
        alert.resolution_note = Some("rotated <logs>".into());
        alert.notified_message = Some("95% <full>".into());
        alert.occurrences = 3;
        let c = compose(&alert, Event::Resolve, "Digital Agency");
        assert_eq!(c.subject, "[RESOLVED] Digital Agency Alert: disk_full");
        assert!(
            c.text.contains(&format!(
                "Timestamp: {at}\nResolved at: {at}\nResolved by: bob\nNote: rotated <logs>\n\
                 First notified: 95% <full>\nOccurrences: 3\nLatest message: 97% <full>\n\nContext:",
                at = alert.triggered_at
            )),
            "{}",
            c.text
        );
        assert!(
            c.html
                .contains("<h2 style=\"color: #388E3C;\">[RESOLVED] disk_full</h2>")
        );
        assert!(c.html.contains(
            "<tr><td><strong>Note</strong></td><td>rotated &lt;logs&gt;</td></tr>\n\
             <tr><td><strong>First notified</strong></td><td>95% &lt;full&gt;</td></tr>\n"
        ));
        assert!(c.html.contains(
            "<tr><td><strong>Latest message</strong></td><td>97% &lt;full&gt;</td></tr>\n</table>"
        ));
    }

    #[test]
    fn control_characters_never_reach_the_subject() {
        let alert =
            Alert::new("t", Severity::Info, "m", Map::new()).unwrap_or_else(|e| panic!("{e}"));
        let c = compose(&alert, Event::Trigger, "Evil\r\nBcc: x@example.com");
        assert_eq!(c.subject, "[INFO] EvilBcc: x@example.com Alert: t");
    }
}
