//! Deciding (SPEC §4–5): which settings apply to each recipient, what they require together, and
//! what the known facts of the connection say about it.

use crate::canonical::{canonical_address, parse_from_header, Address};
use crate::compile::{
    check_org_unit_path, CompiledOrgUnit, CompiledPolicy, EntryId, ListId, MSG_INBOUND,
    MSG_OUTBOUND, MSG_REQUIRING,
};
use crate::decision::{
    Decision, Failure, Reason, RecipientDecision, Requirement, TransactionDecision, Verdict,
};
use crate::diagnostic::{Diagnostic, ErrorCode, Fault, ValidationError};
use crate::policy::TlsVersion;
use crate::scenario::{CertificateTrust, Direction, HostnameCheck, Recipient, Scenario, TlsFacts};

/// Why a scenario could not be decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// The scenario is bad input; every problem found, each with its JSON pointer.
    Invalid(Vec<ValidationError>),
    /// Something went wrong inside the engine; hosts answer [`Fault::REPLY`] (`451 4.3.0`).
    Fault(Fault),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(errors) => {
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            Self::Fault(fault) => write!(f, "{fault}"),
        }
    }
}

impl std::error::Error for EvalError {}

/// A scenario after validation: canonical addresses, the facts per recipient.
struct Prepared<'a> {
    direction: Direction,
    /// Outbound: the sender's OU path.
    sender_org_unit: String,
    /// Inbound: the `From:` mailbox.
    from: Option<Address>,
    recipients: Vec<PreparedRecipient<'a>>,
}

struct PreparedRecipient<'a> {
    address: Address,
    secure_transport_required: bool,
    facts: Option<&'a TlsFacts>,
    org_unit: Option<&'a str>,
}

/// Checks facts for contradictions; `ptr` makes their pointer, only when there is an error.
fn check_facts(facts: &TlsFacts, ptr: impl Fn() -> String, errors: &mut Vec<ValidationError>) {
    if facts.tls == Some(false) && (facts.version.is_some() || facts.certificate.is_some()) {
        errors.push(Diagnostic::new(
            ErrorCode::ContradictoryConnection,
            ptr(),
            "connection has `tls: false` together with a TLS version or certificate",
        ));
    }
    if let Some(cert) = facts.certificate {
        if cert.trust == Some(CertificateTrust::Absent) && cert.hostname.is_some() {
            errors.push(Diagnostic::new(
                ErrorCode::ContradictoryConnection,
                format!("{}/certificate", ptr()),
                "certificate has `trust: absent` together with a hostname result",
            ));
        }
    }
}

fn check_org_unit(path: &str, ptr: &str, errors: &mut Vec<ValidationError>) {
    if let Err(m) = check_org_unit_path(path) {
        errors.push(Diagnostic::new(ErrorCode::InvalidOrgUnitPath, ptr, m));
    }
}

/// Validates a scenario against a policy's members and canonicalises it.
fn prepare<'a>(
    policy: &CompiledPolicy,
    scenario: &'a Scenario,
) -> Result<Prepared<'a>, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let sender = scenario
        .sender
        .as_deref()
        .and_then(|s| match canonical_address(s) {
            Ok(a) => Some(a),
            Err(e) => {
                errors.push(Diagnostic::new(
                    ErrorCode::InvalidAddress,
                    "/sender",
                    format!("sender `{}` {e}", s.escape_debug()),
                ));
                None
            }
        });
    if let Some(ou) = &scenario.sender_org_unit {
        check_org_unit(ou, "/senderOrgUnit", &mut errors);
    }
    let from = scenario
        .from
        .as_deref()
        .and_then(|f| match parse_from_header(f) {
            Ok(a) => Some(a),
            Err(e) => {
                errors.push(
                    Diagnostic::new(
                        ErrorCode::InvalidFrom,
                        "/from",
                        format!("`From:` value `{}` {e}", f.escape_debug()),
                    )
                    .with_help("give one mailbox, such as `Name <local@domain>`"),
                );
                None
            }
        });
    match scenario.direction {
        Direction::Outbound if scenario.sender.is_none() && scenario.sender_org_unit.is_none() => {
            errors.push(
                Diagnostic::new(
                    ErrorCode::MissingSender,
                    "",
                    "an outbound scenario needs `sender` or `senderOrgUnit`",
                )
                .with_help("the sender's org unit decides which settings apply to outbound mail"),
            );
        }
        Direction::Inbound if scenario.from.is_none() => {
            errors.push(
                Diagnostic::new(
                    ErrorCode::MissingFrom,
                    "",
                    "an inbound scenario needs `from`",
                )
                .with_help("inbound mail is matched on the header `From:` sender"),
            );
        }
        _ => {}
    }
    if scenario.recipients.is_empty() {
        errors.push(Diagnostic::new(
            ErrorCode::NoRecipients,
            "/recipients",
            "the scenario has no recipients",
        ));
    }
    if let Some(facts) = &scenario.connection {
        check_facts(facts, || "/connection".to_owned(), &mut errors);
    }
    let mut recipients = Vec::with_capacity(scenario.recipients.len());
    for (i, spec) in scenario.recipients.iter().enumerate() {
        let (address, detail): (&str, Option<&'a Recipient>) = match spec {
            crate::scenario::RecipientSpec::Address(a) => (a, None),
            crate::scenario::RecipientSpec::Detailed(r) => (&r.address, Some(r)),
        };
        if let Some(r) = detail {
            if let Some(ou) = &r.org_unit {
                check_org_unit(ou, &format!("/recipients/{i}/orgUnit"), &mut errors);
            }
            if let Some(facts) = &r.connection {
                check_facts(facts, || format!("/recipients/{i}/connection"), &mut errors);
            }
        }
        match canonical_address(address) {
            Ok(address) => recipients.push(PreparedRecipient {
                address,
                secure_transport_required: detail.is_some_and(|r| r.secure_transport_required),
                facts: detail
                    .and_then(|r| r.connection.as_ref())
                    .or(scenario.connection.as_ref()),
                org_unit: detail.and_then(|r| r.org_unit.as_deref()),
            }),
            Err(e) => errors.push(Diagnostic::new(
                ErrorCode::InvalidAddress,
                if detail.is_some() {
                    format!("/recipients/{i}/address")
                } else {
                    format!("/recipients/{i}")
                },
                format!("recipient `{}` {e}", address.escape_debug()),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let sender_org_unit = match (&scenario.sender_org_unit, &sender) {
        (Some(ou), _) => ou.clone(),
        (None, Some(s)) => policy.member_org_unit(s.as_str()).to_owned(),
        (None, None) => "/".to_owned(),
    };
    Ok(Prepared {
        direction: scenario.direction,
        sender_org_unit,
        from,
        recipients,
    })
}

/// The requirement of every applying setting together: the strictest combination.
fn combine(into: &mut Option<Requirement>, ca_signed: bool, hostname: bool, min: TlsVersion) {
    let r = into.get_or_insert(Requirement {
        tls: true,
        ca_signed: false,
        hostname: false,
        min_tls_version: TlsVersion::V1_0,
    });
    r.ca_signed |= ca_signed;
    r.hostname |= hostname;
    r.min_tls_version = r.min_tls_version.max(min);
}

/// Checks known facts against a requirement: the failures in table order, and whether some
/// required fact is unknown.
pub(crate) fn check(requirement: &Requirement, facts: Option<&TlsFacts>) -> (Vec<Failure>, bool) {
    let facts = facts.copied().unwrap_or_default();
    let mut failures = Vec::new();
    let mut unknown = false;
    match facts.tls {
        Some(false) => return (vec![Failure::StarttlsNotSupported], false),
        Some(true) => {}
        None => unknown = true,
    }
    match facts.version {
        Some(v) if v < requirement.min_tls_version => failures.push(Failure::TlsVersionTooLow),
        Some(_) => {}
        None => unknown |= requirement.min_tls_version > TlsVersion::V1_0,
    }
    let cert = facts.certificate.unwrap_or_default();
    if requirement.ca_signed {
        match cert.trust {
            Some(CertificateTrust::CaSigned) => {}
            Some(
                CertificateTrust::SelfSigned
                | CertificateTrust::Untrusted
                | CertificateTrust::Absent,
            ) => failures.push(Failure::CertificateNotTrusted),
            Some(CertificateTrust::Expired) => failures.push(Failure::CertificateExpired),
            None => unknown = true,
        }
    }
    if requirement.hostname {
        match (cert.hostname, cert.trust) {
            (Some(HostnameCheck::Match), _) => {}
            // No certificate: there is no name that could match.
            (Some(HostnameCheck::Mismatch), _) | (None, Some(CertificateTrust::Absent)) => {
                failures.push(Failure::CertificateHostMismatch)
            }
            (None, _) => unknown = true,
        }
    }
    (failures, unknown)
}

/// The `550` reply line for failures (the status is the first failure's).
pub(crate) fn reply_for(failures: &[Failure], requirement: &Requirement) -> Option<String> {
    let first = failures.first()?;
    let mut text = format!("550 {} TLS required by policy:", first.status());
    for (i, f) in failures.iter().enumerate() {
        text.push_str(if i == 0 { " " } else { "; " });
        match f {
            Failure::TlsVersionTooLow => text.push_str(&format!(
                "TLS {} or later is required",
                requirement.min_tls_version
            )),
            other => text.push_str(other.describe()),
        }
    }
    text.push_str(&format!(" ({})", first.as_str()));
    Some(text)
}

impl CompiledPolicy {
    /// Decides what happens to a message.
    ///
    /// # Errors
    /// [`EvalError::Invalid`] with every problem of the scenario (bad addresses, a `From:` without
    /// exactly one mailbox, missing sender or `from`, contradictory facts), each with its JSON
    /// pointer; [`EvalError::Fault`] if the engine itself fails, which hosts answer with
    /// `451 4.3.0`.
    pub fn evaluate(&self, scenario: &Scenario) -> Result<Decision, EvalError> {
        let prepared = prepare(self, scenario).map_err(EvalError::Invalid)?;
        self.decide(&prepared).map_err(EvalError::Fault)
    }

    fn decide(&self, p: &Prepared<'_>) -> Result<Decision, Fault> {
        let mut hits: Vec<(ListId, EntryId)> = Vec::new();
        let mut recipients = Vec::with_capacity(p.recipients.len());
        // Inbound mail is matched on one address for every recipient: look it up once.
        if let (Direction::Inbound, Some(from)) = (p.direction, &p.from) {
            self.index.lookup(from.as_str(), from.domain(), &mut hits);
        }
        let sender_ou = match p.direction {
            Direction::Outbound => Some(
                self.org_unit_for(&p.sender_org_unit)
                    .ok_or_else(|| Fault::new("no root org unit"))?,
            ),
            Direction::Inbound => None,
        };
        for r in &p.recipients {
            let (ou_path, ou): (&str, &CompiledOrgUnit) = match (p.direction, sender_ou) {
                (Direction::Outbound, Some(ou)) => {
                    self.index
                        .lookup(r.address.as_str(), r.address.domain(), &mut hits);
                    (&p.sender_org_unit, ou)
                }
                _ => {
                    let path = r
                        .org_unit
                        .unwrap_or_else(|| self.member_org_unit(r.address.as_str()));
                    (
                        path,
                        self.org_unit_for(path)
                            .ok_or_else(|| Fault::new("no root org unit"))?,
                    )
                }
            };
            recipients.push(self.decide_recipient(p.direction, r, ou_path, ou, &hits)?);
        }
        let mut transaction = TransactionDecision {
            verdict: match p.direction {
                Direction::Outbound => Verdict::Deliver,
                Direction::Inbound => Verdict::Accept,
            },
            reply: None,
        };
        for r in &recipients {
            if r.verdict.severity() > transaction.verdict.severity() {
                transaction.verdict = r.verdict;
            }
            if transaction.reply.is_none() && matches!(r.verdict, Verdict::Bounce | Verdict::Reject)
            {
                transaction.reply.clone_from(&r.reply);
            }
        }
        Ok(Decision {
            direction: p.direction,
            recipients,
            transaction,
        })
    }

    fn decide_recipient(
        &self,
        direction: Direction,
        r: &PreparedRecipient<'_>,
        ou_path: &str,
        ou: &CompiledOrgUnit,
        hits: &[(ListId, EntryId)],
    ) -> Result<RecipientDecision, Fault> {
        let direction_bit = match direction {
            Direction::Inbound => MSG_INBOUND,
            Direction::Outbound => MSG_OUTBOUND,
        };
        let mut requirement = None;
        let mut reasons = Vec::new();
        for &sid in &ou.effective {
            let s = self
                .settings
                .get(sid as usize)
                .ok_or_else(|| Fault::new("setting id out of range"))?;
            // The first of the setting's lists that holds the address, with its best entry.
            let matched = s
                .lists
                .iter()
                .find_map(|&l| hits.iter().find(|&&(hl, _)| hl == l).copied());
            let by_list = s.messages & direction_bit != 0 && matched.is_some();
            let by_requiring = direction == Direction::Outbound
                && s.messages & MSG_REQUIRING != 0
                && r.secure_transport_required
                && (s.lists.is_empty() || matched.is_some());
            if !(by_list || by_requiring) {
                continue;
            }
            combine(&mut requirement, s.ca_signed, s.hostname, s.min_tls_version);
            let defined_at = self
                .org_units
                .get(s.defined_at as usize)
                .ok_or_else(|| Fault::new("org unit id out of range"))?;
            let (address_list, entry) = match matched {
                Some((l, e)) => (
                    Some(
                        self.lists
                            .get(l as usize)
                            .ok_or_else(|| Fault::new("list id out of range"))?
                            .clone(),
                    ),
                    Some(
                        self.index
                            .written(e)
                            .ok_or_else(|| Fault::new("entry id out of range"))?
                            .to_owned(),
                    ),
                ),
                None => (None, None),
            };
            reasons.push(Reason {
                org_unit: defined_at.path.clone(),
                setting: s.name.clone(),
                inherited: defined_at.path != ou_path,
                address_list,
                entry,
            });
        }
        let (verdict, failures, reply) = match &requirement {
            None => (
                match direction {
                    Direction::Outbound => Verdict::Deliver,
                    Direction::Inbound => Verdict::Accept,
                },
                Vec::new(),
                None,
            ),
            Some(req) => {
                let (failures, unknown) = check(req, r.facts);
                let verdict = match (failures.is_empty(), unknown, direction) {
                    (false, _, Direction::Outbound) => Verdict::Bounce,
                    (false, _, Direction::Inbound) => Verdict::Reject,
                    (true, true, _) => Verdict::TlsRequired,
                    (true, false, Direction::Outbound) => Verdict::Deliver,
                    (true, false, Direction::Inbound) => Verdict::Accept,
                };
                let reply = reply_for(&failures, req);
                (verdict, failures, reply)
            }
        };
        Ok(RecipientDecision {
            address: r.address.as_str().to_owned(),
            verdict,
            requirement,
            status: failures.first().map(|f| f.status().to_owned()),
            failures,
            reply,
            reasons,
        })
    }
}
