//! The documentation: every relative link resolves, headings' anchors
//! included, and the README keeps its two commands at the top.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A Markdown page of the repository and its text.
pub struct Page {
    pub path: PathBuf,
    pub text: String,
}

impl Page {
    /// The path relative to the repository, for messages.
    pub fn name(&self) -> String {
        self.path
            .strip_prefix(root())
            .unwrap_or(&self.path)
            .display()
            .to_string()
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The pages a reader browses: the `*.md` files at the top (README.md,
/// CONTRIBUTING.md) and under `docs/`, in a stable order.
pub fn pages() -> Vec<Page> {
    let mut paths = Vec::new();
    for dir in [root().to_path_buf(), root().join("docs")] {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Page { path, text }
        })
        .collect()
}

/// The text outside fenced code blocks, line by line (fences blanked).
fn prose(text: &str) -> String {
    let mut fenced = false;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// `text` without its inline code spans (a run of backticks up to the next
/// run of the same length), which may show link syntax without being links.
fn without_code_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].len() - rest[start..].trim_start_matches('`').len();
        let fence = &rest[start..start + ticks];
        let after = &rest[start + ticks..];
        rest = match after.find(fence) {
            Some(end) => &after[end + ticks..],
            None => after,
        };
    }
    out.push_str(rest);
    out
}

/// The anchors GitHub gives a page's headings: lower case, punctuation
/// dropped, spaces as hyphens, `-1`, `-2`… for repeats.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for line in prose(text).lines() {
        let hashes = line.len() - line.trim_start_matches('#').len();
        let Some(heading) = line[hashes..].strip_prefix(' ') else {
            continue;
        };
        if !(1..=6).contains(&hashes) {
            continue;
        }
        let slug: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let mut candidate = slug.clone();
        let mut n = 0;
        while seen.contains(&candidate) {
            n += 1;
            candidate = format!("{slug}-{n}");
        }
        seen.insert(candidate);
    }
    seen
}

/// The targets of `[text](target)` and `![alt](target)` links in a page.
fn link_targets(text: &str) -> Vec<String> {
    let text = without_code_spans(&prose(text));
    let mut targets = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let Some(end) = rest.find(')') else { break };
        // A title (`(path "title")`) is not part of the target.
        let target = rest[..end].split_whitespace().next().unwrap_or("");
        targets.push(target.trim_matches(['<', '>']).to_owned());
        rest = &rest[end..];
    }
    targets
}

#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        for target in link_targets(&page.text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let file = if path.is_empty() {
                page.path.clone()
            } else {
                page.path.parent().expect("a page's directory").join(path)
            };
            if !file.exists() {
                broken.push(format!("{}: {target}: no such file", page.name()));
                continue;
            }
            if fragment.is_empty() || file.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("linked page");
            if !anchors(&text).contains(fragment) {
                broken.push(format!("{}: {target}: no heading #{fragment}", page.name()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken links:\n  {}",
        broken.join("\n  ")
    );
    assert!(checked >= 20, "only {checked} relative links found");
}

/// A newcomer finds how to run vitals and its tests in the README's first
/// block, and CI runs that same test command.
#[test]
fn readme_opens_with_the_two_commands() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let first_block = readme
        .split("```")
        .nth(1)
        .expect("a code block in the README");
    let commands: Vec<&str> = first_block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && *l != "sh")
        .collect();
    assert_eq!(
        commands,
        ["cargo run --release -- check all", "./scripts/test.sh"]
    );
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    assert!(
        ci.lines().any(|l| l.trim() == "exec ./scripts/test.sh"),
        ".ci/run does not run ./scripts/test.sh:\n{ci}"
    );
}

#[test]
fn anchors_follow_github() {
    let page = "# vitals\n## `check db` — PostgreSQL\n## `check --alert`: alerting from cron\n\
                ```\n# not a heading\n```\n## JSON\n### JSON\n#### Your own endpoints: `vitals.toml`\n";
    assert_eq!(
        anchors(page).into_iter().collect::<Vec<_>>(),
        [
            "check---alert-alerting-from-cron",
            "check-db--postgresql",
            "json",
            "json-1",
            "vitals",
            "your-own-endpoints-vitalstoml",
        ]
    );
}

#[test]
fn links_in_code_are_not_links() {
    let page = "See [the store](ALERTS.md#the-alert-store) and `[x](nowhere)`.\n\
                ```\n[y](nowhere)\n```\n![logo](img.png \"Logo\")\n";
    assert_eq!(link_targets(page), ["ALERTS.md#the-alert-store", "img.png"]);
}
