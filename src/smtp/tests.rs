//! Session tests: both byte streams of whole SMTP conversations, driven by hand.

use super::tls::tests::server_hello;
use super::*;
use crate::{CertificateFacts, CertificateTrust, Fault, HostnameCheck, Policy, TlsFacts};

const POLICY: &str = r#"{ "version": 1,
  "addressLists": [ { "name": "Partners", "entries": ["partner.example", "*.gov.example"] } ],
  "members": { "alice@corp.example": "/Finance" },
  "orgUnits": [ { "path": "/", "settings": [
    { "name": "TLS with partners", "messages": ["inbound", "outbound"], "addressLists": ["Partners"],
      "requireCaSignedCertificate": true, "minTlsVersion": "1.2" } ] } ] }"#;

const REJECT_PLAINTEXT: &str = "550 5.7.10 TLS required by policy: the connection is not encrypted with TLS (starttls-not-supported)";

/// A decider that always fails as an internal fault would.
struct Faulty;

impl Decide for Faulty {
    fn decide(&self, _: &crate::Scenario) -> Result<crate::Decision, crate::EvalError> {
        Err(crate::EvalError::Fault(Fault::new("injected")))
    }
}

/// One connection: what each side received, and what the session reported.
struct Conn {
    session: Session,
    decide: Box<dyn Decide>,
    upstream: Vec<u8>,
    client: Vec<u8>,
    events: Vec<Event>,
    closed: bool,
    greeting: String,
}

impl Conn {
    fn new(mode: Mode) -> Self {
        Self::with(mode, Limits::default(), FactsSource::Observed)
    }

    fn with(mode: Mode, limits: Limits, facts: FactsSource) -> Self {
        let policy = Policy::from_text(POLICY).unwrap();
        let mut c = Self {
            session: Session::new(mode, limits, facts),
            decide: Box::new(policy),
            upstream: Vec::new(),
            client: Vec::new(),
            events: Vec::new(),
            closed: false,
            greeting: String::new(),
        };
        c.server(b"220 mx.corp.example ESMTP\r\n");
        c.greeting = c.client_got();
        c
    }

    fn client_sends(&mut self, bytes: &[u8]) -> &mut Self {
        let step = self.session.client_data(bytes, self.decide.as_ref());
        self.upstream.extend_from_slice(&step.bytes);
        self.events.extend(step.events);
        self.closed |= step.close;
        self
    }

    fn server(&mut self, bytes: &[u8]) -> &mut Self {
        let step = self.session.server_data(bytes);
        self.client.extend_from_slice(&step.bytes);
        self.events.extend(step.events);
        self.closed |= step.close;
        self
    }

    /// Takes what the upstream received since the last call.
    fn upstream_got(&mut self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut self.upstream)).into_owned()
    }

    /// Takes what the client received since the last call.
    fn client_got(&mut self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut self.client)).into_owned()
    }

    fn ehlo(&mut self, caps: &str) -> &mut Self {
        self.client_sends(b"EHLO client.example\r\n");
        self.server(caps.as_bytes());
        self.upstream_got();
        self.client_got();
        self
    }

    fn kinds(&self) -> Vec<&'static str> {
        self.events.iter().map(Event::kind).collect()
    }
}

const EHLO_PLAIN: &str = "250-mx.corp.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
const EHLO_CHUNKING: &str =
    "250-mx.corp.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n";

#[test]
fn outbound_pipelined_rcpts_refuse_a_listed_recipient_with_the_decision_reply_and_pass_the_others()
{
    let mut c = Conn::new(Mode::Outbound);
    assert_eq!(c.greeting, "220 mx.corp.example ESMTP\r\n");
    c.ehlo(EHLO_PLAIN);
    c.client_sends(
        b"MAIL FROM:<alice@corp.example>\r\nRCPT TO:<bob@partner.example>\r\nRCPT TO:<carol@other.example>\r\nDATA\r\n",
    );
    assert_eq!(
        c.upstream_got(),
        "MAIL FROM:<alice@corp.example>\r\nNOOP\r\nRCPT TO:<carol@other.example>\r\nDATA\r\n"
    );
    c.server(b"250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n");
    assert_eq!(
        c.client_got(),
        format!("250 2.1.0 Ok\r\n{REJECT_PLAINTEXT}\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
    );
    c.client_sends(b"Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
    assert_eq!(c.upstream_got(), "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
    c.server(b"250 2.0.0 queued\r\n221 bye\r\n");
    assert_eq!(c.client_got(), "250 2.0.0 queued\r\n221 bye\r\n");
    assert_eq!(c.kinds(), ["bounced", "delivered"]);
    assert_eq!(
        c.events[0].to_string(),
        format!("tls-compliance: bounce sender=<alice@corp.example> rcpt=<bob@partner.example> failures=starttls-not-supported reply=\"{REJECT_PLAINTEXT}\"")
    );
}

#[test]
fn outbound_null_sender_is_decided_in_the_root_unit() {
    let mut c = Conn::new(Mode::Outbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<>\r\nRCPT TO:<x@a.gov.example>\r\n");
    assert_eq!(c.upstream_got(), "MAIL FROM:<>\r\nNOOP\r\n");
    c.server(b"250 ok\r\n250 ok\r\n");
    assert!(c.client_got().ends_with(&format!("{REJECT_PLAINTEXT}\r\n")));
}

#[test]
fn outbound_rcpt_before_mail_and_unreadable_paths_never_reach_the_upstream() {
    let mut c = Conn::new(Mode::Outbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"RCPT TO:<bob@partner.example>\r\nMAIL FROM:<alice@corp.example\r\nMAIL FROM:<alice@corp.example>\r\nRCPT TO:<bob@[192.0.2.1]>\r\n");
    assert_eq!(
        c.upstream_got(),
        "NOOP\r\nNOOP\r\nMAIL FROM:<alice@corp.example>\r\nNOOP\r\n"
    );
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n");
    assert_eq!(
        c.client_got(),
        format!(
            "503 5.5.1 Error: need MAIL command\r\n{}\r\n250 ok\r\n{}\r\n",
            replies::BAD_MAIL_SYNTAX,
            replies::BAD_RECIPIENT
        )
    );
}

#[test]
fn inbound_plaintext_message_from_a_listed_sender_never_reaches_the_upstream() {
    let mut c = Conn::new(Mode::Inbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<n@tax.gov.example>\r\nRCPT TO:<alice@corp.example>\r\nDATA\r\n");
    assert_eq!(
        c.upstream_got(),
        "MAIL FROM:<n@tax.gov.example>\r\nRCPT TO:<alice@corp.example>\r\nNOOP\r\n"
    );
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
    assert_eq!(
        c.client_got(),
        format!("250 ok\r\n250 ok\r\n{}\r\n", replies::START_DATA)
    );
    c.client_sends(b"From: Tax <n@tax.gov.example>\r\nSubject: due\r\n\r\nPay.\r\n.\r\n");
    assert_eq!(c.upstream_got(), "RSET\r\n");
    c.server(b"250 2.0.0 Ok\r\n");
    assert_eq!(c.client_got(), format!("{REJECT_PLAINTEXT}\r\n"));
    assert_eq!(
        c.events.last().unwrap().to_string(),
        format!("tls-compliance: reject from=<n@tax.gov.example> rcpt=<alice@corp.example> failures=starttls-not-supported reply=\"{REJECT_PLAINTEXT}\"")
    );
}

#[test]
fn inbound_accepted_message_goes_upstream_unstuffed_as_bdat_when_chunking_is_offered() {
    let mut c = Conn::new(Mode::Inbound);
    c.client_sends(b"EHLO client.example\r\n");
    c.server(EHLO_CHUNKING.as_bytes());
    assert_eq!(
        c.client_got(),
        "250-mx.corp.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n"
    );
    c.upstream_got();
    c.client_sends(b"MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<alice@corp.example>\r\nDATA\r\n");
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
    c.upstream_got();
    c.client_got();
    let body = "From: a@elsewhere.example\r\n\r\n..dot\r\nline\r\n";
    c.client_sends(format!("{body}.\r\nQUIT\r\n").as_bytes());
    let sent = "From: a@elsewhere.example\r\n\r\n.dot\r\nline\r\n";
    assert_eq!(
        c.upstream_got(),
        format!("BDAT {} LAST\r\n{sent}QUIT\r\n", sent.len())
    );
    c.server(b"250 2.0.0 queued\r\n221 bye\r\n");
    assert_eq!(c.client_got(), "250 2.0.0 queued\r\n221 bye\r\n");
    assert_eq!(c.kinds(), ["accepted"]);
}

#[test]
fn inbound_accepted_message_goes_upstream_as_pipelined_data_with_ambiguous_dots_doubled() {
    let mut c = Conn::new(Mode::Inbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<alice@corp.example>\r\nDATA\r\n");
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
    c.upstream_got();
    c.client_got();
    c.client_sends(b"From: a@elsewhere.example\r\n\r\nx\n.\nMAIL FROM:<evil@x>\r\n.\r\n");
    assert_eq!(
        c.upstream_got(),
        "DATA\r\nFrom: a@elsewhere.example\r\n\r\nx\n..\nMAIL FROM:<evil@x>\r\n.\r\n"
    );
    c.server(b"354 go\r\n250 2.0.0 queued\r\n");
    assert_eq!(c.client_got(), "250 2.0.0 queued\r\n");
    assert_eq!(c.kinds(), ["neutralised", "accepted"]);
}

#[test]
fn inbound_upstream_refusing_the_pipelined_data_fails_the_session_and_closes_it() {
    let mut c = Conn::new(Mode::Inbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<alice@corp.example>\r\nDATA\r\n");
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
    c.client_sends(b"From: a@elsewhere.example\r\n\r\nx\r\n.\r\n");
    c.client_got();
    c.server(b"554 no\r\n500 what\r\n");
    assert_eq!(c.client_got(), "554 no\r\n");
    c.client_sends(b"QUIT\r\n");
    assert!(c.closed);
    assert_eq!(c.kinds(), ["accepted", "fault", "discarded", "closed"]);
}

#[test]
fn inbound_message_without_exactly_one_from_is_deferred_with_451() {
    for headers in [
        "Subject: x\r\n",
        "From: a@x.example\r\nFrom: b@y.example\r\n",
        "From: a@x.example, b@y.example\r\n",
    ] {
        let mut c = Conn::new(Mode::Inbound);
        c.ehlo(EHLO_PLAIN);
        c.client_sends(b"MAIL FROM:<a@x.example>\r\nRCPT TO:<alice@corp.example>\r\nDATA\r\n");
        c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
        c.upstream_got();
        c.client_got();
        c.client_sends(format!("{headers}\r\nbody\r\n.\r\n").as_bytes());
        assert_eq!(c.upstream_got(), "RSET\r\n");
        c.server(b"250 ok\r\n");
        assert_eq!(
            c.client_got(),
            format!("{}\r\n", replies::FROM_UNUSABLE),
            "{headers}"
        );
    }
}

#[test]
fn inbound_data_without_an_accepted_recipient_gets_554() {
    let mut c = Conn::new(Mode::Inbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<a@x.example>\r\nRCPT TO:<nobody@corp.example>\r\nDATA\r\n");
    c.server(b"250 ok\r\n550 5.1.1 unknown user\r\n250 ok\r\n");
    assert_eq!(
        c.client_got(),
        format!(
            "250 ok\r\n550 5.1.1 unknown user\r\n{}\r\n",
            replies::NO_RECIPIENTS
        )
    );
    c.client_sends(b"QUIT\r\n");
    assert_eq!(c.upstream_got().rsplit("\r\n").nth(1), Some("QUIT"));
}

#[test]
fn inbound_oversize_message_is_consumed_to_its_end_and_refused_with_552() {
    let limits = Limits {
        max_message_bytes: 64 * 1024,
        ..Limits::default()
    };
    let mut c = Conn::with(Mode::Inbound, limits, FactsSource::Observed);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<a@x.example>\r\nRCPT TO:<alice@corp.example>\r\nDATA\r\n");
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
    c.upstream_got();
    c.client_sends(b"From: a@x.example\r\n\r\n");
    let line = [b'x'; 998];
    for _ in 0..100 {
        c.client_sends(&line).client_sends(b"\r\n");
        assert!(c.session.held_bytes() < 70 * 1024);
    }
    c.client_sends(b".\r\n");
    assert_eq!(c.upstream_got(), "RSET\r\n");
    c.server(b"250 ok\r\n");
    assert!(c
        .client_got()
        .ends_with(&format!("{}\r\n", replies::TOO_BIG)));
}

#[test]
fn inbound_message_with_a_line_over_1000_octets_is_refused_with_554() {
    let mut c = Conn::new(Mode::Inbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<a@x.example>\r\nRCPT TO:<alice@corp.example>\r\nDATA\r\n");
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
    c.upstream_got();
    c.client_got();
    c.client_sends(format!("From: a@x.example\r\n\r\n{}\r\n.\r\n", "y".repeat(999)).as_bytes());
    assert_eq!(c.upstream_got(), "RSET\r\n");
    c.server(b"250 ok\r\n");
    assert_eq!(
        c.client_got(),
        format!("{}\r\n", replies::TEXT_LINE_TOO_LONG)
    );
}

#[test]
fn plaintext_pipelined_after_starttls_is_discarded_and_tls_passes_through() {
    let mut c = Conn::new(Mode::Outbound);
    c.ehlo("250-mx\r\n250 STARTTLS\r\n");
    c.client_sends(
        b"STARTTLS\r\nMAIL FROM:<alice@corp.example>\r\nRCPT TO:<bob@partner.example>\r\n",
    );
    assert_eq!(c.upstream_got(), "STARTTLS\r\n");
    c.server(b"220 2.0.0 Ready\r\n250 injected\r\n");
    assert_eq!(c.client_got(), "220 2.0.0 Ready\r\n");
    assert!(!c.session.is_inspecting());
    assert!(!c.session.is_transparent());
    c.client_sends(b"\x16\x03\x01client hello");
    assert_eq!(c.upstream_got(), "\x16\x03\x01client hello");
    let hello = server_hello(0x0303, Some(0x0304));
    c.server(&hello);
    assert_eq!(c.client.len(), hello.len());
    assert_eq!(c.kinds(), ["discarded", "discarded", "starttls"]);
    assert!(c.session.is_transparent());
    assert_eq!(
        c.events.last().unwrap().to_string(),
        "tls-compliance: starttls version=1.3"
    );
}

#[test]
fn a_refused_starttls_returns_to_commands() {
    let mut c = Conn::new(Mode::Outbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"STARTTLS\r\n");
    c.server(b"454 4.7.0 TLS not available\r\n");
    c.client_sends(b"MAIL FROM:<alice@corp.example>\r\n");
    assert_eq!(
        c.upstream_got(),
        "STARTTLS\r\nMAIL FROM:<alice@corp.example>\r\n"
    );
    assert!(c.session.is_inspecting());
}

#[test]
fn outbound_streamed_data_neutralises_every_smuggling_variant() {
    let variants: [&[u8]; 8] = [
        b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r", b"\r\n.\r", b"\r.\r\n", b"\r.\n", b"\n.\r",
    ];
    for v in variants {
        let mut c = Conn::new(Mode::Outbound);
        c.ehlo(EHLO_PLAIN);
        c.client_sends(b"MAIL FROM:<alice@corp.example>\r\nRCPT TO:<c@other.example>\r\nDATA\r\n");
        c.server(b"250 ok\r\n250 ok\r\n354 go\r\n");
        c.upstream_got();
        let mut msg = b"Subject: s\r\n\r\nx".to_vec();
        msg.extend_from_slice(v);
        msg.extend_from_slice(
            b"MAIL FROM:<evil@x.example>\r\nRCPT TO:<bob@partner.example>\r\nDATA\r\n",
        );
        c.client_sends(&msg);
        // Still in the message: the smuggled RCPT was not decided (it is content).
        assert!(c.events.iter().all(|e| e.kind() != "bounced"), "{v:?}");
        c.client_sends(b"\r\n.\r\n");
        let up = c.upstream_got();
        assert!(up.ends_with("\r\n.\r\n"));
        assert_eq!(up.matches("\r\n.\r\n").count(), 1, "{v:?}: {up:?}");
        assert!(c.kinds().contains(&"neutralised"), "{v:?}");
    }
}

#[test]
fn chunking_is_hidden_and_a_bdat_sent_anyway_is_refused_with_its_chunk_discarded() {
    let mut c = Conn::new(Mode::Outbound);
    c.client_sends(b"EHLO c\r\n");
    c.server(EHLO_CHUNKING.as_bytes());
    assert!(!c.client_got().contains("CHUNKING"));
    c.upstream_got();
    c.client_sends(b"MAIL FROM:<alice@corp.example>\r\nBDAT 13 LAST\r\nRCPT TO:<x>\r\nNOOP\r\n");
    assert_eq!(
        c.upstream_got(),
        "MAIL FROM:<alice@corp.example>\r\nNOOP\r\nNOOP\r\n"
    );
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
    assert_eq!(
        c.client_got(),
        format!("250 ok\r\n{}\r\n250 ok\r\n", replies::NO_BDAT)
    );
}

#[test]
fn a_command_line_over_512_octets_is_refused_and_the_next_one_is_read() {
    let mut c = Conn::new(Mode::Outbound);
    c.ehlo(EHLO_PLAIN);
    let long = format!("MAIL FROM:<{}@corp.example>\r\n", "a".repeat(600));
    c.client_sends(long.as_bytes()).client_sends(b"NOOP\r\n");
    assert_eq!(c.upstream_got(), "NOOP\r\nNOOP\r\n");
    c.server(b"250 ok\r\n250 ok\r\n");
    assert_eq!(
        c.client_got(),
        format!("{}\r\n250 ok\r\n", replies::LINE_TOO_LONG)
    );
    assert!(c.session.held_bytes() < 4096);
}

#[test]
fn a_bare_lf_cannot_hide_a_second_command_inside_a_line() {
    let mut c = Conn::new(Mode::Outbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<alice@corp.example>\r\nNOOP\nRCPT TO:<bob@partner.example>\r\nRCPT\rTO:<bob@partner.example>\r\n");
    assert_eq!(
        c.upstream_got(),
        "MAIL FROM:<alice@corp.example>\r\nNOOP\r\nNOOP\r\nNOOP\r\n"
    );
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n");
    assert_eq!(
        c.client_got(),
        format!(
            "250 ok\r\n{bare}\r\n{REJECT_PLAINTEXT}\r\n{bare}\r\n",
            bare = replies::BARE_LINE_ENDING
        )
    );
}

#[test]
fn recipients_over_the_limit_get_452() {
    let mut c = Conn::new(Mode::Inbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<a@x.example>\r\n");
    for i in 0..1001 {
        c.client_sends(format!("RCPT TO:<u{i}@corp.example>\r\n").as_bytes());
    }
    let up = c.upstream_got();
    assert_eq!(up.matches("RCPT TO:").count(), 1000);
    assert!(up.ends_with("NOOP\r\n"));
    let mut replies_in = "250 ok\r\n".repeat(1002);
    replies_in.push_str("");
    c.server(replies_in.as_bytes());
    assert!(c
        .client_got()
        .ends_with(&format!("250 ok\r\n{}\r\n", replies::TOO_MANY_RECIPIENTS)));
}

#[test]
fn a_decision_fault_answers_451_and_the_recipient_never_reaches_the_upstream() {
    let mut c = Conn::new(Mode::Outbound);
    c.decide = Box::new(Faulty);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<alice@corp.example>\r\nRCPT TO:<c@other.example>\r\n");
    assert_eq!(
        c.upstream_got(),
        "MAIL FROM:<alice@corp.example>\r\nNOOP\r\n"
    );
    c.server(b"250 ok\r\n250 ok\r\n");
    assert_eq!(c.client_got(), format!("250 ok\r\n{}\r\n", Fault::REPLY));
    assert_eq!(c.kinds(), ["fault"]);
}

#[test]
fn an_inbound_decision_fault_answers_451_and_the_message_never_reaches_the_upstream() {
    let mut c = Conn::new(Mode::Inbound);
    c.decide = Box::new(Faulty);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<a@x.example>\r\nRCPT TO:<alice@corp.example>\r\nDATA\r\n");
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
    c.upstream_got();
    c.client_got();
    c.client_sends(b"From: a@x.example\r\n\r\nhi\r\n.\r\n");
    assert_eq!(c.upstream_got(), "RSET\r\n");
    c.server(b"250 ok\r\n");
    assert_eq!(c.client_got(), format!("{}\r\n", Fault::REPLY));
}

#[test]
fn given_facts_decide_and_missing_facts_are_a_fault() {
    let mut c = Conn::with(Mode::Outbound, Limits::default(), FactsSource::Given);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<alice@corp.example>\r\nRCPT TO:<bob@partner.example>\r\n");
    c.server(b"250 ok\r\n250 ok\r\n");
    assert!(c.client_got().ends_with(&format!("{}\r\n", Fault::REPLY)));
    c.session.set_facts(TlsFacts {
        tls: Some(true),
        version: Some(TlsVersion::V1_3),
        certificate: Some(CertificateFacts {
            trust: Some(CertificateTrust::CaSigned),
            hostname: Some(HostnameCheck::Match),
        }),
    });
    c.upstream_got();
    c.client_sends(b"RCPT TO:<bob@partner.example>\r\n");
    assert_eq!(c.upstream_got(), "RCPT TO:<bob@partner.example>\r\n");
    c.session.set_facts(TlsFacts {
        tls: Some(true),
        version: Some(TlsVersion::V1_3),
        certificate: None,
    });
    c.client_sends(b"RCPT TO:<bob@partner.example>\r\n");
    c.server(b"250 ok\r\n250 ok\r\n");
    assert_eq!(
        c.client_got(),
        format!("250 ok\r\n{}\r\n", replies::FACTS_UNKNOWN)
    );
}

#[test]
fn starttls_is_hidden_and_refused_on_a_connection_envoy_encrypted() {
    let mut c = Conn::with(Mode::Inbound, Limits::default(), FactsSource::Given);
    c.session.set_facts(TlsFacts {
        tls: Some(true),
        version: Some(TlsVersion::V1_3),
        certificate: None,
    });
    c.client_sends(b"EHLO c\r\n");
    c.server(b"250-mx\r\n250-STARTTLS\r\n250 PIPELINING\r\n");
    assert_eq!(
        c.client_got(),
        "250-mx\r\n250-PIPELINING\r\n250 SIZE 10485760\r\n"
    );
    c.upstream_got();
    c.client_sends(b"STARTTLS\r\n");
    assert_eq!(c.upstream_got(), "NOOP\r\n");
    c.server(b"250 ok\r\n");
    assert_eq!(
        c.client_got(),
        format!("{}\r\n", replies::TLS_ALREADY_ACTIVE)
    );
}

#[test]
fn a_malformed_upstream_reply_answers_451_and_closes_at_the_next_client_bytes() {
    let mut c = Conn::new(Mode::Outbound);
    c.client_sends(b"EHLO c\r\n");
    c.server(b"hello there\r\n");
    assert_eq!(c.client_got(), format!("{}\r\n", Fault::REPLY));
    assert!(!c.closed);
    c.client_sends(b"QUIT\r\n");
    assert!(c.closed);
    assert!(c.upstream_got().ends_with("EHLO c\r\n"));
}

#[test]
fn a_substituted_command_passes_on_an_upstream_421() {
    let mut c = Conn::new(Mode::Outbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<alice@corp.example>\r\nRCPT TO:<bob@partner.example>\r\n");
    c.server(b"250 ok\r\n421 4.3.2 shutting down\r\n");
    assert_eq!(c.client_got(), "250 ok\r\n421 4.3.2 shutting down\r\n");
}

#[test]
fn auth_responses_pass_and_bytes_pipelined_after_auth_are_discarded() {
    let mut c = Conn::new(Mode::Outbound);
    c.ehlo("250-mx\r\n250 AUTH PLAIN LOGIN\r\n");
    c.client_sends(b"AUTH LOGIN\r\nRCPT TO:<bob@partner.example>\r\n");
    assert_eq!(c.upstream_got(), "AUTH LOGIN\r\n");
    c.server(b"334 VXNlcm5hbWU6\r\n");
    c.client_sends(b"dXNlcg==\r\n");
    c.server(b"334 UGFzc3dvcmQ6\r\n");
    c.client_sends(b"cGFzcw==\r\n");
    c.server(b"235 2.7.0 ok\r\n");
    c.client_sends(b"MAIL FROM:<alice@corp.example>\r\n");
    assert_eq!(
        c.upstream_got(),
        "dXNlcg==\r\ncGFzcw==\r\nMAIL FROM:<alice@corp.example>\r\n"
    );
    assert_eq!(c.kinds(), ["discarded"]);
}

#[test]
fn client_bytes_sent_before_the_reply_to_data_are_discarded() {
    let mut c = Conn::new(Mode::Outbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"MAIL FROM:<alice@corp.example>\r\nRCPT TO:<c@other.example>\r\nDATA\r\nearly content\r\n.\r\n");
    assert_eq!(
        c.upstream_got(),
        "MAIL FROM:<alice@corp.example>\r\nRCPT TO:<c@other.example>\r\nDATA\r\n"
    );
    assert_eq!(c.kinds(), ["delivered", "discarded"]);
}

#[test]
fn a_pipeline_flood_without_reading_replies_closes_the_connection() {
    let limits = Limits {
        max_recipients: 100,
        ..Limits::default()
    };
    let mut c = Conn::with(Mode::Outbound, limits, FactsSource::Observed);
    for _ in 0..300 {
        c.client_sends(b"NOOP\r\n");
    }
    assert!(c.closed);
    assert!(c.session.held_bytes() < 64 * 1024);
}

#[test]
fn a_log_line_names_ten_recipients_and_counts_the_rest() {
    let e = Event::Accepted {
        from: "a@x.example".to_owned(),
        recipients: (0..12).map(|i| format!("u{i}@corp.example")).collect(),
    };
    assert!(e.to_string().ends_with("<u9@corp.example>,+2 more"), "{e}");
}

#[test]
fn helo_leaves_no_chunking_so_a_held_message_goes_as_data() {
    let mut c = Conn::new(Mode::Inbound);
    c.client_sends(b"HELO client.example\r\n");
    c.server(b"250 mx.corp.example\r\n");
    assert_eq!(c.client_got(), "250 mx.corp.example\r\n");
    c.client_sends(b"MAIL FROM:<a@x.example>\r\nRCPT TO:<alice@corp.example>\r\nDATA\r\n");
    c.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
    c.upstream_got();
    c.client_sends(b"From: a@x.example\r\n\r\nhi\r\n.\r\n");
    assert_eq!(
        c.upstream_got(),
        "DATA\r\nFrom: a@x.example\r\n\r\nhi\r\n.\r\n"
    );
}

#[test]
fn a_refused_ehlo_passes_unchanged() {
    let mut c = Conn::new(Mode::Outbound);
    c.client_sends(b"EHLO c\r\n");
    c.server(b"554-no\r\n554 go away\r\n");
    assert_eq!(c.client_got(), "554-no\r\n554 go away\r\n");
}

#[test]
fn an_unsolicited_421_passes_and_other_unsolicited_replies_fail_the_session() {
    let mut c = Conn::new(Mode::Outbound);
    c.server(b"421 4.3.2 shutting down\r\n");
    assert_eq!(c.client_got(), "421 4.3.2 shutting down\r\n");
    c.server(b"250 surprise\r\n");
    assert_eq!(c.client_got(), "");
    assert_eq!(c.kinds(), ["fault"]);
    c.server(b"250 more\r\n");
    assert_eq!(c.kinds(), ["fault", "discarded"]);
}

#[test]
fn an_upstream_reply_line_over_the_limit_fails_the_session_with_451() {
    let mut c = Conn::new(Mode::Outbound);
    c.client_sends(b"EHLO c\r\n");
    c.server(format!("250 {}\r\n", "x".repeat(600)).as_bytes());
    assert_eq!(c.client_got(), format!("{}\r\n", Fault::REPLY));
    assert!(!c.session.is_inspecting());
}

#[test]
fn a_bdat_chunk_spread_over_several_reads_is_discarded_whole() {
    let mut c = Conn::new(Mode::Outbound);
    c.ehlo(EHLO_PLAIN);
    c.client_sends(b"BDAT 10\r\n0123")
        .client_sends(b"45")
        .client_sends(b"6789NOOP\r\n");
    assert_eq!(c.upstream_got(), "NOOP\r\nNOOP\r\n");
}
