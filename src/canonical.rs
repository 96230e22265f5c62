//! The one canonicaliser for addresses and domains, shared by policy entries and message addresses.
//!
//! A domain is lower-cased, loses one trailing dot, and is converted to A-labels with IDNA/UTS-46
//! (the `idna` crate; STD3 rules, DNS lengths), so `Bücher.example.` and `xn--bcher-kva.example` are
//! one domain. A local part compares ASCII-case-insensitively, so its ASCII letters are
//! lower-cased; other characters (SMTPUTF8) are kept as written. RFC 5321 limits apply: a local
//! part of at most 64 octets, a domain of at most 255 and a path of at most 256 (so an address of
//! at most 254). Control characters are refused wherever they appear. Nothing is guessed: input
//! that does not fit is an [`AddressError`].
//!
//! The `From:` header is parsed with the `mail-parser` crate and must hold exactly one mailbox.

use std::fmt;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// RFC 5321 §4.5.3.1.1: the maximum length of a local part, in octets.
pub const MAX_LOCAL_PART: usize = 64;
/// RFC 5321 §4.5.3.1.2: the maximum length of a domain, in octets.
pub const MAX_DOMAIN: usize = 255;
/// RFC 5321 §4.5.3.1.3: a path (`<local@domain>`) is at most 256 octets, so an address is at most
/// 254.
pub const MAX_ADDRESS: usize = 254;
/// The longest `From:` value accepted: RFC 5322's line limit, folded lines included, is far below.
pub const MAX_FROM_HEADER: usize = 4096;

/// Why an address, a domain or a `From:` value cannot be canonicalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressError {
    /// Nothing there.
    Empty,
    /// A control character (such as CR, LF or NUL) at a character position.
    ControlCharacter {
        /// 0-based character index.
        at: usize,
    },
    /// Whitespace where none may be.
    Whitespace,
    /// No `@`.
    NoAt,
    /// Nothing before the `@`.
    EmptyLocalPart,
    /// Nothing after the `@`.
    EmptyDomain,
    /// The local part has characters an unquoted local part may not have.
    InvalidLocalPart(String),
    /// The local part is over 64 octets.
    LocalPartTooLong(usize),
    /// The domain is over 255 octets.
    DomainTooLong(usize),
    /// The address is over 254 octets.
    AddressTooLong(usize),
    /// The domain is not a valid (internationalised) domain name.
    InvalidDomain(String),
    /// An address literal such as `[192.0.2.1]`, which no list entry can name.
    AddressLiteral(String),
    /// The `From:` value holds no mailbox.
    NoMailbox,
    /// The `From:` value holds several mailboxes.
    SeveralMailboxes(usize),
    /// The `From:` value is over [`MAX_FROM_HEADER`] octets.
    FromTooLong(usize),
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("is empty"),
            Self::ControlCharacter { at } => {
                write!(f, "contains a control character at position {}", at + 1)
            }
            Self::Whitespace => f.write_str("contains whitespace"),
            Self::NoAt => f.write_str("has no `@`"),
            Self::EmptyLocalPart => f.write_str("has nothing before the `@`"),
            Self::EmptyDomain => f.write_str("has nothing after the `@`"),
            Self::InvalidLocalPart(local) => {
                write!(
                    f,
                    "has a local part `{local}` that is not valid in RFC 5321"
                )
            }
            Self::LocalPartTooLong(n) => {
                write!(
                    f,
                    "has a local part of {n} octets (RFC 5321 allows {MAX_LOCAL_PART})"
                )
            }
            Self::DomainTooLong(n) => {
                write!(
                    f,
                    "has a domain of {n} octets (RFC 5321 allows {MAX_DOMAIN})"
                )
            }
            Self::AddressTooLong(n) => {
                write!(f, "is {n} octets long (RFC 5321 allows {MAX_ADDRESS})")
            }
            Self::InvalidDomain(d) => write!(f, "has `{d}`, which is not a valid domain name"),
            Self::AddressLiteral(d) => {
                write!(
                    f,
                    "has the address literal `{d}`; only domain names are supported"
                )
            }
            Self::NoMailbox => f.write_str("holds no mailbox"),
            Self::SeveralMailboxes(n) => {
                write!(f, "holds {n} mailboxes; exactly one is required")
            }
            Self::FromTooLong(n) => {
                write!(
                    f,
                    "is {n} octets long (at most {MAX_FROM_HEADER} are accepted)"
                )
            }
        }
    }
}

impl std::error::Error for AddressError {}

/// A canonical mail address: `local@domain` with the domain in A-labels, lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    text: String,
    // INVARIANT: `text[at]` is the `@` that separates the local part from the domain.
    at: usize,
}

impl Address {
    /// The whole canonical address.
    pub fn as_str(&self) -> &str {
        &self.text
    }
    /// The canonical local part.
    pub fn local_part(&self) -> &str {
        self.text.get(..self.at).unwrap_or_default()
    }
    /// The canonical domain.
    pub fn domain(&self) -> &str {
        self.text.get(self.at + 1..).unwrap_or_default()
    }
    /// Consumes it, giving the canonical text.
    pub fn into_string(self) -> String {
        self.text
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn check_controls(input: &str) -> Result<(), AddressError> {
    match input.chars().position(char::is_control) {
        Some(at) => Err(AddressError::ControlCharacter { at }),
        None => Ok(()),
    }
}

/// Canonicalises a domain name: lower case, one trailing dot removed, A-labels (IDNA/UTS-46).
///
/// # Errors
/// [`AddressError`] when it is empty, holds control characters or whitespace, is too long, or is
/// not a valid domain name under UTS-46 with STD3 rules.
pub fn canonical_domain(input: &str) -> Result<String, AddressError> {
    if let Some(fast) = ascii_ldh_domain(input.strip_suffix('.').unwrap_or(input)) {
        return Ok(fast);
    }
    check_controls(input)?;
    if input.chars().any(char::is_whitespace) {
        return Err(AddressError::Whitespace);
    }
    if input.starts_with('[') {
        return Err(AddressError::AddressLiteral(input.to_owned()));
    }
    let trimmed = input.strip_suffix('.').unwrap_or(input);
    if trimmed.is_empty() {
        return Err(AddressError::Empty);
    }
    let ascii = Uts46::new()
        .to_ascii(
            trimmed.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .map_err(|_| AddressError::InvalidDomain(input.to_owned()))?;
    if ascii.len() > MAX_DOMAIN {
        return Err(AddressError::DomainTooLong(ascii.len()));
    }
    Ok(ascii.into_owned())
}

/// The canonical form of a plain ASCII host name, without UTS-46: letters, digits and hyphens in
/// labels of 1 to 63 octets that neither start nor end with a hyphen, at most 253 octets in all.
/// For such a name UTS-46 (STD3 rules, DNS lengths) only lower-cases, so this gives the same
/// answer quickly. `None` sends anything else (non-ASCII, `xn--` labels that must be decoded and
/// checked, every error) through [`Uts46`].
fn ascii_ldh_domain(domain: &str) -> Option<String> {
    let bytes = domain.as_bytes();
    if bytes.is_empty() || bytes.len() > 253 {
        return None;
    }
    let mut label_start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => {}
            b'-' if i != label_start => {}
            b'.' if i != label_start
                && bytes.get(i - 1) != Some(&b'-')
                && i - label_start <= 63 =>
            {
                label_start = i + 1;
                continue;
            }
            _ => return None,
        }
        // An `xn--` label is an A-label: UTS-46 decodes and validates it.
        if i == label_start + 3
            && bytes
                .get(label_start..=i)
                .is_some_and(|l| l.eq_ignore_ascii_case(b"xn--"))
        {
            return None;
        }
    }
    let last = bytes.len() - label_start;
    if last == 0 || last > 63 || bytes.last() == Some(&b'-') {
        return None;
    }
    Some(domain.to_ascii_lowercase())
}

/// Characters allowed in an unquoted local part (RFC 5322 `atext` and `.`), plus any non-ASCII
/// character (RFC 6531 SMTPUTF8).
fn is_local_char(c: char) -> bool {
    matches!(c, 'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '!' | '#' | '$' | '%' | '&' | '\'' | '*' | '+' | '-' | '/' | '=' | '?' | '^' | '_' | '`' | '{' | '|' | '}' | '~')
        || !c.is_ascii()
}

fn canonical_local_part(local: &str) -> Result<String, AddressError> {
    if local.is_empty() {
        return Err(AddressError::EmptyLocalPart);
    }
    let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    if !quoted && !local.chars().all(is_local_char) {
        return Err(if local.chars().any(char::is_whitespace) {
            AddressError::Whitespace
        } else {
            AddressError::InvalidLocalPart(local.to_owned())
        });
    }
    if local.len() > MAX_LOCAL_PART {
        return Err(AddressError::LocalPartTooLong(local.len()));
    }
    Ok(local.to_ascii_lowercase())
}

/// Canonicalises a mail address `local@domain`: the domain by [`canonical_domain`], the local
/// part's ASCII letters lower-cased. The `@` that separates them is the last one, so a quoted local
/// part may hold `@`.
///
/// # Errors
/// [`AddressError`] when it has no `@`, an empty or invalid part, control characters, or is over
/// RFC 5321's lengths.
pub fn canonical_address(input: &str) -> Result<Address, AddressError> {
    check_controls(input)?;
    if input.is_empty() {
        return Err(AddressError::Empty);
    }
    let (local, domain) = input.rsplit_once('@').ok_or(AddressError::NoAt)?;
    if domain.is_empty() {
        return Err(AddressError::EmptyDomain);
    }
    let local = canonical_local_part(local)?;
    let domain = canonical_domain(domain)?;
    let at = local.len();
    let mut text = String::with_capacity(at + 1 + domain.len());
    text.push_str(&local);
    text.push('@');
    text.push_str(&domain);
    if text.len() > MAX_ADDRESS {
        return Err(AddressError::AddressTooLong(text.len()));
    }
    Ok(Address { text, at })
}

/// Parses an RFC 5322 `From:` header value (`Alice <alice@corp.example>`, folded or not) and
/// canonicalises its one mailbox.
///
/// # Errors
/// [`AddressError`] when it holds no mailbox or several (groups count their members), a bare CR or
/// LF outside a fold, or a mailbox that [`canonical_address`] refuses.
pub fn parse_from_header(value: &str) -> Result<Address, AddressError> {
    if value.len() > MAX_FROM_HEADER {
        return Err(AddressError::FromTooLong(value.len()));
    }
    // Unfold (RFC 5322 §2.2.3): CRLF followed by whitespace is whitespace. Any other control
    // character, a bare CR or LF included, is refused: it could smuggle a second header.
    let unfolded = value.replace("\r\n ", " ").replace("\r\n\t", "\t");
    if let Some(at) = unfolded.chars().position(|c| c.is_control() && c != '\t') {
        return Err(AddressError::ControlCharacter { at });
    }
    if unfolded.trim().is_empty() {
        return Err(AddressError::Empty);
    }
    let mut raw = Vec::with_capacity(unfolded.len() + 2);
    raw.extend_from_slice(unfolded.as_bytes());
    raw.extend_from_slice(b"\r\n");
    let parsed = mail_parser::parsers::MessageStream::new(&raw).parse_address();
    let mut mailboxes: Vec<String> = Vec::new();
    match parsed {
        mail_parser::HeaderValue::Address(mail_parser::Address::List(list)) => {
            for addr in list {
                mailboxes.extend(addr.address.map(|a| a.into_owned()));
            }
        }
        mail_parser::HeaderValue::Address(mail_parser::Address::Group(groups)) => {
            for group in groups {
                for addr in group.addresses {
                    mailboxes.extend(addr.address.map(|a| a.into_owned()));
                }
            }
        }
        _ => {}
    }
    match mailboxes.len() {
        0 => Err(AddressError::NoMailbox),
        1 => {
            let mailbox = mailboxes.pop().unwrap_or_default();
            canonical_address(mailbox.trim())
        }
        n => Err(AddressError::SeveralMailboxes(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idn_case_and_trailing_dot_are_one_domain() {
        assert_eq!(
            canonical_domain("Bücher.example.").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            canonical_domain("xn--bcher-kva.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            canonical_domain("PARTNER.Example").unwrap(),
            "partner.example"
        );
    }

    #[test]
    fn local_parts_compare_ascii_case_insensitively() {
        let a = canonical_address("CEO@Bank.Example.").unwrap();
        assert_eq!(a.as_str(), "ceo@bank.example");
        assert_eq!(a.local_part(), "ceo");
        assert_eq!(a.domain(), "bank.example");
    }

    #[test]
    fn bad_addresses_are_errors_not_guesses() {
        assert_eq!(canonical_address("alice"), Err(AddressError::NoAt));
        assert_eq!(
            canonical_address("@x.example"),
            Err(AddressError::EmptyLocalPart)
        );
        assert_eq!(canonical_address("a@"), Err(AddressError::EmptyDomain));
        assert_eq!(
            canonical_address("a\r\n@x.example"),
            Err(AddressError::ControlCharacter { at: 1 })
        );
        let long = format!("{}@x.example", "a".repeat(65));
        assert_eq!(
            canonical_address(&long),
            Err(AddressError::LocalPartTooLong(65))
        );
        assert!(matches!(
            canonical_address("a@-x.example"),
            Err(AddressError::InvalidDomain(_))
        ));
        assert!(matches!(
            canonical_address("a b@x.example"),
            Err(AddressError::Whitespace)
        ));
    }

    #[test]
    fn the_ascii_fast_path_agrees_with_uts46() {
        let slow = |d: &str| {
            Uts46::new()
                .to_ascii(
                    d.as_bytes(),
                    AsciiDenyList::STD3,
                    Hyphens::CheckFirstLast,
                    DnsLength::Verify,
                )
                .ok()
                .map(|c| c.into_owned())
        };
        let long_label = format!("{}.example", "a".repeat(64));
        let long_name = ["abcdefghij"; 26].join(".");
        for d in [
            "partner.example",
            "PARTNER.Example",
            "a-b.example",
            "ab--cd.example",
            "-a.example",
            "a-.example",
            "a..example",
            ".example",
            "example.",
            "xn--bcher-kva.example",
            "XN--bcher-kva.example",
            "xn--.example",
            "a.xn--zz",
            "1.2.3.4",
            "a_b.example",
            "a b",
            "x",
            &long_label,
            &long_name,
            "-",
            "a.-",
            "a.b-",
            "xn",
            "xn-",
            "axn--b.example",
        ] {
            if let Some(fast) = ascii_ldh_domain(d) {
                assert_eq!(Some(fast), slow(d), "{d}");
            }
        }
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&"[a-zA-Z0-9.-]{0,12}(xn--)?[a-zA-Z0-9._ -]{0,12}", |d| {
                if let Some(fast) = ascii_ldh_domain(&d) {
                    proptest::prop_assert_eq!(Some(fast), slow(&d), "{}", d);
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(
            ascii_ldh_domain("Mail.Partner.Example").as_deref(),
            Some("mail.partner.example")
        );
        assert_eq!(ascii_ldh_domain("xn--bcher-kva.example"), None);
    }

    #[test]
    fn from_header_must_hold_exactly_one_mailbox() {
        assert_eq!(
            parse_from_header("Alice <Alice@Corp.Example>")
                .unwrap()
                .as_str(),
            "alice@corp.example"
        );
        assert_eq!(
            parse_from_header("bob@x.example").unwrap().as_str(),
            "bob@x.example"
        );
        assert_eq!(
            parse_from_header("\"Doe, John\" <john@x.example>")
                .unwrap()
                .as_str(),
            "john@x.example"
        );
        assert_eq!(
            parse_from_header("a@x.example, b@y.example"),
            Err(AddressError::SeveralMailboxes(2))
        );
        assert_eq!(
            parse_from_header("undisclosed-recipients:;"),
            Err(AddressError::NoMailbox)
        );
        assert!(parse_from_header("Alice <a@x.example>\nBcc: b@y.example").is_err());
    }
}
