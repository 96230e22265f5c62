//! The probe's report for people (`--format text`): what was seen, each problem, and how to fix
//! it, in the spirit of the troubleshooting advice of Google's "Test TLS connection".

use std::fmt::Write as _;

use crate::scenario::{CertificateTrust, HostnameCheck};

use super::{ProbeDetails, ProbeError, ProbeErrorKind, ProbeReport};

/// A problem the probe found with a server's secure transport, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeFailure {
    /// What is wrong.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

const RELAY: &str = "If a relay or mail provider runs this server, ask the relay provider";

fn names_on(details: &ProbeDetails) -> String {
    let names: Vec<String> = details
        .certificate
        .iter()
        .flat_map(|c| c.dns_names.iter().chain(&c.ip_addresses))
        .map(|n| format!("`{n}`"))
        .collect();
    if names.is_empty() {
        "no host name".to_owned()
    } else {
        names.join(", ")
    }
}

/// The problems in a report, in the order of SPEC §5's failure table.
pub fn problems(report: &ProbeReport) -> Vec<ProbeFailure> {
    let d = &report.details;
    let mut out = Vec::new();
    if report.no_tls() {
        out.push(match &d.starttls_reply {
            Some(reply) => ProbeFailure {
                problem: format!(
                    "The server offers STARTTLS but refuses it (`{reply}`): mail to it travels \
                     unencrypted, and a setting that requires TLS bounces it \
                     (starttls-not-supported)."
                ),
                fix: format!(
                    "The server cannot start TLS: check its certificate and key files and its \
                     TLS log. {RELAY} to fix TLS."
                ),
            },
            None => ProbeFailure {
                problem: "The server does not offer STARTTLS: mail to it travels unencrypted, \
                          and a setting that requires TLS bounces it (starttls-not-supported)."
                    .to_owned(),
                fix: format!(
                    "Enable TLS (STARTTLS) on the mail server, with a CA-signed certificate; in \
                     Postfix, `smtpd_tls_security_level = may` and `smtpd_tls_chain_files`. \
                     {RELAY} to enable TLS."
                ),
            },
        });
        return out;
    }
    let Some(cert) = report.connection.certificate else {
        return out;
    };
    let issuer = d
        .certificate
        .as_ref()
        .map_or_else(String::new, |c| format!(" (issuer `{}`)", c.issuer));
    match cert.trust {
        Some(CertificateTrust::SelfSigned) => out.push(ProbeFailure {
            problem: format!(
                "The certificate is self-signed{issuer}: it is not CA-signed, so a setting that \
                 requires a CA-signed certificate fails (certificate-not-trusted)."
            ),
            fix: format!(
                "Install a certificate signed by a certificate authority (CA) on the mail \
                 server. {RELAY} to install a CA-signed certificate."
            ),
        }),
        Some(CertificateTrust::Untrusted) => {
            let why = d
                .certificate
                .as_ref()
                .and_then(|c| c.chain_error.as_deref())
                .map_or_else(String::new, |e| format!(": {e}"));
            out.push(ProbeFailure {
                problem: format!(
                    "The certificate is not signed by a trusted certificate authority{issuer}{why} \
                     (certificate-not-trusted)."
                ),
                fix: format!(
                    "Install a CA-signed certificate, and have the server send the intermediate \
                     certificates with it (the full chain). If the CA is your organisation's \
                     own, test with its root certificate in --ca-file. {RELAY}."
                ),
            });
        }
        Some(CertificateTrust::Expired) => {
            let (not_before, not_after) = d
                .certificate
                .as_ref()
                .map(|c| (c.not_before.as_str(), c.not_after.as_str()))
                .unwrap_or_default();
            let not_yet = d
                .certificate
                .as_ref()
                .and_then(|c| c.chain_error.as_deref())
                .is_some_and(|e| e.contains("not valid yet"));
            out.push(if not_yet {
                ProbeFailure {
                    problem: format!(
                        "The certificate is not valid yet (valid from {not_before} to \
                         {not_after}) (certificate-expired)."
                    ),
                    fix: format!("Check the certificate's dates and the server's clock. {RELAY}."),
                }
            } else {
                ProbeFailure {
                    problem: format!(
                        "The certificate expired on {not_after} (certificate-expired)."
                    ),
                    fix: format!(
                        "Renew the certificate, install the new one and reload the mail server. \
                         {RELAY} to renew it."
                    ),
                }
            });
        }
        Some(CertificateTrust::Absent) => out.push(ProbeFailure {
            problem: "The server presented no certificate (certificate-not-trusted).".to_owned(),
            fix: format!("Install a CA-signed certificate on the mail server. {RELAY}."),
        }),
        Some(CertificateTrust::CaSigned) | None => {}
    }
    if cert.hostname == Some(HostnameCheck::Mismatch) {
        out.push(ProbeFailure {
            problem: format!(
                "The certificate does not name `{}`: it names {} (certificate-host-mismatch).",
                d.expected_hostname,
                names_on(d)
            ),
            fix: format!(
                "Use the hostname on the certificate: send to (and publish as MX) a name the \
                 certificate carries, or install a certificate that names `{}`. {RELAY} for the \
                 hostname on their certificate.",
                d.expected_hostname
            ),
        });
    }
    out
}

fn row(out: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "  {label:<15} {value}");
}

fn seen(out: &mut String, d: &ProbeDetails) {
    if let Some(address) = &d.address {
        row(out, "address", address);
    }
    if let Some(greeting) = &d.greeting {
        row(out, "greeting", greeting.replace('\n', " | "));
    }
    match d.starttls {
        Some(true) => row(out, "STARTTLS", "offered"),
        Some(false) => row(out, "STARTTLS", "not offered"),
        None => {}
    }
    if let Some(reply) = &d.starttls_reply {
        row(out, "STARTTLS reply", reply.replace('\n', " | "));
    }
    if let Some(tls) = &d.tls {
        let kx = tls
            .key_exchange
            .as_deref()
            .map_or_else(String::new, |k| format!(", key exchange {k}"));
        row(
            out,
            "TLS",
            format!("{}, {}{kx}", tls.version, tls.cipher_suite),
        );
    }
    if let Some(c) = &d.certificate {
        row(out, "certificate", &c.subject);
        row(out, "  issuer", &c.issuer);
        row(out, "  names", names_on(d));
        row(
            out,
            "  valid",
            format!("{} to {}", c.not_before, c.not_after),
        );
        let roots = d.roots.as_ref().map_or_else(String::new, |r| {
            format!(
                "; trusted roots: {} system, {} from --ca-file",
                r.system, r.ca_file
            )
        });
        row(
            out,
            "  chain",
            format!("{} certificate(s) sent{roots}", c.chain_length),
        );
    }
}

/// The report for people: what was seen, the facts, and each problem with its fix.
pub fn explain_probe(report: &ProbeReport) -> String {
    let d = &report.details;
    let mut out = String::new();
    let _ = writeln!(out, "TLS connection test: {}:{}", d.host, d.port);
    seen(&mut out, d);
    if let Some(cert) = report.connection.certificate {
        if let Some(trust) = cert.trust {
            row(&mut out, "trust", trust.as_str());
        }
        if let Some(hostname) = cert.hostname {
            row(
                &mut out,
                "hostname",
                format!("{} (`{}`)", hostname.as_str(), d.expected_hostname),
            );
        }
    }
    let facts = serde_json::to_string(&report.connection).unwrap_or_default();
    let _ = writeln!(out, "\nfacts: {facts}");
    let problems = problems(report);
    if problems.is_empty() {
        let version = report
            .connection
            .version
            .map_or_else(|| "TLS".to_owned(), |v| format!("TLS {v}"));
        let _ = writeln!(
            out,
            "\npassed: {version}, with a CA-signed certificate that names `{}`",
            d.expected_hostname
        );
    } else {
        let _ = writeln!(out, "\n{} problem(s):", problems.len());
        for p in problems {
            let _ = writeln!(out, "- {}\n  Fix: {}", p.problem, p.fix);
        }
    }
    out
}

/// The report for a probe that stopped early: what happened and how to fix it.
pub fn explain_probe_error(e: &ProbeError) -> String {
    let d = &e.details;
    let mut out = String::new();
    let _ = writeln!(out, "TLS connection test: {}:{}", d.host, d.port);
    seen(&mut out, d);
    let _ = writeln!(out, "\nerror: {}\n  Fix: {}", e.message, e.help());
    out
}

impl ProbeError {
    /// How to fix what stopped the probe.
    pub fn help(&self) -> String {
        match self.kind {
            ProbeErrorKind::NameNotResolved => "Check the host name: give the destination's mail \
                server (its MX host, as `dig MX domain` lists them), and check this machine's DNS \
                resolver."
                .to_owned(),
            ProbeErrorKind::ConnectionRefused => "Check the host and the port (servers exchange \
                mail on port 25), that the mail server is running and listens on that address, and \
                that no firewall rejects the connection."
                .to_owned(),
            ProbeErrorKind::ConnectFailed => {
                "Check the network route to the host and the firewalls on the way.".to_owned()
            }
            ProbeErrorKind::Timeout => "Check that no firewall drops the connection (many networks \
                block outgoing port 25) and that the host runs a mail server, or try a longer \
                timeout."
                .to_owned(),
            ProbeErrorKind::HandshakeFailed => format!(
                "Enable TLS 1.2 or later with current cipher suites on the mail server (in Postfix, \
                 `smtpd_tls_protocols = >=TLSv1.2`) and check its TLS log. {RELAY} to fix TLS."
            ),
            ProbeErrorKind::Smtp => "The server did not complete the SMTP session: check its log \
                (it may refuse this client's address or EHLO name; --ehlo sets the name)."
                .to_owned(),
        }
    }
}
