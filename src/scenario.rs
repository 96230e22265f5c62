//! The scenario (SPEC §4): the facts of one message, the input to one decision.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::policy::TlsVersion;

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// Received by the organisation.
    Inbound,
    /// Sent by the organisation.
    Outbound,
}

impl Direction {
    /// `"inbound"` or `"outbound"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

/// One message: who sends it, who receives it, and what is known of the TLS connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// A label for the scenario (shown by `impact` and the simulator); it plays no part in the
    /// decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Envelope sender (`MAIL FROM`). Outbound: its OU (from `members`) is the one whose settings
    /// apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Outbound: the sender's OU, overriding the `members` lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_org_unit: Option<String>,
    /// The RFC 5322 `From:` header value; inbound mail is matched on its one mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Envelope recipients, as addresses or objects with per-recipient facts.
    pub recipients: Vec<RecipientSpec>,
    /// TLS facts of the SMTP connection; absent facts are unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<TlsFacts>,
}

/// A recipient: a bare address, or an address with facts of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum RecipientSpec {
    /// `"bob@partner.example"`
    Address(String),
    /// `{ "address": …, "secureTransportRequired": …, "connection": …, "orgUnit": … }`
    Detailed(Recipient),
}

/// A recipient with facts of its own.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recipient {
    /// The envelope recipient address.
    pub address: String,
    /// Another outbound setting (routing, say) already requires secure transport for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secure_transport_required: bool,
    /// The connection this recipient's mail travels over; replaces the scenario's as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<TlsFacts>,
    /// Inbound: the recipient's OU, overriding the `members` lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_unit: Option<String>,
}

impl RecipientSpec {
    /// The recipient's facts, whichever form it was written in.
    pub fn as_recipient(&self) -> std::borrow::Cow<'_, Recipient> {
        match self {
            Self::Address(address) => std::borrow::Cow::Owned(Recipient {
                address: address.clone(),
                ..Recipient::default()
            }),
            Self::Detailed(r) => std::borrow::Cow::Borrowed(r),
        }
    }

    /// The address, whichever form it was written in.
    pub fn address(&self) -> &str {
        match self {
            Self::Address(a) => a,
            Self::Detailed(r) => &r.address,
        }
    }
}

// A hand-written visitor instead of `#[serde(untagged)]` so that a wrong field inside a recipient
// object is reported as that field, not as "data did not match any variant".
impl<'de> Deserialize<'de> for RecipientSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RecipientVisitor;
        impl<'de> Visitor<'de> for RecipientVisitor {
            type Value = RecipientSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an address string or a recipient object")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RecipientSpec::Address(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(RecipientSpec::Address(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Recipient::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RecipientSpec::Detailed)
            }
        }
        deserializer.deserialize_any(RecipientVisitor)
    }
}

/// What is known of a TLS connection. Every field is optional: absent means unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlsFacts {
    /// Whether the connection is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// The negotiated TLS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<TlsVersion>,
    /// What is known of the peer's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateFacts>,
}

/// What is known of the peer's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateFacts {
    /// Whether the chain is trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<CertificateTrust>,
    /// Whether the certificate names the host that was connected to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<HostnameCheck>,
}

/// Whether a certificate chain is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum CertificateTrust {
    /// Chains to a trusted certificate authority and is within its validity period.
    CaSigned,
    /// Signed by its own key.
    SelfSigned,
    /// Chains to no trusted authority.
    Untrusted,
    /// Chains to a trusted authority but is outside its validity period.
    Expired,
    /// No certificate was presented.
    Absent,
}

impl CertificateTrust {
    /// The name as written in a scenario.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CaSigned => "ca-signed",
            Self::SelfSigned => "self-signed",
            Self::Untrusted => "untrusted",
            Self::Expired => "expired",
            Self::Absent => "absent",
        }
    }
}

/// Whether the certificate names the host connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum HostnameCheck {
    /// The certificate names the host.
    Match,
    /// It does not.
    Mismatch,
}

impl HostnameCheck {
    /// The name as written in a scenario.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::Mismatch => "mismatch",
        }
    }
}
