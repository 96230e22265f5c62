//! Errors and warnings as data, each with a stable code and a place.
//!
//! A [`Diagnostic`] names *what* is wrong (`code`), says it in words a mail administrator can act on
//! (`message`, lowercase, no final period, user input in backticks), and says *where*: a JSON
//! pointer into the document and, when the document was parsed from text, its 1-based line and
//! column (columns count characters, not bytes).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a policy document or a scenario cannot be used.
///
/// The serialized names (`kebab-case`) are stable: a UI or a script may match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The text is not JSON.
    InvalidJson,
    /// A field the format does not define.
    UnknownField,
    /// A required field is absent.
    MissingField,
    /// A field appears twice in one object.
    DuplicateField,
    /// A value of the wrong JSON type.
    InvalidType,
    /// A value of the right type outside the allowed set (an unknown `messages` kind, say).
    InvalidValue,
    /// `version` is not `1`.
    UnsupportedVersion,
    /// More than 2,000 address lists.
    TooManyAddressLists,
    /// More than 100,000 entries in one address list.
    TooManyEntries,
    /// More than 1,000 settings in all.
    TooManySettings,
    /// An address list or a setting with an empty name.
    EmptyName,
    /// Two address lists with one name.
    DuplicateAddressList,
    /// An address-list entry that is not `local@domain`, `domain`, `@domain` or `*.domain`.
    InvalidEntry,
    /// A setting names an address list that is not defined.
    UnknownAddressList,
    /// An organizational-unit path that is not `/` or `/A/B`.
    InvalidOrgUnitPath,
    /// Two `orgUnits` items with one path.
    DuplicateOrgUnit,
    /// Two settings with one name in one organizational unit.
    DuplicateSetting,
    /// A `members` key that is not a mail address.
    InvalidMemberAddress,
    /// Two `members` keys that are one address once canonicalised.
    DuplicateMember,
    /// A scenario address (sender, recipient) that is not a mail address.
    InvalidAddress,
    /// A scenario `from` that is not exactly one RFC 5322 mailbox.
    InvalidFrom,
    /// An outbound scenario with neither `sender` nor `senderOrgUnit`.
    MissingSender,
    /// An inbound scenario without `from`.
    MissingFrom,
    /// A scenario without recipients.
    NoRecipients,
    /// TLS facts that contradict each other (`tls: false` with a version or a certificate).
    ContradictoryConnection,
    /// An input file could not be read.
    Unreadable,
}

/// What a lint warning is about. Warnings never stop a policy from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LintCode {
    /// The same entry twice in one list.
    DuplicateEntry,
    /// An address entry already covered by a domain entry of the same list.
    AddressCoveredByDomain,
    /// A domain (or `*.` entry) already covered by a `*.` entry of the same list.
    DomainCoveredByWildcard,
    /// An entry written `@domain`; it means `domain`.
    AtDomainForm,
    /// An address list no setting uses.
    UnusedList,
    /// A setting with `enabled: false`.
    DisabledSetting,
    /// `requireCaSignedCertificate` is off (recommended on).
    CaSignedCertificateOff,
    /// `validateCertificateHostname` is off (recommended on).
    HostnameValidationOff,
    /// `minTlsVersion` below `1.2`.
    #[serde(rename = "min-tls-version-below-1-2")]
    MinTlsVersionBelow12,
    /// A setting replaces one of the same name inherited from an ancestor.
    OverrideHidesInherited,
    /// An enabled setting with no `messages`: it applies to nothing.
    NoMessages,
    /// An enabled `inbound`/`outbound` setting with no address lists: those directions match nothing.
    NoAddressLists,
    /// An address list with no entries.
    EmptyList,
    /// The same `messages` kind twice in one setting.
    DuplicateMessageKind,
}

/// One error or warning, with its place in the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic<C> {
    /// Stable machine-readable code.
    pub code: C,
    /// What is wrong, in words: lowercase, no final period, user input in backticks.
    pub message: String,
    /// RFC 6901 JSON pointer to the offending value (`""` is the whole document).
    pub pointer: String,
    /// 1-based line, when the input was parsed from text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column in characters, when the input was parsed from text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// How to fix it, when there is something useful to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// A validation error: the input cannot be used.
pub type ValidationError = Diagnostic<ErrorCode>;
/// A lint warning: the policy loads, but something in it is probably not what was meant.
pub type LintWarning = Diagnostic<LintCode>;

impl<C> Diagnostic<C> {
    /// A diagnostic at `pointer`, without a text position.
    pub fn new(code: C, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            pointer: pointer.into(),
            line: None,
            column: None,
            help: None,
        }
    }

    /// Adds advice on how to fix it.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The same diagnostic with its pointer placed under `prefix` (used when a scenario sits in an
    /// array of scenarios).
    #[must_use]
    pub fn under(mut self, prefix: &str) -> Self {
        self.pointer = format!("{prefix}{}", self.pointer);
        self
    }
}

impl<C: Serialize + fmt::Debug> fmt::Display for Diagnostic<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = serde_json::to_value(&self.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{:?}", self.code));
        let pointer = if self.pointer.is_empty() {
            "(document)"
        } else {
            &self.pointer
        };
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "{line}:{column}: {code}: {} at {pointer}", self.message)?
            }
            _ => write!(f, "{code}: {} at {pointer}", self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// A fault inside the engine. It is never the sender's fault and never final: hosts answer it
/// with [`Fault::REPLY`] so the sending side keeps the message and retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// What went wrong, for the operator's log.
    pub message: String,
    /// Always [`Fault::REPLY`].
    pub reply: String,
}

impl Fault {
    /// The SMTP reply for any internal fault or missing policy: temporary, so nothing is lost.
    pub const REPLY: &'static str = "451 4.3.0 TLS compliance check unavailable, try again later";

    /// A fault with its operator-facing message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            reply: Self::REPLY.to_owned(),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "internal fault: {} ({})", self.message, self.reply)
    }
}

impl std::error::Error for Fault {}

/// Builds RFC 6901 JSON pointers.
pub(crate) mod pointer {
    /// Appends one reference token, escaping `~` and `/`.
    pub fn push(base: &str, token: &str) -> String {
        let mut out = String::with_capacity(base.len() + token.len() + 1);
        out.push_str(base);
        out.push('/');
        for c in token.chars() {
            match c {
                '~' => out.push_str("~0"),
                '/' => out.push_str("~1"),
                c => out.push(c),
            }
        }
        out
    }

    /// Splits a pointer into unescaped reference tokens.
    pub fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
        pointer
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
    }
}
