//! Policy text: validation and compilation never panic, agree with each other, and a policy that
//! compiles decides a fixed inbound and outbound scenario without a fault.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tls_compliance::{parse_scenarios, validate_text, EvalError, Policy};

const SCENARIOS: &str = r#"[
  { "direction": "outbound", "sender": "alice@corp.example",
    "recipients": ["bob@partner.example", "ceo@bank.example", "x@a.gov.example",
                   { "address": "desk@routed.example", "secureTransportRequired": true }],
    "connection": { "tls": true, "version": "1.2",
                    "certificate": { "trust": "ca-signed", "hostname": "mismatch" } } },
  { "direction": "inbound", "from": "Lab <lab@clinic.example>",
    "recipients": ["alice@corp.example", { "address": "ops@corp.example", "orgUnit": "/A/B" }] }
]"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let report = validate_text(text);
    let policy = Policy::from_text(text);
    assert_eq!(
        report.valid,
        policy.is_ok(),
        "validate_text and Policy::from_text disagree"
    );
    let Ok(policy) = policy else { return };
    let _ = policy.lint();
    let Ok(scenarios) = parse_scenarios(SCENARIOS) else {
        return;
    };
    for scenario in scenarios.as_slice() {
        match policy.evaluate(scenario) {
            Ok(decision) => {
                assert_eq!(decision.recipients.len(), scenario.recipients.len());
                let _ = serde_json::to_string(&decision);
            }
            Err(EvalError::Fault(f)) => panic!("fault on a valid policy: {f}"),
            Err(EvalError::Invalid(_)) => {}
        }
    }
});
