//! `kind = "tcp"`: a TCP connection to `host:port`, optionally a few bytes
//! sent (`send`) and an answer waited for (`expect`), as `check_tcp` does.
//! The connect time is its measurement.

use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::perfdata::PerfItem;
use super::{CheckKind, Outcome, Probe};
use crate::config::Fields;
use crate::status::Status;
use crate::text::{self, one_line};

pub const KIND: CheckKind = CheckKind {
    name: "tcp",
    fields: &["host", "port", "send", "expect"],
    read: |fields, _, _| read(fields).map(|t| Box::new(t) as Box<dyn Probe>),
};

/// The most of an answer read while looking for `expect`.
const ANSWER_CAP: usize = 4096;

/// How much of an unexpected answer a message quotes.
const QUOTED: usize = 60;

struct Tcp {
    host: String,
    port: u16,
    send: Option<String>,
    expect: Option<String>,
}

fn read(f: &mut Fields<'_>) -> Option<Tcp> {
    let host = f.non_empty("host");
    let port = f.port("port");
    if !f.has("host") {
        f.missing("host", "the name or address to connect to");
    }
    if !f.has("port") {
        f.missing("port", "the TCP port, 1 to 65535");
    }
    let send = f.string("send");
    let expect = f.non_empty("expect");
    Some(Tcp {
        host: host?,
        port: port?,
        send,
        expect,
    })
}

impl Tcp {
    async fn probe(&self, deadline: Instant, limit: Duration) -> Outcome {
        let target = self.target();
        let started = Instant::now();
        let mut stream = match TcpStream::connect((self.host.as_str(), self.port)).await {
            Ok(stream) => stream,
            Err(e) => return Outcome::new(Status::Unhealthy, format!("{target}: {e}")),
        };
        let connected = started.elapsed();
        let time = PerfItem::new("time", Some(connected.as_secs_f64()), "s");
        let said = format!("{target}: connected in {}", text::duration(connected));
        let healthy = |message: String| {
            Outcome::new(Status::Healthy, message)
                .elapsed(connected)
                .perf(time.clone())
        };
        if let Some(send) = &self.send
            && let Err(e) = stream.write_all(send.as_bytes()).await
        {
            return Outcome::new(Status::Unhealthy, format!("{said}, but sending failed: {e}"))
                .elapsed(connected)
                .perf(time);
        }
        let Some(expect) = &self.expect else {
            return healthy(said);
        };
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        let why = loop {
            if contains(&answer, expect.as_bytes()) {
                return healthy(format!("{said}, answered {expect:?}"));
            }
            if answer.len() >= ANSWER_CAP {
                break "in its first 4 KiB".to_owned();
            }
            match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
                Err(_) => {
                    break format!("within {}", text::duration(limit));
                }
                Ok(Ok(0)) => break "before it closed the connection".to_owned(),
                Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
                Ok(Err(e)) => break format!("(reading failed: {e})"),
            }
        };
        let got = one_line(&String::from_utf8_lossy(&answer), QUOTED);
        Outcome::new(
            Status::Unhealthy,
            format!("{said}, but {expect:?} did not come {why}; got {got:?}"),
        )
        .elapsed(connected)
        .perf(time)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

impl Probe for Tcp {
    fn target(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn run(&self, deadline: Instant, limit: Duration) -> BoxFuture<'_, Outcome> {
        Box::pin(self.probe(deadline, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_expected_answer_anywhere() {
        assert!(contains(b"+OK POP3 ready\r\n", b"+OK"));
        assert!(contains(b"220 smtp ESMTP", b"ESMTP"));
        assert!(!contains(b"220 smtp", b"ESMTP"));
        assert!(contains(b"", b""));
    }
}
