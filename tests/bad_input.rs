//! Bad input: every validation error code, malformed scenarios, and misuse of the command line.
//! Each must give a clear error with its place and the right exit code, and never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};
use tls_compliance::source::locate_all;
use tls_compliance::{
    parse_scenario, parse_scenarios, validate_text, ErrorCode, EvalError, Policy, ValidationError,
};

mod common;

// --- helpers ------------------------------------------------------------------------------------

/// A fresh scratch directory under Cargo's per-test temporary directory.
fn scratch_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("bad-input")
        .join(format!("{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary in `dir`, feeding `stdin` when given. Fails the test on a panic.
fn cli_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    common::run_cli(Some(dir), args, stdin)
}

fn cli(args: &[&str], stdin: Option<&str>) -> Output {
    cli_in(&scratch_dir(), args, stdin)
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn stdout_text(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// What one error must be: its code, its JSON pointer and its place in the text.
#[derive(Debug, Clone, Copy)]
struct Expected {
    code: ErrorCode,
    pointer: &'static str,
    line: u32,
    column: u32,
}

const fn at(code: ErrorCode, pointer: &'static str, line: u32, column: u32) -> Expected {
    Expected {
        code,
        pointer,
        line,
        column,
    }
}

fn assert_errors(what: &str, errors: &[ValidationError], expected: &[Expected]) {
    let got: Vec<(ErrorCode, &str, Option<u32>, Option<u32>)> = errors
        .iter()
        .map(|e| (e.code, e.pointer.as_str(), e.line, e.column))
        .collect();
    let want: Vec<(ErrorCode, &str, Option<u32>, Option<u32>)> = expected
        .iter()
        .map(|e| (e.code, e.pointer, Some(e.line), Some(e.column)))
        .collect();
    assert_eq!(got, want, "{what}: {errors:#?}");
    for e in errors {
        assert!(!e.message.is_empty(), "{what}: an error without a message");
        assert!(
            !e.message.ends_with('.'),
            "{what}: message ends with a period: {}",
            e.message
        );
        // Lowercase, though an acronym may lead (serde_json's `EOF while parsing a value`).
        let mut first_word = e.message.split(' ').next().unwrap_or_default().chars();
        let capitalised = first_word.next().is_some_and(char::is_uppercase)
            && first_word.next().is_some_and(char::is_lowercase);
        assert!(
            !capitalised,
            "{what}: message is not lowercase: {}",
            e.message
        );
    }
}

/// A policy that must not load: the same errors from `Policy::from_text` and `validate_text`, and
/// from the CLI's `check` and `eval` with exit code 1.
fn policy_fails(text: &str, expected: &[Expected]) -> Vec<ValidationError> {
    let errors = Policy::from_text(text).unwrap_err();
    assert_errors("Policy::from_text", &errors, expected);
    let report = validate_text(text);
    assert!(!report.valid);
    assert_eq!(
        report.errors, errors,
        "validate_text and Policy::from_text differ"
    );

    let dir = scratch_dir();
    let out = cli_in(&dir, &["check", "-"], Some(text));
    assert_eq!(out.status.code(), Some(1), "check exit code");
    let json = stdout_json(&out);
    assert_eq!(json["valid"], json!(false));
    assert_eq!(json["errors"], serde_json::to_value(&errors).unwrap());

    std::fs::write(dir.join("scenario.json"), OUTBOUND_SCENARIO).unwrap();
    let out = cli_in(&dir, &["eval", "-", "scenario.json"], Some(text));
    assert_eq!(
        out.status.code(),
        Some(1),
        "eval exit code for a bad policy"
    );
    let json = stdout_json(&out);
    assert_eq!(json["error"], json!("invalidPolicy"));
    assert_eq!(json["file"], json!("-"));
    assert_eq!(json["errors"], serde_json::to_value(&errors).unwrap());
    errors
}

const GOOD_POLICY: &str = r#"{
"version": 1,
"addressLists": [ { "name": "Partners", "entries": ["partner.example"] } ],
"orgUnits": [ { "path": "/", "settings": [
{ "name": "Partners", "messages": ["inbound", "outbound"], "addressLists": ["Partners"] } ] } ]
}"#;

const OUTBOUND_SCENARIO: &str = r#"{
"direction": "outbound",
"sender": "alice@corp.example",
"recipients": ["bob@partner.example"],
"connection": { "tls": false }
}"#;

/// The errors the library gives for a scenario, placed in its text.
fn library_scenario_errors(text: &str) -> Vec<ValidationError> {
    let policy = Policy::from_text(GOOD_POLICY).unwrap();
    match parse_scenarios(text) {
        Err(e) => vec![e],
        Ok(scenarios) => {
            let many = text.trim_start().starts_with('[');
            for (i, s) in scenarios.as_slice().iter().enumerate() {
                match policy.evaluate(s) {
                    Ok(_) => {}
                    Err(EvalError::Invalid(errors)) => {
                        let mut errors: Vec<ValidationError> = errors
                            .into_iter()
                            .map(|e| if many { e.under(&format!("/{i}")) } else { e })
                            .collect();
                        locate_all(text, &mut errors);
                        return errors;
                    }
                    Err(EvalError::Fault(f)) => panic!("fault: {f}"),
                }
            }
            Vec::new()
        }
    }
}

/// A scenario that must not be decided: the errors through the library, and the CLI's `eval` with
/// the scenario from a file and from standard input, exit code 2.
fn scenario_fails(text: &str, expected: &[Expected]) -> Vec<ValidationError> {
    let errors = library_scenario_errors(text);
    assert_errors("library", &errors, expected);
    let dir = scratch_dir();
    std::fs::write(dir.join("policy.json"), GOOD_POLICY).unwrap();
    std::fs::write(dir.join("scenario.json"), text).unwrap();
    for (input, stdin) in [("scenario.json", None), ("-", Some(text))] {
        let out = cli_in(&dir, &["eval", "policy.json", input], stdin);
        assert_eq!(
            out.status.code(),
            Some(2),
            "eval exit code for a bad scenario"
        );
        let json = stdout_json(&out);
        assert_eq!(json["error"], json!("invalidScenario"));
        assert_eq!(json["file"], json!(input));
        assert_eq!(json["errors"], serde_json::to_value(&errors).unwrap());
    }
    errors
}

/// A scenario with one recipient (a JSON value) that must fail with one error at
/// `/recipients/0` on line 4; returns that error's message.
fn recipient_fails(recipient: &Value, code: ErrorCode, column: u32) -> String {
    let text = format!(
        "{{\n\"direction\": \"outbound\",\n\"sender\": \"alice@corp.example\",\n\"recipients\": [{recipient}]\n}}"
    );
    let errors = scenario_fails(&text, &[at(code, "/recipients/0", 4, column)]);
    errors[0].message.clone()
}

/// The same for an address string.
fn address_fails(address: &str) -> String {
    let recipient = Value::String(address.to_owned());
    // `"recipients": [` is 15 characters, so the address starts in column 16.
    recipient_fails(&recipient, ErrorCode::InvalidAddress, 16)
}

/// An inbound scenario whose `from` (a JSON string) must fail with `invalid-from`; returns the
/// message.
fn from_fails(from: &str) -> String {
    let text = format!(
        "{{\n\"direction\": \"inbound\",\n\"from\": {},\n\"recipients\": [\"alice@corp.example\"]\n}}",
        Value::String(from.to_owned())
    );
    // `"from": ` is 8 characters: the value starts in column 9 of line 3.
    let errors = scenario_fails(&text, &[at(ErrorCode::InvalidFrom, "/from", 3, 9)]);
    assert!(errors[0].help.is_some(), "invalid-from says how to fix it");
    errors[0].message.clone()
}

// --- one test per validation error code -----------------------------------------------------

/// The test that proves each code. A new code does not compile until it has one here.
fn test_for(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidJson => "text_that_is_not_json_is_invalid_json_where_the_parser_stopped",
        ErrorCode::UnknownField => "a_misspelt_field_is_an_unknown_field_at_its_key",
        ErrorCode::MissingField => "a_list_without_a_name_is_a_missing_field_at_the_object",
        ErrorCode::DuplicateField => "a_field_given_twice_is_a_duplicate_field",
        ErrorCode::InvalidType => "a_string_where_a_boolean_is_expected_is_an_invalid_type",
        ErrorCode::InvalidValue => "an_unknown_messages_kind_is_an_invalid_value",
        ErrorCode::UnsupportedVersion => "version_2_is_an_unsupported_version",
        ErrorCode::TooManyAddressLists => "more_than_2000_address_lists_are_too_many",
        ErrorCode::TooManyEntries => "more_than_100000_entries_in_one_list_are_too_many",
        ErrorCode::TooManySettings => "more_than_1000_settings_in_all_units_are_too_many",
        ErrorCode::EmptyName => "an_empty_list_name_and_a_blank_setting_name_are_empty_names",
        ErrorCode::DuplicateAddressList => "two_lists_with_one_name_are_a_duplicate_address_list",
        ErrorCode::InvalidEntry => {
            "entries_that_are_not_an_address_a_domain_or_a_wildcard_are_invalid"
        }
        ErrorCode::UnknownAddressList => {
            "a_setting_naming_an_undefined_list_is_an_unknown_address_list"
        }
        ErrorCode::InvalidOrgUnitPath => {
            "org_unit_paths_must_start_with_a_slash_and_have_no_empty_names"
        }
        ErrorCode::DuplicateOrgUnit => "two_org_units_with_one_path_are_a_duplicate_org_unit",
        ErrorCode::DuplicateSetting => {
            "two_settings_with_one_name_in_one_unit_are_a_duplicate_setting"
        }
        ErrorCode::InvalidMemberAddress => {
            "a_member_key_that_is_not_an_address_is_an_invalid_member_address"
        }
        ErrorCode::DuplicateMember => "two_member_keys_that_are_one_address_are_a_duplicate_member",
        ErrorCode::InvalidAddress => "a_recipient_without_an_at_is_an_invalid_address",
        ErrorCode::InvalidFrom => "a_from_with_two_mailboxes_is_an_invalid_from",
        ErrorCode::MissingSender => {
            "an_outbound_scenario_without_sender_or_unit_is_missing_its_sender"
        }
        ErrorCode::MissingFrom => "an_inbound_scenario_without_from_is_missing_its_from",
        ErrorCode::NoRecipients => "a_scenario_with_an_empty_recipient_list_has_no_recipients",
        ErrorCode::ContradictoryConnection => {
            "contradictory_tls_facts_are_a_contradictory_connection"
        }
        ErrorCode::Unreadable => {
            "a_missing_policy_file_exits_1_and_a_missing_scenario_file_exits_2"
        }
    }
}

#[test]
fn every_error_code_has_a_test_in_this_file() {
    let source = include_str!("bad_input.rs");
    let codes = [
        ErrorCode::InvalidJson,
        ErrorCode::UnknownField,
        ErrorCode::MissingField,
        ErrorCode::DuplicateField,
        ErrorCode::InvalidType,
        ErrorCode::InvalidValue,
        ErrorCode::UnsupportedVersion,
        ErrorCode::TooManyAddressLists,
        ErrorCode::TooManyEntries,
        ErrorCode::TooManySettings,
        ErrorCode::EmptyName,
        ErrorCode::DuplicateAddressList,
        ErrorCode::InvalidEntry,
        ErrorCode::UnknownAddressList,
        ErrorCode::InvalidOrgUnitPath,
        ErrorCode::DuplicateOrgUnit,
        ErrorCode::DuplicateSetting,
        ErrorCode::InvalidMemberAddress,
        ErrorCode::DuplicateMember,
        ErrorCode::InvalidAddress,
        ErrorCode::InvalidFrom,
        ErrorCode::MissingSender,
        ErrorCode::MissingFrom,
        ErrorCode::NoRecipients,
        ErrorCode::ContradictoryConnection,
        ErrorCode::Unreadable,
    ];
    for code in codes {
        let name = test_for(code);
        assert!(
            source.contains(&format!("#[test]\nfn {name}()")),
            "no test `{name}` for {code:?}"
        );
    }
}

#[test]
fn text_that_is_not_json_is_invalid_json_where_the_parser_stopped() {
    // Line 4 is the `}` where a list item was expected.
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"addressLists\": [\n}",
        &[at(ErrorCode::InvalidJson, "/addressLists/0", 4, 1)],
    );
    assert_eq!(errors[0].message, "expected value");
    policy_fails(
        "{ \"version\": 1 } trailing",
        &[at(ErrorCode::InvalidJson, "", 1, 18)],
    );
    policy_fails("", &[at(ErrorCode::InvalidJson, "", 1, 1)]);
}

#[test]
fn a_misspelt_field_is_an_unknown_field_at_its_key() {
    // Column 13 is the closing quote of `"adressLists"`.
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"adressLists\": []\n}",
        &[at(ErrorCode::UnknownField, "/adressLists", 3, 13)],
    );
    assert!(errors[0].message.contains("`adressLists`"));
    assert!(errors[0].message.contains("`addressLists`"));
    policy_fails(
        "{\n\"version\": 1,\n\"orgUnits\": [ { \"path\": \"/\", \"settings\": [ { \"name\": \"s\", \"minVersion\": \"1.2\" } ] } ]\n}",
        &[at(ErrorCode::UnknownField, "/orgUnits/0/settings/0/minVersion", 3, 70)],
    );
}

#[test]
fn a_list_without_a_name_is_a_missing_field_at_the_object() {
    // Column 35 is the `}` that closes the object without `name`.
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"addressLists\": [ { \"entries\": [] } ]\n}",
        &[at(ErrorCode::MissingField, "/addressLists/0", 3, 35)],
    );
    assert_eq!(errors[0].message, "missing field `name`");
    policy_fails(
        "{\n\"addressLists\": []\n}",
        &[at(ErrorCode::MissingField, "", 3, 1)],
    );
}

#[test]
fn a_field_given_twice_is_a_duplicate_field() {
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"orgUnits\": [],\n\"version\": 1\n}",
        &[at(ErrorCode::DuplicateField, "", 4, 9)],
    );
    assert_eq!(errors[0].message, "duplicate field `version`");
}

#[test]
fn a_string_where_a_boolean_is_expected_is_an_invalid_type() {
    // `"yes"` spans columns 70–74 of line 3; the parser stops at its end.
    policy_fails(
        "{\n\"version\": 1,\n\"orgUnits\": [ { \"path\": \"/\", \"settings\": [ { \"name\": \"s\", \"enabled\": \"yes\" } ] } ]\n}",
        &[at(ErrorCode::InvalidType, "/orgUnits/0/settings/0/enabled", 3, 74)],
    );
    policy_fails(
        "{\n\"version\": \"1\"\n}",
        &[at(ErrorCode::InvalidType, "/version", 2, 14)],
    );
    // A number where a TLS version string is expected is a type error too, not a syntax error.
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"orgUnits\": [ { \"path\": \"/\", \"settings\": [ { \"name\": \"s\", \"minTlsVersion\": 1.2 } ] } ]\n}",
        &[at(ErrorCode::InvalidType, "/orgUnits/0/settings/0/minTlsVersion", 3, 76)],
    );
    assert_eq!(
        errors[0].message,
        "invalid type: number `1.2`, expected a string"
    );
}

#[test]
fn an_unknown_messages_kind_is_an_invalid_value() {
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"orgUnits\": [ { \"path\": \"/\", \"settings\": [ { \"name\": \"s\", \"messages\": [\"inbound\", \"sideways\"] } ] } ]\n}",
        &[at(ErrorCode::InvalidValue, "/orgUnits/0/settings/0/messages/1", 3, 92)],
    );
    assert!(errors[0].message.contains("`sideways`"));
    policy_fails(
        "{\n\"version\": 1,\n\"orgUnits\": [ { \"path\": \"/\", \"settings\": [ { \"name\": \"s\", \"minTlsVersion\": \"1.4\" } ] } ]\n}",
        &[at(ErrorCode::InvalidValue, "/orgUnits/0/settings/0/minTlsVersion", 3, 80)],
    );
}

#[test]
fn version_2_is_an_unsupported_version() {
    let errors = policy_fails(
        "{\n\"version\": 2\n}",
        &[at(ErrorCode::UnsupportedVersion, "/version", 2, 12)],
    );
    assert!(errors[0].message.contains("`2`"));
}

/// `{ "version": 1, "addressLists": [` then one list per line.
fn policy_with_lists(lists: usize) -> String {
    let mut text = String::from("{\n\"version\": 1,\n\"addressLists\": [\n");
    for i in 0..lists {
        let comma = if i + 1 < lists { "," } else { "" };
        writeln!(
            text,
            "{{ \"name\": \"List {i}\", \"entries\": [\"d{i}.example\"] }}{comma}"
        )
        .unwrap();
    }
    text.push_str("]\n}");
    text
}

#[test]
fn more_than_2000_address_lists_are_too_many() {
    // `"addressLists": [` puts the array on line 3, column 17.
    let errors = policy_fails(
        &policy_with_lists(2_001),
        &[at(ErrorCode::TooManyAddressLists, "/addressLists", 3, 17)],
    );
    assert!(errors[0].message.contains("2001"), "{}", errors[0].message);
    assert!(errors[0].message.contains("2000"), "{}", errors[0].message);
}

#[test]
fn exactly_2000_address_lists_load() {
    let policy = Policy::from_text(&policy_with_lists(2_000)).unwrap();
    assert_eq!(policy.compiled().entry_count(), 2_000);
}

/// One list named `Big`, its entries written `per_string` to a string, on lines of their own
/// from line 5.
fn policy_with_entries(entries: usize, per_string: usize) -> String {
    let mut text = String::from(
        "{\n\"version\": 1,\n\"addressLists\": [\n{ \"name\": \"Big\", \"entries\": [\n",
    );
    let strings: Vec<String> = (0..entries)
        .collect::<Vec<_>>()
        .chunks(per_string)
        .map(|chunk| {
            let tokens: Vec<String> = chunk.iter().map(|i| format!("d{i}.example")).collect();
            format!("\"{}\"", tokens.join(", "))
        })
        .collect();
    text.push_str(&strings.join(",\n"));
    text.push_str(
        "\n] } ],\n\"orgUnits\": [ { \"path\": \"/\", \"settings\": [ { \"name\": \"Big\", \"messages\": [\"outbound\"], \"addressLists\": [\"Big\"] } ] } ]\n}",
    );
    text
}

#[test]
fn more_than_100000_entries_in_one_list_are_too_many() {
    // `{ "name": "Big", "entries": [` puts the entries on line 4, column 29.
    let errors = policy_fails(
        &policy_with_entries(100_001, 1),
        &[at(
            ErrorCode::TooManyEntries,
            "/addressLists/0/entries",
            4,
            29,
        )],
    );
    assert!(errors[0].message.contains("`Big`"), "{}", errors[0].message);
    assert!(
        errors[0].message.contains("100000"),
        "{}",
        errors[0].message
    );
    // The limit counts entries, not strings: 50,001 strings of two entries each are too many.
    policy_fails(
        &policy_with_entries(100_002, 2),
        &[at(
            ErrorCode::TooManyEntries,
            "/addressLists/0/entries",
            4,
            29,
        )],
    );
}

#[test]
fn exactly_100000_entries_in_one_list_load() {
    let policy = Policy::from_text(&policy_with_entries(100_000, 4)).unwrap();
    assert_eq!(policy.compiled().entry_count(), 100_000);
}

/// Settings spread over `/` and `/Branch`: `at_root` in one, the rest in the other.
fn policy_with_settings(total: usize, at_root: usize) -> String {
    let unit = |path: &str, names: std::ops::Range<usize>| {
        let settings: Vec<String> = names
            .map(|i| format!("{{ \"name\": \"Setting {i}\", \"messages\": [\"outbound\"] }}"))
            .collect();
        format!(
            "{{ \"path\": \"{path}\", \"settings\": [\n{}\n] }}",
            settings.join(",\n")
        )
    };
    format!(
        "{{\n\"version\": 1,\n\"orgUnits\": [\n{},\n{}\n]\n}}",
        unit("/", 0..at_root),
        unit("/Branch", at_root..total)
    )
}

#[test]
fn more_than_1000_settings_in_all_units_are_too_many() {
    // `"orgUnits": [` puts the array on line 3, column 13. Neither unit alone has 1,000.
    let errors = policy_fails(
        &policy_with_settings(1_001, 500),
        &[at(ErrorCode::TooManySettings, "/orgUnits", 3, 13)],
    );
    assert!(errors[0].message.contains("1001"), "{}", errors[0].message);
    assert!(errors[0].message.contains("1000"), "{}", errors[0].message);
}

#[test]
fn exactly_1000_settings_load() {
    Policy::from_text(&policy_with_settings(1_000, 500)).unwrap();
}

#[test]
fn an_empty_list_name_and_a_blank_setting_name_are_empty_names() {
    policy_fails(
        "{\n\"version\": 1,\n\"addressLists\": [ { \"name\": \"\" } ],\n\"orgUnits\": [ { \"path\": \"/\", \"settings\": [ { \"name\": \"  \" } ] } ]\n}",
        &[
            at(ErrorCode::EmptyName, "/addressLists/0/name", 3, 29),
            at(ErrorCode::EmptyName, "/orgUnits/0/settings/0/name", 4, 54),
        ],
    );
}

#[test]
fn two_lists_with_one_name_are_a_duplicate_address_list() {
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"addressLists\": [\n{ \"name\": \"Partners\" },\n{ \"name\": \"Partners\" }\n]\n}",
        &[at(ErrorCode::DuplicateAddressList, "/addressLists/1/name", 5, 11)],
    );
    assert!(errors[0].message.contains("`/addressLists/0`"));
}

#[test]
fn entries_that_are_not_an_address_a_domain_or_a_wildcard_are_invalid() {
    // Each bad token is reported, at the string that holds it.
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"addressLists\": [ { \"name\": \"L\", \"entries\": [\n\"ok.example, a@b@c.example\",\n\"foo*.example *. @ -bad.example x_y.example\",\n\"good.example a@\"\n] } ]\n}",
        &[
            at(ErrorCode::InvalidEntry, "/addressLists/0/entries/0", 4, 1),
            at(ErrorCode::InvalidEntry, "/addressLists/0/entries/1", 5, 1),
            at(ErrorCode::InvalidEntry, "/addressLists/0/entries/1", 5, 1),
            at(ErrorCode::InvalidEntry, "/addressLists/0/entries/1", 5, 1),
            at(ErrorCode::InvalidEntry, "/addressLists/0/entries/1", 5, 1),
            at(ErrorCode::InvalidEntry, "/addressLists/0/entries/1", 5, 1),
            at(ErrorCode::InvalidEntry, "/addressLists/0/entries/2", 6, 1),
        ],
    );
    for (error, token) in errors.iter().zip([
        "a@b@c.example",
        "foo*.example",
        "*.",
        "@",
        "-bad.example",
        "x_y.example",
        "a@",
    ]) {
        assert!(
            error.message.contains(&format!("`{token}`")),
            "{} does not name `{token}`",
            error.message
        );
    }
}

#[test]
fn a_setting_naming_an_undefined_list_is_an_unknown_address_list() {
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"addressLists\": [ { \"name\": \"Partners\", \"entries\": [\"partner.example\"] } ],\n\"orgUnits\": [ { \"path\": \"/\", \"settings\": [\n{ \"name\": \"s\", \"messages\": [\"outbound\"], \"addressLists\": [\"Partners\", \"Partner\"] }\n] } ]\n}",
        &[at(ErrorCode::UnknownAddressList, "/orgUnits/0/settings/0/addressLists/1", 5, 71)],
    );
    assert!(errors[0].message.contains("`Partner`"));
}

#[test]
fn org_unit_paths_must_start_with_a_slash_and_have_no_empty_names() {
    policy_fails(
        "{\n\"version\": 1,\n\"members\": { \"bob@corp.example\": \"Sales\" },\n\"orgUnits\": [\n{ \"path\": \"Finance\" },\n{ \"path\": \"/A/\" },\n{ \"path\": \"/A//B\" },\n{ \"path\": \"/A\\nB\" }\n]\n}",
        &[
            at(ErrorCode::InvalidOrgUnitPath, "/orgUnits/0/path", 5, 11),
            at(ErrorCode::InvalidOrgUnitPath, "/orgUnits/1/path", 6, 11),
            at(ErrorCode::InvalidOrgUnitPath, "/orgUnits/2/path", 7, 11),
            at(ErrorCode::InvalidOrgUnitPath, "/orgUnits/3/path", 8, 11),
            at(ErrorCode::InvalidOrgUnitPath, "/members/bob@corp.example", 3, 34),
        ],
    );
    // In a scenario, the same code, exit 2.
    scenario_fails(
        "{\n\"direction\": \"outbound\",\n\"senderOrgUnit\": \"Sales\",\n\"recipients\": [ { \"address\": \"bob@partner.example\", \"orgUnit\": \"/A/\" } ]\n}",
        &[
            at(ErrorCode::InvalidOrgUnitPath, "/senderOrgUnit", 3, 18),
            at(ErrorCode::InvalidOrgUnitPath, "/recipients/0/orgUnit", 4, 64),
        ],
    );
}

#[test]
fn two_org_units_with_one_path_are_a_duplicate_org_unit() {
    policy_fails(
        "{\n\"version\": 1,\n\"orgUnits\": [\n{ \"path\": \"/Sales\" },\n{ \"path\": \"/Sales\" }\n]\n}",
        &[at(ErrorCode::DuplicateOrgUnit, "/orgUnits/1/path", 5, 11)],
    );
}

#[test]
fn two_settings_with_one_name_in_one_unit_are_a_duplicate_setting() {
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"orgUnits\": [ { \"path\": \"/\", \"settings\": [\n{ \"name\": \"TLS\" },\n{ \"name\": \"TLS\" }\n] } ]\n}",
        &[at(ErrorCode::DuplicateSetting, "/orgUnits/0/settings/1/name", 5, 11)],
    );
    assert!(errors[0].message.contains("`TLS`"));
}

#[test]
fn a_member_key_that_is_not_an_address_is_an_invalid_member_address() {
    policy_fails(
        "{\n\"version\": 1,\n\"members\": {\n\"alice\": \"/Sales\",\n\"bob@corp.example\\r\\nBcc: x@y.example\": \"/Sales\"\n}\n}",
        &[
            at(ErrorCode::InvalidMemberAddress, "/members/alice", 4, 10),
            at(
                ErrorCode::InvalidMemberAddress,
                "/members/bob@corp.example\r\nBcc: x@y.example",
                5,
                41,
            ),
        ],
    );
}

#[test]
fn two_member_keys_that_are_one_address_are_a_duplicate_member() {
    let errors = policy_fails(
        "{\n\"version\": 1,\n\"members\": {\n\"Alice@Corp.Example\": \"/Sales\",\n\"alice@corp.example.\": \"/Finance\"\n}\n}",
        &[at(ErrorCode::DuplicateMember, "/members/alice@corp.example.", 5, 24)],
    );
    assert!(errors[0].message.contains("`Alice@Corp.Example`"));
}

#[test]
fn a_recipient_without_an_at_is_an_invalid_address() {
    // `"carol"` starts in column 39 of line 4.
    let errors = scenario_fails(
        "{\n\"direction\": \"outbound\",\n\"sender\": \"alice@corp.example\",\n\"recipients\": [\"bob@partner.example\", \"carol\"]\n}",
        &[at(ErrorCode::InvalidAddress, "/recipients/1", 4, 39)],
    );
    assert_eq!(errors[0].message, "recipient `carol` has no `@`");
    scenario_fails(
        "{\n\"direction\": \"outbound\",\n\"sender\": \"alice\",\n\"recipients\": [ { \"address\": \"@partner.example\" } ]\n}",
        &[
            at(ErrorCode::InvalidAddress, "/sender", 3, 11),
            at(ErrorCode::InvalidAddress, "/recipients/0/address", 4, 30),
        ],
    );
}

#[test]
fn a_from_with_two_mailboxes_is_an_invalid_from() {
    let message = from_fails("Alice <a@partner.example>, Bob <b@partner.example>");
    assert!(message.contains("2 mailboxes"), "{message}");
}

#[test]
fn an_outbound_scenario_without_sender_or_unit_is_missing_its_sender() {
    let errors = scenario_fails(
        "{\n\"direction\": \"outbound\",\n\"recipients\": [\"bob@partner.example\"]\n}",
        &[at(ErrorCode::MissingSender, "", 1, 1)],
    );
    assert!(errors[0].help.is_some());
}

#[test]
fn an_inbound_scenario_without_from_is_missing_its_from() {
    // The envelope sender is not a substitute for the header `From:`.
    scenario_fails(
        "{\n\"direction\": \"inbound\",\n\"sender\": \"bob@partner.example\",\n\"recipients\": [\"alice@corp.example\"]\n}",
        &[at(ErrorCode::MissingFrom, "", 1, 1)],
    );
}

#[test]
fn a_scenario_with_an_empty_recipient_list_has_no_recipients() {
    scenario_fails(
        "{\n\"direction\": \"outbound\",\n\"sender\": \"alice@corp.example\",\n\"recipients\": []\n}",
        &[at(ErrorCode::NoRecipients, "/recipients", 4, 15)],
    );
}

#[test]
fn contradictory_tls_facts_are_a_contradictory_connection() {
    scenario_fails(
        "{\n\"direction\": \"outbound\",\n\"sender\": \"alice@corp.example\",\n\"recipients\": [\"bob@partner.example\"],\n\"connection\": { \"tls\": false, \"version\": \"1.2\" }\n}",
        &[at(ErrorCode::ContradictoryConnection, "/connection", 5, 15)],
    );
    scenario_fails(
        "{\n\"direction\": \"outbound\",\n\"sender\": \"alice@corp.example\",\n\"recipients\": [\"bob@partner.example\"],\n\"connection\": { \"tls\": false, \"certificate\": { \"trust\": \"ca-signed\" } }\n}",
        &[at(ErrorCode::ContradictoryConnection, "/connection", 5, 15)],
    );
    scenario_fails(
        "{\n\"direction\": \"outbound\",\n\"sender\": \"alice@corp.example\",\n\"recipients\": [ { \"address\": \"bob@partner.example\",\n\"connection\": { \"tls\": true, \"certificate\": { \"trust\": \"absent\", \"hostname\": \"match\" } } } ]\n}",
        &[at(
            ErrorCode::ContradictoryConnection,
            "/recipients/0/connection/certificate",
            5,
            45,
        )],
    );
}

#[test]
fn a_missing_policy_file_exits_1_and_a_missing_scenario_file_exits_2() {
    let dir = scratch_dir();
    std::fs::write(dir.join("policy.json"), GOOD_POLICY).unwrap();
    std::fs::write(dir.join("scenario.json"), OUTBOUND_SCENARIO).unwrap();
    let cases: [(&[&str], i32, &str, &str); 6] = [
        (
            &["check", "missing.json"],
            1,
            "invalidPolicy",
            "missing.json",
        ),
        (
            &["eval", "missing.json", "scenario.json"],
            1,
            "invalidPolicy",
            "missing.json",
        ),
        (
            &["eval", "policy.json", "missing.json"],
            2,
            "invalidScenario",
            "missing.json",
        ),
        (
            &["impact", "policy.json", "gone.json", "scenario.json"],
            1,
            "invalidPolicy",
            "gone.json",
        ),
        (
            &["impact", "policy.json", "policy.json", "gone.json"],
            2,
            "invalidScenario",
            "gone.json",
        ),
        (
            &["diff", "gone.json", "policy.json"],
            1,
            "invalidPolicy",
            "gone.json",
        ),
    ];
    for (args, exit, error, file) in cases {
        let out = cli_in(&dir, args, None);
        assert_eq!(out.status.code(), Some(exit), "{args:?}");
        let json = stdout_json(&out);
        assert_eq!(json["error"], json!(error), "{args:?}");
        assert_eq!(json["file"], json!(file), "{args:?}");
        assert_eq!(json["errors"][0]["code"], json!("unreadable"), "{args:?}");
        assert_eq!(json["errors"][0]["pointer"], json!(""), "{args:?}");
        let message = json["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(&format!("`{file}`")), "{message}");
    }
    // A directory is not a readable policy either.
    let out = cli_in(&dir, &["check", "."], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["errors"][0]["code"], json!("unreadable"));
}

// --- every error at once ----------------------------------------------------------------------

#[test]
fn validation_reports_every_error_of_a_policy_at_once() {
    let text = r#"{
"version": 3,
"addressLists": [
{ "name": "Partners", "entries": ["partner.example", "bad*.example"] },
{ "name": "Partners", "entries": [] },
{ "name": "" }
],
"members": { "nobody": "/Sales", "ann@corp.example": "Sales" },
"orgUnits": [
{ "path": "/", "settings": [
{ "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners", "Nope"] },
{ "name": "TLS" }
] },
{ "path": "Finance", "settings": [ { "name": "Audit", "addressLists": ["Gone"] } ] },
{ "path": "/Sales", "settings": [ { "name": " " } ] },
{ "path": "/Sales", "settings": [ { "name": "" }, { "name": "A" }, { "name": "A" } ] }
]
}"#;
    // In order: the document, its lists, its units' paths, the settings of every `orgUnits` item
    // in document order (those with a bad or repeated path are checked too, though they cannot be
    // placed), its members.
    let errors = policy_fails(
        text,
        &[
            at(ErrorCode::UnsupportedVersion, "/version", 2, 12),
            at(ErrorCode::InvalidEntry, "/addressLists/0/entries/1", 4, 54),
            at(
                ErrorCode::DuplicateAddressList,
                "/addressLists/1/name",
                5,
                11,
            ),
            at(ErrorCode::EmptyName, "/addressLists/2/name", 6, 11),
            at(ErrorCode::InvalidOrgUnitPath, "/orgUnits/1/path", 14, 11),
            at(ErrorCode::DuplicateOrgUnit, "/orgUnits/3/path", 16, 11),
            at(
                ErrorCode::UnknownAddressList,
                "/orgUnits/0/settings/0/addressLists/1",
                11,
                73,
            ),
            at(
                ErrorCode::DuplicateSetting,
                "/orgUnits/0/settings/1/name",
                12,
                11,
            ),
            at(
                ErrorCode::UnknownAddressList,
                "/orgUnits/1/settings/0/addressLists/0",
                14,
                72,
            ),
            at(ErrorCode::EmptyName, "/orgUnits/2/settings/0/name", 15, 45),
            at(ErrorCode::EmptyName, "/orgUnits/3/settings/0/name", 16, 45),
            at(
                ErrorCode::DuplicateSetting,
                "/orgUnits/3/settings/2/name",
                16,
                78,
            ),
            at(
                ErrorCode::InvalidOrgUnitPath,
                "/members/ann@corp.example",
                8,
                54,
            ),
            at(ErrorCode::InvalidMemberAddress, "/members/nobody", 8, 24),
        ],
    );
    assert_eq!(errors.len(), 14);
}

#[test]
fn a_scenario_reports_every_error_at_once() {
    scenario_fails(
        "{\n\"direction\": \"inbound\",\n\"sender\": \"x\",\n\"recipients\": [\"a\", \"b@\"],\n\"connection\": { \"tls\": false, \"version\": \"1.3\" }\n}",
        &[
            at(ErrorCode::InvalidAddress, "/sender", 3, 11),
            at(ErrorCode::MissingFrom, "", 1, 1),
            at(ErrorCode::ContradictoryConnection, "/connection", 5, 15),
            at(ErrorCode::InvalidAddress, "/recipients/0", 4, 16),
            at(ErrorCode::InvalidAddress, "/recipients/1", 4, 21),
        ],
    );
}

// --- malformed scenarios ----------------------------------------------------------------------

#[test]
fn scenario_values_of_the_wrong_type_are_invalid_type_at_the_value() {
    let cases: [(&str, &str, u32, u32); 7] = [
        (
            "{\n\"direction\": 5,\n\"recipients\": []\n}",
            "/direction",
            2,
            14,
        ),
        (
            "{\n\"direction\": \"outbound\",\n\"sender\": 5,\n\"recipients\": []\n}",
            "/sender",
            3,
            11,
        ),
        (
            "{\n\"direction\": \"outbound\",\n\"sender\": \"a@corp.example\",\n\"recipients\": \"bob@partner.example\"\n}",
            "/recipients",
            4,
            35,
        ),
        (
            "{\n\"direction\": \"outbound\",\n\"sender\": \"a@corp.example\",\n\"recipients\": [true]\n}",
            "/recipients/0",
            4,
            19,
        ),
        (
            "{\n\"direction\": \"outbound\",\n\"sender\": \"a@corp.example\",\n\"recipients\": [\"bob@partner.example\"],\n\"connection\": { \"tls\": \"yes\" }\n}",
            "/connection/tls",
            5,
            28,
        ),
        (
            "{\n\"direction\": \"outbound\",\n\"sender\": \"a@corp.example\",\n\"recipients\": [\"bob@partner.example\"],\n\"connection\": { \"tls\": true, \"version\": 1.3 }\n}",
            "/connection/version",
            5,
            41,
        ),
        (
            "{\n\"direction\": \"outbound\",\n\"sender\": \"a@corp.example\",\n\"recipients\": [ { \"address\": \"b@partner.example\", \"secureTransportRequired\": \"yes\" } ]\n}",
            "/recipients/0/secureTransportRequired",
            4,
            82,
        ),
    ];
    for (text, pointer, line, column) in cases {
        scenario_fails(text, &[at(ErrorCode::InvalidType, pointer, line, column)]);
    }
    // Not an object at all.
    scenario_fails("\"hello\"", &[at(ErrorCode::InvalidType, "", 1, 7)]);
}

#[test]
fn scenario_values_outside_their_set_are_invalid_value() {
    let cases: [(&str, &str, &str); 4] = [
        ("\"direction\": \"sideways\"", "/direction", "sideways"),
        (
            "\"direction\": \"outbound\", \"connection\": { \"version\": \"1.4\" }",
            "/connection/version",
            "1.4",
        ),
        (
            "\"direction\": \"outbound\", \"connection\": { \"certificate\": { \"trust\": \"valid\" } }",
            "/connection/certificate/trust",
            "valid",
        ),
        (
            "\"direction\": \"outbound\", \"connection\": { \"certificate\": { \"hostname\": \"ok\" } }",
            "/connection/certificate/hostname",
            "ok",
        ),
    ];
    for (fields, pointer, named) in cases {
        let text = format!(
            "{{ {fields}, \"senderOrgUnit\": \"/\", \"recipients\": [\"b@partner.example\"] }}"
        );
        // One line of ASCII: the parser stops at the closing quote of the bad value.
        let quoted = format!("\"{named}\"");
        let column = text.find(&quoted).unwrap() + quoted.len();
        let errors = scenario_fails(
            &text,
            &[at(
                ErrorCode::InvalidValue,
                pointer,
                1,
                u32::try_from(column).unwrap(),
            )],
        );
        assert!(
            errors[0].message.contains(&format!("`{named}`")),
            "{}",
            errors[0].message
        );
    }
}

#[test]
fn unknown_scenario_fields_are_refused_wherever_they_are() {
    let cases: [(&str, &str, u32, u32); 4] = [
        (
            "{\n\"direction\": \"outbound\",\n\"sender\": \"a@corp.example\",\n\"recipients\": [\"b@partner.example\"],\n\"priority\": 1\n}",
            "/priority",
            5,
            10,
        ),
        (
            "{\n\"direction\": \"outbound\",\n\"sender\": \"a@corp.example\",\n\"recipients\": [ { \"address\": \"b@partner.example\", \"cc\": true } ]\n}",
            "/recipients/0/cc",
            4,
            54,
        ),
        (
            "{\n\"direction\": \"outbound\",\n\"sender\": \"a@corp.example\",\n\"recipients\": [\"b@partner.example\"],\n\"connection\": { \"tls\": true, \"cipher\": \"AES\" }\n}",
            "/connection/cipher",
            5,
            37,
        ),
        (
            "{\n\"direction\": \"outbound\",\n\"sender\": \"a@corp.example\",\n\"recipients\": [\"b@partner.example\"],\n\"connection\": { \"certificate\": { \"issuer\": \"x\" } }\n}",
            "/connection/certificate/issuer",
            5,
            41,
        ),
    ];
    for (text, pointer, line, column) in cases {
        scenario_fails(text, &[at(ErrorCode::UnknownField, pointer, line, column)]);
    }
}

#[test]
fn a_from_must_hold_exactly_one_mailbox() {
    let cases = [
        ("a@partner.example, b@partner.example", "2 mailboxes"),
        (
            "Group: a@partner.example, b@partner.example;",
            "2 mailboxes",
        ),
        ("Empty group:;", "no mailbox"),
        ("undisclosed-recipients:;", "no mailbox"),
        ("Alice", "no mailbox"),
        ("<>", "no mailbox"),
        ("", "is empty"),
        ("   ", "is empty"),
    ];
    for (from, says) in cases {
        let message = from_fails(from);
        assert!(message.contains(says), "`{from}`: {message}");
    }
}

#[test]
fn a_from_with_a_bad_mailbox_is_refused_not_guessed() {
    let cases = [
        ("Alice <a@-bad.example>", "not a valid domain name"),
        ("Alice <a@[192.0.2.1]>", "address literal"),
        ("a@b@partner.example", "not valid in RFC 5321"),
        ("Alice <a@xn--a.example>", "not a valid domain name"),
    ];
    for (from, says) in cases {
        let message = from_fails(from);
        assert!(message.contains(says), "`{from}`: {message}");
    }
}

#[test]
fn control_bytes_in_a_from_are_refused_so_no_header_can_be_smuggled() {
    for (from, position) in [
        ("Alice <a@partner.example>\r\nBcc: evil@x.example", 26),
        ("Alice <a@partner.example>\nBcc: evil@x.example", 26),
        ("Alice <a@partner.example>\r", 26),
        ("a@partner.example\u{0}", 18),
        ("Alice\u{7f} <a@partner.example>", 6),
    ] {
        let message = from_fails(from);
        assert!(
            message.contains(&format!("control character at position {position}")),
            "{from:?}: {message}"
        );
        assert!(
            !message.contains(['\r', '\n', '\0']),
            "the message echoes the raw control byte: {message:?}"
        );
    }
}

#[test]
fn a_folded_from_is_one_mailbox() {
    let policy = Policy::from_text(GOOD_POLICY).unwrap();
    let scenario = parse_scenario(
        r#"{ "direction": "inbound", "from": "Bob\r\n <bob@partner.example>", "recipients": ["alice@corp.example"],
            "connection": { "tls": false } }"#,
    )
    .unwrap();
    let decision = policy.evaluate(&scenario).unwrap();
    assert_eq!(
        decision.recipients[0].reasons[0].entry.as_deref(),
        Some("partner.example")
    );
}

#[test]
fn malformed_recipient_addresses_are_invalid_address() {
    let cases = [
        ("alice", "has no `@`"),
        ("@partner.example", "nothing before the `@`"),
        ("bob@", "nothing after the `@`"),
        ("", "is empty"),
        ("bob smith@partner.example", "whitespace"),
        ("bob@partner .example", "whitespace"),
        ("bob(x)@partner.example", "not valid in RFC 5321"),
        ("bob@partner..example", "not a valid domain name"),
        ("bob@.partner.example", "not a valid domain name"),
        ("bob@partner.example..", "not a valid domain name"),
        ("bob@part_ner.example", "not a valid domain name"),
        ("bob@-partner.example", "not a valid domain name"),
        ("bob@[192.0.2.1]", "address literal"),
    ];
    for (address, says) in cases {
        let message = address_fails(address);
        assert!(message.contains(says), "`{address}`: {message}");
    }
}

#[test]
fn control_bytes_in_addresses_are_refused_and_never_echoed_raw() {
    for (address, position) in [
        ("bob\r\n@partner.example", 4),
        ("bob@partner.example\r\nRCPT TO:<x@y.example>", 20),
        ("bob@partner.example\n", 20),
        ("b\u{0}ob@partner.example", 2),
        ("bob@part\u{1b}ner.example", 9),
    ] {
        let message = address_fails(address);
        assert!(
            message.contains(&format!("control character at position {position}")),
            "{address:?}: {message}"
        );
        assert!(
            !message.contains(['\r', '\n', '\0', '\u{1b}']),
            "the message echoes the raw control byte: {message:?}"
        );
    }
    // The sender too.
    scenario_fails(
        "{\n\"direction\": \"outbound\",\n\"sender\": \"alice@corp.example\\r\\nX: y\",\n\"recipients\": [\"bob@partner.example\"]\n}",
        &[at(ErrorCode::InvalidAddress, "/sender", 3, 11)],
    );
}

#[test]
fn addresses_over_rfc_5321_lengths_are_refused() {
    let label63 = "d".repeat(63);
    // A local part of 64 octets is the most RFC 5321 allows; 65 is too many.
    let fits = format!("{}@partner.example", "a".repeat(64));
    let policy = Policy::from_text(GOOD_POLICY).unwrap();
    let scenario = parse_scenario(
        &json!({ "direction": "outbound", "senderOrgUnit": "/", "recipients": [fits] }).to_string(),
    )
    .unwrap();
    assert_eq!(
        policy.evaluate(&scenario).unwrap().recipients[0].address,
        fits
    );

    let message = address_fails(&format!("{}@partner.example", "a".repeat(65)));
    assert!(message.contains("local part of 65 octets"), "{message}");
    // A label of 64 octets.
    let message = address_fails(&format!("bob@{}.example", "d".repeat(64)));
    assert!(message.contains("not a valid domain name"), "{message}");
    // A domain of 4 × 63 + 3 = 255 octets: over DNS's 253.
    let message = address_fails(&format!("bob@{label63}.{label63}.{label63}.{label63}"));
    assert!(message.contains("not a valid domain name"), "{message}");
    // A valid domain of 247 octets and a local part of 10: 258 octets, over 254.
    let domain = format!("{label63}.{label63}.{label63}.{}", "e".repeat(55));
    assert_eq!(domain.len(), 247);
    let message = address_fails(&format!("{}@{domain}", "a".repeat(10)));
    assert!(message.contains("is 258 octets long"), "{message}");
}

#[test]
fn bad_internationalised_domains_are_refused() {
    for address in [
        "bob@xn--a.example",
        "bob@xn--bcher-kva-.example",
        // A combining mark may not start a label; Arabic-Indic and ASCII digits break the bidi rule.
        "bob@\u{300}a.example",
        "bob@\u{661}1.example",
        // `⒈` maps to `1.`, which leaves an empty label.
        "bob@\u{2488}.example",
    ] {
        let message = address_fails(address);
        assert!(
            message.contains("not a valid domain name"),
            "{address:?}: {message}"
        );
    }
}

#[test]
fn an_error_in_the_fourth_scenario_of_an_array_points_under_3() {
    let good =
        r#"{ "direction": "outbound", "senderOrgUnit": "/", "recipients": ["b@partner.example"] }"#;
    // A type error found while parsing.
    let text = format!(
        "[\n{good},\n{good},\n{good},\n{{ \"direction\": \"outbound\", \"senderOrgUnit\": \"/\", \"recipients\": [7] }}\n]"
    );
    scenario_fails(
        &text,
        &[at(ErrorCode::InvalidType, "/3/recipients/0", 5, 65)],
    );
    // An error found while deciding.
    let text = format!(
        "[\n{good},\n{good},\n{good},\n{{ \"direction\": \"outbound\", \"senderOrgUnit\": \"/\", \"recipients\": [\"b@partner.example\", \"nobody\"] }}\n]"
    );
    scenario_fails(
        &text,
        &[at(ErrorCode::InvalidAddress, "/3/recipients/1", 5, 86)],
    );
    // And for impact, which takes arrays too.
    let dir = scratch_dir();
    std::fs::write(dir.join("policy.json"), GOOD_POLICY).unwrap();
    let out = cli_in(
        &dir,
        &["impact", "policy.json", "policy.json", "-"],
        Some(&text),
    );
    assert_eq!(out.status.code(), Some(2));
    let json = stdout_json(&out);
    assert_eq!(json["errors"][0]["pointer"], json!("/3/recipients/1"));
    assert_eq!(json["errors"][0]["line"], json!(5));
    assert_eq!(json["errors"][0]["column"], json!(86));
}

#[test]
fn an_empty_scenario_array_decides_nothing() {
    let dir = scratch_dir();
    std::fs::write(dir.join("policy.json"), GOOD_POLICY).unwrap();
    let out = cli_in(&dir, &["eval", "policy.json", "-"], Some("[]"));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_json(&out), json!([]));
}

// --- the command line itself --------------------------------------------------------------------

#[test]
fn standard_input_given_twice_is_bad_usage_with_exit_2() {
    for args in [
        &["eval", "-", "-"][..],
        &["impact", "-", "policy.json", "-"][..],
        &["diff", "-", "-"][..],
    ] {
        // Whatever standard input holds, even a valid policy, nothing is read.
        for stdin in [None, Some(GOOD_POLICY)] {
            let out = cli(args, stdin);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            let json = stdout_json(&out);
            assert_eq!(json["error"], json!("usage"));
            assert!(json["message"].as_str().unwrap().contains("`-`"));
        }
    }
}

#[test]
fn an_unknown_subcommand_or_option_is_bad_usage_with_exit_2() {
    for args in [
        &["frobnicate"][..],
        &[][..],
        &["eval", "policy.json"][..],
        &["check", "a.json", "b.json"][..],
        &["--format", "xml", "check", "a.json"][..],
        &["check", "--strict", "a.json"][..],
        &["probe"][..],
    ] {
        let out = cli(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}: says nothing");
    }
}

#[test]
fn a_bad_policy_on_standard_input_is_exit_1_for_every_subcommand() {
    let dir = scratch_dir();
    std::fs::write(dir.join("policy.json"), GOOD_POLICY).unwrap();
    std::fs::write(dir.join("scenario.json"), OUTBOUND_SCENARIO).unwrap();
    for args in [
        &["check", "-"][..],
        &["eval", "-", "scenario.json"][..],
        &["impact", "-", "policy.json", "scenario.json"][..],
        &["impact", "policy.json", "-", "scenario.json"][..],
        &["diff", "policy.json", "-"][..],
    ] {
        let out = cli_in(
            &dir,
            args,
            Some("{ \"version\": 1, \"orgUnits\": [ { \"path\": \"x\" } ] }"),
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stdout_json(&out)["errors"][0]["code"],
            json!("invalid-org-unit-path")
        );
    }
}

#[test]
fn binary_garbage_and_invalid_utf8_are_refused_cleanly() {
    let dir = scratch_dir();
    std::fs::write(dir.join("policy.json"), GOOD_POLICY).unwrap();
    std::fs::write(dir.join("garbage.json"), [0xff_u8, 0xfe, 0x00, 0x7b, 0x22]).unwrap();
    let out = cli_in(&dir, &["check", "garbage.json"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["errors"][0]["code"], json!("unreadable"));
    let out = cli_in(&dir, &["eval", "policy.json", "garbage.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout_json(&out)["errors"][0]["code"], json!("unreadable"));
    // Deep nesting is an error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let out = cli_in(&dir, &["eval", "policy.json", "-"], Some(&deep));
    assert_eq!(out.status.code(), Some(2));
    let out = cli_in(&dir, &["check", "-"], Some(&deep));
    assert_eq!(out.status.code(), Some(1));
}

// --- snapshots of what people read ------------------------------------------------------------

/// The built-in example policy and scenarios, written into a fresh directory.
fn example_dir() -> PathBuf {
    let dir = scratch_dir();
    for what in ["policy", "scenarios"] {
        let out = cli_in(&dir, &["example", what], None);
        assert_eq!(out.status.code(), Some(0));
        std::fs::write(dir.join(format!("{what}.json")), &out.stdout).unwrap();
    }
    dir
}

/// The example policy changed: Operations' minimum lowered to 1.2, a partner added, the auditor
/// moved back to Finance, and the routed setting's hostname check dropped.
fn changed_example(dir: &Path) {
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("policy.json")).unwrap()).unwrap();
    doc["orgUnits"][1]["settings"][0]["minTlsVersion"] = json!("1.2");
    doc["addressLists"][0]["entries"]
        .as_array_mut()
        .unwrap()
        .push(json!("friend@elsewhere.example"));
    doc["members"]["auditor@corp.example"] = json!("/Finance");
    doc["orgUnits"][0]["settings"][1]["validateCertificateHostname"] = json!(false);
    std::fs::write(
        dir.join("after.json"),
        serde_json::to_string_pretty(&doc).unwrap(),
    )
    .unwrap();
}

fn text_of(dir: &Path, args: &[&str]) -> String {
    let out = cli_in(dir, args, None);
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    stdout_text(&out)
}

#[test]
fn the_text_explanation_of_the_example_decisions() {
    let dir = example_dir();
    insta::assert_snapshot!(
        "eval_example_text",
        text_of(
            &dir,
            &["--format", "text", "eval", "policy.json", "scenarios.json"]
        )
    );
}

#[test]
fn the_text_report_of_checking_the_example_policy() {
    let dir = example_dir();
    insta::assert_snapshot!(
        "check_example_text",
        text_of(&dir, &["--format", "text", "check", "policy.json"])
    );
}

#[test]
fn the_text_report_of_a_change_to_the_example_policy() {
    let dir = example_dir();
    changed_example(&dir);
    insta::assert_snapshot!(
        "impact_example_text",
        text_of(
            &dir,
            &[
                "--format",
                "text",
                "impact",
                "policy.json",
                "after.json",
                "scenarios.json"
            ]
        )
    );
    insta::assert_snapshot!(
        "diff_example_text",
        text_of(
            &dir,
            &["--format", "text", "diff", "policy.json", "after.json"]
        )
    );
}

#[test]
fn the_error_output_for_a_policy_with_several_errors() {
    let dir = scratch_dir();
    let text = "{\n\"version\": 1,\n\"addressLists\": [ { \"name\": \"Partners\", \"entries\": [\"partner.example, *bad.example\"] } ],\n\"members\": { \"alice\": \"/Sales\" },\n\"orgUnits\": [ { \"path\": \"/\", \"settings\": [ { \"name\": \"TLS\", \"addressLists\": [\"Partner\"] } ] } ]\n}";
    std::fs::write(dir.join("policy.json"), text).unwrap();
    let json = cli_in(&dir, &["check", "policy.json"], None);
    assert_eq!(json.status.code(), Some(1));
    insta::assert_snapshot!("check_several_errors_json", stdout_text(&json));
    let text_out = cli_in(&dir, &["--format", "text", "check", "policy.json"], None);
    assert_eq!(text_out.status.code(), Some(1));
    insta::assert_snapshot!("check_several_errors_text", stdout_text(&text_out));
}

#[test]
fn the_error_output_for_a_malformed_scenario() {
    let dir = scratch_dir();
    std::fs::write(dir.join("policy.json"), GOOD_POLICY).unwrap();
    let scenario = "{\n\"direction\": \"inbound\",\n\"from\": \"Bob <bob@partner.example>, Eve <eve@partner.example>\",\n\"recipients\": [\"alice@corp.example\", \"carol\\r\\n@corp.example\"],\n\"connection\": { \"tls\": false, \"version\": \"1.3\" }\n}";
    std::fs::write(dir.join("scenario.json"), scenario).unwrap();
    let json = cli_in(&dir, &["eval", "policy.json", "scenario.json"], None);
    assert_eq!(json.status.code(), Some(2));
    insta::assert_snapshot!("eval_bad_scenario_json", stdout_text(&json));
    let text_out = cli_in(
        &dir,
        &["--format", "text", "eval", "policy.json", "scenario.json"],
        None,
    );
    assert_eq!(text_out.status.code(), Some(2));
    insta::assert_snapshot!("eval_bad_scenario_text", stdout_text(&text_out));
}

#[test]
fn the_error_output_for_a_scenario_that_is_not_json_and_for_usage() {
    let dir = scratch_dir();
    std::fs::write(dir.join("policy.json"), GOOD_POLICY).unwrap();
    let out = cli_in(
        &dir,
        &["eval", "policy.json", "-"],
        Some("{ \"direction\": \"outbound\",\n  \"recipients\": [\"a@b.example\",]\n}"),
    );
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("eval_not_json", stdout_text(&out));
    let out = cli_in(&dir, &["eval", "-", "-"], None);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("eval_stdin_twice", stdout_text(&out));
}
