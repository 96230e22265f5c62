//! The negotiated TLS version, read from the server's first handshake message (RFC 8446 §4.1.3,
//! RFC 5246 §7.4.1.3) as it passes by. Nothing else of the encrypted stream is looked at.

use crate::policy::TlsVersion;

/// The most the watcher holds while the `ServerHello` is incomplete.
const MAX_HELD: usize = 16 * 1024 + 5;

/// Record content type `handshake`.
const HANDSHAKE: u8 = 22;
/// Handshake message type `server_hello`.
const SERVER_HELLO: u8 = 2;
/// Extension `supported_versions` (RFC 8446 §4.2.1).
const SUPPORTED_VERSIONS: u16 = 43;

/// Watches the server's side of a TLS connection until its `ServerHello` is read.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServerHelloWatch {
    held: Vec<u8>,
    done: bool,
}

/// What the watcher learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Watch {
    /// More bytes are needed.
    Pending,
    /// The `ServerHello` was read: the version, if it is one of TLS 1.0–1.3.
    Version(Option<TlsVersion>),
    /// Already reported, or gave up.
    Done,
}

impl ServerHelloWatch {
    /// Feeds server bytes.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Watch {
        if self.done {
            return Watch::Done;
        }
        let room = MAX_HELD.saturating_sub(self.held.len());
        self.held
            .extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
        match server_hello_version(&self.held) {
            Parse::Incomplete if self.held.len() < MAX_HELD => Watch::Pending,
            Parse::Incomplete | Parse::NotServerHello => self.finish(None),
            Parse::Version(v) => self.finish(v),
        }
    }

    fn finish(&mut self, version: Option<TlsVersion>) -> Watch {
        self.done = true;
        self.held = Vec::new();
        Watch::Version(version)
    }

    /// Whether the watch is over (the version was read, or it gave up).
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Bytes held.
    pub(crate) fn held(&self) -> usize {
        self.held.capacity()
    }
}

enum Parse {
    Incomplete,
    NotServerHello,
    Version(Option<TlsVersion>),
}

/// A cursor over bytes that never reads past the end.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
    }
    fn u24(&mut self) -> Option<usize> {
        let b = self.take(3)?;
        Some(
            usize::from(*b.first()?) << 16 | usize::from(*b.get(1)?) << 8 | usize::from(*b.get(2)?),
        )
    }
}

/// Joins the payloads of the leading handshake records and reads the `ServerHello` in them.
fn server_hello_version(stream: &[u8]) -> Parse {
    let mut records = Cursor(stream);
    let mut handshake = Vec::new();
    loop {
        let Some(content_type) = records.u8() else {
            return Parse::Incomplete;
        };
        if content_type != HANDSHAKE {
            return Parse::NotServerHello;
        }
        let (Some(_legacy), Some(len)) = (records.u16(), records.u16()) else {
            return Parse::Incomplete;
        };
        let Some(payload) = records.take(usize::from(len)) else {
            return Parse::Incomplete;
        };
        handshake.extend_from_slice(payload);
        let mut msg = Cursor(&handshake);
        let (Some(kind), Some(len)) = (msg.u8(), msg.u24()) else {
            continue;
        };
        if kind != SERVER_HELLO {
            return Parse::NotServerHello;
        }
        let Some(body) = msg.take(len) else {
            continue;
        };
        return Parse::Version(parse_server_hello(body));
    }
}

fn parse_server_hello(body: &[u8]) -> Option<TlsVersion> {
    let mut c = Cursor(body);
    let legacy = c.u16()?;
    c.take(32)?; // random
    let sid = c.u8()?;
    c.take(usize::from(sid))?;
    c.u16()?; // cipher suite
    c.u8()?; // compression method
    let mut version = legacy;
    if let Some(ext_len) = c.u16() {
        let mut exts = Cursor(c.take(usize::from(ext_len))?);
        while let (Some(kind), Some(len)) = (exts.u16(), exts.u16()) {
            let data = exts.take(usize::from(len))?;
            if kind == SUPPORTED_VERSIONS {
                version = Cursor(data).u16()?;
            }
        }
    }
    TlsVersion::from_wire(version)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A `ServerHello` record with the given legacy version and, optionally, a
    /// `supported_versions` extension.
    pub(crate) fn server_hello(legacy: u16, supported: Option<u16>) -> Vec<u8> {
        let mut body = legacy.to_be_bytes().to_vec();
        body.extend_from_slice(&[7; 32]);
        body.push(0); // session id
        body.extend_from_slice(&[0x13, 0x01, 0]);
        let mut exts = Vec::new();
        if let Some(v) = supported {
            exts.extend_from_slice(&SUPPORTED_VERSIONS.to_be_bytes());
            exts.extend_from_slice(&2u16.to_be_bytes());
            exts.extend_from_slice(&v.to_be_bytes());
        }
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend_from_slice(&exts);
        let mut hs = vec![SERVER_HELLO];
        hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        hs.extend_from_slice(&body);
        let mut rec = vec![HANDSHAKE, 3, 3];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn tls13_is_read_from_supported_versions() {
        let mut w = ServerHelloWatch::default();
        assert_eq!(
            w.feed(&server_hello(0x0303, Some(0x0304))),
            Watch::Version(Some(TlsVersion::V1_3))
        );
        assert_eq!(w.feed(b"more"), Watch::Done);
    }

    #[test]
    fn tls12_is_read_from_the_legacy_version_byte_by_byte() {
        let hello = server_hello(0x0303, None);
        let mut w = ServerHelloWatch::default();
        for (i, b) in hello.iter().enumerate() {
            let r = w.feed(std::slice::from_ref(b));
            if i + 1 < hello.len() {
                assert_eq!(r, Watch::Pending);
            } else {
                assert_eq!(r, Watch::Version(Some(TlsVersion::V1_2)));
            }
        }
    }

    #[test]
    fn a_handshake_split_over_two_records_is_joined() {
        let hello = server_hello(0x0301, None);
        let hs = &hello[5..];
        let (a, b) = hs.split_at(10);
        let mut stream = vec![HANDSHAKE, 3, 1, 0, a.len() as u8];
        stream.extend_from_slice(a);
        stream.extend_from_slice(&[HANDSHAKE, 3, 1, 0, b.len() as u8]);
        stream.extend_from_slice(b);
        assert_eq!(
            ServerHelloWatch::default().feed(&stream),
            Watch::Version(Some(TlsVersion::V1_0))
        );
    }

    #[test]
    fn anything_but_a_handshake_gives_up_with_no_version() {
        assert_eq!(
            ServerHelloWatch::default().feed(b"220 plaintext\r\n"),
            Watch::Version(None)
        );
        assert_eq!(
            ServerHelloWatch::default().feed(&[21, 3, 3, 0, 2, 2, 40]),
            Watch::Version(None)
        );
    }
}
