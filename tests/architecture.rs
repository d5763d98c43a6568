//! The rules of docs/ARCHITECTURE.md, checked on the `crate::…` paths of
//! `src/`. A broken rule fails with the file, the line and the rule.
//!
//! Paths are read from the source text with strings and comments blanked
//! out: `use crate::…` (groups included), `super::…` resolved to the module
//! it names, and inline `crate::…` paths. Test code inside `src/`
//! (`#[cfg(test)]` modules and the files they declare) may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One reference from a file to a module of the crate.
#[derive(Debug, Clone)]
struct Reference {
    file: String,
    line: usize,
    /// The module path referred to, without `crate::` (`alerts::store::AlertStore`).
    path: Vec<String>,
}

/// A broken rule, as the failure message says it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation(String);

/// Every rule, over the files given as (path under the repository, text).
fn check(files: &[(String, String)]) -> Vec<Violation> {
    let test_files = test_only_files(files);
    let mut violations = Vec::new();
    let mut references = Vec::new();
    for (file, text) in files {
        if test_files.contains(file) {
            continue;
        }
        let code = production_code(&blank_strings_and_comments(text));
        let module = module_of(file);
        // Rule 1: clap's types stay in main.rs, cli.rs and commands/.
        let clap_allowed =
            file == "src/main.rs" || file == "src/cli.rs" || file.starts_with("src/commands/");
        for (line, text) in code.lines().enumerate() {
            if !clap_allowed && mentions(text, &["clap", "clap_complete", "clap_mangen"]) {
                violations.push(violation(
                    file,
                    line + 1,
                    1,
                    "only main.rs, cli.rs and commands/ know clap's types",
                    "uses clap",
                ));
            }
            // Rule 2: a check never prints.
            if file.starts_with("src/checks/")
                && [
                    "print!",
                    "println!",
                    "eprint!",
                    "eprintln!",
                    "dbg!",
                    "stdout()",
                    "stderr()",
                ]
                .iter()
                .any(|m| text.contains(m))
            {
                violations.push(violation(
                    file,
                    line + 1,
                    2,
                    "a check never prints, never alerts, never renders output",
                    "prints",
                ));
            }
            // Rule 8: the server never prints; what it says goes to the log.
            if file.starts_with("src/serve/")
                && [
                    "print!",
                    "println!",
                    "eprint!",
                    "eprintln!",
                    "dbg!",
                    "stdout()",
                    "stderr()",
                ]
                .iter()
                .any(|m| text.contains(m))
            {
                violations.push(violation(
                    file,
                    line + 1,
                    8,
                    "the server never prints and reads no settings",
                    "prints",
                ));
            }
            // Rule 6: the time of day comes from the clock, which tests move.
            if file != "src/clock.rs"
                && ["Utc::now(", "Local::now(", "SystemTime::now("]
                    .iter()
                    .any(|m| text.contains(m))
            {
                violations.push(violation(
                    file,
                    line + 1,
                    6,
                    "the time of day is read through clock::now()",
                    "reads the system clock",
                ));
            }
        }
        references.extend(references_in(file, &module, &code));
    }
    for r in &references {
        let target = r.path.first().map(String::as_str).unwrap_or_default();
        let shown = format!("uses crate::{}", r.path.join("::"));
        if target == "commands" && r.file != "src/main.rs" && !r.file.starts_with("src/commands/") {
            violations.push(violation(
                &r.file,
                r.line,
                1,
                "nothing but main.rs imports commands",
                &shown,
            ));
        }
        if r.file.starts_with("src/checks/")
            && ["alerts", "output", "commands", "cli"].contains(&target)
        {
            violations.push(violation(
                &r.file,
                r.line,
                2,
                "a check never prints, never alerts, never renders output",
                &shown,
            ));
        }
        let store = target == "store"
            || (target == "alerts"
                && r.path
                    .get(1)
                    .is_some_and(|m| m == "store" || m == "lifecycle"));
        if r.file.starts_with("src/alerts/channels/") && (target == "checks" || store) {
            violations.push(violation(
                &r.file,
                r.line,
                3,
                "a channel never touches checks or the store",
                &shown,
            ));
        }
        if r.file.starts_with("src/history/")
            && ["alerts", "output", "commands", "cli"].contains(&target)
        {
            violations.push(violation(
                &r.file,
                r.line,
                7,
                "the history never imports the alerts, the output, commands or cli",
                &shown,
            ));
        }
        let reads_settings = target == "settings"
            || (target == "config" && r.path.get(1).is_some_and(|m| m == "ProcessEnv"));
        if r.file.starts_with("src/serve/") && reads_settings {
            violations.push(violation(
                &r.file,
                r.line,
                8,
                "the server never prints and reads no settings",
                &shown,
            ));
        }
        if r.file.starts_with("src/config/")
            && [
                "checks", "alerts", "output", "commands", "store", "cli", "settings",
            ]
            .contains(&target)
        {
            violations.push(violation(
                &r.file,
                r.line,
                4,
                "config imports nothing above it (checks, alerts, output, commands, store, cli, settings)",
                &shown,
            ));
        }
    }
    violations.extend(cycles(&references));
    violations.sort();
    violations.dedup();
    violations
}

fn violation(file: &str, line: usize, rule: u8, what: &str, found: &str) -> Violation {
    Violation(format!("{file}:{line}: rule {rule} ({what}): {found}"))
}

/// Rule 5: the top-level modules form no import cycle.
fn cycles(references: &[Reference]) -> Vec<Violation> {
    // Edge (from, to) -> the first reference that makes it.
    let mut edges: BTreeMap<(String, String), &Reference> = BTreeMap::new();
    for r in references {
        let from = top_level(&r.file);
        let Some(to) = r.path.first() else { continue };
        if from != *to && from != "lib" && from != "main" {
            edges.entry((from, to.clone())).or_insert(r);
        }
    }
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        graph.entry(from).or_default().insert(to);
    }
    let mut found = Vec::new();
    let mut seen_cycles = BTreeSet::new();
    for start in graph.keys() {
        let mut path = vec![*start];
        walk(&graph, &mut path, &mut |cycle: &[&str]| {
            // One report per cycle, whichever module it is entered from.
            let mut key: Vec<String> = cycle[..cycle.len() - 1]
                .iter()
                .map(|m| (*m).to_owned())
                .collect();
            key.sort_unstable();
            if seen_cycles.insert(key) {
                let links: Vec<String> = cycle
                    .windows(2)
                    .map(|w| {
                        let r = edges[&(w[0].to_owned(), w[1].to_owned())];
                        format!("{} → {} ({}:{})", w[0], w[1], r.file, r.line)
                    })
                    .collect();
                found.push(Violation(format!(
                    "rule 5 (no import cycle between top-level modules): {}\n    {}",
                    cycle.join(" → "),
                    links.join("\n    ")
                )));
            }
        });
    }
    found
}

fn walk<'g>(
    graph: &BTreeMap<&'g str, BTreeSet<&'g str>>,
    path: &mut Vec<&'g str>,
    report: &mut dyn FnMut(&[&str]),
) {
    let Some(&last) = path.last() else { return };
    for &next in graph.get(last).into_iter().flatten() {
        if next == path[0] {
            path.push(next);
            report(path);
            path.pop();
        } else if !path.contains(&next) && next > path[0] {
            // Only cycles whose smallest module is the start: each found once.
            path.push(next);
            walk(graph, path, report);
            path.pop();
        }
    }
}

/// `src/alerts/channels/slack.rs` → `alerts`; `src/lib.rs` → `lib`.
fn top_level(file: &str) -> String {
    module_of(file)
        .first()
        .cloned()
        .unwrap_or_else(|| "lib".to_owned())
}

/// `src/alerts/channels/mod.rs` → `[alerts, channels]`; `src/main.rs` → `[main]`.
fn module_of(file: &str) -> Vec<String> {
    let rel = file.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// Files that only `#[cfg(test)] mod name;` declares (`config/fuzz.rs`).
fn test_only_files(files: &[(String, String)]) -> BTreeSet<String> {
    let mut tests = BTreeSet::new();
    for (file, text) in files {
        let dir = match Path::new(file).file_name().and_then(|n| n.to_str()) {
            Some("mod.rs" | "lib.rs") => Path::new(file).parent().map(Path::to_path_buf),
            _ => Some(Path::new(file).with_extension("")),
        };
        let Some(dir) = dir else { continue };
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for pair in lines.windows(2) {
            if pair[0] == "#[cfg(test)]"
                && let Some(name) = pair[1]
                    .strip_prefix("mod ")
                    .and_then(|rest| rest.strip_suffix(';'))
            {
                tests.insert(dir.join(format!("{name}.rs")).display().to_string());
            }
        }
    }
    tests
}

/// The code without its `#[cfg(test)]` items (blanked, lines kept).
fn production_code(code: &str) -> String {
    let mut out = code.to_owned();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]") {
        let start = from + at;
        // The item ends at its `;` or at the brace closing its first `{`.
        let rest = &out[start..];
        let end = match (rest.find('{'), rest.find(';')) {
            (Some(open), semi) if semi.is_none_or(|s| open < s) => {
                let mut depth = 0;
                let mut end = rest.len();
                for (i, c) in rest[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (_, Some(semi)) => semi + 1,
            _ => rest.len(),
        };
        let blanked: String = out[start..start + end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(start..start + end, &blanked);
        from = start + blanked.len();
    }
    out
}

/// Strings, characters and comments become spaces; line breaks stay, so
/// line numbers do.
fn blank_strings_and_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                out.push(blank(chars[i]));
                i += 1;
            }
            out.push_str("  ");
            i += 2;
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && !ident_char(chars.get(i.wrapping_sub(1)))
        {
            // Raw string r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            let closing: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while j < chars.len() && !chars[j..].iter().collect::<String>().starts_with(&closing) {
                j += 1;
            }
            let end = (j + closing.len()).min(chars.len());
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            let end = (j + 1).min(chars.len());
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '\'' && is_char_literal(&chars, i) {
            let mut j = i + 1;
            if chars.get(j) == Some(&'\\') {
                j += 1;
            }
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            let end = (j + 1).min(chars.len());
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// `'x'` or `'\n'`, not a lifetime `'a`.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!(
        (chars.get(i + 1), chars.get(i + 2)),
        (Some('\\'), _) | (Some(_), Some('\''))
    )
}

/// Whether a line uses one of these crates by path (`clap::…`, `use clap;`).
fn mentions(line: &str, crates: &[&str]) -> bool {
    crates.iter().any(|name| {
        line.match_indices(name).any(|(at, _)| {
            let before = line[..at].chars().next_back();
            let after = &line[at + name.len()..];
            !ident_char(before.as_ref())
                && before != Some(':')
                && (after.starts_with("::")
                    || after.trim_start().starts_with(';')
                    || after.starts_with(" as "))
        })
    })
}

/// Every path into the crate that `code` (of module `module`) uses.
fn references_in(file: &str, module: &[String], code: &str) -> Vec<Reference> {
    let mut found = Vec::new();
    let crate_name = if file == "src/main.rs" {
        "vitals"
    } else {
        "crate"
    };
    // `use` declarations, which may span lines and hold `{…}` groups.
    let mut rest = code;
    let mut offset = 0;
    while let Some(at) = find_word(rest, "use") {
        let start = offset + at;
        let Some(len) = code[start..].find(';') else {
            break;
        };
        let decl = &code[start + 3..start + len];
        let line = code[..start].matches('\n').count() + 1;
        for path in expand_use(decl.trim()) {
            if let Some(p) = resolve(&path, module, crate_name) {
                found.push(Reference {
                    file: file.to_owned(),
                    line,
                    path: p,
                });
            }
        }
        offset = start + len;
        rest = &code[offset..];
    }
    // Inline paths: `crate::a::b` and `super::a` outside `use` lines.
    for (n, line) in code.lines().enumerate() {
        if line.trim_start().starts_with("use ") || line.trim_start().starts_with("pub use ") {
            continue;
        }
        for root in [crate_name, "super"] {
            for (at, _) in line.match_indices(&format!("{root}::")) {
                if ident_char(line[..at].chars().next_back().as_ref()) || line[..at].ends_with("::")
                {
                    continue;
                }
                let path: Vec<String> = line[at..]
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .next()
                    .unwrap_or_default()
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                if let Some(p) = resolve(&path, module, crate_name) {
                    found.push(Reference {
                        file: file.to_owned(),
                        line: n + 1,
                        path: p,
                    });
                }
            }
        }
    }
    found
}

fn find_word(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        !ident_char(text[..at].chars().next_back().as_ref())
            && text[at + word.len()..].starts_with(char::is_whitespace)
    })
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand_use(decl: &str) -> Vec<Vec<String>> {
    let mut decl = decl.split_whitespace().collect::<Vec<_>>().join(" ");
    for token in ["{", "}", ",", "::"] {
        decl = decl
            .replace(&format!(" {token}"), token)
            .replace(&format!("{token} "), token);
    }
    let mut out = Vec::new();
    expand(&decl, &mut Vec::new(), &mut out);
    out
}

fn expand(text: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for item in split_top(text) {
        match item.find('{') {
            Some(open) => {
                let head: Vec<String> = item[..open]
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                let inner = item[open + 1..].trim_end_matches('}');
                let depth = prefix.len();
                prefix.extend(head);
                expand(inner, prefix, out);
                prefix.truncate(depth);
            }
            None => {
                let mut path = prefix.clone();
                let item = item.split(" as ").next().unwrap_or(item);
                path.extend(
                    item.split("::")
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                );
                out.push(path);
            }
        }
    }
}

/// Splits on commas outside braces.
fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// A path as the crate-absolute module path it names, or `None` outside the crate.
fn resolve(path: &[String], module: &[String], crate_name: &str) -> Option<Vec<String>> {
    let first = path.first()?;
    if first == crate_name {
        return Some(path[1..].to_vec()).filter(|p| !p.is_empty());
    }
    if first == "super" || first == "self" {
        let mut base = module.to_vec();
        let mut rest = path;
        while let Some(head) = rest.first() {
            match head.as_str() {
                "super" => {
                    base.pop()?;
                }
                "self" => {}
                _ => break,
            }
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        return Some(base).filter(|p| !p.is_empty());
    }
    None
}

/// Every `.rs` file under `src/`, as (path, text).
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let rel = path.strip_prefix(root).expect("under the repository");
                files.push((rel.display().to_string(), text));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_source_keeps_the_architecture_rules() {
    let files = sources();
    assert!(
        files.len() > 40,
        "only {} files found under src/",
        files.len()
    );
    let violations = check(&files);
    assert!(
        violations.is_empty(),
        "docs/ARCHITECTURE.md's rules are broken:\n{}",
        violations
            .iter()
            .map(|v| v.0.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The checker itself finds each kind of violation, planted in memory.
#[test]
fn the_checker_finds_planted_violations() {
    let file = |path: &str, text: &str| (path.to_owned(), text.to_owned());
    let found = check(&[
        file("src/lib.rs", "pub mod checks;\npub mod config;\n"),
        file(
            "src/checks/mod.rs",
            "//! A check.\n\nuse crate::config::Config;\nuse crate::{alerts::Alert, text};\n\nfn f() { println!(\"x\"); }\nfn t() { let _ = chrono::Utc::now(); }\n",
        ),
        file(
            "src/config/mod.rs",
            "use clap::Parser;\n\nfn g() { let _ = super::checks::registry; }\n\n#[cfg(test)]\nmod tests {\n    use crate::commands::run;\n}\n",
        ),
        file(
            "src/alerts/channels/slack.rs",
            "use super::super::store::AlertStore;\nuse crate::store::Store;\nconst URL: &str = \"crate::checks::x\";\n",
        ),
        file("src/output/mod.rs", "use crate::commands::run;\n"),
        file(
            "src/history/record.rs",
            "use crate::alerts::store::AlertStore;\n",
        ),
        file(
            "src/serve/mod.rs",
            "use crate::settings;\nuse crate::config::ProcessEnv;\n\nfn h() { eprintln!(\"x\"); }\n",
        ),
    ]);
    let texts: Vec<&str> = found.iter().map(|v| v.0.as_str()).collect();
    assert_eq!(
        texts,
        [
            "rule 5 (no import cycle between top-level modules): checks → config → checks\n    checks → config (src/checks/mod.rs:3)\n    config → checks (src/config/mod.rs:3)",
            "src/alerts/channels/slack.rs:1: rule 3 (a channel never touches checks or the store): uses crate::alerts::store::AlertStore",
            "src/alerts/channels/slack.rs:2: rule 3 (a channel never touches checks or the store): uses crate::store::Store",
            "src/checks/mod.rs:4: rule 2 (a check never prints, never alerts, never renders output): uses crate::alerts::Alert",
            "src/checks/mod.rs:6: rule 2 (a check never prints, never alerts, never renders output): prints",
            "src/checks/mod.rs:7: rule 6 (the time of day is read through clock::now()): reads the system clock",
            "src/config/mod.rs:1: rule 1 (only main.rs, cli.rs and commands/ know clap's types): uses clap",
            "src/config/mod.rs:3: rule 4 (config imports nothing above it (checks, alerts, output, commands, store, cli, settings)): uses crate::checks::registry",
            "src/history/record.rs:1: rule 7 (the history never imports the alerts, the output, commands or cli): uses crate::alerts::store::AlertStore",
            "src/output/mod.rs:1: rule 1 (nothing but main.rs imports commands): uses crate::commands::run",
            "src/serve/mod.rs:1: rule 8 (the server never prints and reads no settings): uses crate::settings",
            "src/serve/mod.rs:2: rule 8 (the server never prints and reads no settings): uses crate::config::ProcessEnv",
            "src/serve/mod.rs:4: rule 8 (the server never prints and reads no settings): prints",
        ]
    );
}
