//! SMTP enforcement (SPEC §8): the session logic of the Envoy filter, as pure Rust.
//!
//! A [`Session`] sits between an SMTP client (downstream) and a server (upstream) and sees both
//! byte streams. For each chunk it is given it answers a [`Step`]: the bytes to pass on in that
//! direction (the chunk itself, changed, or nothing), [`Event`]s for the operator's log and
//! counters, and whether to close the connection. A host that can only rewrite what flows in each
//! direction, as a proxy-wasm network filter, needs nothing more.
//!
//! # How the session acts
//!
//! | action | how |
//! |---|---|
//! | forward | a command or reply the session has no reason to touch passes unchanged |
//! | hold | inbound message content is kept until its end, then decided on |
//! | substitute | a refused command goes upstream as `NOOP` (or `RSET`); the reply to it is rewritten into the session's own reply line |
//! | close | after a broken invariant, at the client's next bytes |
//!
//! Replies are matched to commands in order, through a queue, so pipelined commands
//! (RFC 2920) work: a refused `RCPT` among several becomes `NOOP` upstream and its `250` comes
//! back to the client as the decision's `550` line.
//!
//! # Modes
//!
//! - [`Mode::Outbound`] (the organisation's MTA sends through the filter): each `RCPT TO` is
//!   decided with the session's TLS facts and the `MAIL FROM` sender's org unit. A `bounce`
//!   recipient is refused with the decision's `550`; the others pass; `DATA` streams through.
//! - [`Mode::Inbound`] (the filter stands in front of the organisation's MTA): the decision needs
//!   the header `From:`, so the client's `DATA` becomes `NOOP` upstream (answered `354` by the
//!   filter) and the content is held. At its end the filter decides: an accepted message goes
//!   upstream as `BDAT <n> LAST` when the upstream offers `CHUNKING`, else as `DATA`, its content
//!   and `.` pipelined; a rejected one never leaves the filter (`RSET` upstream, the `550` to the
//!   client).
//!
//! # Safety (SPEC §8)
//!
//! - After `STARTTLS`, bytes the client sends before the server's reply are discarded
//!   (CVE-2011-0411), and so are server bytes that come after the `220` before the client's TLS
//!   handshake. Once TLS starts the session only reads the `ServerHello` for the version.
//! - Only `CRLF.CRLF` ends `DATA`; dots a lenient upstream could read as an end are doubled
//!   ([`DataScanner`]).
//! - Command lines end in CRLF and hold no other CR or LF; a line that breaks this, or a line over
//!   the limits of [`Limits`], is refused and never reaches the upstream.
//! - `CHUNKING` and `BINARYMIME` are removed from the `EHLO` reply; a `BDAT` sent anyway is
//!   refused and its chunk discarded.
//! - Bytes a client sends while the reply to `STARTTLS`, `AUTH` or `DATA` is outstanding are
//!   discarded: RFC 2920 makes these the last command of a group, and what follows them can only
//!   be read once their reply is known.
//! - A fault never lets a message through: it is answered [`Fault::REPLY`](crate::Fault::REPLY).

mod command;
mod data;
mod line;
mod reply;
mod session;
#[cfg(test)]
mod tests;
mod tls;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::decision::{Decision, Failure};
use crate::evaluate::EvalError;
use crate::policy::TlsVersion;
use crate::scenario::Scenario;

pub use data::{from_header, neutralise, unstuff, DataScanner, FromHeaderError, Scanned};
pub use session::{Session, Step};

/// Which way mail goes through the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// The filter stands in front of the organisation's MTA: messages are decided on `From:`.
    Inbound,
    /// The organisation's MTA sends through the filter: recipients are decided at `RCPT TO`.
    Outbound,
}

/// Where the TLS facts of a decision come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactsSource {
    /// Watching the session: a session decided in plaintext has `tls: false`; after `STARTTLS`
    /// nothing more is decided (the stream is encrypted).
    Observed,
    /// Given by the host ([`Session::set_facts`]), from Envoy's TLS termination or origination.
    Given,
}

/// Size limits (RFC 5321 §4.5.3.1). Every field has a default; a configuration names only what it
/// changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Limits {
    /// A command line, CRLF included (RFC 5321: 512). `AUTH` lines may be up to 12,288 octets
    /// (RFC 4954 §4).
    pub max_command_line: usize,
    /// A reply line, CRLF included (RFC 5321: 512).
    pub max_reply_line: usize,
    /// A line of a held (inbound) message, CRLF included (RFC 5321: 1,000). A longer line gets
    /// the message refused with `554 5.6.0`.
    pub max_text_line: usize,
    /// Recipients in one transaction (RFC 5321 asks servers to take at least 100).
    pub max_recipients: usize,
    /// The largest inbound message the filter holds, in octets as sent.
    pub max_message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_command_line: 512,
            max_reply_line: 512,
            max_text_line: 1000,
            max_recipients: 1000,
            max_message_bytes: 10 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Checks each limit against its allowed range.
    ///
    /// # Errors
    /// A message naming the first limit out of range.
    pub fn check(&self) -> Result<(), String> {
        let ranges: [(&str, usize, usize, usize); 5] = [
            ("maxCommandLine", self.max_command_line, 512, 65_536),
            ("maxReplyLine", self.max_reply_line, 512, 65_536),
            ("maxTextLine", self.max_text_line, 1000, 1 << 20),
            ("maxRecipients", self.max_recipients, 100, 100_000),
            (
                "maxMessageBytes",
                self.max_message_bytes,
                64 * 1024,
                256 << 20,
            ),
        ];
        for (name, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                return Err(format!(
                    "limit `{name}` is {value}, it must be between {min} and {max}"
                ));
            }
        }
        Ok(())
    }
}

/// What the session asks when it needs a decision. [`crate::CompiledPolicy`] and
/// [`crate::Policy`] answer it; a host may wrap them.
pub trait Decide {
    /// Decides a scenario.
    ///
    /// # Errors
    /// As [`crate::CompiledPolicy::evaluate`].
    fn decide(&self, scenario: &Scenario) -> Result<Decision, EvalError>;
}

impl Decide for crate::CompiledPolicy {
    fn decide(&self, scenario: &Scenario) -> Result<Decision, EvalError> {
        self.evaluate(scenario)
    }
}

impl Decide for crate::Policy {
    fn decide(&self, scenario: &Scenario) -> Result<Decision, EvalError> {
        self.evaluate(scenario)
    }
}

/// The reply lines the session sends itself (besides a decision's `550` and
/// [`Fault::REPLY`](crate::Fault::REPLY)).
pub mod replies {
    /// The filter's go-ahead for held message content.
    pub const START_DATA: &str = "354 End data with <CR><LF>.<CR><LF>";
    /// `DATA` when no recipient was accepted.
    pub const NO_RECIPIENTS: &str = "554 5.5.1 Error: no valid recipients";
    /// A command line over the limit.
    pub const LINE_TOO_LONG: &str = "500 5.5.2 Error: line too long";
    /// A command line with a bare CR or LF.
    pub const BARE_LINE_ENDING: &str =
        "500 5.5.2 Error: command lines must end with CRLF and hold no other CR or LF";
    /// More recipients than the limit.
    pub const TOO_MANY_RECIPIENTS: &str = "452 4.5.3 Error: too many recipients";
    /// A `BDAT` command (CHUNKING is not offered through the filter).
    pub const NO_BDAT: &str = "502 5.5.1 Error: BDAT is not available here, use DATA";
    /// A `BDAT` command whose size cannot be read.
    pub const BAD_BDAT: &str = "501 5.5.4 Error: BDAT needs a chunk size";
    /// An unreadable `RCPT TO` path.
    pub const BAD_RCPT_SYNTAX: &str = "501 5.1.3 Error: bad recipient address syntax";
    /// An unreadable `MAIL FROM` path.
    pub const BAD_MAIL_SYNTAX: &str = "501 5.1.7 Error: bad sender address syntax";
    /// A recipient the policy engine cannot read as an address (an address literal, say).
    pub const BAD_RECIPIENT: &str =
        "553 5.1.3 Error: recipient address not accepted by the TLS compliance policy";
    /// A sender the policy engine cannot read as an address (outbound).
    pub const BAD_SENDER: &str =
        "553 5.1.7 Error: sender address not accepted by the TLS compliance policy";
    /// A held message over the size limit.
    pub const TOO_BIG: &str = "552 5.3.4 Error: message file too big";
    /// A held message with a line over the limit.
    pub const TEXT_LINE_TOO_LONG: &str =
        "554 5.6.0 Error: message has a line over the length limit";
    /// `STARTTLS` on a connection Envoy already encrypted.
    pub const TLS_ALREADY_ACTIVE: &str = "554 5.5.1 Error: TLS already active";
    /// A recipient that requires TLS while the connection's facts are unknown.
    pub const FACTS_UNKNOWN: &str =
        "451 4.3.0 TLS facts of this connection are unknown, try again later";
    /// An inbound message whose `From:` is not exactly one mailbox.
    pub const FROM_UNUSABLE: &str =
        "451 4.3.0 TLS compliance check needs exactly one From: mailbox, try again later";
}

/// Something the operator may want to know: one log line and a counter each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Inbound: the message was accepted and sent on to the MTA.
    Accepted {
        /// The `From:` mailbox.
        from: String,
        /// The recipients.
        recipients: Vec<String>,
    },
    /// Inbound: the message was rejected; it never reached the MTA.
    Rejected {
        /// The `From:` mailbox.
        from: String,
        /// The recipients.
        recipients: Vec<String>,
        /// The unmet parts of the requirement.
        failures: Vec<Failure>,
        /// The reply sent.
        reply: String,
    },
    /// Outbound: a recipient passed.
    Delivered {
        /// The envelope sender (empty for `<>`).
        sender: String,
        /// The recipient.
        recipient: String,
    },
    /// Outbound: a recipient was refused at `RCPT TO`.
    Bounced {
        /// The envelope sender (empty for `<>`).
        sender: String,
        /// The recipient.
        recipient: String,
        /// The unmet parts of the requirement.
        failures: Vec<Failure>,
        /// The reply sent.
        reply: String,
    },
    /// A temporary refusal: the decision could not be taken (unknown facts, no usable `From:`).
    Deferred {
        /// Why.
        reason: String,
        /// The reply sent.
        reply: String,
    },
    /// The filter refused a command or a message for a protocol reason (a limit, bad syntax).
    Refused {
        /// Why.
        reason: String,
        /// The reply sent.
        reply: String,
    },
    /// An internal fault; the client got [`Fault::REPLY`](crate::Fault::REPLY) where a reply
    /// was due.
    Fault {
        /// What went wrong.
        message: String,
    },
    /// `STARTTLS` succeeded; the version the server chose, when it could be read.
    TlsStarted {
        /// The negotiated version.
        version: Option<TlsVersion>,
    },
    /// Bytes dropped: plaintext pipelined after `STARTTLS`, say.
    Discarded {
        /// Why.
        reason: &'static str,
        /// How many.
        bytes: usize,
    },
    /// Dots doubled in a message so no upstream can find an early end of data.
    Neutralised {
        /// How many dots.
        dots: usize,
    },
    /// The session closes the connection.
    Closed {
        /// Why.
        reason: String,
    },
}

impl Event {
    /// A short name for the counter the event feeds.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Accepted { .. } => "accepted",
            Self::Rejected { .. } => "rejected",
            Self::Delivered { .. } => "delivered",
            Self::Bounced { .. } => "bounced",
            Self::Deferred { .. } => "deferred",
            Self::Refused { .. } => "refused",
            Self::Fault { .. } => "fault",
            Self::TlsStarted { .. } => "starttls",
            Self::Discarded { .. } => "discarded",
            Self::Neutralised { .. } => "neutralised",
            Self::Closed { .. } => "closed",
        }
    }

    /// The failures behind a refusal by policy.
    pub fn failures(&self) -> &[Failure] {
        match self {
            Self::Rejected { failures, .. } | Self::Bounced { failures, .. } => failures,
            _ => &[],
        }
    }
}

/// The most addresses a log line names; the rest are counted.
const LOGGED_ADDRESSES: usize = 10;

/// `<a>,<b>` with control characters escaped, then `,+N more` past [`LOGGED_ADDRESSES`].
struct Addresses<'a>(&'a [String]);

impl fmt::Display for Addresses<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().take(LOGGED_ADDRESSES).enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "<{}>", a.escape_debug())?;
        }
        if self.0.len() > LOGGED_ADDRESSES {
            write!(f, ",+{} more", self.0.len() - LOGGED_ADDRESSES)?;
        }
        Ok(())
    }
}

struct Failures<'a>(&'a [Failure]);

impl fmt::Display for Failures<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(x.as_str())?;
        }
        Ok(())
    }
}

/// The log line: `tls-compliance: <what> key=value …`, for grep.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tls-compliance: ")?;
        match self {
            Self::Accepted { from, recipients } => write!(
                f,
                "accept from=<{}> rcpt={}",
                from.escape_debug(),
                Addresses(recipients)
            ),
            Self::Rejected {
                from,
                recipients,
                failures,
                reply,
            } => write!(
                f,
                "reject from=<{}> rcpt={} failures={} reply=\"{}\"",
                from.escape_debug(),
                Addresses(recipients),
                Failures(failures),
                reply.escape_debug()
            ),
            Self::Delivered { sender, recipient } => write!(
                f,
                "deliver sender=<{}> rcpt=<{}>",
                sender.escape_debug(),
                recipient.escape_debug()
            ),
            Self::Bounced {
                sender,
                recipient,
                failures,
                reply,
            } => write!(
                f,
                "bounce sender=<{}> rcpt=<{}> failures={} reply=\"{}\"",
                sender.escape_debug(),
                recipient.escape_debug(),
                Failures(failures),
                reply.escape_debug()
            ),
            Self::Deferred { reason, reply } => write!(
                f,
                "defer reason=\"{}\" reply=\"{}\"",
                reason.escape_debug(),
                reply.escape_debug()
            ),
            Self::Refused { reason, reply } => write!(
                f,
                "refuse reason=\"{}\" reply=\"{}\"",
                reason.escape_debug(),
                reply.escape_debug()
            ),
            Self::Fault { message } => write!(
                f,
                "fault message=\"{}\" reply=\"{}\"",
                message.escape_debug(),
                crate::Fault::REPLY
            ),
            Self::TlsStarted { version } => match version {
                Some(v) => write!(f, "starttls version={v}"),
                None => f.write_str("starttls version=unknown"),
            },
            Self::Discarded { reason, bytes } => {
                write!(f, "discard bytes={bytes} reason=\"{reason}\"")
            }
            Self::Neutralised { dots } => write!(f, "neutralise dots={dots}"),
            Self::Closed { reason } => write!(f, "close reason=\"{}\"", reason.escape_debug()),
        }
    }
}
