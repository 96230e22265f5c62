//! What the probe learns from the server's certificate chain: whether it is trusted and whether
//! it names the host, decided separately, plus what a person needs to fix it (names, dates,
//! issuer).
//!
//! The handshake never fails on the certificate: the probe's verifier accepts any chain (it
//! still checks the handshake signatures, so the server proves it holds the key), and after the
//! handshake webpki is asked about the chain and, independently, about the name. A probe
//! reports; it does not refuse.
//!
//! | `trust` | when |
//! |---|---|
//! | `ca-signed` | the chain leads to a trusted root now |
//! | `expired` | it leads to a trusted root at a time inside the leaf's validity period, but not now (a leaf not valid yet counts too: it is outside its validity period) |
//! | `self-signed` | it does not, and the leaf's issuer is its own subject |
//! | `untrusted` | it does not, for any other reason (unknown issuer, bad signature, …) |
//! | `absent` | no certificate (then there is no `hostname` fact: no name to match) |
//!
//! `hostname` is `match` when the leaf's subjectAltName covers the expected name (a DNS name, or
//! an IP address), else `mismatch`, whatever the trust.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Serialize;

use crate::scenario::{CertificateFacts, CertificateTrust, HostnameCheck};

/// Accepts whatever chain the server presents, so the handshake goes on and the chain can be
/// assessed afterwards; checks the handshake signatures like any client.
#[derive(Debug)]
pub(crate) struct ReportingVerifier {
    provider: Arc<CryptoProvider>,
}

impl ReportingVerifier {
    pub(crate) fn new(provider: Arc<CryptoProvider>) -> Self {
        Self { provider }
    }
}

impl ServerCertVerifier for ReportingVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The probe sends nothing over this session but EHLO and QUIT; the chain and the name
        // are judged by `assess` after the handshake, and reported rather than enforced.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// What the server's certificate says, for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateDetails {
    /// The leaf's subject (`CN=mx.example.com`).
    pub subject: String,
    /// The leaf's issuer.
    pub issuer: String,
    /// The DNS names the leaf is for (subjectAltName).
    pub dns_names: Vec<String>,
    /// The IP addresses the leaf is for (subjectAltName).
    pub ip_addresses: Vec<String>,
    /// Start of the validity period (RFC 3339, UTC).
    pub not_before: String,
    /// End of the validity period, the expiry (RFC 3339, UTC).
    pub not_after: String,
    /// Issuer and subject are the same name: the certificate signed itself.
    pub self_issued: bool,
    /// How many certificates the server sent (leaf first).
    pub chain_length: usize,
    /// Why the chain is not trusted now (webpki's words), or null when it is.
    pub chain_error: Option<String>,
    /// Why the certificate does not name the expected host, or null when it does.
    pub hostname_error: Option<String>,
}

/// Seconds since the Unix epoch → `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn rfc3339(timestamp: i64) -> String {
    // Howard Hinnant's civil_from_days, for the proleptic Gregorian calendar.
    let days = timestamp.div_euclid(86_400);
    let secs = timestamp.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The parts of the leaf that `assess` needs besides webpki's answers.
struct Leaf {
    details: CertificateDetails,
    not_before: i64,
    not_after: i64,
}

fn parse_leaf(der: &CertificateDer<'_>, chain_length: usize) -> Option<Leaf> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(n) => dns_names.push((*n).to_owned()),
                x509_parser::extensions::GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes)
                            .ok()
                            .map(|b| std::net::IpAddr::from(b).to_string()),
                        16 => <[u8; 16]>::try_from(*bytes)
                            .ok()
                            .map(|b| std::net::IpAddr::from(b).to_string()),
                        _ => None,
                    };
                    ip_addresses.extend(ip);
                }
                _ => {}
            }
        }
    }
    let validity = cert.validity();
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    Some(Leaf {
        details: CertificateDetails {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            dns_names,
            ip_addresses,
            not_before: rfc3339(not_before),
            not_after: rfc3339(not_after),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            chain_length,
            chain_error: None,
            hostname_error: None,
        },
        not_before,
        not_after,
    })
}

/// webpki's error in words a mail administrator reads.
fn describe(e: &webpki::Error) -> String {
    match e {
        webpki::Error::UnknownIssuer => {
            "the chain does not lead to a trusted root certificate (unknown issuer)".to_owned()
        }
        webpki::Error::CertExpired { .. } => "the certificate has expired".to_owned(),
        webpki::Error::CertNotValidYet { .. } => "the certificate is not valid yet".to_owned(),
        webpki::Error::CertNotValidForName(_) => {
            "the certificate is not valid for this name".to_owned()
        }
        webpki::Error::CaUsedAsEndEntity => {
            "the server presented a CA certificate as its own".to_owned()
        }
        other => format!("{other:?}"),
    }
}

/// Judges a chain as the server sent it (leaf first): trust against `roots` at `now`, and,
/// separately, whether the leaf names `expected` (a DNS name or an IP address).
///
/// Trust: `ca-signed` when it chains to a root now; `expired` when it chains to a root at a time
/// inside the leaf's validity period but not now (a leaf not yet valid counts as expired too:
/// it is outside its validity period); otherwise `self-signed` when the leaf's issuer is its own
/// subject, else `untrusted`. No certificate at all is `absent`, with no hostname fact (there is
/// no name to match).
pub(crate) fn assess(
    chain: &[CertificateDer<'_>],
    roots: &[TrustAnchor<'_>],
    algorithms: &WebPkiSupportedAlgorithms,
    expected: &str,
    now: UnixTime,
) -> (CertificateFacts, Option<CertificateDetails>) {
    let Some((leaf_der, intermediates)) = chain.split_first() else {
        return (
            CertificateFacts {
                trust: Some(CertificateTrust::Absent),
                hostname: None,
            },
            None,
        );
    };
    let parsed = parse_leaf(leaf_der, chain.len());
    let Ok(leaf) = webpki::EndEntityCert::try_from(leaf_der) else {
        // Not a certificate webpki can read: neither trusted nor a name to match.
        let mut details = parsed.map(|l| l.details);
        if let Some(d) = details.as_mut() {
            d.chain_error = Some("the certificate cannot be parsed".to_owned());
            d.hostname_error = Some("the certificate cannot be parsed".to_owned());
        }
        return (
            CertificateFacts {
                trust: Some(CertificateTrust::Untrusted),
                hostname: Some(HostnameCheck::Mismatch),
            },
            details,
        );
    };
    let verify_at = |time: UnixTime| {
        leaf.verify_for_usage(
            algorithms.all,
            roots,
            intermediates,
            time,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map(|_| ())
    };
    let self_issued = parsed.as_ref().is_some_and(|l| l.details.self_issued);
    let (trust, chain_error) = match verify_at(now) {
        Ok(()) => (CertificateTrust::CaSigned, None),
        Err(e) => {
            let out_of_period = matches!(
                e,
                webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. }
            );
            // Would it chain to a root at a time inside the leaf's validity period?
            let in_period = parsed.as_ref().and_then(|l| {
                let middle = l.not_before.saturating_add(l.not_after) / 2;
                u64::try_from(middle)
                    .ok()
                    .map(|s| UnixTime::since_unix_epoch(Duration::from_secs(s)))
            });
            let then = match (out_of_period, in_period) {
                (true, Some(t)) => Some(verify_at(t)),
                _ => None,
            };
            let trust = match then {
                Some(Ok(())) => CertificateTrust::Expired,
                _ if self_issued => CertificateTrust::SelfSigned,
                _ => CertificateTrust::Untrusted,
            };
            // Report why it is not trusted; for an expired chain, the expiry itself.
            let reason = match then {
                Some(Err(then_error)) => describe(&then_error),
                _ => describe(&e),
            };
            (trust, Some(reason))
        }
    };
    let hostname_error = match ServerName::try_from(expected) {
        Ok(name) => leaf
            .verify_is_valid_for_subject_name(&name)
            .err()
            .map(|e| match e {
                webpki::Error::CertNotValidForName(_) => {
                    format!("the certificate is not valid for `{expected}`")
                }
                other => describe(&other),
            }),
        Err(_) => Some(format!("`{expected}` is not a valid host name")),
    };
    let hostname = if hostname_error.is_none() {
        HostnameCheck::Match
    } else {
        HostnameCheck::Mismatch
    };
    let details = parsed.map(|l| CertificateDetails {
        chain_error,
        hostname_error,
        ..l.details
    });
    (
        CertificateFacts {
            trust: Some(trust),
            hostname: Some(hostname),
        },
        details,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    fn algorithms() -> WebPkiSupportedAlgorithms {
        rustls::crypto::ring::default_provider().signature_verification_algorithms
    }

    struct Ca {
        der: CertificateDer<'static>,
        issuer: Issuer<'static, KeyPair>,
    }

    fn ca() -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    fn leaf(name: &str, ca: Option<&Ca>, period: Option<(i32, i32)>) -> CertificateDer<'static> {
        let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        if let Some((from, to)) = period {
            params.not_before = rcgen::date_time_ymd(from, 1, 1);
            params.not_after = rcgen::date_time_ymd(to, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = match ca {
            Some(ca) => params.signed_by(&key, &ca.issuer).unwrap(),
            None => params.self_signed(&key).unwrap(),
        };
        cert.der().clone()
    }

    fn judge(
        chain: &[CertificateDer<'_>],
        roots: &[CertificateDer<'_>],
        name: &str,
    ) -> (
        Option<CertificateTrust>,
        Option<HostnameCheck>,
        Option<CertificateDetails>,
    ) {
        let anchors: Vec<_> = roots
            .iter()
            .map(|r| webpki::anchor_from_trusted_cert(r).unwrap())
            .collect();
        let (facts, details) = assess(chain, &anchors, &algorithms(), name, UnixTime::now());
        (facts.trust, facts.hostname, details)
    }

    #[test]
    fn a_leaf_signed_by_a_trusted_ca_for_the_name_is_ca_signed_and_matches() {
        let ca = ca();
        let (trust, hostname, details) = judge(
            &[leaf("mx.example", Some(&ca), None)],
            std::slice::from_ref(&ca.der),
            "mx.example",
        );
        assert_eq!(trust, Some(CertificateTrust::CaSigned));
        assert_eq!(hostname, Some(HostnameCheck::Match));
        let details = details.unwrap();
        assert_eq!(details.dns_names, ["mx.example"]);
        assert_eq!(details.issuer, "CN=Test CA");
        assert!(!details.self_issued);
        assert_eq!((details.chain_error, details.hostname_error), (None, None));
    }

    #[test]
    fn trust_and_hostname_are_judged_independently() {
        let ca = ca();
        let (trust, hostname, details) = judge(
            &[leaf("other.example", Some(&ca), None)],
            std::slice::from_ref(&ca.der),
            "mx.example",
        );
        assert_eq!(trust, Some(CertificateTrust::CaSigned));
        assert_eq!(hostname, Some(HostnameCheck::Mismatch));
        assert!(details
            .unwrap()
            .hostname_error
            .unwrap()
            .contains("mx.example"));
    }

    #[test]
    fn a_self_signed_leaf_is_self_signed_even_with_a_matching_name() {
        let (trust, hostname, details) =
            judge(&[leaf("mx.example", None, None)], &[], "mx.example");
        assert_eq!(trust, Some(CertificateTrust::SelfSigned));
        assert_eq!(hostname, Some(HostnameCheck::Match));
        assert!(details.unwrap().self_issued);
    }

    #[test]
    fn a_leaf_from_an_unknown_ca_is_untrusted() {
        let ca = ca();
        let (trust, _, details) = judge(&[leaf("mx.example", Some(&ca), None)], &[], "mx.example");
        assert_eq!(trust, Some(CertificateTrust::Untrusted));
        assert!(details
            .unwrap()
            .chain_error
            .unwrap()
            .contains("unknown issuer"));
    }

    #[test]
    fn an_expired_leaf_from_a_trusted_ca_is_expired() {
        let ca = ca();
        let (trust, hostname, details) = judge(
            &[leaf("mx.example", Some(&ca), Some((2020, 2021)))],
            std::slice::from_ref(&ca.der),
            "mx.example",
        );
        assert_eq!(trust, Some(CertificateTrust::Expired));
        assert_eq!(hostname, Some(HostnameCheck::Match));
        let details = details.unwrap();
        assert_eq!(details.not_after, "2021-01-01T00:00:00Z");
        assert_eq!(
            details.chain_error.as_deref(),
            Some("the certificate has expired")
        );
    }

    #[test]
    fn an_expired_self_signed_leaf_is_self_signed() {
        let (trust, _, _) = judge(
            &[leaf("mx.example", None, Some((2020, 2021)))],
            &[],
            "mx.example",
        );
        assert_eq!(trust, Some(CertificateTrust::SelfSigned));
    }

    #[test]
    fn no_certificate_is_absent_with_no_hostname_fact() {
        let (trust, hostname, details) = judge(&[], &[], "mx.example");
        assert_eq!(
            (trust, hostname, details),
            (Some(CertificateTrust::Absent), None, None)
        );
    }

    #[test]
    fn an_ip_address_is_matched_against_ip_names() {
        let ca = ca();
        let (_, hostname, _) = judge(
            &[leaf("127.0.0.1", Some(&ca), None)],
            std::slice::from_ref(&ca.der),
            "127.0.0.1",
        );
        assert_eq!(hostname, Some(HostnameCheck::Match));
    }

    #[test]
    fn timestamps_are_written_as_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
