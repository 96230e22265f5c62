//! The `evaluate` mode: decision requests over a connection, one JSON line each.
//!
//! Request: `{"policy": <policy document>, "scenario": <scenario or array>}` (`policy` may be left
//! out when the configuration has one). Answer, one line: the decision (or array of decisions)
//! exactly as the command line's `eval` gives it, or an error object
//! `{"error": "invalidPolicy"|"invalidScenario"|"invalidRequest"|"fault", …}` like the command
//! line's. A proxy-wasm network filter cannot write to the client by itself, so the answer goes
//! upstream in place of the request, and the listener's cluster echoes it back (Envoy's
//! `envoy.filters.network.echo`).

use serde::Deserialize;
use serde_json::{json, Value};
use tls_compliance::{parse_scenarios, Decision, EvalError, Policy, Scenarios, ValidationError};

/// The longest request line the filter holds.
pub const MAX_REQUEST: usize = 8 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    #[serde(default)]
    policy: Option<Value>,
    scenario: Value,
}

fn invalid(kind: &str, errors: &[ValidationError]) -> Value {
    json!({ "error": kind, "errors": errors })
}

/// Answers one request line (without its line ending).
pub fn answer(line: &[u8], configured: Option<&Policy>) -> String {
    // Decisions are written from their types, so fields keep the contract's order.
    let written = match decide(line, configured) {
        Ok(Decided::One(d)) => serde_json::to_string(&d),
        Ok(Decided::Many(d)) => serde_json::to_string(&d),
        Err(error) => serde_json::to_string(&error),
    };
    written.unwrap_or_else(|e| {
        format!(r#"{{"error":"fault","message":"cannot write the answer: {e}"}}"#)
    })
}

enum Decided {
    One(Decision),
    Many(Vec<Decision>),
}

fn decide(line: &[u8], configured: Option<&Policy>) -> Result<Decided, Value> {
    let request: Request = serde_json::from_slice(line).map_err(|e| {
        json!({ "error": "invalidRequest", "message": format!("request is not `{{\"policy\", \"scenario\"}}` JSON: {e}") })
    })?;
    let loaded;
    let policy = match request.policy {
        Some(doc) => {
            let text = doc.to_string();
            loaded = Policy::from_text(&text).map_err(|e| invalid("invalidPolicy", &e))?;
            &loaded
        }
        None => configured.ok_or_else(|| {
            json!({ "error": "invalidRequest", "message": "no `policy` in the request and none configured" })
        })?,
    };
    let scenarios = parse_scenarios(&request.scenario.to_string())
        .map_err(|e| invalid("invalidScenario", &[e]))?;
    let mut decisions = Vec::with_capacity(scenarios.as_slice().len());
    for (i, s) in scenarios.as_slice().iter().enumerate() {
        match policy.evaluate(s) {
            Ok(d) => decisions.push(d),
            Err(EvalError::Invalid(errors)) => {
                let errors: Vec<_> = match scenarios {
                    Scenarios::Many(_) => errors
                        .into_iter()
                        .map(|e| e.under(&format!("/{i}")))
                        .collect(),
                    Scenarios::One(_) => errors,
                };
                return Err(invalid("invalidScenario", &errors));
            }
            Err(EvalError::Fault(f)) => {
                return Err(json!({ "error": "fault", "message": f.message, "reply": f.reply }))
            }
        }
    }
    match scenarios {
        Scenarios::One(_) => decisions
            .into_iter()
            .next()
            .map(Decided::One)
            .ok_or_else(|| json!({ "error": "fault", "message": "no decision" })),
        Scenarios::Many(_) => Ok(Decided::Many(decisions)),
    }
}

/// Splits what a connection sent into request lines, holding a partial line between calls.
#[derive(Debug, Default)]
pub struct Requests {
    partial: Vec<u8>,
    overflow: bool,
}

impl Requests {
    /// Feeds bytes; returns the answers (each with its LF) for the lines completed.
    pub fn feed(&mut self, bytes: &[u8], configured: Option<&Policy>) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in bytes.split_inclusive(|&b| b == b'\n') {
            if !self.overflow {
                if self.partial.len() + chunk.len() > MAX_REQUEST {
                    self.overflow = true;
                    self.partial = Vec::new();
                } else {
                    self.partial.extend_from_slice(chunk);
                }
            }
            if chunk.last() != Some(&b'\n') {
                continue;
            }
            let answer = if std::mem::take(&mut self.overflow) {
                format!(
                    r#"{{"error":"invalidRequest","message":"request over {MAX_REQUEST} octets"}}"#
                )
            } else {
                let line = std::mem::take(&mut self.partial);
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                answer(line, configured)
            };
            out.extend_from_slice(answer.as_bytes());
            out.push(b'\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{ "version": 1,
      "addressLists": [ { "name": "Partners", "entries": ["partner.example"] } ],
      "orgUnits": [ { "path": "/", "settings": [
        { "name": "TLS", "messages": ["outbound"], "addressLists": ["Partners"] } ] } ] }"#;

    #[test]
    fn a_request_gets_the_decision_the_library_gives() {
        let scenario = r#"{ "direction": "outbound", "sender": "a@corp.example", "recipients": ["b@partner.example"], "connection": { "tls": false } }"#;
        let line = format!(r#"{{"policy": {POLICY}, "scenario": {scenario}}}"#).replace('\n', " ");
        let policy = Policy::from_text(POLICY).unwrap();
        let expected = policy
            .evaluate(&tls_compliance::parse_scenario(scenario).unwrap())
            .unwrap();
        let got = Requests::default().feed(format!("{line}\n").as_bytes(), None);
        assert_eq!(
            got,
            format!("{}\n", serde_json::to_string(&expected).unwrap()).into_bytes()
        );
    }

    #[test]
    fn errors_come_back_as_error_objects_with_pointers() {
        let policy = Policy::from_text(POLICY).unwrap();
        let a = answer(br#"{"scenario": [{"direction": "outbound", "sender": "a@corp.example", "recipients": ["nope"]}]}"#, Some(&policy));
        let v: Value = serde_json::from_str(&a).unwrap();
        assert_eq!(v["error"], "invalidScenario");
        assert_eq!(v["errors"][0]["pointer"], "/0/recipients/0");
        let a = answer(br#"{"policy": {"version": 2}, "scenario": {}}"#, None);
        assert!(a.contains(r#""error":"invalidPolicy""#), "{a}");
        assert!(answer(b"not json", None).contains("invalidRequest"));
    }

    #[test]
    fn a_request_split_over_chunks_is_answered_once_complete() {
        let mut r = Requests::default();
        assert!(r.feed(b"{\"scen", None).is_empty());
        let out = r.feed(b"ario\": {}}\r\n", None);
        assert!(out.ends_with(b"\n") && out.starts_with(b"{\"error\":\"invalidRequest\""));
    }
}
