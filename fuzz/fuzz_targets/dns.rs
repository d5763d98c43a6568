//! A DNS server's answer, as `kind = "dns"` checks read it (the first byte
//! picks the record type asked, the rest is the packet). Properties: an
//! answer is read, refused with its response code, or turned down with a
//! reason, never a panic; no more records than the header counts; each
//! record is of its type (addresses parse as addresses, names end with a
//! dot, MX starts with its preference); an answer to another question or a
//! question is never read; a name read asks a question that is not an
//! answer.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{Answer, Record, dns_answer, dns_query};

const RECORDS: [Record; 5] = [
    Record::A,
    Record::Aaaa,
    Record::Cname,
    Record::Mx,
    Record::Txt,
];

fn is_name(text: &str) -> bool {
    text.ends_with('.')
}

fuzz_target!(|data: &[u8]| {
    let Some((pick, packet)) = data.split_first() else {
        return;
    };
    let record = RECORDS[usize::from(*pick) % RECORDS.len()];
    let Some(header) = packet.get(..12) else {
        assert!(dns_answer(packet, 0, record).is_err());
        return;
    };
    let id = u16::from_be_bytes([header[0], header[1]]);
    assert!(dns_answer(packet, id.wrapping_add(1), record).is_err());
    match dns_answer(packet, id, record) {
        Ok(Answer::Records(records)) => {
            assert_ne!(header[2] & 0x80, 0, "a question read as an answer");
            assert_eq!(header[3] & 0x0f, 0);
            assert!(records.len() <= usize::from(u16::from_be_bytes([header[6], header[7]])));
            for r in &records {
                match record {
                    Record::A => assert!(r.parse::<Ipv4Addr>().is_ok(), "{r}"),
                    Record::Aaaa => assert!(r.parse::<Ipv6Addr>().is_ok(), "{r}"),
                    Record::Cname => assert!(is_name(r), "{r}"),
                    Record::Mx => {
                        let (preference, name) = r.split_once(' ').unwrap_or_default();
                        assert!(preference.parse::<u16>().is_ok() && is_name(name), "{r}");
                    }
                    Record::Txt => {}
                }
                if matches!(record, Record::Cname | Record::Mx) {
                    let name = r.rsplit(' ').next().unwrap_or_default();
                    if let Ok(question) = dns_query(id, name, record) {
                        assert!(dns_answer(&question, id, record).is_err(), "{name}");
                    }
                }
            }
        }
        Ok(Answer::Refused(why)) => {
            let rcode = header[3] & 0x0f;
            assert_ne!(rcode, 0);
            assert!(why.ends_with(&format!("(rcode {rcode})")), "{why}");
        }
        Err(why) => assert!(!why.is_empty()),
    }
});
