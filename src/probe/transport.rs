//! The byte streams a probe talks SMTP over — plain TCP, then TLS after `STARTTLS` — and the
//! SMTP reply reader on top of them. Every read and write runs against a deadline, so a server
//! that goes silent, or drips a byte at a time, cannot hold the probe past it.

use std::io::{self, Read as _, Write as _};
use std::net::TcpStream;
use std::time::Instant;

use rustls::ClientConnection;

/// The longest reply line accepted. RFC 5321 §4.5.3.1.5 allows 512 octets; servers in the wild
/// send longer ones, so this is lenient, but bounded.
const MAX_LINE: usize = 4096;
/// The most lines one reply may have (an EHLO reply has one per extension).
const MAX_LINES: usize = 100;

/// Why a read or write did not complete.
#[derive(Debug)]
pub(crate) enum IoFailure {
    /// The deadline passed.
    TimedOut,
    /// The peer closed the connection.
    Closed,
    /// A socket error.
    Io(io::Error),
    /// A TLS error (an alert, a bad record).
    Tls(rustls::Error),
    /// The peer sent something that is not an SMTP reply.
    Malformed(String),
}

impl std::fmt::Display for IoFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TimedOut => f.write_str("timed out"),
            Self::Closed => f.write_str("the server closed the connection"),
            Self::Io(e) => write!(f, "{e}"),
            Self::Tls(e) => write!(f, "{e}"),
            Self::Malformed(m) => f.write_str(m),
        }
    }
}

/// The time left before `deadline`, or `TimedOut` when there is none. Never zero: a zero socket
/// timeout is an error, not an instant one.
fn remaining(deadline: Instant) -> Result<std::time::Duration, IoFailure> {
    match deadline.checked_duration_since(Instant::now()) {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err(IoFailure::TimedOut),
    }
}

fn io_failure(e: io::Error) -> IoFailure {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => IoFailure::TimedOut,
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => IoFailure::Closed,
        _ => IoFailure::Io(e),
    }
}

/// A connection that bytes can be sent over and received from, each before a deadline.
pub(crate) trait Transport {
    /// Appends the bytes that arrive next to `buf`; returns how many (0: the peer closed).
    fn receive(&mut self, buf: &mut Vec<u8>, deadline: Instant) -> Result<usize, IoFailure>;
    /// Sends all of `data`.
    fn send(&mut self, data: &[u8], deadline: Instant) -> Result<(), IoFailure>;
}

/// Plain TCP, before `STARTTLS`.
pub(crate) struct Plain<'a> {
    pub(crate) tcp: &'a mut TcpStream,
}

impl Transport for Plain<'_> {
    fn receive(&mut self, buf: &mut Vec<u8>, deadline: Instant) -> Result<usize, IoFailure> {
        let mut chunk = [0u8; 4096];
        loop {
            self.tcp
                .set_read_timeout(Some(remaining(deadline)?))
                .map_err(IoFailure::Io)?;
            match self.tcp.read(&mut chunk) {
                Ok(n) => {
                    buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_failure(e)),
            }
        }
    }

    fn send(&mut self, data: &[u8], deadline: Instant) -> Result<(), IoFailure> {
        self.tcp
            .set_write_timeout(Some(remaining(deadline)?))
            .map_err(IoFailure::Io)?;
        self.tcp.write_all(data).map_err(io_failure)
    }
}

/// TLS over the same TCP connection, after `STARTTLS`. Records are read and written one at a
/// time with the deadline checked between them (rustls' `complete_io` would loop on its own).
pub(crate) struct Tls<'a> {
    pub(crate) tcp: &'a mut TcpStream,
    pub(crate) conn: &'a mut ClientConnection,
}

impl Tls<'_> {
    /// Writes every pending TLS record.
    pub(crate) fn flush(&mut self, deadline: Instant) -> Result<(), IoFailure> {
        while self.conn.wants_write() {
            self.tcp
                .set_write_timeout(Some(remaining(deadline)?))
                .map_err(IoFailure::Io)?;
            match self.conn.write_tls(self.tcp) {
                Ok(0) => return Err(IoFailure::Closed),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_failure(e)),
            }
        }
        Ok(())
    }

    /// Reads TLS records and processes them once; a TLS error is sent to the peer as an alert
    /// (when one applies) and returned.
    fn read_records(&mut self, deadline: Instant) -> Result<(), IoFailure> {
        self.tcp
            .set_read_timeout(Some(remaining(deadline)?))
            .map_err(IoFailure::Io)?;
        match self.conn.read_tls(self.tcp) {
            Ok(0) => return Err(IoFailure::Closed),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(io_failure(e)),
        }
        if let Err(e) = self.conn.process_new_packets() {
            // Tell the peer why, if rustls queued an alert; the error is the answer either way.
            let _ = self.flush(deadline);
            return Err(IoFailure::Tls(e));
        }
        Ok(())
    }

    /// Runs the handshake to its end.
    pub(crate) fn handshake(&mut self, deadline: Instant) -> Result<(), IoFailure> {
        while self.conn.is_handshaking() {
            self.flush(deadline)?;
            if !self.conn.is_handshaking() {
                break;
            }
            self.read_records(deadline)?;
        }
        // TLS 1.3: the client's Finished is still queued.
        self.flush(deadline)
    }

    /// Sends `close_notify`, best effort.
    pub(crate) fn close(&mut self, deadline: Instant) {
        self.conn.send_close_notify();
        let _ = self.flush(deadline);
    }
}

impl Transport for Tls<'_> {
    fn receive(&mut self, buf: &mut Vec<u8>, deadline: Instant) -> Result<usize, IoFailure> {
        let mut chunk = [0u8; 4096];
        loop {
            match self.conn.reader().read(&mut chunk) {
                Ok(n) => {
                    buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(io_failure(e)),
            }
            self.read_records(deadline)?;
        }
    }

    fn send(&mut self, data: &[u8], deadline: Instant) -> Result<(), IoFailure> {
        self.conn.writer().write_all(data).map_err(io_failure)?;
        self.flush(deadline)
    }
}

/// One SMTP reply: its code and its lines as received (without CRLF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) code: u16,
    pub(crate) lines: Vec<String>,
}

impl Reply {
    /// The text of each line after the code and separator (`250-PIPELINING` → `PIPELINING`).
    pub(crate) fn texts(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|l| l.get(4..).unwrap_or_default())
    }

    /// The reply as received, one line per line.
    pub(crate) fn full(&self) -> String {
        self.lines.join("\n")
    }
}

/// Parses one reply line: its code and whether more lines follow.
pub(crate) fn parse_reply_line(line: &str) -> Result<(u16, bool), IoFailure> {
    let malformed = || {
        IoFailure::Malformed(format!(
            "the server sent `{}`, not an SMTP reply",
            line.escape_debug()
        ))
    };
    let code = line.get(..3).ok_or_else(malformed)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let code: u16 = code.parse().map_err(|_| malformed())?;
    match line.get(3..4) {
        Some("-") => Ok((code, true)),
        Some(" ") | Some("") | None => Ok((code, false)),
        Some(_) => Err(malformed()),
    }
}

/// Reads SMTP replies from a transport, keeping bytes that arrive ahead of the reply being read.
#[derive(Default)]
pub(crate) struct ReplyReader {
    buf: Vec<u8>,
}

impl ReplyReader {
    /// Reads one reply (all of its lines) before `deadline`.
    pub(crate) fn read(
        &mut self,
        transport: &mut impl Transport,
        deadline: Instant,
    ) -> Result<Reply, IoFailure> {
        let mut lines = Vec::new();
        let mut code = 0;
        loop {
            let line = self.line(transport, deadline)?;
            let (this_code, more) = parse_reply_line(&line)?;
            if lines.is_empty() {
                code = this_code;
            }
            lines.push(line);
            if !more {
                return Ok(Reply { code, lines });
            }
            if lines.len() >= MAX_LINES {
                return Err(IoFailure::Malformed(format!(
                    "the server sent a reply of more than {MAX_LINES} lines"
                )));
            }
        }
    }

    /// Drops bytes received but not read: after `220` to `STARTTLS`, anything the server sent in
    /// plaintext must not be taken as part of the TLS session (CVE-2011-0411, the other way round).
    pub(crate) fn discard(&mut self) -> usize {
        let n = self.buf.len();
        self.buf.clear();
        n
    }

    fn line(
        &mut self,
        transport: &mut impl Transport,
        deadline: Instant,
    ) -> Result<String, IoFailure> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let rest = self.buf.split_off(end.saturating_add(1));
                let mut line = std::mem::replace(&mut self.buf, rest);
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_LINE {
                return Err(IoFailure::Malformed(format!(
                    "the server sent a reply line longer than {MAX_LINE} bytes"
                )));
            }
            if transport.receive(&mut self.buf, deadline)? == 0 {
                return Err(IoFailure::Closed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Bytes handed out in fixed pieces, as a network would.
    struct Pieces(Vec<Vec<u8>>);

    impl Transport for Pieces {
        fn receive(&mut self, buf: &mut Vec<u8>, _: Instant) -> Result<usize, IoFailure> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let piece = self.0.remove(0);
            buf.extend_from_slice(&piece);
            Ok(piece.len())
        }
        fn send(&mut self, _: &[u8], _: Instant) -> Result<(), IoFailure> {
            Ok(())
        }
    }

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn a_multiline_reply_split_across_reads_is_read_whole() {
        let mut t = Pieces(vec![
            b"250-mx.example\r\n250-PIPE".to_vec(),
            b"LINING\r\n250 STARTTLS\r\n220 next".to_vec(),
        ]);
        let mut r = ReplyReader::default();
        let reply = r.read(&mut t, deadline()).unwrap();
        assert_eq!(reply.code, 250);
        assert_eq!(
            reply.texts().collect::<Vec<_>>(),
            ["mx.example", "PIPELINING", "STARTTLS"]
        );
        assert_eq!(r.discard(), "220 next".len());
    }

    #[test]
    fn a_bare_lf_and_a_code_without_text_are_accepted() {
        let mut t = Pieces(vec![b"220\n".to_vec()]);
        let reply = ReplyReader::default().read(&mut t, deadline()).unwrap();
        assert_eq!((reply.code, reply.full()), (220, "220".to_owned()));
    }

    #[test]
    fn a_line_that_is_not_a_reply_is_malformed() {
        for line in ["HTTP/1.1 400 Bad Request", "22", "220x", "2a0 hi"] {
            assert!(
                matches!(parse_reply_line(line), Err(IoFailure::Malformed(_))),
                "{line}"
            );
        }
    }

    #[test]
    fn a_connection_closed_mid_reply_is_closed() {
        let mut t = Pieces(vec![b"250-mx.example\r\n".to_vec()]);
        let e = ReplyReader::default().read(&mut t, deadline()).unwrap_err();
        assert!(matches!(e, IoFailure::Closed));
    }

    #[test]
    fn an_endless_line_is_refused_with_bounded_memory() {
        let mut t = Pieces(vec![vec![b'2'; MAX_LINE + 10]]);
        let e = ReplyReader::default().read(&mut t, deadline()).unwrap_err();
        assert!(matches!(e, IoFailure::Malformed(_)));
    }

    #[test]
    fn an_endless_reply_is_refused() {
        let mut t = Pieces(vec![b"250-x\r\n".repeat(MAX_LINES + 1)]);
        let e = ReplyReader::default().read(&mut t, deadline()).unwrap_err();
        assert!(matches!(e, IoFailure::Malformed(_)));
    }

    #[test]
    fn a_passed_deadline_is_a_timeout() {
        assert!(matches!(
            remaining(Instant::now() - Duration::from_millis(1)),
            Err(IoFailure::TimedOut)
        ));
    }
}
