//! The policy document (SPEC §2): the one wire schema every host reads.
//!
//! These types are what a policy *says*, field for field; they accept nothing the format does not
//! define (`deny_unknown_fields`). Meaning (canonical entries, effective settings, indexes) comes
//! from [`crate::CompiledPolicy`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The format version this crate reads and writes.
pub const POLICY_VERSION: u32 = 1;
/// At most this many address lists (as in Google Workspace).
pub const MAX_ADDRESS_LISTS: usize = 2_000;
/// At most this many entries in one address list.
pub const MAX_ENTRIES_PER_LIST: usize = 100_000;
/// At most this many settings in all organizational units together.
pub const MAX_SETTINGS: usize = 1_000;

/// A TLS-compliance policy: address lists, members' organizational units, and settings per unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyDocument {
    /// Format version; must be `1`.
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 1)))]
    pub version: u32,
    /// Named lists of addresses and domains that settings refer to.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = 2000)))]
    pub address_lists: Vec<AddressList>,
    /// Organisation members' addresses and the organizational unit each belongs to. Members not
    /// listed belong to `/`.
    #[serde(default)]
    pub members: BTreeMap<String, String>,
    /// Organizational units and the settings each defines.
    #[serde(default)]
    pub org_units: Vec<OrgUnit>,
}

/// A named list of addresses and domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressList {
    /// The list's name, as settings refer to it.
    pub name: String,
    /// Each string holds one or more entries separated by whitespace and/or commas. An entry is
    /// `local@domain` (one address), `domain` (that domain only), `*.domain` (any subdomain, not the
    /// domain itself) or `@domain` (same as `domain`).
    #[serde(default)]
    pub entries: Vec<String>,
}

/// An organizational unit and the settings it adds or overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgUnit {
    /// `/` or `/Parent/Child`; missing ancestors exist implicitly with no settings of their own.
    pub path: String,
    /// Settings added here, in order. One named like an inherited setting replaces it here and
    /// below.
    #[serde(default)]
    pub settings: Vec<Setting>,
}

/// One "Secure transport (TLS) compliance" setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Setting {
    /// The setting's name; an OU overrides an inherited setting by reusing its name.
    pub name: String,
    /// Whether the setting takes part (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Messages affected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageKind>,
    /// Names of the address lists whose addresses this setting covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address_lists: Vec<String>,
    /// Require a CA-signed certificate (default `false`; recommended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_ca_signed_certificate: Option<bool>,
    /// Validate the certificate hostname (default `false`; recommended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_certificate_hostname: Option<bool>,
    /// Lowest TLS version allowed (default `"1.0"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_tls_version: Option<TlsVersion>,
}

impl Setting {
    /// `enabled`, with its default.
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }
    /// `requireCaSignedCertificate`, with its default.
    pub fn requires_ca_signed(&self) -> bool {
        self.require_ca_signed_certificate.unwrap_or(false)
    }
    /// `validateCertificateHostname`, with its default.
    pub fn validates_hostname(&self) -> bool {
        self.validate_certificate_hostname.unwrap_or(false)
    }
    /// `minTlsVersion`, with its default.
    pub fn min_version(&self) -> TlsVersion {
        self.min_tls_version.unwrap_or(TlsVersion::V1_0)
    }
}

/// Which messages a setting affects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum MessageKind {
    /// Mail received by the organisation; the header `From:` is matched.
    Inbound,
    /// Mail sent by the organisation; each recipient is matched.
    Outbound,
    /// Outbound mail for which another outbound setting already requires secure transport.
    OutboundRequiringSecureTransport,
}

impl MessageKind {
    /// The name as written in the policy.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
            Self::OutboundRequiringSecureTransport => "outboundRequiringSecureTransport",
        }
    }
}

/// A TLS protocol version, ordered from oldest to newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum TlsVersion {
    /// TLS 1.0
    #[serde(rename = "1.0")]
    V1_0,
    /// TLS 1.1
    #[serde(rename = "1.1")]
    V1_1,
    /// TLS 1.2
    #[serde(rename = "1.2")]
    V1_2,
    /// TLS 1.3
    #[serde(rename = "1.3")]
    V1_3,
}

impl TlsVersion {
    /// `"1.0"` … `"1.3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_0 => "1.0",
            Self::V1_1 => "1.1",
            Self::V1_2 => "1.2",
            Self::V1_3 => "1.3",
        }
    }

    /// The version of a TLS `ProtocolVersion` code point (`0x0301` … `0x0304`), if it is one of
    /// these four.
    pub fn from_wire(code: u16) -> Option<Self> {
        match code {
            0x0301 => Some(Self::V1_0),
            0x0302 => Some(Self::V1_1),
            0x0303 => Some(Self::V1_2),
            0x0304 => Some(Self::V1_3),
            _ => None,
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TlsVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "1.0" => Ok(Self::V1_0),
            "1.1" => Ok(Self::V1_1),
            "1.2" => Ok(Self::V1_2),
            "1.3" => Ok(Self::V1_3),
            other => Err(format!(
                "unknown TLS version `{other}`, expected `1.0`, `1.1`, `1.2` or `1.3`"
            )),
        }
    }
}
