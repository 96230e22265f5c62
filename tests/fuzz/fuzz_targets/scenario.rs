//! Scenario text: parsing never panics, and every parsed scenario is decided against the example
//! policy with one decision per recipient, or refused as bad input — never a fault.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tls_compliance::{parse_scenarios, EvalError, Policy};

const POLICY: &str = include_str!("../../../src/example/policy.json");

fn policy() -> Option<&'static Policy> {
    static POLICY_CELL: OnceLock<Option<Policy>> = OnceLock::new();
    POLICY_CELL
        .get_or_init(|| Policy::from_text(POLICY).ok())
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenarios) = parse_scenarios(text) else {
        return;
    };
    let policy = policy().expect("the example policy compiles");
    for scenario in scenarios.as_slice() {
        match policy.evaluate(scenario) {
            Ok(decision) => {
                assert_eq!(decision.recipients.len(), scenario.recipients.len());
                let _ = serde_json::to_string(&decision);
            }
            Err(EvalError::Fault(f)) => panic!("fault: {f}"),
            Err(EvalError::Invalid(errors)) => assert!(!errors.is_empty()),
        }
    }
});
