//! Status badges (`/badge/{name}.svg`) for READMEs and wikis: a label and
//! the status in words, built by a pure function, every text escaped.

use maud::html;

use crate::status::Status;

/// The colour of a badge's right half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tint {
    Status(Status),
    /// Nothing to say (an unknown check).
    Grey,
}

fn fill(tint: Tint) -> &'static str {
    match tint {
        Tint::Status(Status::Healthy) => "#1a7f37",
        Tint::Status(Status::Degraded) => "#9a6700",
        Tint::Status(Status::Unhealthy) => "#cf222e",
        Tint::Status(Status::Unknown) => "#8250df",
        Tint::Status(Status::Unconfigured) | Tint::Grey => "#6e7781",
    }
}

/// About how wide `text` is in 11 px Verdana: wide enough for badges to
/// hold their words without measuring fonts.
fn width(text: &str) -> usize {
    text.chars().count() * 7 + 12
}

/// A two-part badge: `label` on grey, `value` on its tint.
pub fn svg(label: &str, value: &str, tint: Tint) -> String {
    let (left, right) = (width(label), width(value));
    let total = left + right;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(total) height="20" role="img"
            aria-label=(format!("{label}: {value}")) {
            title { (label) ": " (value) }
            rect width=(left) height="20" fill="#555" {}
            rect x=(left) width=(right) height="20" fill=(fill(tint)) {}
            g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" {
                text x=(left / 2) y="14" { (label) }
                text x=(left + right / 2) y="14" { (value) }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badge_says_label_and_status() {
        let badge = svg("cache", "healthy", Tint::Status(Status::Healthy));
        assert!(badge.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="108""#));
        assert!(badge.contains("<title>cache: healthy</title>"));
        assert!(badge.contains(r##"fill="#1a7f37""##));
    }

    #[test]
    fn text_is_escaped() {
        let badge = svg(r#"<a href="x">"#, "</svg><script>", Tint::Grey);
        assert!(
            !badge.contains("<script>") && !badge.contains("<a "),
            "{badge}"
        );
        assert!(badge.contains("&lt;/svg&gt;&lt;script&gt;"));
    }
}
