//! Lint (SPEC §6): warnings that let a policy load but point at what is probably not meant.

use std::collections::{HashMap, HashSet};

use crate::compile::{entry_tokens, parent_path, parse_entry, EntryKind};
use crate::diagnostic::{Diagnostic, LintCode, LintWarning};
use crate::policy::{MessageKind, PolicyDocument, TlsVersion};

/// Lint warnings for a policy document, in document order: address lists first, then settings.
/// Entries or paths that do not validate are skipped here; validation reports them.
pub fn lint(doc: &PolicyDocument) -> Vec<LintWarning> {
    let mut out = Vec::new();
    lint_lists(doc, &mut out);
    lint_settings(doc, &mut out);
    out
}

fn warn(out: &mut Vec<LintWarning>, code: LintCode, ptr: String, message: String) {
    out.push(Diagnostic::new(code, ptr, message));
}

fn lint_lists(doc: &PolicyDocument, out: &mut Vec<LintWarning>) {
    let used: HashSet<&str> = doc
        .org_units
        .iter()
        .flat_map(|ou| ou.settings.iter())
        .flat_map(|s| s.address_lists.iter().map(String::as_str))
        .collect();
    for (i, list) in doc.address_lists.iter().enumerate() {
        let base = format!("/addressLists/{i}");
        if !used.contains(list.name.as_str()) {
            warn(
                out,
                LintCode::UnusedList,
                base.clone(),
                format!("address list `{}` is not used by any setting", list.name),
            );
        }
        // (kind, canonical) → first entry as written; then coverage checks against the sets.
        let mut seen: HashMap<(EntryKind, String), String> = HashMap::new();
        let mut parsed = Vec::new();
        for (j, s) in list.entries.iter().enumerate() {
            for token in entry_tokens(s) {
                let Ok(entry) = parse_entry(token) else {
                    continue;
                };
                let ptr = format!("{base}/entries/{j}");
                if entry.at_form {
                    warn(
                        out,
                        LintCode::AtDomainForm,
                        ptr.clone(),
                        format!(
                            "entry `{token}` means the domain `{}`; write it without the `@`",
                            entry.canonical
                        ),
                    );
                }
                let key = (entry.kind, entry.canonical.clone());
                if let Some(first) = seen.get(&key) {
                    warn(
                        out,
                        LintCode::DuplicateEntry,
                        ptr,
                        format!("entry `{token}` repeats `{first}` in list `{}`", list.name),
                    );
                    continue;
                }
                seen.insert(key, token.to_owned());
                parsed.push((ptr, entry));
            }
        }
        if parsed.is_empty() && seen.is_empty() {
            warn(
                out,
                LintCode::EmptyList,
                base.clone(),
                format!("address list `{}` has no entries", list.name),
            );
        }
        for (ptr, entry) in &parsed {
            let covering_wildcard = |domain: &str| -> Option<&String> {
                let mut rest = domain;
                while let Some((_, parent)) = rest.split_once('.') {
                    if let Some(w) = seen.get(&(EntryKind::Wildcard, parent.to_owned())) {
                        return Some(w);
                    }
                    rest = parent;
                }
                None
            };
            match entry.kind {
                EntryKind::Address => {
                    let domain = entry
                        .canonical
                        .rsplit_once('@')
                        .map(|(_, d)| d)
                        .unwrap_or_default();
                    let by = seen
                        .get(&(EntryKind::Domain, domain.to_owned()))
                        .or_else(|| covering_wildcard(domain));
                    if let Some(by) = by {
                        warn(
                            out,
                            LintCode::AddressCoveredByDomain,
                            ptr.clone(),
                            format!(
                                "address `{}` is already covered by entry `{by}` in list `{}`",
                                entry.written, list.name
                            ),
                        );
                    }
                }
                EntryKind::Domain | EntryKind::Wildcard => {
                    if let Some(by) = covering_wildcard(&entry.canonical) {
                        warn(
                            out,
                            LintCode::DomainCoveredByWildcard,
                            ptr.clone(),
                            format!(
                                "entry `{}` is already covered by entry `{by}` in list `{}`",
                                entry.written, list.name
                            ),
                        );
                    }
                }
            }
        }
    }
}

fn lint_settings(doc: &PolicyDocument, out: &mut Vec<LintWarning>) {
    // Names defined at each declared path, to find overrides of inherited settings.
    let mut names_at: HashMap<&str, HashSet<&str>> = HashMap::new();
    for ou in &doc.org_units {
        names_at
            .entry(ou.path.as_str())
            .or_default()
            .extend(ou.settings.iter().map(|s| s.name.as_str()));
    }
    for (i, ou) in doc.org_units.iter().enumerate() {
        for (k, s) in ou.settings.iter().enumerate() {
            let base = format!("/orgUnits/{i}/settings/{k}");
            let name = &s.name;
            let mut ancestor = parent_path(&ou.path);
            while let Some(a) = ancestor {
                if names_at.get(a).is_some_and(|n| n.contains(name.as_str())) {
                    warn(
                        out,
                        LintCode::OverrideHidesInherited,
                        format!("{base}/name"),
                        format!(
                            "setting `{name}` in `{}` replaces the one inherited from `{a}`",
                            ou.path
                        ),
                    );
                    break;
                }
                ancestor = parent_path(a);
            }
            if !s.is_enabled() {
                warn(
                    out,
                    LintCode::DisabledSetting,
                    format!("{base}/enabled"),
                    format!("setting `{name}` is disabled"),
                );
                continue;
            }
            let mut kinds = HashSet::new();
            for (m, kind) in s.messages.iter().enumerate() {
                if !kinds.insert(*kind) {
                    warn(
                        out,
                        LintCode::DuplicateMessageKind,
                        format!("{base}/messages/{m}"),
                        format!("setting `{name}` lists `{}` twice", kind.as_str()),
                    );
                }
            }
            if s.messages.is_empty() {
                warn(
                    out,
                    LintCode::NoMessages,
                    base.clone(),
                    format!("setting `{name}` affects no messages, so it applies to nothing"),
                );
            } else if s.address_lists.is_empty()
                && s.messages
                    .iter()
                    .any(|m| matches!(m, MessageKind::Inbound | MessageKind::Outbound))
            {
                warn(
                    out,
                    LintCode::NoAddressLists,
                    base.clone(),
                    format!("setting `{name}` has no address lists, so its inbound and outbound messages match no one"),
                );
            }
            let field = |f: &str, present: bool| {
                if present {
                    format!("{base}/{f}")
                } else {
                    base.clone()
                }
            };
            if !s.requires_ca_signed() {
                warn(
                    out,
                    LintCode::CaSignedCertificateOff,
                    field(
                        "requireCaSignedCertificate",
                        s.require_ca_signed_certificate.is_some(),
                    ),
                    format!(
                        "setting `{name}` does not require a CA-signed certificate (recommended)"
                    ),
                );
            }
            if !s.validates_hostname() {
                warn(
                    out,
                    LintCode::HostnameValidationOff,
                    field(
                        "validateCertificateHostname",
                        s.validate_certificate_hostname.is_some(),
                    ),
                    format!(
                        "setting `{name}` does not validate the certificate hostname (recommended)"
                    ),
                );
            }
            if s.min_version() < TlsVersion::V1_2 {
                warn(
                    out,
                    LintCode::MinTlsVersionBelow12,
                    field("minTlsVersion", s.min_tls_version.is_some()),
                    format!(
                        "setting `{name}` allows TLS {}; TLS 1.0 and 1.1 are deprecated (RFC 8996)",
                        s.min_version()
                    ),
                );
            }
        }
    }
}
