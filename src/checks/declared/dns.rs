//! `kind = "dns"`: one DNS question for `query` (`record` = `A`, `AAAA`,
//! `CNAME`, `MX` or `TXT`) over UDP to `server` (`"127.0.0.1:5353"`), or to the first nameserver of
//! /etc/resolv.conf, optionally with the answers it must include
//! (`expect`). The resolution time is its measurement; a resolver that never
//! answers costs the check's timeout, no more.
//!
//! The question and the answer are built and read here (RFC 1035): five
//! record types do not justify a resolver library.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::perfdata::PerfItem;
use super::{CheckKind, Outcome, Probe};
use crate::config::Fields;
use crate::status::Status;
use crate::text;

pub const KIND: CheckKind = CheckKind {
    name: "dns",
    fields: &["query", "record", "server", "expect"],
    read: |fields, _, _| read(fields).map(|d| Box::new(d) as Box<dyn Probe>),
};

/// Where the system's resolvers are listed.
const RESOLV_CONF: &str = "/etc/resolv.conf";

/// Asked again this often while no answer comes (UDP may lose either datagram).
const RESEND: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    A,
    Aaaa,
    Cname,
    Mx,
    Txt,
}

impl Record {
    fn code(self) -> u16 {
        match self {
            Record::A => 1,
            Record::Cname => 5,
            Record::Mx => 15,
            Record::Txt => 16,
            Record::Aaaa => 28,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Record::A => "A",
            Record::Aaaa => "AAAA",
            Record::Cname => "CNAME",
            Record::Mx => "MX",
            Record::Txt => "TXT",
        }
    }

    fn parse(text: &str) -> Option<Record> {
        [Record::A, Record::Aaaa, Record::Cname, Record::Mx, Record::Txt]
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(text))
    }
}

struct Dns {
    name: String,
    record: Record,
    /// `None`: the system's resolver, looked up when the check runs.
    server: Option<SocketAddr>,
    expect: Vec<String>,
}

fn read(f: &mut Fields<'_>) -> Option<Dns> {
    if !f.has("query") {
        f.missing("query", "the DNS name to resolve");
    }
    let name = f.non_empty("query");
    let record = match f.string("record") {
        None => Some(Record::A),
        Some(text) => {
            let record = Record::parse(&text);
            if record.is_none() {
                f.error(
                    "record",
                    format!("expected A, AAAA, CNAME, MX or TXT, got {text:?}"),
                );
            }
            record
        }
    };
    let server = match f.string("server") {
        None => None,
        Some(text) => match parse_server(&text) {
            Some(addr) => Some(addr),
            None => {
                f.error(
                    "server",
                    format!("expected an address and port such as \"127.0.0.1:53\", got {text:?}"),
                );
                return None;
            }
        },
    };
    let expect = f.strings("expect").unwrap_or_default();
    Some(Dns {
        name: name?,
        record: record?,
        server,
        expect,
    })
}

/// `1.2.3.4:53`, `[::1]:53`, or an address alone (port 53).
fn parse_server(text: &str) -> Option<SocketAddr> {
    text.parse::<SocketAddr>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53)))
}

/// The first `nameserver` of resolv.conf.
fn system_resolver() -> Result<SocketAddr, String> {
    let conf = std::fs::read_to_string(RESOLV_CONF)
        .map_err(|e| format!("cannot read {RESOLV_CONF}: {e}"))?;
    conf.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|rest| rest.trim().split('%').next()?.parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .next()
        .ok_or_else(|| format!("{RESOLV_CONF} lists no nameserver: set server = \"ADDRESS:PORT\""))
}

/// A question for `name`'s `record`s, recursion desired.
pub fn query(id: u16, name: &str, record: Record) -> Result<Vec<u8>, String> {
    let mut packet = Vec::with_capacity(32 + name.len());
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    let name = name.trim_end_matches('.');
    if name.len() > 253 {
        return Err("the name is longer than 253 characters".to_owned());
    }
    for label in name.split('.') {
        let len = u8::try_from(label.len())
            .ok()
            .filter(|l| (1..=63).contains(l))
            .ok_or_else(|| format!("{label:?} is not a DNS label (1 to 63 characters)"))?;
        packet.push(len);
        packet.extend_from_slice(label.as_bytes());
    }
    packet.push(0);
    packet.extend_from_slice(&record.code().to_be_bytes());
    packet.extend_from_slice(&1u16.to_be_bytes());
    Ok(packet)
}

/// What an answer said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The records of the type asked, as text (`1.2.3.4`, `10 mail.example.`).
    Records(Vec<String>),
    /// NXDOMAIN, SERVFAIL, REFUSED…: the response code, in words.
    Refused(String),
}

/// Reads the response to question `id` asking for `record`.
pub fn answer(packet: &[u8], id: u16, record: Record) -> Result<Answer, String> {
    let header = packet.get(..12).ok_or("the answer is shorter than a DNS header")?;
    if u16::from_be_bytes([header[0], header[1]]) != id {
        return Err("the answer is to another question (its id differs)".to_owned());
    }
    if header[2] & 0x80 == 0 {
        return Err("the packet is a question, not an answer".to_owned());
    }
    if header[2] & 0x02 != 0 {
        return Err("the answer was truncated (too large for UDP)".to_owned());
    }
    let rcode = header[3] & 0x0f;
    if rcode != 0 {
        let words = match rcode {
            1 => "FORMERR: the server could not read the question",
            2 => "SERVFAIL: the server failed to answer",
            3 => "NXDOMAIN: no such name",
            4 => "NOTIMP: the server does not do this",
            5 => "REFUSED: the server refused to answer",
            _ => "an error response",
        };
        return Ok(Answer::Refused(format!("{words} (rcode {rcode})")));
    }
    let questions = u16::from_be_bytes([header[4], header[5]]);
    let answers = u16::from_be_bytes([header[6], header[7]]);
    let mut at = 12;
    for _ in 0..questions {
        at = skip_name(packet, at)?.checked_add(4).ok_or("malformed question")?;
    }
    let mut records = Vec::new();
    for _ in 0..answers {
        at = skip_name(packet, at)?;
        let fixed = packet.get(at..at + 10).ok_or("an answer record is cut short")?;
        let kind = u16::from_be_bytes([fixed[0], fixed[1]]);
        let len = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let start = at + 10;
        let data = packet.get(start..start + len).ok_or("an answer record is cut short")?;
        at = start + len;
        if kind != record.code() {
            // The CNAME chain leading to an A record, say.
            continue;
        }
        let text = match record {
            Record::A => {
                let octets: [u8; 4] = data.try_into().map_err(|_| "an A record is not 4 bytes")?;
                Ipv4Addr::from(octets).to_string()
            }
            Record::Aaaa => {
                let octets: [u8; 16] =
                    data.try_into().map_err(|_| "an AAAA record is not 16 bytes")?;
                Ipv6Addr::from(octets).to_string()
            }
            Record::Cname => read_name(packet, start)?,
            Record::Mx => {
                let preference = data.get(..2).ok_or("an MX record is cut short")?;
                let preference = u16::from_be_bytes([preference[0], preference[1]]);
                format!("{preference} {}", read_name(packet, start + 2)?)
            }
            Record::Txt => {
                let mut text = Vec::new();
                let mut i = 0;
                while i < data.len() {
                    let n = usize::from(data[i]);
                    text.extend_from_slice(data.get(i + 1..i + 1 + n).ok_or("a TXT record is cut short")?);
                    i += 1 + n;
                }
                String::from_utf8_lossy(&text).into_owned()
            }
        };
        records.push(text);
    }
    Ok(Answer::Records(records))
}

/// Where the name at `at` ends (a pointer ends it).
fn skip_name(packet: &[u8], mut at: usize) -> Result<usize, String> {
    loop {
        let len = *packet.get(at).ok_or("a name runs past the end")?;
        match len {
            0 => return Ok(at + 1),
            l if l & 0xc0 == 0xc0 => return Ok(at + 2),
            l => at += 1 + usize::from(l),
        }
    }
}

/// The name at `at`, following compression pointers (a bounded number of them).
fn read_name(packet: &[u8], mut at: usize) -> Result<String, String> {
    let mut labels: Vec<String> = Vec::new();
    for _ in 0..128 {
        let len = *packet.get(at).ok_or("a name runs past the end")?;
        if len == 0 {
            return Ok(format!("{}.", labels.join(".")));
        }
        if len & 0xc0 == 0xc0 {
            let low = *packet.get(at + 1).ok_or("a name pointer is cut short")?;
            at = (usize::from(len & 0x3f) << 8) | usize::from(low);
            continue;
        }
        let label = packet
            .get(at + 1..at + 1 + usize::from(len))
            .ok_or("a label runs past the end")?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        at += 1 + usize::from(len);
    }
    Err("a name points in circles".to_owned())
}

impl Dns {
    async fn resolve(&self, deadline: Instant, limit: Duration) -> Outcome {
        let target = self.target();
        let failed = |status: Status, why: String| Outcome::new(status, format!("{target}: {why}"));
        let server = match self.server.map_or_else(system_resolver, Ok) {
            Ok(server) => server,
            Err(e) => return failed(Status::Unknown, e),
        };
        let id = question_id();
        let question = match query(id, &self.name, self.record) {
            Ok(q) => q,
            Err(e) => return failed(Status::Unhealthy, e),
        };
        let local: SocketAddr = if server.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = match UdpSocket::bind(local).await {
            Ok(s) => s,
            Err(e) => return failed(Status::Unknown, format!("cannot open a UDP socket: {e}")),
        };
        if let Err(e) = socket.connect(server).await {
            return failed(Status::Unhealthy, format!("{server}: {e}"));
        }
        let started = Instant::now();
        let mut buf = vec![0u8; 4096];
        let received = loop {
            if let Err(e) = socket.send(&question).await {
                return failed(Status::Unhealthy, format!("{server}: {e}"));
            }
            let resend_at = (Instant::now() + RESEND).min(deadline);
            match tokio::time::timeout_at(resend_at, socket.recv(&mut buf)).await {
                Ok(Ok(n)) => break &buf[..n],
                Ok(Err(e)) => return failed(Status::Unhealthy, format!("{server}: {e}")),
                Err(_) if Instant::now() >= deadline => {
                    return failed(
                        Status::Unhealthy,
                        format!("{server} did not answer within {}", text::duration(limit)),
                    );
                }
                Err(_) => continue,
            }
        };
        let elapsed = started.elapsed();
        let time = PerfItem::new("time", Some(elapsed.as_secs_f64()), "s");
        let outcome = |status: Status, message: String| {
            Outcome::new(status, format!("{target}: {message}"))
                .elapsed(elapsed)
                .perf(time.clone())
        };
        let records = match answer(received, id, self.record) {
            Ok(Answer::Records(records)) => records,
            Ok(Answer::Refused(why)) => return outcome(Status::Unhealthy, why),
            Err(e) => return outcome(Status::Unhealthy, format!("{server} answered badly: {e}")),
        };
        let shown = records.join(", ");
        if records.is_empty() {
            return outcome(Status::Unhealthy, format!("no {} record", self.record.name()))
                .detail("answers", records);
        }
        let missing: Vec<&str> = self
            .expect
            .iter()
            .filter(|e| !records.iter().any(|r| same(r, e)))
            .map(String::as_str)
            .collect();
        let result = if missing.is_empty() {
            outcome(Status::Healthy, format!("{} {shown}", self.record.name()))
        } else {
            outcome(
                Status::Unhealthy,
                format!(
                    "{} {shown}, without the expected {}",
                    self.record.name(),
                    missing.join(", ")
                ),
            )
        };
        result.detail("answers", records)
    }
}

/// Whether an answer is the one expected: names compare without case and
/// without the final dot, addresses as addresses.
fn same(answer: &str, expected: &str) -> bool {
    if let (Ok(a), Ok(b)) = (answer.parse::<IpAddr>(), expected.parse::<IpAddr>()) {
        return a == b;
    }
    answer.trim_end_matches('.').eq_ignore_ascii_case(expected.trim_end_matches('.'))
}

/// A question id nobody can guess from outside (answers are matched to it):
/// the standard library's per-process random hash keys.
fn question_id() -> u16 {
    use std::hash::{BuildHasher as _, Hasher as _};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish() as u16
}

impl Probe for Dns {
    fn target(&self) -> String {
        let server = match self.server {
            Some(addr) => format!(" @{addr}"),
            None => String::new(),
        };
        format!("{} {}{server}", self.name, self.record.name())
    }

    fn run(&self, deadline: Instant, limit: Duration) -> BoxFuture<'_, Outcome> {
        Box::pin(self.resolve(deadline, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response to `question` with `answers` (type, data), the name compressed.
    fn response(question: &[u8], rcode: u8, answers: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut packet = question.to_vec();
        packet[2] = 0x81;
        packet[3] = 0x80 | rcode;
        packet[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
        for (kind, data) in answers {
            packet.extend_from_slice(&[0xc0, 12]);
            packet.extend_from_slice(&kind.to_be_bytes());
            packet.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            packet.extend_from_slice(&(data.len() as u16).to_be_bytes());
            packet.extend_from_slice(data);
        }
        packet
    }

    #[test]
    fn questions_are_rfc_1035() {
        assert_eq!(
            query(0x1234, "www.example.", Record::Mx).unwrap(),
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x00\x00\x0f\x00\x01"
        );
        assert!(query(1, "a..b", Record::A).is_err());
        assert!(query(1, &"a".repeat(64), Record::A).is_err());
    }

    #[test]
    fn answers_of_each_type_are_read() {
        let q = query(7, "example.test", Record::A).unwrap();
        // A CNAME first (skipped), then two A records.
        let cname = b"\x05alias\xc0\x0c".to_vec();
        let r = response(&q, 0, &[(5, cname.clone()), (1, vec![10, 0, 0, 1]), (1, vec![10, 0, 0, 2])]);
        assert_eq!(
            answer(&r, 7, Record::A),
            Ok(Answer::Records(vec!["10.0.0.1".into(), "10.0.0.2".into()]))
        );
        assert_eq!(
            answer(&r, 7, Record::Cname),
            Ok(Answer::Records(vec!["alias.example.test.".into()]))
        );
        let mut six = vec![0u8; 16];
        six[0] = 0xfd;
        six[15] = 1;
        let r = response(&q, 0, &[(28, six)]);
        assert_eq!(answer(&r, 7, Record::Aaaa), Ok(Answer::Records(vec!["fd00::1".into()])));
        let r = response(&q, 0, &[(15, b"\x00\x0a\x04mail\xc0\x0c".to_vec())]);
        assert_eq!(
            answer(&r, 7, Record::Mx),
            Ok(Answer::Records(vec!["10 mail.example.test.".into()]))
        );
        let r = response(&q, 0, &[(16, b"\x05v=spf\x07 1 -all".to_vec())]);
        assert_eq!(answer(&r, 7, Record::Txt), Ok(Answer::Records(vec!["v=spf 1 -all".into()])));
        let r = response(&q, 3, &[]);
        assert_eq!(
            answer(&r, 7, Record::A),
            Ok(Answer::Refused("NXDOMAIN: no such name (rcode 3)".into()))
        );
    }

    #[test]
    fn malformed_answers_are_errors_not_panics() {
        let q = query(7, "example.test", Record::A).unwrap();
        let good = response(&q, 0, &[(1, vec![10, 0, 0, 1])]);
        assert_eq!(answer(&good, 8, Record::A), Err("the answer is to another question (its id differs)".into()));
        assert_eq!(answer(&q, 7, Record::A), Err("the packet is a question, not an answer".into()));
        for cut in 0..good.len() {
            let _ = answer(&good[..cut], 7, Record::A);
        }
        assert_eq!(answer(&good[..good.len() - 1], 7, Record::A), Err("an answer record is cut short".into()));
        let looping = response(&q, 0, &[(5, b"\xc0\x2a".to_vec())]);
        let mut looping = looping;
        let at = looping.len() - 2;
        looping[at + 1] = at as u8;
        assert_eq!(answer(&looping, 7, Record::Cname), Err("a name points in circles".into()));
    }

    #[test]
    fn expected_answers_compare_as_people_write_them() {
        assert!(same("mail.example.test.", "MAIL.example.test"));
        assert!(same("fd00::1", "fd00:0:0::1"));
        assert!(!same("10.0.0.1", "10.0.0.2"));
        assert_eq!(parse_server("127.0.0.1:5353"), Some("127.0.0.1:5353".parse().unwrap()));
        assert_eq!(parse_server("::1"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(parse_server("resolver"), None);
    }
}
