//! Testing a live mail server's secure transport, as Google's "Test TLS connection" does before
//! an admin saves a setting: connect, read the greeting, `EHLO`, `STARTTLS`, handshake, and
//! report the facts of SPEC §4 — exactly the `connection` object a scenario carries, so the
//! result can be fed to [`crate::Policy::evaluate`] (or `tls-compliance eval`) as it is.
//!
//! Native only (feature `probe`): it opens sockets and speaks TLS through rustls (the `ring`
//! provider). The wasm builds never see it.
//!
//! - **Never hangs.** Name resolution, each connection attempt, each reply and the handshake each
//!   have a deadline ([`ProbeOptions::timeout`]); reads are bounded in size.
//! - **Reports, never refuses.** The handshake goes on whatever the certificate is; its chain is
//!   then judged against the trusted roots (the system's, and/or [`ProbeOptions::ca_certificates`])
//!   and, separately, against the expected host name. See [`certificate`] for the rules.
//! - **TLS 1.2 and 1.3.** rustls speaks nothing older: a server that offers only TLS 1.0 or 1.1
//!   fails the handshake, and the reason says so.
//!
//! ```no_run
//! use std::time::Duration;
//! use tls_compliance::probe::{probe, ProbeOptions, Target};
//! let target: Target = "mx.partner.example:25".parse()?;
//! let options = ProbeOptions::new(Duration::from_secs(10));
//! match probe(&target, &options) {
//!     Ok(report) => println!("{}", serde_json::to_string(&report.connection)?),
//!     Err(e) => eprintln!("{e}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod certificate;
mod report;
mod transport;

use std::fmt;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs as _};
use std::str::FromStr;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use serde::Serialize;

use crate::policy::TlsVersion;
use crate::scenario::{Direction, RecipientSpec, Scenario, TlsFacts};

pub use certificate::CertificateDetails;
pub use report::{explain_probe, explain_probe_error, problems, ProbeFailure};
use transport::{IoFailure, Plain, Reply, ReplyReader, Tls, Transport as _};

/// The SMTP port a probe connects to when none is given.
pub const DEFAULT_PORT: u16 = 25;

/// What to probe: `HOST[:PORT]`, where HOST is a name, an IPv4 address or a bracketed IPv6
/// address (`[::1]:2525`; a bare IPv6 address is taken as a host without a port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host name or address.
    pub host: String,
    /// The TCP port.
    pub port: u16,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad_port = |p: &str| format!("`{p}` is not a port number (1–65535)");
        let port = |p: &str| match p.parse::<u16>() {
            Ok(0) | Err(_) => Err(bad_port(p)),
            Ok(n) => Ok(n),
        };
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("`{s}` has `[` without `]`"))?;
            match after {
                "" => (host, DEFAULT_PORT),
                _ => match after.strip_prefix(':') {
                    Some(p) => (host, port(p)?),
                    None => return Err(format!("`{s}`: expected `:PORT` after `]`")),
                },
            }
        } else if s.matches(':').count() > 1 {
            (s, DEFAULT_PORT)
        } else {
            match s.split_once(':') {
                Some((host, p)) => (host, port(p)?),
                None => (s, DEFAULT_PORT),
            }
        };
        let host = host.trim_end_matches('.');
        if host.is_empty() {
            return Err(format!("`{s}` names no host"));
        }
        if host
            .bytes()
            .any(|b| b.is_ascii_control() || b == b' ' || b == b'/')
        {
            return Err(format!("`{}` is not a host name", host.escape_debug()));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// The name the certificate must carry; the probed host when `None`. It is also sent as the
    /// TLS server name (SNI), as a sending server would send the MX host's name.
    pub expect_hostname: Option<String>,
    /// Trust the system's root certificates.
    pub system_roots: bool,
    /// Further trusted root certificates (`--ca-file`).
    pub ca_certificates: Vec<CertificateDer<'static>>,
    /// The limit for each step: resolving the name, each connection attempt, each reply, the
    /// handshake.
    pub timeout: Duration,
    /// The name sent with `EHLO`.
    pub ehlo_name: String,
}

impl ProbeOptions {
    /// System roots, no extra roots, the probed name expected, `EHLO localhost`.
    pub fn new(timeout: Duration) -> Self {
        Self {
            expect_hostname: None,
            system_roots: true,
            ca_certificates: Vec::new(),
            timeout,
            ehlo_name: "localhost".to_owned(),
        }
    }
}

/// Reads every certificate in a PEM file (`--ca-file`).
///
/// # Errors
/// The file cannot be read, holds a malformed PEM section, or holds no certificate.
pub fn load_ca_file(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let name = path.display();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read `{name}`: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot read `{name}`: {e}"))?;
    if certs.is_empty() {
        return Err(format!("`{name}` holds no PEM certificate"));
    }
    Ok(certs)
}

/// Where the trusted roots came from, so an `untrusted` result can be read correctly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Roots {
    /// Root certificates loaded from the system store (0 when not used or none found).
    pub system: usize,
    /// Root certificates from `--ca-file`.
    pub ca_file: usize,
}

/// The negotiated TLS session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsDetails {
    /// The protocol version.
    pub version: TlsVersion,
    /// The cipher suite, by its IANA name (`TLS13_AES_256_GCM_SHA384`).
    pub cipher_suite: String,
    /// The key exchange group (`X25519`), when one was used.
    pub key_exchange: Option<String>,
}

/// What the probe saw, beyond the facts: for a person, and for troubleshooting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeDetails {
    /// The host as given.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The name the certificate was checked against (and sent as SNI).
    pub expected_hostname: String,
    /// The address connected to, once connected.
    pub address: Option<String>,
    /// The server's greeting, as received.
    pub greeting: Option<String>,
    /// The extensions the server lists in its `EHLO` reply before TLS (`STARTTLS`, `SIZE 10240000`).
    pub capabilities: Vec<String>,
    /// Whether `STARTTLS` is offered; null when the probe did not get that far.
    pub starttls: Option<bool>,
    /// The reply to `STARTTLS`, when it was sent.
    pub starttls_reply: Option<String>,
    /// The TLS session, once negotiated.
    pub tls: Option<TlsDetails>,
    /// The server's certificate, once seen.
    pub certificate: Option<CertificateDetails>,
    /// The extensions listed in reply to `EHLO` sent over TLS (`AUTH` often appears only here);
    /// null when the server did not answer it.
    pub capabilities_after_tls: Option<Vec<String>>,
    /// The trusted roots the chain was judged against; null until the handshake.
    pub roots: Option<Roots>,
}

/// The result of a probe that reached a verdict on TLS: the facts, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    /// SPEC §4 connection facts: `{"tls": false}` when there is no TLS, else the version and the
    /// certificate's trust and hostname.
    pub connection: TlsFacts,
    /// What was seen.
    pub details: ProbeDetails,
}

impl ProbeReport {
    /// True when the server does not offer STARTTLS, or refuses it: the facts are `tls: false`.
    pub fn no_tls(&self) -> bool {
        self.connection.tls == Some(false)
    }
}

/// Why a probe stopped before it could tell whether the server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ProbeErrorKind {
    /// The host name does not resolve.
    NameNotResolved,
    /// Every address refused the connection (no server on that port).
    ConnectionRefused,
    /// No address could be connected to for another reason (unreachable network, …).
    ConnectFailed,
    /// A step took longer than the timeout.
    Timeout,
    /// The TLS handshake failed.
    HandshakeFailed,
    /// The server refused the session or `EHLO`, answered out of protocol, or closed the
    /// connection.
    Smtp,
}

impl ProbeErrorKind {
    /// The name in JSON output (`nameNotResolved`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NameNotResolved => "nameNotResolved",
            Self::ConnectionRefused => "connectionRefused",
            Self::ConnectFailed => "connectFailed",
            Self::Timeout => "timeout",
            Self::HandshakeFailed => "handshakeFailed",
            Self::Smtp => "smtpError",
        }
    }
}

/// A probe that stopped early: what went wrong, and what had been seen until then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeError {
    /// What kind of failure.
    pub kind: ProbeErrorKind,
    /// What happened, in words (lowercase, no final period).
    pub message: String,
    /// What had been seen before it.
    pub details: Box<ProbeDetails>,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProbeError {}

/// A step of the probe, for timeout and error messages.
#[derive(Debug, Clone, Copy)]
enum Step {
    Greeting,
    Ehlo,
    Starttls,
    Handshake,
}

impl Step {
    fn waiting_for(self) -> &'static str {
        match self {
            Self::Greeting => "the server's greeting",
            Self::Ehlo => "the reply to EHLO",
            Self::Starttls => "the reply to STARTTLS",
            Self::Handshake => "the TLS handshake",
        }
    }
}

/// Probes `target`: see the module docs.
///
/// # Errors
/// A [`ProbeError`] when the probe stops before it knows whether TLS works: the name does not
/// resolve, no connection, a timeout, the handshake fails, or the SMTP session breaks. A server
/// without STARTTLS is not an error: the report says `tls: false`.
pub fn probe(target: &Target, options: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let expected = options
        .expect_hostname
        .clone()
        .unwrap_or_else(|| target.host.clone());
    let mut session = Session {
        details: ProbeDetails {
            host: target.host.clone(),
            port: target.port,
            expected_hostname: expected.clone(),
            address: None,
            greeting: None,
            capabilities: Vec::new(),
            starttls: None,
            starttls_reply: None,
            tls: None,
            certificate: None,
            capabilities_after_tls: None,
            roots: None,
        },
        timeout: options.timeout,
    };
    let mut tcp = session.connect(target)?;
    let mut reader = ReplyReader::default();
    let result = session.converse(&mut tcp, &mut reader, options, &expected);
    let _ = tcp.shutdown(std::net::Shutdown::Both);
    result.map(|connection| ProbeReport {
        connection,
        details: session.details,
    })
}

/// A probe in progress: what has been seen so far.
struct Session {
    details: ProbeDetails,
    timeout: Duration,
}

impl Session {
    fn fail(&self, kind: ProbeErrorKind, message: String) -> ProbeError {
        ProbeError {
            kind,
            message,
            details: Box::new(self.details.clone()),
        }
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    fn step_failure(&self, step: Step, e: IoFailure) -> ProbeError {
        match e {
            IoFailure::TimedOut => self.fail(
                ProbeErrorKind::Timeout,
                format!(
                    "timed out after {} waiting for {}",
                    seconds(self.timeout),
                    step.waiting_for()
                ),
            ),
            IoFailure::Tls(e) => self.fail(
                ProbeErrorKind::HandshakeFailed,
                format!("the TLS handshake failed: {}", describe_tls_error(&e)),
            ),
            IoFailure::Closed if matches!(step, Step::Handshake) => self.fail(
                ProbeErrorKind::HandshakeFailed,
                "the TLS handshake failed: the server closed the connection".to_owned(),
            ),
            IoFailure::Io(e) if matches!(step, Step::Handshake) => self.fail(
                ProbeErrorKind::HandshakeFailed,
                format!("the TLS handshake failed: {e}"),
            ),
            other => self.fail(
                ProbeErrorKind::Smtp,
                format!("while waiting for {}: {other}", step.waiting_for()),
            ),
        }
    }

    fn resolve(&self, target: &Target) -> Result<Vec<SocketAddr>, ProbeError> {
        if let Ok(ip) = target.host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, target.port)]);
        }
        // getaddrinfo has no timeout of its own: ask on a thread, wait at most the timeout.
        let (tx, rx) = mpsc::channel();
        let (host, port) = (target.host.clone(), target.port);
        std::thread::spawn(move || {
            let _ = tx.send(
                (host.as_str(), port)
                    .to_socket_addrs()
                    .map(|a| a.collect::<Vec<_>>()),
            );
        });
        let not_resolved = |why: String| {
            self.fail(
                ProbeErrorKind::NameNotResolved,
                format!("the name `{}` does not resolve: {why}", target.host),
            )
        };
        match rx.recv_timeout(self.timeout) {
            Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
            Ok(Ok(_)) => Err(not_resolved("no address".to_owned())),
            Ok(Err(e)) => Err(not_resolved(e.to_string())),
            Err(_) => Err(self.fail(
                ProbeErrorKind::Timeout,
                format!(
                    "timed out after {} resolving the name `{}`",
                    seconds(self.timeout),
                    target.host
                ),
            )),
        }
    }

    /// Tries each address in turn, as a sending server does.
    fn connect(&mut self, target: &Target) -> Result<TcpStream, ProbeError> {
        let addrs = self.resolve(target)?;
        let mut attempts = Vec::new();
        let (mut refused, mut timed_out) = (false, false);
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, self.timeout) {
                Ok(tcp) => {
                    self.details.address = Some(addr.to_string());
                    return Ok(tcp);
                }
                Err(e) => {
                    let why = match e.kind() {
                        std::io::ErrorKind::ConnectionRefused => {
                            refused = true;
                            "connection refused".to_owned()
                        }
                        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                            timed_out = true;
                            format!("no answer within {}", seconds(self.timeout))
                        }
                        _ => e.to_string(),
                    };
                    attempts.push(format!("{addr}: {why}"));
                }
            }
        }
        let kind = if refused {
            ProbeErrorKind::ConnectionRefused
        } else if timed_out {
            ProbeErrorKind::Timeout
        } else {
            ProbeErrorKind::ConnectFailed
        };
        let what = match kind {
            ProbeErrorKind::ConnectionRefused => "connection refused",
            ProbeErrorKind::Timeout => "timed out connecting",
            _ => "cannot connect",
        };
        let message = match (addrs.as_slice(), target.host.parse::<IpAddr>()) {
            ([addr], Ok(_)) => format!("{what} to {addr}"),
            _ => format!("{what} to {target} ({})", attempts.join("; ")),
        };
        Err(self.fail(kind, message))
    }

    fn command(
        &self,
        plain: &mut Plain<'_>,
        reader: &mut ReplyReader,
        line: &str,
        step: Step,
    ) -> Result<Reply, ProbeError> {
        let deadline = self.deadline();
        plain
            .send(format!("{line}\r\n").as_bytes(), deadline)
            .and_then(|()| reader.read(plain, deadline))
            .map_err(|e| self.step_failure(step, e))
    }

    fn converse(
        &mut self,
        tcp: &mut TcpStream,
        reader: &mut ReplyReader,
        options: &ProbeOptions,
        expected: &str,
    ) -> Result<TlsFacts, ProbeError> {
        let mut plain = Plain { tcp };
        let greeting = reader
            .read(&mut plain, self.deadline())
            .map_err(|e| self.step_failure(Step::Greeting, e))?;
        self.details.greeting = Some(greeting.full());
        if greeting.code != 220 {
            return Err(self.fail(
                ProbeErrorKind::Smtp,
                format!("the server refused the session: `{}`", greeting.full()),
            ));
        }
        let ehlo = self.command(
            &mut plain,
            reader,
            &format!("EHLO {}", options.ehlo_name),
            Step::Ehlo,
        )?;
        if ehlo.code != 250 {
            return Err(self.fail(
                ProbeErrorKind::Smtp,
                format!("the server refused EHLO: `{}`", ehlo.full()),
            ));
        }
        self.details.capabilities = ehlo.texts().skip(1).map(str::to_owned).collect();
        let offered = self.details.capabilities.iter().any(|c| {
            c.split_whitespace()
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
        });
        self.details.starttls = Some(offered);
        if !offered {
            let _ = self.command(&mut plain, reader, "QUIT", Step::Ehlo);
            return Ok(no_tls());
        }
        let reply = self.command(&mut plain, reader, "STARTTLS", Step::Starttls)?;
        self.details.starttls_reply = Some(reply.full());
        if reply.code != 220 {
            // Offered but refused (`454 4.7.0 TLS not available`): mail goes without TLS.
            let _ = self.command(&mut plain, reader, "QUIT", Step::Starttls);
            return Ok(no_tls());
        }
        // Plaintext the server sent after its 220 is not part of the TLS session.
        reader.discard();
        self.tls(plain.tcp, expected, options)
    }

    fn tls(
        &mut self,
        tcp: &mut TcpStream,
        expected: &str,
        options: &ProbeOptions,
    ) -> Result<TlsFacts, ProbeError> {
        let roots = trusted_roots(options);
        self.details.roots = Some(Roots {
            system: roots.system,
            ca_file: roots.ca_file,
        });
        let roots = roots.store;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let algorithms = provider.signature_verification_algorithms;
        let config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| self.fail(ProbeErrorKind::HandshakeFailed, e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(certificate::ReportingVerifier::new(
                provider,
            )))
            .with_no_client_auth();
        // SNI: the expected name when it is one; else the address connected to (no SNI).
        let server_name = ServerName::try_from(expected.to_owned())
            .ok()
            .or_else(|| {
                tcp.peer_addr()
                    .ok()
                    .map(|a| ServerName::IpAddress(a.ip().into()))
            })
            .ok_or_else(|| {
                self.fail(
                    ProbeErrorKind::HandshakeFailed,
                    format!("`{expected}` is not a name TLS can be asked for"),
                )
            })?;
        let mut conn = ClientConnection::new(Arc::new(config), server_name)
            .map_err(|e| self.fail(ProbeErrorKind::HandshakeFailed, e.to_string()))?;
        let mut tls = Tls {
            tcp,
            conn: &mut conn,
        };
        tls.handshake(self.deadline())
            .map_err(|e| self.step_failure(Step::Handshake, e))?;

        let version = tls
            .conn
            .protocol_version()
            .and_then(|v| TlsVersion::from_wire(u16::from(v)));
        if let (Some(version), Some(suite)) = (version, tls.conn.negotiated_cipher_suite()) {
            let suite = suite.suite();
            self.details.tls = Some(TlsDetails {
                version,
                cipher_suite: suite
                    .as_str()
                    .map_or_else(|| format!("{suite:?}"), str::to_owned),
                key_exchange: tls
                    .conn
                    .negotiated_key_exchange_group()
                    .map(|g| format!("{:?}", g.name())),
            });
        }
        let chain = tls.conn.peer_certificates().unwrap_or_default();
        let (certificate, details) =
            certificate::assess(chain, &roots.roots, &algorithms, expected, UnixTime::now());
        self.details.certificate = details;

        // Go on as a sending server would: EHLO again over TLS, then QUIT. Best effort; the
        // facts are already known.
        let mut reader = ReplyReader::default();
        let deadline = self.deadline();
        let line = format!("EHLO {}\r\n", options.ehlo_name);
        if let Ok(reply) = tls
            .send(line.as_bytes(), deadline)
            .and_then(|()| reader.read(&mut tls, deadline))
        {
            if reply.code == 250 {
                self.details.capabilities_after_tls =
                    Some(reply.texts().skip(1).map(str::to_owned).collect());
            }
        }
        let deadline = self.deadline();
        let _ = tls
            .send(b"QUIT\r\n", deadline)
            .and_then(|()| reader.read(&mut tls, deadline));
        tls.close(deadline);

        Ok(TlsFacts {
            tls: Some(true),
            version,
            certificate: Some(certificate),
        })
    }
}

/// The roots a chain is judged against, and how many came from where.
struct TrustedRoots {
    store: RootCertStore,
    system: usize,
    ca_file: usize,
}

fn trusted_roots(options: &ProbeOptions) -> TrustedRoots {
    let mut store = RootCertStore::empty();
    let mut system = 0;
    if options.system_roots {
        // Unreadable entries in the system store are skipped; the count tells what was loaded.
        let native = rustls_native_certs::load_native_certs();
        system = store.add_parsable_certificates(native.certs).0;
    }
    let ca_file = store
        .add_parsable_certificates(options.ca_certificates.iter().cloned())
        .0;
    TrustedRoots {
        store,
        system,
        ca_file,
    }
}

fn no_tls() -> TlsFacts {
    TlsFacts {
        tls: Some(false),
        version: None,
        certificate: None,
    }
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// rustls' error, with the common causes said plainly.
fn describe_tls_error(e: &rustls::Error) -> String {
    use rustls::{AlertDescription, PeerIncompatible};
    match e {
        rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13)
        | rustls::Error::AlertReceived(AlertDescription::ProtocolVersion) => format!(
            "the server supports no TLS version this probe speaks (TLS 1.2 and 1.3); it may \
             offer only TLS 1.0 or 1.1 ({e})"
        ),
        rustls::Error::AlertReceived(AlertDescription::HandshakeFailure)
        | rustls::Error::PeerIncompatible(_) => format!(
            "the server and this probe share no cipher suite, key exchange or signature \
             scheme ({e})"
        ),
        rustls::Error::NoCertificatesPresented => "the server presented no certificate".to_owned(),
        other => other.to_string(),
    }
}

/// The scenario that asks the policy about these facts: one message from `sender` to
/// `recipients` over the probed connection. Inbound, `sender` is also the `From:` mailbox that
/// is matched.
pub fn scenario(
    direction: Direction,
    sender: &str,
    recipients: &[String],
    connection: TlsFacts,
) -> Scenario {
    Scenario {
        name: None,
        direction,
        sender: Some(sender.to_owned()),
        sender_org_unit: None,
        from: match direction {
            Direction::Inbound => Some(sender.to_owned()),
            Direction::Outbound => None,
        },
        recipients: recipients
            .iter()
            .cloned()
            .map(RecipientSpec::Address)
            .collect(),
        connection: Some(connection),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(s: &str) -> Result<(String, u16), String> {
        s.parse::<Target>().map(|t| (t.host, t.port))
    }

    #[test]
    fn a_target_takes_a_host_and_an_optional_port() {
        assert_eq!(target("mx.example"), Ok(("mx.example".into(), 25)));
        assert_eq!(target("mx.example:2525"), Ok(("mx.example".into(), 2525)));
        assert_eq!(target("mx.example.:587"), Ok(("mx.example".into(), 587)));
        assert_eq!(target("127.0.0.1:25"), Ok(("127.0.0.1".into(), 25)));
        assert_eq!(target("[::1]:2525"), Ok(("::1".into(), 2525)));
        assert_eq!(target("[::1]"), Ok(("::1".into(), 25)));
        assert_eq!(target("::1"), Ok(("::1".into(), 25)));
    }

    #[test]
    fn a_bad_target_is_refused_with_a_reason() {
        for bad in [
            "", ":25", "mx:0", "mx:65536", "mx:smtp", "[::1", "[::1]x", "a b",
        ] {
            assert!(target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_target_prints_as_it_is_written() {
        assert_eq!(
            "[::1]:25".parse::<Target>().unwrap().to_string(),
            "[::1]:25"
        );
        assert_eq!("mx".parse::<Target>().unwrap().to_string(), "mx:25");
    }

    #[test]
    fn an_inbound_scenario_matches_the_sender_as_the_from_mailbox() {
        let s = scenario(
            Direction::Inbound,
            "a@b.example",
            &["c@d.example".into()],
            no_tls(),
        );
        assert_eq!(s.from.as_deref(), Some("a@b.example"));
        let s = scenario(
            Direction::Outbound,
            "a@b.example",
            &["c@d.example".into()],
            no_tls(),
        );
        assert_eq!(s.from, None);
        assert_eq!(s.connection, Some(no_tls()));
    }
}
