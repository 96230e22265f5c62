//! The session state machine: both byte streams of one SMTP connection.

use std::collections::VecDeque;

use super::command::{self, Path, Verb};
use super::data::{self, DataScanner};
use super::line::{Line, LineBuf};
use super::reply::{self, Capabilities, EhloRewrite, Reply, ReplyBuf};
use super::tls::{ServerHelloWatch, Watch};
use super::{replies, Decide, Event, FactsSource, Limits, Mode};
use crate::canonical::canonical_address;
use crate::decision::Verdict;
use crate::diagnostic::Fault;
use crate::evaluate::EvalError;
use crate::scenario::{Direction, RecipientSpec, Scenario, TlsFacts};

/// RFC 4954 §4: an `AUTH` command line (initial response included) may be 12,288 octets.
const AUTH_LINE_MAX: usize = 12_288;

/// Commands a client may have outstanding beyond the recipient limit before the session gives up.
const PIPELINE_SLACK: usize = 100;

/// What to do with one chunk of bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    /// The bytes to pass on, in the direction the chunk was going, in place of the chunk.
    pub bytes: Vec<u8>,
    /// What happened, for the log and the counters.
    pub events: Vec<Event>,
    /// Close the connection (both sides).
    pub close: bool,
}

/// What the next reply from the upstream answers, and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    Mail,
    /// Inbound: the canonical recipient, recorded when the upstream accepts it.
    Rcpt(Option<String>),
    /// Outbound `DATA`: a `354` starts streaming.
    DataOutbound,
    /// Inbound `DATA`, sent upstream as `NOOP`: the filter answers `354` itself.
    DataInbound,
    /// The reply to a streamed end of data.
    EndOfData,
    /// The `354` to a held message's pipelined `DATA`: swallowed.
    HeldData,
    /// The reply to a held message's content.
    HeldDataFinal,
    /// The reply to a held message sent as `BDAT … LAST`.
    HeldBdat,
    Rset,
    /// A substituted `NOOP` or `RSET`: its reply becomes `reply`. `reset` ends the transaction.
    Replace {
        reply: String,
        reset: bool,
    },
    Auth,
    Other,
}

/// A command whose reply must come before the client may send anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    StartTls,
    Auth,
    Data,
}

impl Gate {
    fn discard_reason(self) -> &'static str {
        match self {
            Self::StartTls => "client bytes pipelined after STARTTLS (CVE-2011-0411)",
            Self::Auth => "client bytes pipelined after AUTH",
            Self::Data => "client bytes sent before the reply to DATA",
        }
    }
}

/// An inbound message being held.
#[derive(Debug, Clone, Default)]
struct Held {
    scanner: DataScanner,
    /// The content as received (dot-stuffed), then the final `.CRLF`.
    raw: Vec<u8>,
    too_big: bool,
}

#[derive(Debug, Clone)]
enum Phase {
    /// SMTP commands and replies in the clear.
    Command,
    /// Outbound message content flowing to the upstream.
    Streaming(DataScanner),
    /// Inbound message content held by the filter.
    Holding(Box<Held>),
    /// The chunk of a refused `BDAT`, dropped.
    DiscardChunk(u64),
    /// After `STARTTLS`: encrypted, passed through.
    Tls {
        client_started: bool,
        watch: ServerHelloWatch,
    },
    /// An invariant broke: the connection is closed at the client's next bytes.
    Failed,
}

/// One SMTP connection as the filter sees it. See the [module docs](super).
#[derive(Debug, Clone)]
pub struct Session {
    mode: Mode,
    limits: Limits,
    facts_source: FactsSource,
    facts: Option<TlsFacts>,
    phase: Phase,
    client_line: LineBuf,
    server_line: LineBuf,
    reply: ReplyBuf,
    expect: VecDeque<Expect>,
    gate: Option<Gate>,
    /// The next client line answers a `334` of `AUTH`.
    auth_continuation: bool,
    /// The transaction as the client's commands build it: the `MAIL FROM` path.
    sender: Option<Path>,
    /// `RCPT` commands passed upstream in this transaction.
    recipients_sent: usize,
    /// Inbound: recipients the upstream accepted in this transaction.
    accepted: Vec<String>,
    /// What the upstream's `EHLO` reply offered.
    caps: Capabilities,
}

impl Session {
    /// A session at the start of a connection, expecting the server's greeting.
    pub fn new(mode: Mode, limits: Limits, facts_source: FactsSource) -> Self {
        Self {
            mode,
            limits,
            facts_source,
            facts: None,
            phase: Phase::Command,
            client_line: LineBuf::default(),
            server_line: LineBuf::default(),
            reply: ReplyBuf::default(),
            expect: VecDeque::from([Expect::Greeting]),
            gate: None,
            auth_continuation: false,
            sender: None,
            recipients_sent: 0,
            accepted: Vec::new(),
            caps: Capabilities::default(),
        }
    }

    /// Gives the TLS facts of the connection ([`FactsSource::Given`]).
    pub fn set_facts(&mut self, facts: TlsFacts) {
        self.facts = Some(facts);
    }

    /// Whether the session still reads SMTP (false once the stream is encrypted or the session
    /// failed).
    pub fn is_inspecting(&self) -> bool {
        !matches!(self.phase, Phase::Tls { .. } | Phase::Failed)
    }

    /// Whether every further byte, both ways, passes unread and unchanged: the stream is
    /// encrypted, the client has started its handshake and the server's version was read. A host
    /// may then stop handing the session its bytes.
    pub fn is_transparent(&self) -> bool {
        matches!(&self.phase, Phase::Tls { client_started: true, watch } if watch.is_done())
    }

    /// Bytes the session holds now: partial lines, the reply queue, a held message.
    pub fn held_bytes(&self) -> usize {
        let phase = match &self.phase {
            Phase::Holding(h) => h.raw.capacity(),
            Phase::Tls { watch, .. } => watch.held(),
            _ => 0,
        };
        self.client_line.held()
            + self.server_line.held()
            + self.reply.held()
            + phase
            + self.expect.len() * std::mem::size_of::<Expect>()
            + self.accepted.iter().map(String::capacity).sum::<usize>()
    }

    /// Bytes from the client, on their way upstream.
    pub fn client_data(&mut self, input: &[u8], decide: &dyn Decide) -> Step {
        let mut step = Step::default();
        let mut rest = input;
        while !rest.is_empty() && !step.close {
            match std::mem::replace(&mut self.phase, Phase::Command) {
                Phase::Failed => {
                    self.phase = Phase::Failed;
                    step.close = true;
                    step.events.push(Event::Closed {
                        reason: "the session failed earlier".to_owned(),
                    });
                }
                Phase::Tls { watch, .. } => {
                    step.bytes.extend_from_slice(rest);
                    rest = &[];
                    self.phase = Phase::Tls {
                        client_started: true,
                        watch,
                    };
                }
                Phase::DiscardChunk(left) => {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(rest.len());
                    rest = skip(rest, n);
                    let left = left - n as u64;
                    if left > 0 {
                        self.phase = Phase::DiscardChunk(left);
                    }
                }
                Phase::Streaming(mut scanner) => {
                    let before = scanner.neutralised();
                    let scanned = scanner.feed(rest, &mut step.bytes);
                    rest = skip(rest, scanned.consumed);
                    let dots = scanner.neutralised() - before;
                    if dots > 0 {
                        step.events.push(Event::Neutralised { dots });
                    }
                    if scanned.end {
                        self.end_transaction_commands();
                        self.push_expect(Expect::EndOfData, &mut step);
                    } else {
                        self.phase = Phase::Streaming(scanner);
                    }
                }
                Phase::Holding(mut held) => {
                    let scanned = held.scanner.scan(rest);
                    let chunk = rest.get(..scanned.consumed).unwrap_or_default();
                    rest = skip(rest, scanned.consumed);
                    if !held.too_big {
                        // The final `.CRLF` (3 octets) is held too until the end is seen.
                        if held.raw.len() + chunk.len() > self.limits.max_message_bytes + 3 {
                            held.too_big = true;
                            held.raw = Vec::new();
                        } else {
                            held.raw.extend_from_slice(chunk);
                        }
                    }
                    if scanned.end {
                        self.finish_held(*held, decide, &mut step);
                    } else {
                        self.phase = Phase::Holding(held);
                    }
                }
                Phase::Command => {
                    if let Some(gate) = self.gate {
                        step.events.push(Event::Discarded {
                            reason: gate.discard_reason(),
                            bytes: rest.len(),
                        });
                        break;
                    }
                    let max = self.command_line_limit(rest);
                    let (used, line) = self.client_line.feed(rest, max);
                    rest = skip(rest, used);
                    match line {
                        None => {}
                        Some(Line::TooLong) => {
                            self.auth_continuation = false;
                            self.refuse(
                                replies::LINE_TOO_LONG,
                                Event::Refused {
                                    reason: format!("command line over {max} octets"),
                                    reply: replies::LINE_TOO_LONG.to_owned(),
                                },
                                &mut step,
                            );
                        }
                        Some(Line::Complete(line)) => self.command(&line, decide, &mut step),
                    }
                }
            }
        }
        step
    }

    /// Bytes from the server, on their way to the client.
    pub fn server_data(&mut self, input: &[u8]) -> Step {
        let mut step = Step::default();
        let mut rest = input;
        while !rest.is_empty() {
            match &mut self.phase {
                Phase::Failed => {
                    step.events.push(Event::Discarded {
                        reason: "server bytes after the session failed",
                        bytes: rest.len(),
                    });
                    break;
                }
                Phase::Tls {
                    client_started,
                    watch,
                } => {
                    if !*client_started {
                        step.events.push(Event::Discarded {
                            reason: "server bytes after the 220 to STARTTLS, before the client's handshake",
                            bytes: rest.len(),
                        });
                        break;
                    }
                    if let Watch::Version(version) = watch.feed(rest) {
                        step.events.push(Event::TlsStarted { version });
                    }
                    step.bytes.extend_from_slice(rest);
                    break;
                }
                _ => {}
            }
            let (used, line) = self.server_line.feed(rest, self.limits.max_reply_line);
            rest = skip(rest, used);
            let line = match line {
                None => continue,
                Some(Line::TooLong) => {
                    self.fail(
                        format!(
                            "upstream reply line over {} octets",
                            self.limits.max_reply_line
                        ),
                        true,
                        &mut step,
                    );
                    continue;
                }
                Some(Line::Complete(line)) => line,
            };
            match self.reply.push(line) {
                Err(e) => self.fail(e.to_string(), true, &mut step),
                Ok(None) => {}
                Ok(Some(reply)) => {
                    self.on_reply(reply, &mut step);
                    if matches!(self.phase, Phase::Tls { .. }) && !rest.is_empty() {
                        step.events.push(Event::Discarded {
                            reason: "server bytes after the 220 to STARTTLS, before the client's handshake",
                            bytes: rest.len(),
                        });
                        break;
                    }
                }
            }
        }
        step
    }

    /// The longest command line accepted now: `AUTH` lines may be longer.
    fn command_line_limit(&self, rest: &[u8]) -> usize {
        if self.auth_continuation {
            return AUTH_LINE_MAX;
        }
        let head: Vec<u8> = self
            .client_line
            .pending()
            .iter()
            .chain(rest.iter())
            .take(5)
            .copied()
            .collect();
        if head.eq_ignore_ascii_case(b"AUTH ") {
            AUTH_LINE_MAX.max(self.limits.max_command_line)
        } else {
            self.limits.max_command_line
        }
    }

    fn push_expect(&mut self, e: Expect, step: &mut Step) {
        if self.expect.len() >= self.limits.max_recipients + PIPELINE_SLACK {
            self.phase = Phase::Failed;
            step.close = true;
            step.events.push(Event::Closed {
                reason: format!(
                    "more than {} commands pipelined without reading replies",
                    self.expect.len()
                ),
            });
            return;
        }
        self.expect.push_back(e);
    }

    fn forward(&mut self, line: &[u8], e: Expect, step: &mut Step) {
        step.bytes.extend_from_slice(line);
        self.push_expect(e, step);
    }

    /// Substitutes `NOOP` for a command and answers it with `reply`.
    fn refuse(&mut self, reply: &str, event: Event, step: &mut Step) {
        step.bytes.extend_from_slice(b"NOOP\r\n");
        step.events.push(event);
        self.push_expect(
            Expect::Replace {
                reply: reply.to_owned(),
                reset: false,
            },
            step,
        );
    }

    /// Ends the transaction upstream with `RSET` and answers the client with `reply`.
    fn refuse_transaction(&mut self, reply: &str, event: Event, step: &mut Step) {
        step.bytes.extend_from_slice(b"RSET\r\n");
        step.events.push(event);
        self.push_expect(
            Expect::Replace {
                reply: reply.to_owned(),
                reset: true,
            },
            step,
        );
    }

    fn end_transaction_commands(&mut self) {
        self.sender = None;
        self.recipients_sent = 0;
    }

    /// The facts a decision uses.
    fn facts(&self) -> Result<TlsFacts, String> {
        match self.facts_source {
            // Decisions are only taken while the session reads SMTP, that is in the clear.
            FactsSource::Observed => Ok(TlsFacts {
                tls: Some(false),
                version: None,
                certificate: None,
            }),
            FactsSource::Given => self
                .facts
                .ok_or_else(|| "the host gave no TLS facts for this connection".to_owned()),
        }
    }

    fn command(&mut self, line: &[u8], decide: &dyn Decide, step: &mut Step) {
        if std::mem::take(&mut self.auth_continuation) {
            self.gate = Some(Gate::Auth);
            self.forward(line, Expect::Auth, step);
            return;
        }
        let Some(text) = line
            .strip_suffix(b"\r\n")
            .filter(|t| !t.iter().any(|&b| b == b'\r' || b == b'\n'))
        else {
            self.refuse(
                replies::BARE_LINE_ENDING,
                Event::Refused {
                    reason: "command line with a bare CR or LF".to_owned(),
                    reply: replies::BARE_LINE_ENDING.to_owned(),
                },
                step,
            );
            return;
        };
        let (verb, args) = command::split(text);
        match verb {
            Verb::Ehlo | Verb::Helo => {
                self.end_transaction_commands();
                let e = if verb == Verb::Ehlo {
                    Expect::Ehlo
                } else {
                    Expect::Helo
                };
                self.forward(line, e, step);
            }
            Verb::StartTls => {
                if self.tls_given() {
                    self.refuse(
                        replies::TLS_ALREADY_ACTIVE,
                        Event::Refused {
                            reason: "STARTTLS on a connection Envoy encrypted".to_owned(),
                            reply: replies::TLS_ALREADY_ACTIVE.to_owned(),
                        },
                        step,
                    );
                } else {
                    self.gate = Some(Gate::StartTls);
                    self.forward(line, Expect::StartTls, step);
                }
            }
            Verb::Mail => self.mail(line, args, step),
            Verb::Rcpt => self.rcpt(line, args, decide, step),
            Verb::Data => {
                self.gate = Some(Gate::Data);
                match self.mode {
                    Mode::Outbound => self.forward(line, Expect::DataOutbound, step),
                    Mode::Inbound => self.forward(b"NOOP\r\n", Expect::DataInbound, step),
                }
            }
            Verb::Bdat => match command::bdat(args) {
                Some((size, _)) => {
                    self.refuse(
                        replies::NO_BDAT,
                        Event::Refused {
                            reason: format!("BDAT chunk of {size} octets discarded"),
                            reply: replies::NO_BDAT.to_owned(),
                        },
                        step,
                    );
                    if size > 0 {
                        self.phase = Phase::DiscardChunk(size);
                    }
                }
                None => self.refuse(
                    replies::BAD_BDAT,
                    Event::Refused {
                        reason: "BDAT without a readable chunk size".to_owned(),
                        reply: replies::BAD_BDAT.to_owned(),
                    },
                    step,
                ),
            },
            Verb::Rset => {
                self.end_transaction_commands();
                self.forward(line, Expect::Rset, step);
            }
            Verb::Auth => {
                self.gate = Some(Gate::Auth);
                self.forward(line, Expect::Auth, step);
            }
            Verb::Quit | Verb::Other => self.forward(line, Expect::Other, step),
        }
    }

    fn tls_given(&self) -> bool {
        self.facts_source == FactsSource::Given && self.facts.is_some_and(|f| f.tls == Some(true))
    }

    fn mail(&mut self, line: &[u8], args: &[u8], step: &mut Step) {
        self.end_transaction_commands();
        let path = command::path(args, b"FROM");
        if self.mode == Mode::Outbound {
            // Outbound, the sender's org unit decides: it must be readable.
            let reply = match &path {
                None => Some((
                    replies::BAD_MAIL_SYNTAX,
                    "unreadable MAIL FROM path".to_owned(),
                )),
                Some(Path::Mailbox(m)) => canonical_address(m).err().map(|e| {
                    (
                        replies::BAD_SENDER,
                        format!("sender `{}` {e}", m.escape_debug()),
                    )
                }),
                Some(Path::Null) => None,
            };
            if let Some((reply, reason)) = reply {
                self.refuse(
                    reply,
                    Event::Refused {
                        reason,
                        reply: reply.to_owned(),
                    },
                    step,
                );
                return;
            }
        }
        self.sender = path;
        self.forward(line, Expect::Mail, step);
    }

    fn rcpt(&mut self, line: &[u8], args: &[u8], decide: &dyn Decide, step: &mut Step) {
        let address = match command::path(args, b"TO") {
            Some(Path::Mailbox(m)) => m,
            _ => {
                self.refuse(
                    replies::BAD_RCPT_SYNTAX,
                    Event::Refused {
                        reason: "unreadable RCPT TO path".to_owned(),
                        reply: replies::BAD_RCPT_SYNTAX.to_owned(),
                    },
                    step,
                );
                return;
            }
        };
        if self.recipients_sent >= self.limits.max_recipients {
            self.refuse(
                replies::TOO_MANY_RECIPIENTS,
                Event::Refused {
                    reason: format!("more than {} recipients", self.limits.max_recipients),
                    reply: replies::TOO_MANY_RECIPIENTS.to_owned(),
                },
                step,
            );
            return;
        }
        let canonical = match canonical_address(&address) {
            Ok(a) => a.into_string(),
            Err(e) => {
                self.refuse(
                    replies::BAD_RECIPIENT,
                    Event::Refused {
                        reason: format!("recipient `{}` {e}", address.escape_debug()),
                        reply: replies::BAD_RECIPIENT.to_owned(),
                    },
                    step,
                );
                return;
            }
        };
        match self.mode {
            Mode::Inbound => {
                self.recipients_sent += 1;
                self.forward(line, Expect::Rcpt(Some(canonical)), step);
            }
            Mode::Outbound => self.rcpt_outbound(line, canonical, decide, step),
        }
    }

    fn rcpt_outbound(
        &mut self,
        line: &[u8],
        recipient: String,
        decide: &dyn Decide,
        step: &mut Step,
    ) {
        let sender = match &self.sender {
            None => {
                let reply = "503 5.5.1 Error: need MAIL command";
                self.refuse(
                    reply,
                    Event::Refused {
                        reason: "RCPT before MAIL".to_owned(),
                        reply: reply.to_owned(),
                    },
                    step,
                );
                return;
            }
            Some(Path::Null) => None,
            Some(Path::Mailbox(m)) => Some(m.clone()),
        };
        let facts = match self.facts() {
            Ok(f) => f,
            Err(message) => return self.refuse_fault(message, step),
        };
        let scenario = Scenario {
            name: None,
            direction: Direction::Outbound,
            // The null sender (bounces) belongs to no member: the root unit decides.
            sender_org_unit: sender.is_none().then(|| "/".to_owned()),
            sender: sender.clone(),
            from: None,
            recipients: vec![RecipientSpec::Address(recipient.clone())],
            connection: Some(facts),
        };
        let sender = sender.unwrap_or_default();
        let decision = match decide.decide(&scenario) {
            Ok(d) => d,
            Err(EvalError::Invalid(errors)) => {
                let reason = messages(&errors);
                self.refuse(
                    replies::BAD_RECIPIENT,
                    Event::Refused {
                        reason,
                        reply: replies::BAD_RECIPIENT.to_owned(),
                    },
                    step,
                );
                return;
            }
            Err(EvalError::Fault(f)) => return self.refuse_fault(f.message, step),
        };
        let Some(r) = decision.recipients.into_iter().next() else {
            return self.refuse_fault("a decision without its recipient".to_owned(), step);
        };
        match (r.verdict, r.reply) {
            (Verdict::Deliver, _) => {
                step.events.push(Event::Delivered {
                    sender,
                    recipient: r.address,
                });
                self.recipients_sent += 1;
                self.forward(line, Expect::Rcpt(None), step);
            }
            (Verdict::Bounce, Some(reply)) => self.refuse(
                &reply,
                Event::Bounced {
                    sender,
                    recipient: r.address,
                    failures: r.failures,
                    reply: reply.clone(),
                },
                step,
            ),
            (Verdict::TlsRequired, _) => self.refuse(
                replies::FACTS_UNKNOWN,
                Event::Deferred {
                    reason: format!(
                        "recipient <{}> requires TLS and the connection's facts are unknown",
                        r.address
                    ),
                    reply: replies::FACTS_UNKNOWN.to_owned(),
                },
                step,
            ),
            (verdict, _) => {
                self.refuse_fault(format!("outbound decision with verdict `{verdict}`"), step)
            }
        }
    }

    fn refuse_fault(&mut self, message: String, step: &mut Step) {
        self.refuse(Fault::REPLY, Event::Fault { message }, step);
    }

    /// The end of a held inbound message: decide, then send it on or refuse it.
    fn finish_held(&mut self, held: Held, decide: &dyn Decide, step: &mut Step) {
        self.end_transaction_commands();
        let content_len = held.raw.len().saturating_sub(3);
        if held.too_big || content_len > self.limits.max_message_bytes {
            let reason = format!("message over {} octets", self.limits.max_message_bytes);
            return self.refuse_transaction(
                replies::TOO_BIG,
                Event::Refused {
                    reason,
                    reply: replies::TOO_BIG.to_owned(),
                },
                step,
            );
        }
        if held.scanner.longest_line() > self.limits.max_text_line {
            let reason = format!("message line over {} octets", self.limits.max_text_line);
            return self.refuse_transaction(
                replies::TEXT_LINE_TOO_LONG,
                Event::Refused {
                    reason,
                    reply: replies::TEXT_LINE_TOO_LONG.to_owned(),
                },
                step,
            );
        }
        let mut content = held.raw;
        content.truncate(content_len);
        let from = match data::from_header(&content) {
            Ok(f) => f,
            Err(e) => return self.defer_from(e.to_string(), step),
        };
        let facts = match self.facts() {
            Ok(f) => f,
            Err(message) => return self.fault_transaction(message, step),
        };
        let scenario = Scenario {
            name: None,
            direction: Direction::Inbound,
            sender: None,
            sender_org_unit: None,
            from: Some(from.clone()),
            recipients: self
                .accepted
                .iter()
                .map(|a| RecipientSpec::Address(a.clone()))
                .collect(),
            connection: Some(facts),
        };
        let decision = match decide.decide(&scenario) {
            Ok(d) => d,
            Err(EvalError::Invalid(errors)) => return self.defer_from(messages(&errors), step),
            Err(EvalError::Fault(f)) => return self.fault_transaction(f.message, step),
        };
        let from = crate::canonical::parse_from_header(&from)
            .map(|a| a.into_string())
            .unwrap_or(from);
        let recipients = self.accepted.clone();
        match (decision.transaction.verdict, decision.transaction.reply) {
            (Verdict::Accept, _) => {
                let dots = held.scanner.neutralised();
                self.send_held(&content, dots, step);
                if dots > 0 && !self.caps.chunking {
                    step.events.push(Event::Neutralised { dots });
                }
                step.events.push(Event::Accepted { from, recipients });
            }
            (Verdict::Reject, Some(reply)) => {
                let failures = decision
                    .recipients
                    .into_iter()
                    .find(|r| r.verdict == Verdict::Reject)
                    .map(|r| r.failures)
                    .unwrap_or_default();
                self.refuse_transaction(
                    &reply,
                    Event::Rejected {
                        from,
                        recipients,
                        failures,
                        reply: reply.clone(),
                    },
                    step,
                );
            }
            (Verdict::TlsRequired, _) => self.refuse_transaction(
                replies::FACTS_UNKNOWN,
                Event::Deferred {
                    reason: format!(
                        "message from <{from}> requires TLS and the connection's facts are unknown"
                    ),
                    reply: replies::FACTS_UNKNOWN.to_owned(),
                },
                step,
            ),
            (verdict, _) => {
                self.fault_transaction(format!("inbound decision with verdict `{verdict}`"), step)
            }
        }
    }

    fn defer_from(&mut self, reason: String, step: &mut Step) {
        self.refuse_transaction(
            replies::FROM_UNUSABLE,
            Event::Deferred {
                reason,
                reply: replies::FROM_UNUSABLE.to_owned(),
            },
            step,
        );
    }

    fn fault_transaction(&mut self, message: String, step: &mut Step) {
        self.refuse_transaction(Fault::REPLY, Event::Fault { message }, step);
    }

    /// Sends an accepted held message upstream, in this one callback: `BDAT` when the upstream
    /// offers `CHUNKING` (length-prefixed: nothing in it can be read as a command), else `DATA`,
    /// the content and `.` pipelined.
    fn send_held(&mut self, content: &[u8], neutralised: usize, step: &mut Step) {
        if self.caps.chunking {
            let body = data::unstuff(content);
            step.bytes
                .extend_from_slice(format!("BDAT {} LAST\r\n", body.len()).as_bytes());
            step.bytes.extend_from_slice(&body);
            self.push_expect(Expect::HeldBdat, step);
        } else {
            step.bytes.extend_from_slice(b"DATA\r\n");
            if neutralised > 0 {
                step.bytes.extend_from_slice(&data::neutralise(content));
            } else {
                // INVARIANT: the scanner doubled no dot, so the content is its own neutral form.
                step.bytes.extend_from_slice(content);
            }
            step.bytes.extend_from_slice(b".\r\n");
            self.push_expect(Expect::HeldData, step);
            self.push_expect(Expect::HeldDataFinal, step);
        }
    }

    /// Fails the session: the client gets [`Fault::REPLY`] if it waits for a reply, and the
    /// connection closes at its next bytes.
    fn fail(&mut self, message: String, answer: bool, step: &mut Step) {
        if answer && !self.expect.is_empty() {
            step.bytes.extend_from_slice(Fault::REPLY.as_bytes());
            step.bytes.extend_from_slice(b"\r\n");
        }
        self.expect.clear();
        self.phase = Phase::Failed;
        step.events.push(Event::Fault { message });
    }

    fn on_reply(&mut self, reply: Reply, step: &mut Step) {
        let Some(expect) = self.expect.pop_front() else {
            if reply.code == 421 {
                step.bytes.extend_from_slice(&reply.bytes());
            } else {
                self.fail(
                    format!("unsolicited upstream reply {}", reply.code),
                    false,
                    step,
                );
            }
            return;
        };
        let forward = |step: &mut Step| step.bytes.extend_from_slice(&reply.bytes());
        match expect {
            Expect::Greeting | Expect::Other => forward(step),
            Expect::Ehlo if reply.is_positive() => {
                let how = EhloRewrite {
                    drop_starttls: self.tls_given(),
                    max_size: (self.mode == Mode::Inbound).then_some(self.limits.max_message_bytes),
                };
                let (bytes, caps) = reply::rewrite_ehlo(&reply, how);
                self.caps = caps;
                self.accepted.clear();
                step.bytes.extend_from_slice(&bytes);
            }
            Expect::Ehlo => forward(step),
            Expect::Helo => {
                if reply.is_positive() {
                    self.caps = Capabilities::default();
                    self.accepted.clear();
                }
                forward(step);
            }
            Expect::StartTls => {
                self.gate = None;
                if reply.code == 220 {
                    self.phase = Phase::Tls {
                        client_started: false,
                        watch: ServerHelloWatch::default(),
                    };
                }
                forward(step);
            }
            Expect::Mail => {
                if reply.is_positive() {
                    self.accepted.clear();
                }
                forward(step);
            }
            Expect::Rcpt(address) => {
                if let (true, Some(a)) = (reply.is_positive(), address) {
                    self.accepted.push(a);
                }
                forward(step);
            }
            Expect::DataOutbound => {
                self.gate = None;
                if reply.code == 354 {
                    self.phase = Phase::Streaming(DataScanner::new());
                }
                forward(step);
            }
            Expect::DataInbound => {
                self.gate = None;
                if !reply.is_positive() {
                    forward(step);
                } else if self.accepted.is_empty() {
                    emit(step, replies::NO_RECIPIENTS);
                } else {
                    self.phase = Phase::Holding(Box::default());
                    emit(step, replies::START_DATA);
                }
            }
            Expect::EndOfData | Expect::HeldDataFinal | Expect::HeldBdat | Expect::Rset => {
                self.accepted.clear();
                forward(step);
            }
            Expect::HeldData => {
                if reply.code != 354 {
                    // The upstream refused the pipelined DATA: it reads the content after it as
                    // commands, and no reply can be matched any more.
                    forward(step);
                    self.fail(
                        format!(
                            "upstream answered {} to the DATA of a held message",
                            reply.code
                        ),
                        false,
                        step,
                    );
                }
            }
            Expect::Replace { reply: line, reset } => {
                if reset {
                    self.accepted.clear();
                }
                if reply.code == 421 {
                    forward(step);
                } else {
                    emit(step, &line);
                }
            }
            Expect::Auth => {
                self.gate = None;
                self.auth_continuation = reply.code == 334;
                forward(step);
            }
        }
    }
}

fn emit(step: &mut Step, line: &str) {
    step.bytes.extend_from_slice(line.as_bytes());
    step.bytes.extend_from_slice(b"\r\n");
}

fn skip(s: &[u8], n: usize) -> &[u8] {
    s.get(n..).unwrap_or_default()
}

/// The messages of scenario errors, for a log line.
fn messages(errors: &[crate::ValidationError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}
