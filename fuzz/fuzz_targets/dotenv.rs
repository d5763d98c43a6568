//! The `.env` file, read as `vitals` reads it before anything else.
//! Properties: an error gives a line and column inside the file and never
//! quotes it (a line may hold a secret), on one line; a warning names a
//! line of the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::env_file;

const SECRET: &str = "pw§fuzz§secret";

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(body) = std::str::from_utf8(rest) else {
        return;
    };
    // Now and then a secret on the first line, quoted or not, then the
    // fuzzer's text: the secret is never quoted, whatever follows it.
    let text = match pick % 3 {
        0 => body.to_owned(),
        1 => format!("SMTP_PASSWORD='{SECRET}\n{body}"),
        _ => format!("SMTP_PASSWORD={SECRET}\n{body}"),
    };
    let lines = text.lines().count().max(1);
    let (names, warnings) = env_file(&text);
    match names {
        Ok(names) => assert!(names.iter().all(|n| !n.is_empty()), "{names:?}"),
        Err(message) => {
            assert!(!message.contains(SECRET), "{message}");
            assert!(message.starts_with("cannot "), "{message}");
            assert!(!message.contains('\n'), "{message:?}");
            if let Some(at) = message.find("line ") {
                let line: String = message[at + 5..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                let line: usize = line.parse().unwrap_or(0);
                assert!(line >= 1 && line <= lines + 1, "{message} ({lines} lines)");
            }
        }
    }
    for w in &warnings {
        assert!(w.starts_with(".env:"), "{w}");
        assert!(!w.contains(SECRET), "{w}");
    }
});
