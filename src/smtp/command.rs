//! Client commands (RFC 5321 §4.1): the verb, and the paths of `MAIL` and `RCPT`.

/// The commands the session tells apart. Anything else is [`Verb::Other`] and passes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Ehlo,
    Helo,
    StartTls,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Quit,
    Auth,
    Other,
}

/// Whitespace between tokens, as MTAs split command lines.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x0b | 0x0c)
}

/// A command line without its CRLF, split into its verb and the rest. Leading whitespace is
/// skipped (as Postfix does), so ` RCPT TO:` is still `RCPT`.
pub(crate) fn split(line: &[u8]) -> (Verb, &[u8]) {
    let line = trim_start(line);
    let end = line.iter().position(|&b| is_space(b)).unwrap_or(line.len());
    let (word, rest) = line.split_at(end);
    let verb = match word.to_ascii_uppercase().as_slice() {
        b"EHLO" => Verb::Ehlo,
        b"HELO" => Verb::Helo,
        b"STARTTLS" => Verb::StartTls,
        b"MAIL" => Verb::Mail,
        b"RCPT" => Verb::Rcpt,
        b"DATA" => Verb::Data,
        b"BDAT" => Verb::Bdat,
        b"RSET" => Verb::Rset,
        b"QUIT" => Verb::Quit,
        b"AUTH" => Verb::Auth,
        _ => Verb::Other,
    };
    (verb, trim_start(rest))
}

fn trim_start(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    s.get(start..).unwrap_or_default()
}

/// The path of `MAIL FROM:` or `RCPT TO:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Path {
    /// `<>`, the null reverse-path.
    Null,
    /// A mailbox, source route removed, as written.
    Mailbox(String),
}

/// Parses the argument of `MAIL` (`keyword` `FROM`) or `RCPT` (`TO`): `KEYWORD:<path> params`,
/// with optional spaces around the colon and, leniently, a path without angle brackets.
/// Returns `None` when the argument cannot be read: the session refuses such a command rather
/// than let the upstream read it some other way.
pub(crate) fn path(args: &[u8], keyword: &[u8]) -> Option<Path> {
    let kw = args.get(..keyword.len())?;
    if !kw.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = trim_start(args.get(keyword.len()..)?);
    let rest = trim_start(rest.strip_prefix(b":")?);
    let raw = if let Some(inner) = rest.strip_prefix(b"<") {
        let close = closing_bracket(inner)?;
        inner.get(..close)?
    } else {
        let end = rest.iter().position(|&b| is_space(b)).unwrap_or(rest.len());
        rest.get(..end)?
    };
    let text = std::str::from_utf8(raw).ok()?;
    if text.is_empty() {
        return Some(Path::Null);
    }
    // A source route (`@a,@b:user@domain`, RFC 5321 §4.1.2) is ignored, as §3.3 allows.
    let mailbox = match text.strip_prefix('@') {
        Some(_) => text.split_once(':')?.1,
        None => text,
    };
    if mailbox.is_empty() {
        return None;
    }
    Some(Path::Mailbox(mailbox.to_owned()))
}

/// The index of the `>` that closes a path, skipping quoted strings and quoted pairs.
fn closing_bracket(s: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, &b) in s.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if b == b'\\' && quoted {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if b == b'>' && !quoted {
            return Some(i);
        }
    }
    None
}

/// The chunk size and `LAST` flag of `BDAT <size> [LAST]` (RFC 3030).
pub(crate) fn bdat(args: &[u8]) -> Option<(u64, bool)> {
    let text = std::str::from_utf8(args).ok()?;
    let mut words = text.split_ascii_whitespace();
    let size = words.next()?;
    if !size.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let size: u64 = size.parse().ok()?;
    let last = match words.next() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return None,
    };
    words.next().is_none().then_some((size, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_are_case_insensitive_and_leading_space_is_skipped() {
        assert_eq!(split(b"rcpt TO:<a@b>").0, Verb::Rcpt);
        assert_eq!(split(b"  RCPT TO:<a@b>"), (Verb::Rcpt, &b"TO:<a@b>"[..]));
        assert_eq!(split(b"StartTLS").0, Verb::StartTls);
        assert_eq!(split(b"RCPTX TO:<a@b>").0, Verb::Other);
    }

    #[test]
    fn paths_are_read_with_the_usual_leniencies() {
        let m = |s: &str| Some(Path::Mailbox(s.to_owned()));
        assert_eq!(
            path(b"TO:<bob@partner.example>", b"TO"),
            m("bob@partner.example")
        );
        assert_eq!(
            path(b"to: <bob@partner.example> NOTIFY=NEVER", b"TO"),
            m("bob@partner.example")
        );
        assert_eq!(
            path(b"TO:bob@partner.example", b"TO"),
            m("bob@partner.example")
        );
        assert_eq!(
            path(b"TO:<@relay.example:bob@partner.example>", b"TO"),
            m("bob@partner.example")
        );
        assert_eq!(
            path(b"TO:<\"a>b\"@partner.example>", b"TO"),
            m("\"a>b\"@partner.example")
        );
        assert_eq!(path(b"FROM:<> BODY=8BITMIME", b"FROM"), Some(Path::Null));
    }

    #[test]
    fn unreadable_paths_are_none() {
        assert_eq!(path(b"TO <bob@partner.example>", b"TO"), None);
        assert_eq!(path(b"TO:<bob@partner.example", b"TO"), None);
        assert_eq!(path(b"FROM:<a@b>", b"TO"), None);
        assert_eq!(path(b"TO:<@relay.example>", b"TO"), None);
    }

    #[test]
    fn bdat_arguments_are_a_size_and_an_optional_last() {
        assert_eq!(bdat(b"100 LAST"), Some((100, true)));
        assert_eq!(bdat(b"0"), Some((0, false)));
        assert_eq!(bdat(b"+1"), None);
        assert_eq!(bdat(b"1 FIRST"), None);
    }
}
