//! Effective settings of organizational units (SPEC §3), as data a UI can show.
//!
//! [`crate::CompiledPolicy`] keeps only what decisions need: the *enabled* effective settings of
//! each unit, as indexes. An admin looking at a policy wants more: every unit that exists (declared,
//! implied as an ancestor, or named by a member), who is in it, and each effective setting with
//! where it was defined, whether it is inherited, which inherited setting it replaces, and its
//! options with their defaults filled in. [`org_units`] and [`effective_settings`] read that from
//! the compiled policy (the walk the decisions use) and the document, so what a UI shows is what
//! decides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compile::{parent_path, CompiledOrgUnit, CompiledPolicy};
use crate::policy::{MessageKind, PolicyDocument, TlsVersion};

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

/// The effective settings of the unit at `path` (SPEC §3), disabled ones included, in
/// effective-settings order, read from the compiled policy, so that what a UI shows is what
/// decides. A path the policy does not declare inherits from its nearest ancestor that it knows;
/// `inherited` is relative to `path` itself.
pub fn effective_settings(
    doc: &PolicyDocument,
    compiled: &CompiledPolicy,
    path: &str,
) -> Vec<EffectiveSetting> {
    let Some(unit) = compiled.org_unit_for(path) else {
        return Vec::new();
    };
    let unit_path = |id: u32| compiled.org_units.get(id as usize).map(|o| o.path.clone());
    unit.all
        .iter()
        .filter_map(|&sid| {
            let s = compiled.settings.get(sid as usize)?;
            let written = doc.org_units.get(s.item)?.settings.get(s.index)?;
            let org_unit = unit_path(s.defined_at)?;
            Some(EffectiveSetting {
                name: s.name.clone(),
                inherited: org_unit != path,
                org_unit,
                replaces: s.replaces.and_then(unit_path),
                enabled: s.enabled,
                messages: written.messages.clone(),
                address_lists: written.address_lists.clone(),
                require_ca_signed_certificate: s.ca_signed,
                validate_certificate_hostname: s.hostname,
                min_tls_version: s.min_tls_version,
            })
        })
        .collect()
}

/// Every organizational unit that exists in the policy — `/`, each declared unit, each member's
/// unit, and their ancestors — parents before children and siblings in name order, each with its
/// members and effective settings.
pub fn org_units(doc: &PolicyDocument, compiled: &CompiledPolicy) -> Vec<OrgUnitView> {
    let mut members: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (address, path) in &doc.members {
        members
            .entry(path.as_str())
            .or_default()
            .push(address.clone());
    }
    // Keyed by the path's names, so that a parent sorts right before its children (`/A`, `/A/B`,
    // `/A-B`), which plain string order does not give (`-` sorts before `/`).
    let units: BTreeMap<Vec<&str>, &CompiledOrgUnit> = compiled
        .org_units
        .iter()
        .map(|u| (u.path.split('/').filter(|s| !s.is_empty()).collect(), u))
        .collect();
    units
        .into_values()
        .map(|u| OrgUnitView {
            path: u.path.clone(),
            parent: parent_path(&u.path).map(str::to_owned),
            declared: u.declared,
            members: members.get(u.path.as_str()).cloned().unwrap_or_default(),
            settings: effective_settings(doc, compiled, &u.path),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The views of a valid policy, as hosts get them through `Policy`.
    fn org_units(d: &PolicyDocument) -> Vec<OrgUnitView> {
        crate::Policy::new(d.clone()).unwrap().org_units()
    }

    fn effective_settings(d: &PolicyDocument, path: &str) -> Vec<EffectiveSetting> {
        crate::Policy::new(d.clone())
            .unwrap()
            .effective_settings(path)
    }

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
