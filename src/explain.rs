//! Human-readable explanations of decisions, validation reports, impact reports and diffs: the
//! `--format text` of the command line and the simulator's plain-language panel.

use std::fmt::Write as _;

use crate::decision::{Decision, Reason, RecipientDecision, Requirement, Verdict};
use crate::scenario::Direction;
use crate::whatif::{AuditEntry, Change, ImpactReport};
use crate::ValidationReport;

/// Describes a requirement in words: `TLS 1.2 or later, a CA-signed certificate, the certificate
/// hostname validated`.
pub fn describe_requirement(r: &Requirement) -> String {
    let mut parts = vec![format!("TLS {} or later", r.min_tls_version)];
    if r.ca_signed {
        parts.push("a CA-signed certificate".to_owned());
    }
    if r.hostname {
        parts.push("the certificate hostname validated".to_owned());
    }
    parts.join(", ")
}

fn describe_reason(r: &Reason) -> String {
    let origin = if r.inherited {
        format!("inherited from `{}`", r.org_unit)
    } else {
        format!("defined in `{}`", r.org_unit)
    };
    match (&r.address_list, &r.entry) {
        (Some(list), Some(entry)) => {
            format!("setting `{}` ({origin}) matches entry `{entry}` of address list `{list}`", r.setting)
        }
        _ => format!(
            "setting `{}` ({origin}) applies because another outbound setting requires secure transport",
            r.setting
        ),
    }
}

fn verdict_line(direction: Direction, d: &RecipientDecision) -> String {
    match d.verdict {
        Verdict::Deliver if d.requirement.is_none() => "deliver (no setting applies; opportunistic TLS)".to_owned(),
        Verdict::Accept if d.requirement.is_none() => "accept (no setting applies)".to_owned(),
        Verdict::Deliver => "deliver (the connection meets the requirement)".to_owned(),
        Verdict::Accept => "accept (the connection meets the requirement)".to_owned(),
        Verdict::Bounce => "bounce (not delivered; the sender gets a non-delivery report after one attempt)".to_owned(),
        Verdict::Reject => "reject (refused; the sending side gets the non-delivery report)".to_owned(),
        Verdict::TlsRequired => match direction {
            Direction::Outbound => "tlsRequired (it will only go out over a connection that meets the requirement)".to_owned(),
            Direction::Inbound => "tlsRequired (it will only be accepted over a connection that meets the requirement)".to_owned(),
        },
    }
}

/// Explains a decision, recipient by recipient.
pub fn explain_decision(d: &Decision) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} message, {} recipient(s)",
        d.direction.as_str(),
        d.recipients.len()
    );
    for r in &d.recipients {
        let _ = writeln!(out, "\n{}: {}", r.address, verdict_line(d.direction, r));
        if let Some(req) = &r.requirement {
            let _ = writeln!(out, "  requires: {}", describe_requirement(req));
        }
        for f in &r.failures {
            let _ = writeln!(out, "  failed:   {} ({})", f.as_str(), f.describe());
        }
        if let Some(reply) = &r.reply {
            let _ = writeln!(out, "  reply:    {reply}");
        }
        for reason in &r.reasons {
            let _ = writeln!(out, "  because:  {}", describe_reason(reason));
        }
    }
    let _ = write!(out, "\ntransaction: {}", d.transaction.verdict);
    if let Some(reply) = &d.transaction.reply {
        let _ = write!(out, " — {reply}");
    }
    out.push('\n');
    out
}

/// Explains a validation report: the errors, then the warnings, each with its place.
pub fn explain_report(report: &ValidationReport) -> String {
    let mut out = String::new();
    if report.valid {
        let _ = writeln!(
            out,
            "policy is valid ({} warning(s))",
            report.warnings.len()
        );
    } else {
        let _ = writeln!(
            out,
            "policy is invalid: {} error(s), {} warning(s)",
            report.errors.len(),
            report.warnings.len()
        );
    }
    for e in &report.errors {
        let _ = writeln!(out, "error: {e}");
    }
    for w in &report.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// Explains an impact report: only what changes.
pub fn explain_impact(report: &ImpactReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} of {} scenario(s) change, {} recipient(s) in all",
        report.changed_scenarios,
        report.scenarios.len(),
        report.changed_recipients
    );
    for s in report
        .scenarios
        .iter()
        .filter(|s| !s.changes.is_empty() || s.transaction.is_some())
    {
        let label = s.name.as_deref().map_or_else(
            || format!("scenario {}", s.index),
            |n| format!("scenario {} `{n}`", s.index),
        );
        let _ = writeln!(out, "\n{label}:");
        for c in &s.changes {
            let _ = writeln!(
                out,
                "  {}: {} → {}",
                c.address, c.before.verdict, c.after.verdict
            );
            let req = |r: &Option<Requirement>| {
                r.as_ref()
                    .map_or_else(|| "none".to_owned(), describe_requirement)
            };
            if c.before.requirement != c.after.requirement {
                let _ = writeln!(
                    out,
                    "    requirement: {} → {}",
                    req(&c.before.requirement),
                    req(&c.after.requirement)
                );
            }
            if c.before.failures != c.after.failures {
                let names = |f: &[crate::Failure]| {
                    if f.is_empty() {
                        "none".to_owned()
                    } else {
                        f.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
                    }
                };
                let _ = writeln!(
                    out,
                    "    failures: {} → {}",
                    names(&c.before.failures),
                    names(&c.after.failures)
                );
            }
        }
        if let Some(t) = &s.transaction {
            let _ = writeln!(
                out,
                "  transaction: {} → {}",
                t.before.verdict, t.after.verdict
            );
        }
    }
    out
}

/// Explains a diff as audit-log lines.
pub fn explain_diff(entry: &AuditEntry) -> String {
    let mut out = String::new();
    if entry.changes.is_empty() {
        out.push_str("no changes\n");
    }
    let list = |v: &[String]| {
        v.iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for c in &entry.changes {
        let line = match c {
            Change::AddressListAdded {
                list: name,
                entries,
            } => {
                format!(
                    "+ address list `{name}` with {} entr(ies): {}",
                    entries.len(),
                    list(entries)
                )
            }
            Change::AddressListRemoved {
                list: name,
                entries,
            } => {
                format!("- address list `{name}` with {} entr(ies)", entries.len())
            }
            Change::EntriesAdded {
                list: name,
                entries,
            } => format!("+ in address list `{name}`: {}", list(entries)),
            Change::EntriesRemoved {
                list: name,
                entries,
            } => format!("- from address list `{name}`: {}", list(entries)),
            Change::OrgUnitAdded { org_unit } => format!("+ org unit `{org_unit}`"),
            Change::OrgUnitRemoved { org_unit } => format!("- org unit `{org_unit}`"),
            Change::SettingAdded {
                org_unit, setting, ..
            } => format!("+ setting `{setting}` in `{org_unit}`"),
            Change::SettingRemoved {
                org_unit, setting, ..
            } => format!("- setting `{setting}` in `{org_unit}`"),
            Change::SettingChanged {
                org_unit,
                setting,
                field,
                before,
                after,
            } => {
                format!("~ setting `{setting}` in `{org_unit}`: {field} {before} → {after}")
            }
            Change::MemberAdded { member, org_unit } => {
                format!("+ member `{member}` in `{org_unit}`")
            }
            Change::MemberRemoved { member, org_unit } => {
                format!("- member `{member}` (was in `{org_unit}`)")
            }
            Change::MemberMoved {
                member,
                before,
                after,
            } => format!("~ member `{member}` moved `{before}` → `{after}`"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}
