//! The decision (SPEC §5): what happens to each recipient, why, and what the SMTP side says.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::policy::TlsVersion;
use crate::scenario::Direction;

/// The decision for one scenario. Field names and order are the JSON contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Decision {
    /// The scenario's direction.
    pub direction: Direction,
    /// One decision per recipient, in the scenario's order.
    pub recipients: Vec<RecipientDecision>,
    /// The verdict for the SMTP transaction as a whole.
    pub transaction: TransactionDecision,
}

/// The decision for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecipientDecision {
    /// The recipient's canonical address.
    pub address: String,
    /// What happens to the message for this recipient.
    pub verdict: Verdict,
    /// The strictest combination of the applying settings; null when none applies.
    pub requirement: Option<Requirement>,
    /// Every unmet part of the requirement, in SPEC's table order.
    pub failures: Vec<Failure>,
    /// The enhanced status code of the first failure; null when delivered or accepted.
    pub status: Option<String>,
    /// The SMTP reply line a host sends; null where none is sent.
    pub reply: Option<String>,
    /// Each applying setting, in effective-settings order.
    pub reasons: Vec<Reason>,
}

/// The verdict for the whole SMTP transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransactionDecision {
    /// The most severe recipient verdict.
    pub verdict: Verdict,
    /// The first rejected or bounced recipient's reply, else null.
    pub reply: Option<String>,
}

/// What happens to a message for one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// Outbound: delivered (with opportunistic TLS where no setting applies).
    Deliver,
    /// Outbound: not delivered; returned to the sender with a non-delivery report after one
    /// attempt.
    Bounce,
    /// Inbound: accepted.
    Accept,
    /// Inbound: rejected; the sending side gets the non-delivery report.
    Reject,
    /// No known fact fails, but a required fact is unknown: the message must travel over TLS
    /// meeting `requirement`.
    TlsRequired,
}

impl Verdict {
    /// Severity for the transaction verdict: refusals first, then `tlsRequired`, then success.
    pub fn severity(self) -> u8 {
        match self {
            Self::Bounce | Self::Reject => 2,
            Self::TlsRequired => 1,
            Self::Deliver | Self::Accept => 0,
        }
    }

    /// The name as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deliver => "deliver",
            Self::Bounce => "bounce",
            Self::Accept => "accept",
            Self::Reject => "reject",
            Self::TlsRequired => "tlsRequired",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the connection must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Requirement {
    /// Always true: some setting applies, so TLS is required.
    pub tls: bool,
    /// A CA-signed certificate is required.
    pub ca_signed: bool,
    /// The certificate must name the host.
    pub hostname: bool,
    /// The lowest TLS version allowed.
    pub min_tls_version: TlsVersion,
}

/// An unmet part of a requirement, in TLS-RPT (RFC 8460) vocabulary. The declaration order is
/// SPEC's table order, which is the order failures are reported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// No TLS.
    StarttlsNotSupported,
    /// TLS below the minimum version (an extension of RFC 8460's vocabulary).
    TlsVersionTooLow,
    /// The certificate is not CA-signed (self-signed, untrusted or absent).
    CertificateNotTrusted,
    /// The certificate has expired.
    CertificateExpired,
    /// The certificate does not name the host.
    CertificateHostMismatch,
}

impl Failure {
    /// Every failure, in table order.
    pub const ALL: [Failure; 5] = [
        Self::StarttlsNotSupported,
        Self::TlsVersionTooLow,
        Self::CertificateNotTrusted,
        Self::CertificateExpired,
        Self::CertificateHostMismatch,
    ];

    /// The RFC 8460 result type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StarttlsNotSupported => "starttls-not-supported",
            Self::TlsVersionTooLow => "tls-version-too-low",
            Self::CertificateNotTrusted => "certificate-not-trusted",
            Self::CertificateExpired => "certificate-expired",
            Self::CertificateHostMismatch => "certificate-host-mismatch",
        }
    }

    /// The RFC 3463 enhanced status code (RFC 7504/3463: 5.7.10 encryption needed, 5.7.5
    /// cryptographic failure).
    pub fn status(self) -> &'static str {
        match self {
            Self::StarttlsNotSupported | Self::TlsVersionTooLow => "5.7.10",
            Self::CertificateNotTrusted
            | Self::CertificateExpired
            | Self::CertificateHostMismatch => "5.7.5",
        }
    }

    /// A short description for reply lines and explanations.
    pub fn describe(self) -> &'static str {
        match self {
            Self::StarttlsNotSupported => "the connection is not encrypted with TLS",
            Self::TlsVersionTooLow => "the TLS version is below the minimum",
            Self::CertificateNotTrusted => "the certificate is not signed by a trusted CA",
            Self::CertificateExpired => "the certificate has expired",
            Self::CertificateHostMismatch => "the certificate does not match the hostname",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One applying setting and why it applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reason {
    /// The OU that defined the setting.
    pub org_unit: String,
    /// The setting's name.
    pub setting: String,
    /// Defined at an ancestor of the OU in question.
    pub inherited: bool,
    /// The first of the setting's lists that matched; null when it applied through
    /// `secureTransportRequired` alone.
    pub address_list: Option<String>,
    /// The matching entry as written in the policy; null likewise.
    pub entry: Option<String>,
}
