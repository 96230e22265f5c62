//! A reference evaluator written straight from SPEC §2–5: naive on purpose, with no index.
//!
//! It reads the [`PolicyDocument`] as written, walks OU paths to find effective settings, and
//! scans every entry of every list to match an address. Only the canonicaliser (shared on purpose)
//! and the wire types come from the crate. It is for differential tests against the indexed
//! engine, and assumes a valid policy and scenario: anything else panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tls_compliance::{
    canonical_address, canonical_domain, parse_from_header, CertificateTrust, Decision, Direction,
    Failure, HostnameCheck, MessageKind, PolicyDocument, Reason, RecipientDecision, Requirement,
    Scenario, Setting, TlsFacts, TlsVersion, TransactionDecision, Verdict,
};

/// One entry token, canonicalised (SPEC §2).
enum Entry {
    /// `local@domain`
    Address(String),
    /// `domain` or `@domain`
    Domain(String),
    /// `*.domain`: the domain whose proper subdomains it covers.
    Subdomains(String),
}

fn parse_entry(token: &str) -> Entry {
    if let Some(domain) = token.strip_prefix("*.") {
        Entry::Subdomains(canonical_domain(domain).unwrap())
    } else if let Some(domain) = token.strip_prefix('@') {
        Entry::Domain(canonical_domain(domain).unwrap())
    } else if token.contains('@') {
        Entry::Address(canonical_address(token).unwrap().as_str().to_owned())
    } else {
        Entry::Domain(canonical_domain(token).unwrap())
    }
}

/// How specifically `entry` covers the canonical `address`: higher is more specific, `None` when it
/// does not cover it. An address beats the domain, which beats any `*.` entry; a longer `*.` entry
/// beats a shorter one.
fn specificity(entry: &Entry, address: &str) -> Option<usize> {
    let domain = address.rsplit_once('@').unwrap().1;
    match entry {
        Entry::Address(a) => (a == address).then_some(usize::MAX),
        Entry::Domain(d) => (d == domain).then_some(usize::MAX - 1),
        Entry::Subdomains(d) => domain.ends_with(&format!(".{d}")).then_some(d.len()),
    }
}

/// Every entry of the list named `name` that covers `address`, as written, with its specificity.
pub fn covering_entries(doc: &PolicyDocument, name: &str, address: &str) -> Vec<(usize, String)> {
    let list = doc.address_lists.iter().find(|l| l.name == name).unwrap();
    list.entries
        .iter()
        .flat_map(|s| s.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|t| !t.is_empty())
        .filter_map(|t| specificity(&parse_entry(t), address).map(|rank| (rank, t.to_owned())))
        .collect()
}

/// The most specific entry of the list named `name` that covers `address`, as written; among equal
/// ones the first.
fn best_entry(doc: &PolicyDocument, name: &str, address: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for (rank, token) in covering_entries(doc, name, address) {
        if best.as_ref().is_none_or(|(b, _)| rank > *b) {
            best = Some((rank, token));
        }
    }
    best.map(|(_, token)| token)
}

/// `/A/B` → `["/", "/A", "/A/B"]`.
fn path_from_root(path: &str) -> Vec<String> {
    let mut paths = vec!["/".to_owned()];
    let mut current = String::new();
    for name in path.split('/').filter(|n| !n.is_empty()) {
        current = format!("{current}/{name}");
        paths.push(current.clone());
    }
    paths
}

/// The effective settings of the OU at `path` (SPEC §3), each with the OU that defined it,
/// disabled ones included.
fn effective_settings<'a>(doc: &'a PolicyDocument, path: &str) -> Vec<(String, &'a Setting)> {
    let mut effective: Vec<(String, &Setting)> = Vec::new();
    for ou_path in path_from_root(path) {
        for ou in doc.org_units.iter().filter(|ou| ou.path == ou_path) {
            for setting in &ou.settings {
                let here = (ou_path.clone(), setting);
                match effective.iter_mut().find(|(_, s)| s.name == setting.name) {
                    Some(slot) => *slot = here,
                    None => effective.push(here),
                }
            }
        }
    }
    effective
}

/// The OU of a member, or `/` for anyone else.
fn member_org_unit(doc: &PolicyDocument, address: &str) -> String {
    doc.members
        .iter()
        .find(|(member, _)| canonical_address(member).unwrap().as_str() == address)
        .map_or_else(|| "/".to_owned(), |(_, ou)| ou.clone())
}

/// The failures of `facts` against `req`, and whether a required fact is unknown. The checks run
/// in the order of SPEC §5's table, so the failures come out in it.
fn check(req: &Requirement, facts: &TlsFacts) -> (Vec<Failure>, bool) {
    if facts.tls == Some(false) {
        return (vec![Failure::StarttlsNotSupported], false);
    }
    let mut failures = Vec::new();
    let mut unknown = facts.tls.is_none();
    match facts.version {
        Some(v) if v < req.min_tls_version => failures.push(Failure::TlsVersionTooLow),
        Some(_) => {}
        None => unknown |= req.min_tls_version > TlsVersion::V1_0,
    }
    let trust = facts.certificate.and_then(|c| c.trust);
    let hostname = facts.certificate.and_then(|c| c.hostname);
    if req.ca_signed {
        match trust {
            Some(CertificateTrust::CaSigned) => {}
            Some(CertificateTrust::Expired) => failures.push(Failure::CertificateExpired),
            Some(_) => failures.push(Failure::CertificateNotTrusted),
            None => unknown = true,
        }
    }
    if req.hostname {
        match hostname {
            Some(HostnameCheck::Match) => {}
            Some(HostnameCheck::Mismatch) => failures.push(Failure::CertificateHostMismatch),
            None if trust == Some(CertificateTrust::Absent) => {
                failures.push(Failure::CertificateHostMismatch);
            }
            None => unknown = true,
        }
    }
    (failures, unknown)
}

fn reply(failures: &[Failure], req: &Requirement) -> Option<String> {
    let first = failures.first()?;
    let texts: Vec<String> = failures
        .iter()
        .map(|f| match f {
            Failure::TlsVersionTooLow => {
                format!("TLS {} or later is required", req.min_tls_version)
            }
            other => other.describe().to_owned(),
        })
        .collect();
    Some(format!(
        "550 {} TLS required by policy: {} ({})",
        first.status(),
        texts.join("; "),
        first.as_str()
    ))
}

/// Decides one recipient whose matched address is `matched`, in the OU at `ou`.
fn decide_recipient(
    doc: &PolicyDocument,
    direction: Direction,
    address: String,
    matched: &str,
    ou: &str,
    secure_transport_required: bool,
    facts: &TlsFacts,
) -> RecipientDecision {
    let kind = match direction {
        Direction::Inbound => MessageKind::Inbound,
        Direction::Outbound => MessageKind::Outbound,
    };
    let mut requirement: Option<Requirement> = None;
    let mut reasons = Vec::new();
    for (defined_at, setting) in effective_settings(doc, ou) {
        if !setting.is_enabled() {
            continue;
        }
        let hit = setting
            .address_lists
            .iter()
            .find_map(|list| best_entry(doc, list, matched).map(|entry| (list.clone(), entry)));
        let by_list = setting.messages.contains(&kind) && hit.is_some();
        let by_requiring = direction == Direction::Outbound
            && setting
                .messages
                .contains(&MessageKind::OutboundRequiringSecureTransport)
            && secure_transport_required
            && (setting.address_lists.is_empty() || hit.is_some());
        if !by_list && !by_requiring {
            continue;
        }
        let req = requirement.get_or_insert(Requirement {
            tls: true,
            ca_signed: false,
            hostname: false,
            min_tls_version: TlsVersion::V1_0,
        });
        req.ca_signed |= setting.requires_ca_signed();
        req.hostname |= setting.validates_hostname();
        req.min_tls_version = req.min_tls_version.max(setting.min_version());
        let (address_list, entry) = hit.unzip();
        reasons.push(Reason {
            inherited: defined_at != ou,
            org_unit: defined_at,
            setting: setting.name.clone(),
            address_list,
            entry,
        });
    }
    let (pass, fail) = match direction {
        Direction::Outbound => (Verdict::Deliver, Verdict::Bounce),
        Direction::Inbound => (Verdict::Accept, Verdict::Reject),
    };
    let (verdict, failures, reply) = match &requirement {
        None => (pass, Vec::new(), None),
        Some(req) => {
            let (failures, unknown) = check(req, facts);
            let verdict = if !failures.is_empty() {
                fail
            } else if unknown {
                Verdict::TlsRequired
            } else {
                pass
            };
            let reply = reply(&failures, req);
            (verdict, failures, reply)
        }
    };
    RecipientDecision {
        address,
        verdict,
        requirement,
        status: failures.first().map(|f| f.status().to_owned()),
        failures,
        reply,
        reasons,
    }
}

/// Decides `scenario` under `doc` the slow, obvious way (SPEC §4–5).
pub fn evaluate(doc: &PolicyDocument, scenario: &Scenario) -> Decision {
    let direction = scenario.direction;
    let from = scenario
        .from
        .as_deref()
        .map(|f| parse_from_header(f).unwrap().as_str().to_owned());
    let sender_ou = scenario.sender_org_unit.clone().unwrap_or_else(|| {
        scenario.sender.as_deref().map_or_else(
            || "/".to_owned(),
            |s| member_org_unit(doc, canonical_address(s).unwrap().as_str()),
        )
    });
    let mut recipients = Vec::new();
    for spec in &scenario.recipients {
        let r = spec.as_recipient();
        let address = canonical_address(&r.address).unwrap().as_str().to_owned();
        let facts = r.connection.or(scenario.connection).unwrap_or_default();
        let (matched, ou) = match direction {
            Direction::Outbound => (address.clone(), sender_ou.clone()),
            Direction::Inbound => (
                from.clone().unwrap(),
                r.org_unit
                    .clone()
                    .unwrap_or_else(|| member_org_unit(doc, &address)),
            ),
        };
        recipients.push(decide_recipient(
            doc,
            direction,
            address,
            &matched,
            &ou,
            r.secure_transport_required,
            &facts,
        ));
    }
    let worst = recipients.iter().map(|r| r.verdict).max_by_key(|v| {
        // Most severe first: a refusal, then `tlsRequired`, then success.
        match v {
            Verdict::Bounce | Verdict::Reject => 2,
            Verdict::TlsRequired => 1,
            Verdict::Deliver | Verdict::Accept => 0,
        }
    });
    let none = match direction {
        Direction::Outbound => Verdict::Deliver,
        Direction::Inbound => Verdict::Accept,
    };
    let transaction = TransactionDecision {
        verdict: worst.unwrap_or(none),
        reply: recipients
            .iter()
            .find(|r| matches!(r.verdict, Verdict::Bounce | Verdict::Reject))
            .and_then(|r| r.reply.clone()),
    };
    Decision {
        direction,
        recipients,
        transaction,
    }
}
