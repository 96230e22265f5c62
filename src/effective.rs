//! Effective settings of organizational units (SPEC §3), as data a UI can show.
//!
//! [`crate::CompiledPolicy`] keeps only what decisions need: the *enabled* effective settings of
//! each unit, as indexes. An admin looking at a policy wants more: every unit that exists (declared,
//! implied as an ancestor, or named by a member), who is in it, and each effective setting with
//! where it was defined, whether it is inherited, which inherited setting it replaces, and its
//! options with their defaults filled in. [`org_units`] and [`effective_settings`] compute that
//! from the document with the same walk the compiler does, so what a UI shows is what decides.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::compile::{check_org_unit_path, parent_path};
use crate::policy::{MessageKind, PolicyDocument, Setting, TlsVersion};

/// One organizational unit: where it sits, who is in it, and its effective settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgUnitView {
    /// `/` or `/Parent/Child`.
    pub path: String,
    /// The parent unit's path; null for `/`.
    pub parent: Option<String>,
    /// The policy has an `orgUnits` item for this path (otherwise the unit exists implicitly, as
    /// an ancestor or as a member's unit, with no settings of its own).
    pub declared: bool,
    /// Members assigned to this unit, as written in `members`, in sorted order.
    pub members: Vec<String>,
    /// The unit's effective settings, disabled ones included, in effective-settings order.
    pub settings: Vec<EffectiveSetting>,
}

/// One effective setting of a unit, with its defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EffectiveSetting {
    /// The setting's name.
    pub name: String,
    /// The unit that defined it (as in a decision's reasons).
    pub org_unit: String,
    /// Defined at an ancestor of the unit in question.
    pub inherited: bool,
    /// The unit whose setting of the same name this one replaces; null when it replaces none.
    pub replaces: Option<String>,
    /// Takes part in decisions (a disabled setting still replaces what it overrides).
    pub enabled: bool,
    /// Messages affected.
    pub messages: Vec<MessageKind>,
    /// Names of the address lists it covers.
    pub address_lists: Vec<String>,
    /// A CA-signed certificate is required.
    pub require_ca_signed_certificate: bool,
    /// The certificate hostname is validated.
    pub validate_certificate_hostname: bool,
    /// The lowest TLS version allowed.
    pub min_tls_version: TlsVersion,
}

impl EffectiveSetting {
    fn new(setting: &Setting, org_unit: &str, replaces: Option<String>) -> Self {
        Self {
            name: setting.name.clone(),
            org_unit: org_unit.to_owned(),
            inherited: false,
            replaces,
            enabled: setting.is_enabled(),
            messages: setting.messages.clone(),
            address_lists: setting.address_lists.clone(),
            require_ca_signed_certificate: setting.requires_ca_signed(),
            validate_certificate_hostname: setting.validates_hostname(),
            min_tls_version: setting.min_version(),
        }
    }
}

/// The first `orgUnits` item of each valid path (a later duplicate is a validation error and
/// takes no part, as in the compiler).
fn declared_units(doc: &PolicyDocument) -> HashMap<&str, &[Setting]> {
    let mut declared: HashMap<&str, &[Setting]> = HashMap::new();
    for ou in &doc.org_units {
        if check_org_unit_path(&ou.path).is_ok() {
            declared.entry(ou.path.as_str()).or_insert(&ou.settings);
        }
    }
    declared
}

/// `path` and its ancestors, from `/` down.
fn lineage(path: &str) -> Vec<&str> {
    let mut chain = Vec::new();
    let mut p = Some(path);
    while let Some(current) = p {
        chain.push(current);
        p = parent_path(current);
    }
    chain.reverse();
    chain
}

fn effective_in(declared: &HashMap<&str, &[Setting]>, path: &str) -> Vec<EffectiveSetting> {
    let mut effective: Vec<EffectiveSetting> = Vec::new();
    for unit in lineage(path) {
        let Some(settings) = declared.get(unit) else {
            continue;
        };
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for setting in settings.iter() {
            // A second setting of one name in one unit is a validation error; the first counts.
            if !seen.insert(setting.name.as_str()) {
                continue;
            }
            // A setting named like an inherited one replaces it in place.
            match effective.iter_mut().find(|e| e.name == setting.name) {
                Some(slot) => {
                    let replaces = Some(slot.org_unit.clone());
                    *slot = EffectiveSetting::new(setting, unit, replaces);
                }
                None => effective.push(EffectiveSetting::new(setting, unit, None)),
            }
        }
    }
    for e in &mut effective {
        e.inherited = e.org_unit != path;
    }
    effective
}

/// The effective settings of the unit at `path` (SPEC §3), disabled ones included, in
/// effective-settings order: walk from `/` down to the unit, adding each unit's settings in order;
/// one named like an inherited setting replaces it in place. A path the policy does not declare
/// inherits from its ancestors.
pub fn effective_settings(doc: &PolicyDocument, path: &str) -> Vec<EffectiveSetting> {
    effective_in(&declared_units(doc), path)
}

/// Every organizational unit that exists in the policy — `/`, each declared unit, each member's
/// unit, and their ancestors — parents before children and siblings in name order, each with its
/// members and effective settings. Invalid paths (which fail validation) are left out.
pub fn org_units(doc: &PolicyDocument) -> Vec<OrgUnitView> {
    let declared = declared_units(doc);
    let mut members: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (address, path) in &doc.members {
        if check_org_unit_path(path).is_ok() {
            members
                .entry(path.as_str())
                .or_default()
                .push(address.clone());
        }
    }
    // Keyed by the path's names, so that a parent sorts right before its children (`/A`, `/A/B`,
    // `/A-B`), which plain string order does not give (`-` sorts before `/`).
    let mut paths: BTreeMap<Vec<&str>, &str> = BTreeMap::new();
    for path in declared
        .keys()
        .copied()
        .chain(members.keys().copied())
        .chain(["/"])
    {
        for unit in lineage(path) {
            paths.insert(unit.split('/').filter(|s| !s.is_empty()).collect(), unit);
        }
    }
    paths
        .into_values()
        .map(|path| OrgUnitView {
            path: path.to_owned(),
            parent: parent_path(path).map(str::to_owned),
            declared: declared.contains_key(path),
            members: members.get(path).cloned().unwrap_or_default(),
            settings: effective_in(&declared, path),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> PolicyDocument {
        serde_json::from_str(text).unwrap()
    }

    fn example() -> PolicyDocument {
        doc(include_str!("example/policy.json"))
    }

    fn names(settings: &[EffectiveSetting]) -> Vec<(&str, &str, bool, bool)> {
        settings
            .iter()
            .map(|s| (s.name.as_str(), s.org_unit.as_str(), s.inherited, s.enabled))
            .collect()
    }

    #[test]
    fn a_child_unit_inherits_its_parents_settings_with_defaults_filled_in() {
        let d = doc(r#"{ "version": 1, "orgUnits": [
            { "path": "/", "settings": [ { "name": "A", "messages": ["outbound"] } ] } ] }"#);
        let s = effective_settings(&d, "/Sales/East");
        assert_eq!(names(&s), vec![("A", "/", true, true)]);
        let a = &s[0];
        assert!(!a.require_ca_signed_certificate);
        assert!(!a.validate_certificate_hostname);
        assert_eq!(a.min_tls_version, TlsVersion::V1_0);
        assert_eq!(a.replaces, None);
        assert_eq!(
            names(&effective_settings(&d, "/")),
            vec![("A", "/", false, true)]
        );
    }

    #[test]
    fn an_override_replaces_the_inherited_setting_in_place_and_names_what_it_replaces() {
        let s = effective_settings(&example(), "/Finance/Audit");
        assert_eq!(
            names(&s),
            vec![
                ("TLS with partners", "/Finance/Audit", false, false),
                ("Routed over TLS", "/", true, true),
            ]
        );
        assert_eq!(s[0].replaces.as_deref(), Some("/"));
        assert!(s[0].messages.is_empty());
    }

    #[test]
    fn local_settings_follow_inherited_ones_in_effective_settings_order() {
        let s = effective_settings(&example(), "/Operations");
        assert_eq!(
            names(&s),
            vec![
                ("TLS with partners", "/", true, true),
                ("Routed over TLS", "/", true, true),
                ("Health suppliers inbound", "/Operations", false, true),
            ]
        );
        assert_eq!(s[2].min_tls_version, TlsVersion::V1_3);
        assert_eq!(s[2].address_lists, vec!["Health suppliers".to_owned()]);
    }

    #[test]
    fn every_unit_that_exists_is_listed_parents_first_with_its_members() {
        let units = org_units(&example());
        let paths: Vec<(&str, Option<&str>, bool)> = units
            .iter()
            .map(|u| (u.path.as_str(), u.parent.as_deref(), u.declared))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("/", None, true),
                ("/Finance", Some("/"), false),
                ("/Finance/Audit", Some("/Finance"), true),
                ("/Operations", Some("/"), true),
            ]
        );
        assert_eq!(units[1].members, vec!["alice@corp.example".to_owned()]);
        assert_eq!(units[2].members, vec!["auditor@corp.example".to_owned()]);
        assert!(units[0].members.is_empty());
    }

    #[test]
    fn a_parent_sorts_right_before_its_children_even_when_a_sibling_name_sorts_between() {
        let d = doc(r#"{ "version": 1, "orgUnits": [
            { "path": "/A-B" }, { "path": "/A/C" }, { "path": "/A" } ] }"#);
        let paths: Vec<String> = org_units(&d).into_iter().map(|u| u.path).collect();
        assert_eq!(paths, vec!["/", "/A", "/A/C", "/A-B"]);
    }

    #[test]
    fn a_duplicate_setting_or_unit_takes_no_part_as_in_the_compiler() {
        let d = doc(r#"{ "version": 1, "orgUnits": [
            { "path": "/", "settings": [ { "name": "A", "minTlsVersion": "1.2" },
                                         { "name": "A", "minTlsVersion": "1.3" } ] },
            { "path": "/", "settings": [ { "name": "B" } ] },
            { "path": "no-slash", "settings": [ { "name": "C" } ] } ] }"#);
        let units = org_units(&d);
        assert_eq!(units.len(), 1);
        assert_eq!(names(&units[0].settings), vec![("A", "/", false, true)]);
        assert_eq!(units[0].settings[0].min_tls_version, TlsVersion::V1_2);
    }

    #[test]
    fn effective_settings_agree_with_the_reasons_of_decisions() {
        // The enabled effective settings of the auditor's unit do not include the partner
        // setting, so mail to a partner is delivered without a requirement.
        let policy = crate::Policy::new(example()).unwrap();
        let enabled: Vec<String> = policy
            .effective_settings("/Finance/Audit")
            .into_iter()
            .filter(|s| s.enabled)
            .map(|s| s.name)
            .collect();
        assert_eq!(enabled, vec!["Routed over TLS".to_owned()]);
        let scenario = crate::parse_scenario(
            r#"{ "direction": "outbound", "sender": "auditor@corp.example",
                 "recipients": ["ceo@bank.example"], "connection": { "tls": false } }"#,
        )
        .unwrap();
        let decision = policy.evaluate(&scenario).unwrap();
        assert!(decision.recipients[0].reasons.is_empty());
    }

    #[test]
    fn enabled_effective_settings_are_the_compilers_for_every_unit() {
        let d = doc(r#"{ "version": 1,
            "members": { "x@corp.example": "/B/C/D" },
            "orgUnits": [
              { "path": "/", "settings": [ { "name": "A" }, { "name": "B" }, { "name": "C" } ] },
              { "path": "/B", "settings": [ { "name": "B", "enabled": false }, { "name": "D" } ] },
              { "path": "/B/C", "settings": [ { "name": "B" }, { "name": "A", "enabled": false } ] },
              { "path": "/E", "settings": [ { "name": "C", "minTlsVersion": "1.3" } ] } ] }"#);
        let compiled = crate::CompiledPolicy::compile(&d).unwrap();
        let units = org_units(&d);
        assert_eq!(units.len(), 5);
        for unit in &units {
            let ours: Vec<(&str, &str)> = unit
                .settings
                .iter()
                .filter(|s| s.enabled)
                .map(|s| (s.name.as_str(), s.org_unit.as_str()))
                .collect();
            let theirs: Vec<(&str, &str)> = compiled
                .org_unit_for(&unit.path)
                .unwrap()
                .effective
                .iter()
                .map(|&i| {
                    let s = &compiled.settings[i as usize];
                    (
                        s.name.as_str(),
                        compiled.org_units[s.defined_at as usize].path.as_str(),
                    )
                })
                .collect();
            assert_eq!(ours, theirs, "unit {}", unit.path);
        }
    }

    #[test]
    fn the_views_serialize_with_the_contract_field_names() {
        let units = org_units(&example());
        let json = serde_json::to_value(&units[2]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "path": "/Finance/Audit", "parent": "/Finance", "declared": true,
                "members": ["auditor@corp.example"],
                "settings": [
                    { "name": "TLS with partners", "orgUnit": "/Finance/Audit", "inherited": false,
                      "replaces": "/", "enabled": false, "messages": [], "addressLists": [],
                      "requireCaSignedCertificate": false, "validateCertificateHostname": false,
                      "minTlsVersion": "1.0" },
                    { "name": "Routed over TLS", "orgUnit": "/", "inherited": true,
                      "replaces": null, "enabled": true,
                      "messages": ["outboundRequiringSecureTransport"], "addressLists": [],
                      "requireCaSignedCertificate": true, "validateCertificateHostname": true,
                      "minTlsVersion": "1.2" } ]
            })
        );
    }
}
