//! Silences as tables: one created or ended, and `alert silences`.

use super::table::new;
use super::{Render, Style};
use crate::alerts::silence::{Silence, SilenceList, matchers_text};
use crate::text::printable;

impl Render for Silence {
    /// Its id first, for `alert unsilence`; then what it matches, until when, and why.
    fn table(&self, _style: &Style) -> String {
        let ended = self
            .ended_by
            .as_deref()
            .map(|by| format!(" (ended by {by})"))
            .unwrap_or_default();
        printable(&format!(
            "{}\nsilence {} {{{}}} {} from {} until {}{ended}, by {}: {}",
            self.id,
            self.id,
            matchers_text(&self.matchers),
            self.state,
            self.starts_at,
            self.ends_at,
            self.created_by,
            self.reason
        ))
        .into_owned()
    }
}

impl Render for SilenceList {
    fn table(&self, style: &Style) -> String {
        let which = if self.all { "stored" } else { "current" };
        if self.silences.is_empty() {
            return format!("no {which} silences");
        }
        let mut table = new(
            style,
            &["ID", "MATCHES", "STATE", "STARTS", "ENDS", "BY", "REASON"],
        );
        for s in &self.silences {
            let by = match &s.ended_by {
                Some(ended) => format!("{} (ended by {ended})", s.created_by),
                None => s.created_by.clone(),
            };
            table.add_row(
                [
                    s.id.clone(),
                    matchers_text(&s.matchers),
                    s.state.to_string(),
                    s.starts_at.to_string(),
                    s.ends_at.to_string(),
                    by,
                    s.reason.clone(),
                ]
                .map(|cell| printable(&cell).into_owned()),
            );
        }
        let count = self.silences.len();
        let noun = if count == 1 { "silence" } else { "silences" };
        format!("{table}\n{count} {which} {noun}")
    }
}
