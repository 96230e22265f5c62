//! What-if (SPEC §7): what a change to a policy does to mail (`impact`) and what it is, as an
//! audit-log entry (`diff`).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::canonical::canonical_address;
use crate::compile::{entry_tokens, parse_entry, CompiledPolicy, EntryKind};
use crate::decision::{RecipientDecision, TransactionDecision};
use crate::evaluate::EvalError;
use crate::policy::{MessageKind, PolicyDocument, Setting};
use crate::scenario::Scenario;

/// What a policy change does to a set of scenarios.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImpactReport {
    /// One item per scenario, in order.
    pub scenarios: Vec<ScenarioImpact>,
    /// How many scenarios have at least one changed recipient.
    pub changed_scenarios: usize,
    /// How many recipients changed, over all scenarios.
    pub changed_recipients: usize,
}

/// The recipients of one scenario whose outcome changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioImpact {
    /// Position in the scenarios given.
    pub index: usize,
    /// The scenario's `name`, if it has one.
    pub name: Option<String>,
    /// Recipients whose verdict, requirement, failures or reply change.
    pub changes: Vec<RecipientChange>,
    /// The transaction before and after, when its verdict or reply changes.
    pub transaction: Option<TransactionChange>,
}

/// One recipient's decision under both policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecipientChange {
    /// The recipient's canonical address.
    pub address: String,
    /// Under the policy before the change.
    pub before: RecipientDecision,
    /// Under the policy after it.
    pub after: RecipientDecision,
}

/// A transaction's decision under both policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransactionChange {
    /// Before.
    pub before: TransactionDecision,
    /// After.
    pub after: TransactionDecision,
}

fn outcome_differs(a: &RecipientDecision, b: &RecipientDecision) -> bool {
    a.verdict != b.verdict
        || a.requirement != b.requirement
        || a.failures != b.failures
        || a.reply != b.reply
}

/// Evaluates every scenario under both policies and reports the recipients whose verdict,
/// requirement, failures or reply change.
///
/// # Errors
/// The first scenario that cannot be decided, with its index; pointers are under `/<index>`.
pub fn impact(
    before: &CompiledPolicy,
    after: &CompiledPolicy,
    scenarios: &[Scenario],
) -> Result<ImpactReport, EvalError> {
    let mut report = ImpactReport {
        scenarios: Vec::with_capacity(scenarios.len()),
        changed_scenarios: 0,
        changed_recipients: 0,
    };
    for (index, scenario) in scenarios.iter().enumerate() {
        let prefix = format!("/{index}");
        let under = |e: EvalError| match e {
            EvalError::Invalid(errors) => {
                EvalError::Invalid(errors.into_iter().map(|d| d.under(&prefix)).collect())
            }
            fault => fault,
        };
        let a = before.evaluate(scenario).map_err(under)?;
        let b = after.evaluate(scenario).map_err(under)?;
        let changes: Vec<RecipientChange> = a
            .recipients
            .into_iter()
            .zip(b.recipients)
            .filter(|(x, y)| outcome_differs(x, y))
            .map(|(x, y)| RecipientChange {
                address: x.address.clone(),
                before: x,
                after: y,
            })
            .collect();
        let transaction = (a.transaction != b.transaction).then_some(TransactionChange {
            before: a.transaction,
            after: b.transaction,
        });
        if !changes.is_empty() {
            report.changed_scenarios += 1;
            report.changed_recipients += changes.len();
        }
        report.scenarios.push(ScenarioImpact {
            index,
            name: scenario.name.clone(),
            changes,
            transaction,
        });
    }
    Ok(report)
}

/// A policy change as an audit-log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditEntry {
    /// Each change, grouped: address lists, org units and settings, members.
    pub changes: Vec<Change>,
}

/// One change in an audit-log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "change",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Change {
    /// A new address list.
    AddressListAdded {
        /// Its name.
        list: String,
        /// Its entries, as written.
        entries: Vec<String>,
    },
    /// An address list removed.
    AddressListRemoved {
        /// Its name.
        list: String,
        /// Its entries, as written.
        entries: Vec<String>,
    },
    /// Entries added to a list (compared canonically, shown as written).
    EntriesAdded {
        /// The list.
        list: String,
        /// The new entries.
        entries: Vec<String>,
    },
    /// Entries removed from a list.
    EntriesRemoved {
        /// The list.
        list: String,
        /// The removed entries.
        entries: Vec<String>,
    },
    /// An org unit that now declares settings.
    OrgUnitAdded {
        /// Its path.
        org_unit: String,
    },
    /// An org unit no longer declared.
    OrgUnitRemoved {
        /// Its path.
        org_unit: String,
    },
    /// A setting added to an org unit.
    SettingAdded {
        /// Where.
        org_unit: String,
        /// Its name.
        setting: String,
        /// The whole setting as written.
        value: Setting,
    },
    /// A setting removed from an org unit.
    SettingRemoved {
        /// Where.
        org_unit: String,
        /// Its name.
        setting: String,
        /// The whole setting as it was.
        value: Setting,
    },
    /// One field of a setting changed (defaults applied before comparing).
    SettingChanged {
        /// Where.
        org_unit: String,
        /// Which setting.
        setting: String,
        /// Which field.
        field: String,
        /// Before.
        before: serde_json::Value,
        /// After.
        after: serde_json::Value,
    },
    /// A member added to `members`.
    MemberAdded {
        /// The address.
        member: String,
        /// Its OU.
        org_unit: String,
    },
    /// A member removed from `members` (now in `/`).
    MemberRemoved {
        /// The address.
        member: String,
        /// The OU it was in.
        org_unit: String,
    },
    /// A member moved to another OU.
    MemberMoved {
        /// The address.
        member: String,
        /// Before.
        before: String,
        /// After.
        after: String,
    },
}

/// The entries of a list, canonical key → first token as written, in document order.
type EntrySet = (
    Vec<(EntryKind, String)>,
    HashMap<(EntryKind, String), String>,
);

fn canonical_entries(entries: &[String]) -> EntrySet {
    let mut order = Vec::new();
    let mut written = HashMap::new();
    for s in entries {
        for token in entry_tokens(s) {
            let key = match parse_entry(token) {
                Ok(e) => (e.kind, e.canonical),
                Err(_) => (EntryKind::Domain, token.to_owned()),
            };
            if !written.contains_key(&key) {
                written.insert(key.clone(), token.to_owned());
                order.push(key);
            }
        }
    }
    (order, written)
}

/// Entries of `a` that `b` does not have, as written in `a`.
fn missing_from(a: &EntrySet, b: &EntrySet) -> Vec<String> {
    a.0.iter()
        .filter(|k| !b.1.contains_key(*k))
        .filter_map(|k| a.1.get(k).cloned())
        .collect()
}

fn all_tokens(entries: &[String]) -> Vec<String> {
    entries
        .iter()
        .flat_map(|s| entry_tokens(s).map(str::to_owned))
        .collect()
}

fn setting_fields(s: &Setting) -> Vec<(&'static str, serde_json::Value)> {
    let mut messages: Vec<MessageKind> = s.messages.clone();
    messages.sort();
    messages.dedup();
    vec![
        ("enabled", serde_json::Value::Bool(s.is_enabled())),
        ("messages", serde_json::json!(messages)),
        ("addressLists", serde_json::json!(s.address_lists)),
        (
            "requireCaSignedCertificate",
            serde_json::Value::Bool(s.requires_ca_signed()),
        ),
        (
            "validateCertificateHostname",
            serde_json::Value::Bool(s.validates_hostname()),
        ),
        ("minTlsVersion", serde_json::json!(s.min_version())),
    ]
}

/// The change from `before` to `after` as an audit-log entry: lists and entries added or removed,
/// settings added, removed or changed field by field per OU, members added, removed or moved.
/// Entries and members are compared canonically, so rewriting `Partner.Example` as
/// `partner.example` is no change.
pub fn diff(before: &PolicyDocument, after: &PolicyDocument) -> AuditEntry {
    let mut changes = Vec::new();
    let before_lists: HashMap<&str, &[String]> = before
        .address_lists
        .iter()
        .map(|l| (l.name.as_str(), l.entries.as_slice()))
        .collect();
    let after_lists: HashMap<&str, &[String]> = after
        .address_lists
        .iter()
        .map(|l| (l.name.as_str(), l.entries.as_slice()))
        .collect();
    for l in &before.address_lists {
        if !after_lists.contains_key(l.name.as_str()) {
            changes.push(Change::AddressListRemoved {
                list: l.name.clone(),
                entries: all_tokens(&l.entries),
            });
        }
    }
    for l in &after.address_lists {
        match before_lists.get(l.name.as_str()) {
            None => changes.push(Change::AddressListAdded {
                list: l.name.clone(),
                entries: all_tokens(&l.entries),
            }),
            Some(old) => {
                let old = canonical_entries(old);
                let new = canonical_entries(&l.entries);
                let added = missing_from(&new, &old);
                let removed = missing_from(&old, &new);
                if !added.is_empty() {
                    changes.push(Change::EntriesAdded {
                        list: l.name.clone(),
                        entries: added,
                    });
                }
                if !removed.is_empty() {
                    changes.push(Change::EntriesRemoved {
                        list: l.name.clone(),
                        entries: removed,
                    });
                }
            }
        }
    }
    diff_org_units(before, after, &mut changes);
    diff_members(before, after, &mut changes);
    AuditEntry { changes }
}

fn diff_org_units(before: &PolicyDocument, after: &PolicyDocument, changes: &mut Vec<Change>) {
    let settings_of = |doc: &PolicyDocument| -> BTreeMap<String, Vec<Setting>> {
        let mut m: BTreeMap<String, Vec<Setting>> = BTreeMap::new();
        for ou in &doc.org_units {
            m.entry(ou.path.clone())
                .or_default()
                .extend(ou.settings.iter().cloned());
        }
        m
    };
    let old = settings_of(before);
    let new = settings_of(after);
    for path in old.keys().filter(|p| !new.contains_key(*p)) {
        for s in old.get(path).into_iter().flatten() {
            changes.push(Change::SettingRemoved {
                org_unit: path.clone(),
                setting: s.name.clone(),
                value: s.clone(),
            });
        }
        changes.push(Change::OrgUnitRemoved {
            org_unit: path.clone(),
        });
    }
    for (path, settings) in &new {
        let Some(previous) = old.get(path) else {
            changes.push(Change::OrgUnitAdded {
                org_unit: path.clone(),
            });
            for s in settings {
                changes.push(Change::SettingAdded {
                    org_unit: path.clone(),
                    setting: s.name.clone(),
                    value: s.clone(),
                });
            }
            continue;
        };
        for s in previous
            .iter()
            .filter(|s| !settings.iter().any(|n| n.name == s.name))
        {
            changes.push(Change::SettingRemoved {
                org_unit: path.clone(),
                setting: s.name.clone(),
                value: s.clone(),
            });
        }
        for s in settings {
            match previous.iter().find(|p| p.name == s.name) {
                None => changes.push(Change::SettingAdded {
                    org_unit: path.clone(),
                    setting: s.name.clone(),
                    value: s.clone(),
                }),
                Some(p) => {
                    for ((field, a), (_, b)) in setting_fields(p).into_iter().zip(setting_fields(s))
                    {
                        if a != b {
                            changes.push(Change::SettingChanged {
                                org_unit: path.clone(),
                                setting: s.name.clone(),
                                field: field.to_owned(),
                                before: a,
                                after: b,
                            });
                        }
                    }
                }
            }
        }
    }
}

fn diff_members(before: &PolicyDocument, after: &PolicyDocument, changes: &mut Vec<Change>) {
    let canonical = |doc: &PolicyDocument| -> BTreeMap<String, (String, String)> {
        doc.members
            .iter()
            .map(|(k, v)| {
                let key = canonical_address(k).map_or_else(|_| k.clone(), |a| a.into_string());
                (key, (k.clone(), v.clone()))
            })
            .collect()
    };
    let old = canonical(before);
    let new = canonical(after);
    for (key, (written, ou)) in &old {
        if !new.contains_key(key) {
            changes.push(Change::MemberRemoved {
                member: written.clone(),
                org_unit: ou.clone(),
            });
        }
    }
    for (key, (written, ou)) in &new {
        match old.get(key) {
            None => changes.push(Change::MemberAdded {
                member: written.clone(),
                org_unit: ou.clone(),
            }),
            Some((_, previous)) if previous != ou => changes.push(Change::MemberMoved {
                member: written.clone(),
                before: previous.clone(),
                after: ou.clone(),
            }),
            Some(_) => {}
        }
    }
}
