//! The SMTP session byte streams: never panics, holds bounded memory whatever both sides send, and
//! in outbound mode nothing it passes upstream in the clear lets a lenient reader find an end of
//! data that is not a strict `CRLF.CRLF` (SMTP smuggling).
//!
//! Input: one byte for the mode (even: outbound, odd: inbound), then chunks, each a header byte
//! (top bit: from the server; low 7 bits: length) and that many bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tls_compliance::smtp::{FactsSource, Limits, Mode, Session};
use tls_compliance::Policy;

const POLICY: &str = include_str!("../../../src/example/policy.json");

fn policy() -> &'static Policy {
    static POLICY_CELL: OnceLock<Policy> = OnceLock::new();
    POLICY_CELL.get_or_init(|| Policy::from_text(POLICY).expect("the example policy compiles"))
}

/// Whether a lenient reader (lines end at CR, LF or CRLF) sees a line that is only `.` where a
/// strict one does not see `CRLF . CRLF`.
fn lenient_only_end(stream: &[u8]) -> Option<usize> {
    for (i, &b) in stream.iter().enumerate() {
        if b != b'.' {
            continue;
        }
        let before = if i == 0 { None } else { stream.get(i - 1).copied() };
        let after = stream.get(i + 1).copied();
        let lenient_start = matches!(before, None | Some(b'\r' | b'\n'));
        let lenient_end = matches!(after, Some(b'\r' | b'\n'));
        if !(lenient_start && lenient_end) {
            continue;
        }
        let strict_start = i == 0 || (i >= 2 && stream.get(i - 2..i) == Some(b"\r\n"));
        let strict_end = stream.get(i + 1..i + 3) == Some(b"\r\n") || stream.get(i + 1..) == Some(b"\r");
        if !(strict_start && strict_end) {
            return Some(i);
        }
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let mode = if first & 1 == 0 { Mode::Outbound } else { Mode::Inbound };
    let limits = Limits {
        max_recipients: 100,
        max_message_bytes: 64 * 1024,
        ..Limits::default()
    };
    let mut session = Session::new(mode, limits, FactsSource::Observed);
    let mut upstream = Vec::new();
    while let Some((&head, tail)) = rest.split_first() {
        let len = usize::from(head & 0x7f).min(tail.len());
        let (chunk, next) = tail.split_at(len);
        rest = next;
        if head & 0x80 == 0 {
            let clear = session.is_inspecting();
            let step = session.client_data(chunk, policy());
            if clear {
                upstream.extend_from_slice(&step.bytes);
            }
        } else {
            let _ = session.server_data(chunk);
        }
        assert!(session.held_bytes() < 256 * 1024, "held {}", session.held_bytes());
    }
    if mode == Mode::Outbound {
        if let Some(at) = lenient_only_end(&upstream) {
            panic!(
                "a lenient upstream would end the data at {at}: {:?}",
                String::from_utf8_lossy(&upstream)
            );
        }
    }
});
