//! The published JSON Schemas (`schema/*.schema.json`) are generated from the wire types, so
//! editors check policies and scenarios exactly as the engine reads them. Regenerate with
//! `UPDATE_SCHEMA=1 cargo test --features schema --test schema`.
#![cfg(feature = "schema")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

fn check(file: &str, mut schema: schemars::Schema, title: &str) {
    schema.insert("title".to_owned(), title.into());
    let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(file);
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        committed, generated,
        "{file} is stale: run `UPDATE_SCHEMA=1 cargo test --features schema --test schema`"
    );
}

#[test]
fn the_published_policy_schema_matches_the_wire_types() {
    check(
        "policy.schema.json",
        schemars::schema_for!(tls_compliance::PolicyDocument),
        "tls-compliance policy document (version 1)",
    );
}

#[test]
fn the_published_scenario_schema_matches_the_wire_types() {
    check(
        "scenario.schema.json",
        schemars::schema_for!(tls_compliance::Scenario),
        "tls-compliance scenario",
    );
}

#[test]
fn the_example_policy_validates_against_the_published_schema_shape() {
    // The schema forbids unknown fields at every level, as the engine does.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/policy.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        schema["additionalProperties"],
        serde_json::Value::Bool(false)
    );
    assert!(schema["required"]
        .as_array()
        .unwrap()
        .contains(&"version".into()));
}
