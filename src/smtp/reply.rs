//! Server replies (RFC 5321 §4.2): single- and multi-line, and the `EHLO` capability list
//! (RFC 5321 §4.1.1.1) as the client is allowed to see it.

/// A complete reply: its code and its lines, each with its line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) code: u16,
    pub(crate) lines: Vec<Vec<u8>>,
}

impl Reply {
    /// 2xx.
    pub(crate) fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// The reply as received.
    pub(crate) fn bytes(&self) -> Vec<u8> {
        self.lines.concat()
    }
}

/// Why a reply could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyError {
    /// A line that does not start with a three-digit code.
    Syntax,
    /// The lines of a multi-line reply carry different codes.
    MixedCodes,
    /// The reply is longer than the filter holds.
    TooLong,
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Syntax => "upstream reply line without a three-digit code",
            Self::MixedCodes => "upstream multi-line reply with different codes",
            Self::TooLong => "upstream reply over the size the filter holds",
        })
    }
}

/// Collects reply lines until the last one (`ddd SP` or `ddd CRLF`).
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplyBuf {
    code: Option<u16>,
    lines: Vec<Vec<u8>>,
    bytes: usize,
}

/// The most a multi-line reply may hold in all.
const MAX_REPLY_BYTES: usize = 16 * 1024;

impl ReplyBuf {
    /// Adds one line; returns the reply once its last line came.
    pub(crate) fn push(&mut self, line: Vec<u8>) -> Result<Option<Reply>, ReplyError> {
        let code = line
            .get(..3)
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| d.parse::<u16>().ok())
            .ok_or(ReplyError::Syntax)?;
        if self.code.is_some_and(|c| c != code) {
            return Err(ReplyError::MixedCodes);
        }
        self.code = Some(code);
        self.bytes += line.len();
        if self.bytes > MAX_REPLY_BYTES {
            return Err(ReplyError::TooLong);
        }
        let last = match line.get(3) {
            Some(b'-') => false,
            Some(b' ' | b'\r' | b'\n') | None => true,
            Some(_) => return Err(ReplyError::Syntax),
        };
        self.lines.push(line);
        if !last {
            return Ok(None);
        }
        let reply = Reply {
            code,
            lines: std::mem::take(&mut self.lines),
        };
        self.code = None;
        self.bytes = 0;
        Ok(Some(reply))
    }

    /// Bytes of an unfinished reply held.
    pub(crate) fn held(&self) -> usize {
        self.bytes
    }
}

/// What the upstream's `EHLO` reply offers, as far as the session cares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Capabilities {
    /// `CHUNKING` (RFC 3030): `BDAT` can carry a held message.
    pub(crate) chunking: bool,
    /// `PIPELINING` (RFC 2920).
    pub(crate) pipelining: bool,
}

/// How to rewrite the `EHLO` reply.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EhloRewrite {
    /// Remove `STARTTLS` (the connection is already TLS at Envoy).
    pub(crate) drop_starttls: bool,
    /// Advertise at most this `SIZE` (the filter holds messages up to it); none to leave `SIZE`
    /// as it is.
    pub(crate) max_size: Option<usize>,
}

/// The extensions the filter cannot police: message data it does not see as `DATA` lines.
const DROPPED: [&[u8]; 2] = [b"CHUNKING", b"BINARYMIME"];

/// Rewrites a positive `EHLO` reply: drops what the filter cannot police, clamps `SIZE`, and
/// reports what the upstream offers.
pub(crate) fn rewrite_ehlo(reply: &Reply, how: EhloRewrite) -> (Vec<u8>, Capabilities) {
    let mut caps = Capabilities::default();
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(reply.lines.len() + 1);
    let mut saw_size = false;
    for (i, line) in reply.lines.iter().enumerate() {
        let text = strip_eol(line.get(4..).unwrap_or_default());
        if i == 0 {
            kept.push(text.to_vec());
            continue;
        }
        let end = text.iter().position(|&b| b == b' ').unwrap_or(text.len());
        let keyword = text.get(..end).unwrap_or_default().to_ascii_uppercase();
        match keyword.as_slice() {
            b"CHUNKING" => caps.chunking = true,
            b"PIPELINING" => caps.pipelining = true,
            _ => {}
        }
        if DROPPED.contains(&keyword.as_slice())
            || (how.drop_starttls && keyword.as_slice() == b"STARTTLS")
        {
            continue;
        }
        if keyword.as_slice() == b"SIZE" {
            saw_size = true;
            if let Some(max) = how.max_size {
                let advertised = std::str::from_utf8(text.get(end..).unwrap_or_default())
                    .ok()
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .filter(|&n| n > 0);
                let size = advertised.map_or(max as u64, |n| n.min(max as u64));
                kept.push(format!("SIZE {size}").into_bytes());
                continue;
            }
        }
        kept.push(text.to_vec());
    }
    if let (false, Some(max)) = (saw_size, how.max_size) {
        kept.push(format!("SIZE {max}").into_bytes());
    }
    let code = reply.code.to_string();
    let mut out = Vec::new();
    let n = kept.len();
    for (i, text) in kept.into_iter().enumerate() {
        out.extend_from_slice(code.as_bytes());
        out.push(if i + 1 == n { b' ' } else { b'-' });
        out.extend_from_slice(&text);
        out.extend_from_slice(b"\r\n");
    }
    (out, caps)
}

fn strip_eol(s: &[u8]) -> &[u8] {
    let s = s.strip_suffix(b"\n").unwrap_or(s);
    s.strip_suffix(b"\r").unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &str) -> Reply {
        let mut buf = ReplyBuf::default();
        let mut out = None;
        for line in text.split_inclusive('\n') {
            out = buf.push(line.as_bytes().to_vec()).unwrap();
        }
        out.unwrap()
    }

    #[test]
    fn multi_line_replies_end_at_the_line_with_a_space() {
        let mut buf = ReplyBuf::default();
        assert_eq!(buf.push(b"250-a\r\n".to_vec()), Ok(None));
        let r = buf.push(b"250 b\r\n".to_vec()).unwrap().unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.bytes(), b"250-a\r\n250 b\r\n");
        assert_eq!(buf.held(), 0);
        assert_eq!(buf.push(b"354\r\n".to_vec()).unwrap().unwrap().code, 354);
    }

    #[test]
    fn malformed_replies_are_errors() {
        assert_eq!(
            ReplyBuf::default().push(b"OK\r\n".to_vec()),
            Err(ReplyError::Syntax)
        );
        let mut buf = ReplyBuf::default();
        buf.push(b"250-a\r\n".to_vec()).unwrap();
        assert_eq!(buf.push(b"251 b\r\n".to_vec()), Err(ReplyError::MixedCodes));
    }

    #[test]
    fn chunking_and_binarymime_are_removed_even_from_the_last_line() {
        let r = reply("250-mx.example\r\n250-PIPELINING\r\n250-BINARYMIME\r\n250-8BITMIME\r\n250 CHUNKING\r\n");
        let how = EhloRewrite {
            drop_starttls: false,
            max_size: None,
        };
        let (out, caps) = rewrite_ehlo(&r, how);
        assert_eq!(out, b"250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
        assert!(caps.chunking && caps.pipelining);
    }

    #[test]
    fn size_is_clamped_or_added_and_starttls_dropped_when_asked() {
        let how = EhloRewrite {
            drop_starttls: true,
            max_size: Some(1000),
        };
        let (out, _) = rewrite_ehlo(&reply("250-mx\r\n250-SIZE 5000\r\n250 STARTTLS\r\n"), how);
        assert_eq!(out, b"250-mx\r\n250 SIZE 1000\r\n");
        let (out, _) = rewrite_ehlo(&reply("250-mx\r\n250 SIZE 0\r\n"), how);
        assert_eq!(out, b"250-mx\r\n250 SIZE 1000\r\n");
        let (out, caps) = rewrite_ehlo(&reply("250 mx\r\n"), how);
        assert_eq!(out, b"250-mx\r\n250 SIZE 1000\r\n");
        assert_eq!(caps, Capabilities::default());
    }
}
