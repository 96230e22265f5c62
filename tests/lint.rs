//! Lint (SPEC §6): one test per warning code, each asserting the code, the JSON pointer and the
//! line and column `validate_text` gives. Warnings never stop a policy from loading.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use tls_compliance::{validate_text, LintCode, Policy};

mod common;

/// Every recommended option on: the base setting lints clean.
const RECOMMENDED: &str = r#""requireCaSignedCertificate": true, "validateCertificateHostname": true, "minTlsVersion": "1.2""#;

/// A policy whose `Partners` list (line 4) holds `entries`, followed by `extra_lists`, and whose
/// unit `/` has `setting` on line 8 (by default one that uses `Partners` with every recommended
/// option), followed by `more_units`.
fn policy(entries: &str, extra_lists: &str, setting: Option<&str>, more_units: &str) -> String {
    let default_setting = format!(
        r#"{{ "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners"], {RECOMMENDED} }}"#
    );
    let setting = setting.map_or(default_setting, str::to_owned);
    format!(
        "{{\n\"version\": 1,\n\"addressLists\": [\n{{ \"name\": \"Partners\", \"entries\": [{entries}] }}{extra_lists}\n],\n\"orgUnits\": [\n{{ \"path\": \"/\", \"settings\": [\n{setting}\n] }}{more_units}\n]\n}}"
    )
}

fn with_entries(entries: &str) -> String {
    policy(entries, "", None, "")
}

fn with_setting(setting: &str) -> String {
    policy("\"partner.example\"", "", Some(setting), "")
}

/// The warnings of `text` must be exactly `expected` (code, pointer, line, column); the policy
/// loads, its `lint()` gives the same warnings without places, and `check` exits 0.
fn warns(text: &str, expected: &[(LintCode, &str, u32, u32)]) -> Vec<String> {
    let report = validate_text(text);
    assert!(report.valid, "{:?}", report.errors);
    let got: Vec<(LintCode, &str, Option<u32>, Option<u32>)> = report
        .warnings
        .iter()
        .map(|w| (w.code, w.pointer.as_str(), w.line, w.column))
        .collect();
    let want: Vec<(LintCode, &str, Option<u32>, Option<u32>)> = expected
        .iter()
        .map(|&(code, pointer, line, column)| (code, pointer, Some(line), Some(column)))
        .collect();
    assert_eq!(got, want, "{:#?}", report.warnings);

    let policy = Policy::from_text(text).unwrap();
    let unplaced: Vec<_> = report
        .warnings
        .iter()
        .cloned()
        .map(|mut w| {
            w.line = None;
            w.column = None;
            w
        })
        .collect();
    assert_eq!(policy.lint(), unplaced);

    let out = common::run_cli(None, &["check", "-"], Some(text));
    assert_eq!(
        out.status.code(),
        Some(0),
        "a policy with warnings checks with exit 0"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["warnings"],
        serde_json::to_value(&report.warnings).unwrap()
    );

    for w in &report.warnings {
        assert!(!w.message.ends_with('.'), "{}", w.message);
        assert!(
            !w.message.starts_with(|c: char| c.is_uppercase()),
            "{}",
            w.message
        );
    }
    report.warnings.into_iter().map(|w| w.message).collect()
}

/// The test that proves each code. A new code does not compile until it has one here.
fn test_for(code: LintCode) -> &'static str {
    match code {
        LintCode::DuplicateEntry => "the_same_entry_twice_in_a_list_is_a_duplicate_entry",
        LintCode::AddressCoveredByDomain => {
            "an_address_under_a_listed_domain_or_wildcard_is_covered"
        }
        LintCode::DomainCoveredByWildcard => {
            "a_domain_or_wildcard_under_a_listed_wildcard_is_covered"
        }
        LintCode::AtDomainForm => "an_at_domain_entry_is_accepted_with_a_warning",
        LintCode::UnusedList => "a_list_no_setting_uses_is_unused",
        LintCode::DisabledSetting => "a_disabled_setting_is_pointed_at_its_enabled_field",
        LintCode::CaSignedCertificateOff => "a_setting_without_a_ca_signed_certificate_is_warned",
        LintCode::HostnameValidationOff => "a_setting_without_hostname_validation_is_warned",
        LintCode::MinTlsVersionBelow12 => "a_minimum_tls_version_below_1_2_is_warned",
        LintCode::OverrideHidesInherited => "an_override_that_hides_an_inherited_setting_is_warned",
        LintCode::NoMessages => "a_setting_that_affects_no_messages_is_warned",
        LintCode::NoAddressLists => "an_inbound_or_outbound_setting_without_lists_is_warned",
        LintCode::EmptyList => "a_list_without_entries_is_empty",
        LintCode::DuplicateMessageKind => "a_messages_kind_given_twice_is_warned",
    }
}

#[test]
fn every_lint_code_has_a_test_in_this_file() {
    let source = include_str!("lint.rs");
    for code in [
        LintCode::DuplicateEntry,
        LintCode::AddressCoveredByDomain,
        LintCode::DomainCoveredByWildcard,
        LintCode::AtDomainForm,
        LintCode::UnusedList,
        LintCode::DisabledSetting,
        LintCode::CaSignedCertificateOff,
        LintCode::HostnameValidationOff,
        LintCode::MinTlsVersionBelow12,
        LintCode::OverrideHidesInherited,
        LintCode::NoMessages,
        LintCode::NoAddressLists,
        LintCode::EmptyList,
        LintCode::DuplicateMessageKind,
    ] {
        let name = test_for(code);
        assert!(
            source.contains(&format!("#[test]\nfn {name}()")),
            "no test `{name}` for {code:?}"
        );
    }
}

#[test]
fn a_policy_with_every_recommended_option_has_no_warnings() {
    warns(
        &with_entries("\"partner.example\", \"*.gov.example\", \"ceo@bank.example\""),
        &[],
    );
}

#[test]
fn the_same_entry_twice_in_a_list_is_a_duplicate_entry() {
    // Case and a trailing dot do not make it another entry; it is found inside its string.
    let messages = warns(
        &with_entries("\"partner.example\", \"other.example, Partner.Example.\""),
        &[(LintCode::DuplicateEntry, "/addressLists/0/entries/1", 4, 54)],
    );
    assert!(
        messages[0].contains("`Partner.Example.`"),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains("`partner.example`"), "{}", messages[0]);
}

#[test]
fn an_address_under_a_listed_domain_or_wildcard_is_covered() {
    warns(
        &with_entries(
            "\"partner.example\", \"ceo@partner.example\", \"*.gov.example\", \"desk@tax.gov.example\", \"ceo@bank.example\"",
        ),
        &[
            (LintCode::AddressCoveredByDomain, "/addressLists/0/entries/1", 4, 54),
            (LintCode::AddressCoveredByDomain, "/addressLists/0/entries/3", 4, 94),
        ],
    );
}

#[test]
fn a_domain_or_wildcard_under_a_listed_wildcard_is_covered() {
    // `gov.example` itself is not covered by `*.gov.example`.
    warns(
        &with_entries(
            "\"*.gov.example\", \"gov.example\", \"tax.gov.example\", \"*.city.gov.example\"",
        ),
        &[
            (
                LintCode::DomainCoveredByWildcard,
                "/addressLists/0/entries/2",
                4,
                67,
            ),
            (
                LintCode::DomainCoveredByWildcard,
                "/addressLists/0/entries/3",
                4,
                86,
            ),
        ],
    );
}

#[test]
fn an_at_domain_entry_is_accepted_with_a_warning() {
    let messages = warns(
        &with_entries("\"@partner.example\""),
        &[(LintCode::AtDomainForm, "/addressLists/0/entries/0", 4, 35)],
    );
    assert!(messages[0].contains("`partner.example`"), "{}", messages[0]);
}

#[test]
fn a_list_no_setting_uses_is_unused() {
    warns(
        &policy(
            "\"partner.example\"",
            ",\n{ \"name\": \"Spare\", \"entries\": [\"spare.example\"] }",
            None,
            "",
        ),
        &[(LintCode::UnusedList, "/addressLists/1", 5, 1)],
    );
}

#[test]
fn a_disabled_setting_is_pointed_at_its_enabled_field() {
    // A disabled setting gets no other warning about its options.
    warns(
        &with_setting(&format!(
            r#"{{ "name": "TLS", "enabled": false, "messages": ["outbound"], "addressLists": ["Partners"], {RECOMMENDED} }}"#
        )),
        &[(
            LintCode::DisabledSetting,
            "/orgUnits/0/settings/0/enabled",
            8,
            29,
        )],
    );
}

#[test]
fn a_setting_without_a_ca_signed_certificate_is_warned() {
    // At the field when it is written `false`, at the setting when it is left to its default.
    warns(
        &with_setting(
            r#"{ "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners"], "requireCaSignedCertificate": false, "validateCertificateHostname": true, "minTlsVersion": "1.2" }"#,
        ),
        &[(
            LintCode::CaSignedCertificateOff,
            "/orgUnits/0/settings/0/requireCaSignedCertificate",
            8,
            104,
        )],
    );
    warns(
        &with_setting(
            r#"{ "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners"], "validateCertificateHostname": true, "minTlsVersion": "1.2" }"#,
        ),
        &[(
            LintCode::CaSignedCertificateOff,
            "/orgUnits/0/settings/0",
            8,
            1,
        )],
    );
}

#[test]
fn a_setting_without_hostname_validation_is_warned() {
    warns(
        &with_setting(
            r#"{ "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners"], "requireCaSignedCertificate": true, "validateCertificateHostname": false, "minTlsVersion": "1.2" }"#,
        ),
        &[(
            LintCode::HostnameValidationOff,
            "/orgUnits/0/settings/0/validateCertificateHostname",
            8,
            141,
        )],
    );
    warns(
        &with_setting(
            r#"{ "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners"], "requireCaSignedCertificate": true, "minTlsVersion": "1.2" }"#,
        ),
        &[(
            LintCode::HostnameValidationOff,
            "/orgUnits/0/settings/0",
            8,
            1,
        )],
    );
}

#[test]
fn a_minimum_tls_version_below_1_2_is_warned() {
    let messages = warns(
        &with_setting(
            r#"{ "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners"], "requireCaSignedCertificate": true, "validateCertificateHostname": true, "minTlsVersion": "1.1" }"#,
        ),
        &[(
            LintCode::MinTlsVersionBelow12,
            "/orgUnits/0/settings/0/minTlsVersion",
            8,
            164,
        )],
    );
    assert!(messages[0].contains("1.1"), "{}", messages[0]);
    // Left to its default, the minimum is 1.0.
    let messages = warns(
        &with_setting(
            r#"{ "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners"], "requireCaSignedCertificate": true, "validateCertificateHostname": true }"#,
        ),
        &[(
            LintCode::MinTlsVersionBelow12,
            "/orgUnits/0/settings/0",
            8,
            1,
        )],
    );
    assert!(messages[0].contains("1.0"), "{}", messages[0]);
}

#[test]
fn an_override_that_hides_an_inherited_setting_is_warned() {
    // `/Sales` is an implicit ancestor between `/` and `/Sales/EMEA`.
    let messages = warns(
        &policy(
            "\"partner.example\"",
            "",
            None,
            &format!(
                ",\n{{ \"path\": \"/Sales/EMEA\", \"settings\": [\n{{ \"name\": \"TLS\", \"messages\": [\"outbound\"], \"addressLists\": [\"Partners\"], {RECOMMENDED} }}\n] }}"
            ),
        ),
        &[(LintCode::OverrideHidesInherited, "/orgUnits/1/settings/0/name", 11, 11)],
    );
    assert!(messages[0].contains("`/Sales/EMEA`"), "{}", messages[0]);
    assert!(messages[0].contains("from `/`"), "{}", messages[0]);
}

#[test]
fn a_setting_that_affects_no_messages_is_warned() {
    warns(
        &with_setting(&format!(
            r#"{{ "name": "TLS", "addressLists": ["Partners"], {RECOMMENDED} }}"#
        )),
        &[(LintCode::NoMessages, "/orgUnits/0/settings/0", 8, 1)],
    );
}

#[test]
fn an_inbound_or_outbound_setting_without_lists_is_warned() {
    // A setting only for outbound mail requiring secure transport needs no list.
    warns(
        &with_setting(&format!(
            "{{ \"name\": \"TLS\", \"messages\": [\"inbound\"], {RECOMMENDED} }},\n{{ \"name\": \"Routed\", \"messages\": [\"outboundRequiringSecureTransport\"], {RECOMMENDED} }},\n{{ \"name\": \"Partners\", \"messages\": [\"outbound\"], \"addressLists\": [\"Partners\"], {RECOMMENDED} }}"
        )),
        &[(LintCode::NoAddressLists, "/orgUnits/0/settings/0", 8, 1)],
    );
}

#[test]
fn a_list_without_entries_is_empty() {
    // No entries at all, and strings that hold no entry.
    warns(
        &policy(
            "",
            ",\n{ \"name\": \"Blank\", \"entries\": [\" , \", \"\"] }",
            Some(&format!(
                r#"{{ "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners", "Blank"], {RECOMMENDED} }}"#
            )),
            "",
        ),
        &[
            (LintCode::EmptyList, "/addressLists/0", 4, 1),
            (LintCode::EmptyList, "/addressLists/1", 5, 1),
        ],
    );
}

#[test]
fn a_messages_kind_given_twice_is_warned() {
    warns(
        &with_setting(&format!(
            r#"{{ "name": "TLS", "messages": ["outbound", "inbound", "outbound"], "addressLists": ["Partners"], {RECOMMENDED} }}"#
        )),
        &[(
            LintCode::DuplicateMessageKind,
            "/orgUnits/0/settings/0/messages/2",
            8,
            54,
        )],
    );
}

#[test]
fn every_warning_of_a_policy_is_reported_in_document_order() {
    let text = policy(
        "\"@partner.example\", \"partner.example\"",
        ",\n{ \"name\": \"Spare\", \"entries\": [] }",
        Some(r#"{ "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners"] }"#),
        "",
    );
    let report = validate_text(&text);
    let codes: Vec<LintCode> = report.warnings.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        [
            LintCode::AtDomainForm,
            LintCode::DuplicateEntry,
            LintCode::UnusedList,
            LintCode::EmptyList,
            LintCode::CaSignedCertificateOff,
            LintCode::HostnameValidationOff,
            LintCode::MinTlsVersionBelow12,
        ]
    );
}
