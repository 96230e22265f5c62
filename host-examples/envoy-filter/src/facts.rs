//! TLS facts from Envoy's connection properties (`tlsFacts: envoy`).
//!
//! | fact | inbound (`connection.*`) | outbound (`upstream.*`) |
//! |---|---|---|
//! | `tls`, `version` | `connection.tls_version` | `upstream.tls_version` |
//! | a certificate was presented | `connection.sha256_peer_certificate_digest` | `upstream.sha256_peer_certificate_digest` |
//! | `certificate.trust` | `ca-signed` when `envoyTls.verifiesPeerCertificate`, else unknown; `absent` without a certificate | same |
//! | `certificate.hostname` | `match` when `envoyTls.verifiesPeerHostname`, else unknown | same |

use tls_compliance::{CertificateFacts, CertificateTrust, HostnameCheck, TlsFacts, TlsVersion};

use crate::config::EnvoyTls;

/// Which connection's properties: the client's (inbound) or the upstream's (outbound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `connection.*`: the TLS Envoy terminates for the client.
    Downstream,
    /// `upstream.*`: the TLS Envoy originates to the destination.
    Upstream,
}

impl Side {
    fn prefix(self) -> &'static str {
        match self {
            Self::Downstream => "connection",
            Self::Upstream => "upstream",
        }
    }
}

/// Envoy's `tls_version` strings (BoringSSL's `SSL_get_version`).
fn version(name: &str) -> Option<TlsVersion> {
    match name {
        "TLSv1" => Some(TlsVersion::V1_0),
        "TLSv1.1" => Some(TlsVersion::V1_1),
        "TLSv1.2" => Some(TlsVersion::V1_2),
        "TLSv1.3" => Some(TlsVersion::V1_3),
        _ => None,
    }
}

/// Reads the facts through `get` (a property lookup). `Ok(None)`: not known yet (the upstream is
/// not connected).
///
/// # Errors
/// A property Envoy gave that the filter cannot read (an unknown TLS version); decisions on this
/// connection then answer `451 4.3.0`.
pub fn envoy_facts(
    get: &dyn Fn(&[&str]) -> Option<Vec<u8>>,
    side: Side,
    checks: EnvoyTls,
) -> Result<Option<TlsFacts>, String> {
    let prefix = side.prefix();
    if side == Side::Upstream && get(&["upstream", "address"]).is_none_or(|a| a.is_empty()) {
        return Ok(None);
    }
    let tls_version = get(&[prefix, "tls_version"]).filter(|v| !v.is_empty());
    let Some(raw) = tls_version else {
        return Ok(Some(TlsFacts {
            tls: Some(false),
            version: None,
            certificate: None,
        }));
    };
    let name = String::from_utf8_lossy(&raw);
    let version = version(&name).ok_or_else(|| {
        format!(
            "unknown TLS version `{}` in `{prefix}.tls_version`",
            name.escape_debug()
        )
    })?;
    let presented = get(&[prefix, "sha256_peer_certificate_digest"]).is_some_and(|d| !d.is_empty());
    let certificate = if presented {
        CertificateFacts {
            trust: checks
                .verifies_peer_certificate
                .then_some(CertificateTrust::CaSigned),
            hostname: checks
                .verifies_peer_hostname
                .then_some(HostnameCheck::Match),
        }
    } else {
        CertificateFacts {
            trust: Some(CertificateTrust::Absent),
            hostname: None,
        }
    };
    Ok(Some(TlsFacts {
        tls: Some(true),
        version: Some(version),
        certificate: Some(certificate),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&[&str]) -> Option<Vec<u8>> {
        move |path: &[&str]| {
            let key = path.join(".");
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.as_bytes().to_vec())
        }
    }

    const CHECKED: EnvoyTls = EnvoyTls {
        verifies_peer_certificate: true,
        verifies_peer_hostname: true,
    };

    #[test]
    fn a_plaintext_listener_is_tls_false() {
        let f = envoy_facts(&props(&[]), Side::Downstream, EnvoyTls::default()).unwrap();
        assert_eq!(f.unwrap().tls, Some(false));
    }

    #[test]
    fn tls13_without_a_client_certificate_is_trust_absent() {
        let f = envoy_facts(
            &props(&[("connection.tls_version", "TLSv1.3")]),
            Side::Downstream,
            CHECKED,
        )
        .unwrap()
        .unwrap();
        assert_eq!(f.version, Some(TlsVersion::V1_3));
        assert_eq!(f.certificate.unwrap().trust, Some(CertificateTrust::Absent));
    }

    #[test]
    fn a_certificate_envoy_verified_is_ca_signed_and_matching() {
        let get = props(&[
            ("connection.tls_version", "TLSv1.2"),
            ("connection.sha256_peer_certificate_digest", "ab12"),
        ]);
        let f = envoy_facts(&get, Side::Downstream, CHECKED)
            .unwrap()
            .unwrap();
        let c = f.certificate.unwrap();
        assert_eq!(
            (c.trust, c.hostname),
            (Some(CertificateTrust::CaSigned), Some(HostnameCheck::Match))
        );
        let f = envoy_facts(&get, Side::Downstream, EnvoyTls::default())
            .unwrap()
            .unwrap();
        let c = f.certificate.unwrap();
        assert_eq!((c.trust, c.hostname), (None, None));
    }

    #[test]
    fn upstream_facts_wait_for_the_upstream_connection() {
        assert_eq!(envoy_facts(&props(&[]), Side::Upstream, CHECKED), Ok(None));
        let get = props(&[
            ("upstream.address", "192.0.2.1:465"),
            ("upstream.tls_version", "TLSv1.1"),
        ]);
        let f = envoy_facts(&get, Side::Upstream, CHECKED).unwrap().unwrap();
        assert_eq!(f.version, Some(TlsVersion::V1_1));
    }

    #[test]
    fn an_unknown_version_string_is_an_error() {
        let e = envoy_facts(
            &props(&[("connection.tls_version", "SSLv3")]),
            Side::Downstream,
            CHECKED,
        )
        .unwrap_err();
        assert!(e.contains("SSLv3"));
    }
}
