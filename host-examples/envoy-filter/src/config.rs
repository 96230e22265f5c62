//! The filter's configuration: JSON, read once in `on_configure`.
//!
//! ```json
//! { "mode": "inbound", "tlsFacts": "passthrough", "policy": { "version": 1, … },
//!   "limits": { "maxRecipients": 1000 } }
//! ```

use serde::Deserialize;
use tls_compliance::smtp::{Decide, Limits, Mode};
use tls_compliance::source::{locate_all, parse_json};
use tls_compliance::{Decision, EvalError, Fault, Policy, PolicyDocument, Scenario};

/// What the filter does on its listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FilterMode {
    /// In front of the organisation's MTA: messages are decided on `From:` at the end of `DATA`.
    Inbound,
    /// Between the organisation's MTA and the destination: recipients are decided at `RCPT TO`.
    Outbound,
    /// Not SMTP: answers decision requests, one JSON line each (what-if tooling and the parity
    /// tests). Never put it on a mail listener.
    Evaluate,
}

/// Where the TLS facts of a connection come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TlsFactsSource {
    /// Watching the session: plaintext is `tls: false`; after `STARTTLS` the stream is encrypted
    /// and the MTA enforces the policy.
    #[default]
    Passthrough,
    /// Envoy's connection properties: the listener's TLS termination (inbound, `connection.*`)
    /// or the cluster's TLS origination (outbound, `upstream.*`).
    Envoy,
}

/// What Envoy's TLS context checks, so the filter can take a certificate it let through as
/// checked. Only with `tlsFacts: envoy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvoyTls {
    /// The TLS context has a `validation_context` with `trusted_ca` and the default
    /// `trust_chain_verification`: Envoy refuses an untrusted or expired peer certificate, so a
    /// certificate on a live connection is CA-signed.
    #[serde(default)]
    pub verifies_peer_certificate: bool,
    /// The TLS context matches the peer certificate's names (`match_typed_subject_alt_names`,
    /// or `auto_sni_san_validation` upstream): a certificate on a live connection names the host.
    #[serde(default)]
    pub verifies_peer_hostname: bool,
}

/// The configuration as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FilterConfig {
    mode: FilterMode,
    #[serde(default)]
    tls_facts: TlsFactsSource,
    #[serde(default)]
    policy: Option<PolicyDocument>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    envoy_tls: Option<EnvoyTls>,
    /// Test-only: every decision fails as an internal fault would, so the `451 4.3.0` path can be
    /// seen end to end. Never set it in production.
    #[serde(default)]
    fault_injection: bool,
}

/// A configuration that loaded: what every connection of the listener shares.
#[derive(Debug)]
pub struct Loaded {
    /// What the filter does.
    pub mode: FilterMode,
    /// Where TLS facts come from.
    pub tls_facts: TlsFactsSource,
    /// What Envoy's TLS context checks.
    pub envoy_tls: EnvoyTls,
    /// Size limits.
    pub limits: Limits,
    /// The policy and the test-only fault switch.
    pub decider: Decider,
}

impl Loaded {
    /// The session mode, for the SMTP modes.
    pub fn session_mode(&self) -> Option<Mode> {
        match self.mode {
            FilterMode::Inbound => Some(Mode::Inbound),
            FilterMode::Outbound => Some(Mode::Outbound),
            FilterMode::Evaluate => None,
        }
    }

    /// One line for the log.
    pub fn summary(&self) -> String {
        let mode = match self.mode {
            FilterMode::Inbound => "inbound",
            FilterMode::Outbound => "outbound",
            FilterMode::Evaluate => "evaluate",
        };
        let facts = match self.tls_facts {
            TlsFactsSource::Passthrough => "passthrough",
            TlsFactsSource::Envoy => "envoy",
        };
        let settings = self.decider.policy.as_ref().map_or(0, |p| {
            p.document()
                .org_units
                .iter()
                .map(|ou| ou.settings.len())
                .sum()
        });
        let mut s = format!(
            "tls-compliance: configured mode={mode} tlsFacts={facts} settings={settings} maxRecipients={} maxMessageBytes={}",
            self.limits.max_recipients, self.limits.max_message_bytes
        );
        if self.decider.fault_injection {
            s.push_str(" faultInjection=on (test only)");
        }
        s
    }
}

/// The policy as the sessions ask it.
#[derive(Debug)]
pub struct Decider {
    /// The compiled policy (absent only in `evaluate` mode without a default policy).
    pub policy: Option<Policy>,
    /// Test-only: every decision is a fault.
    pub fault_injection: bool,
}

impl Decide for Decider {
    fn decide(&self, scenario: &Scenario) -> Result<Decision, EvalError> {
        match (&self.policy, self.fault_injection) {
            (_, true) => Err(EvalError::Fault(Fault::new(
                "fault injection is on (a test-only setting)",
            ))),
            (None, false) => Err(EvalError::Fault(Fault::new("no policy is loaded"))),
            (Some(p), false) => p.evaluate(scenario),
        }
    }
}

/// Reads and checks a configuration.
///
/// # Errors
/// Why the configuration cannot be used: a JSON or type error with its line and column, a
/// policy validation error with its pointer (under `/policy`), a limit out of range, or a
/// contradiction between fields.
pub fn load(text: &str) -> Result<Loaded, String> {
    let config: FilterConfig = parse_json(text).map_err(|e| e.to_string())?;
    config.limits.check()?;
    if config.envoy_tls.is_some() && config.tls_facts != TlsFactsSource::Envoy {
        return Err("`envoyTls` applies only with `\"tlsFacts\": \"envoy\"`".to_owned());
    }
    let policy = match config.policy {
        Some(doc) => Some(Policy::new(doc).map_err(|errors| {
            let mut errors: Vec<_> = errors.into_iter().map(|e| e.under("/policy")).collect();
            locate_all(text, &mut errors);
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })?),
        None if config.mode == FilterMode::Evaluate => None,
        None => return Err("`policy` is required in the inbound and outbound modes".to_owned()),
    };
    Ok(Loaded {
        mode: config.mode,
        tls_facts: config.tls_facts,
        envoy_tls: config.envoy_tls.unwrap_or_default(),
        limits: config.limits,
        decider: Decider {
            policy,
            fault_injection: config.fault_injection,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{ "version": 1,
      "addressLists": [ { "name": "Partners", "entries": ["partner.example"] } ],
      "orgUnits": [ { "path": "/", "settings": [
        { "name": "TLS", "messages": ["inbound"], "addressLists": ["Partners"] } ] } ] }"#;

    #[test]
    fn a_minimal_inbound_configuration_loads_with_default_limits() {
        let c = load(&format!(r#"{{ "mode": "inbound", "policy": {POLICY} }}"#)).unwrap();
        assert_eq!(c.session_mode(), Some(Mode::Inbound));
        assert_eq!(c.tls_facts, TlsFactsSource::Passthrough);
        assert_eq!(c.limits, Limits::default());
        assert!(c
            .summary()
            .contains("mode=inbound tlsFacts=passthrough settings=1"));
    }

    #[test]
    fn unknown_fields_are_refused_with_their_place() {
        let e = load(r#"{ "mode": "inbound", "polcy": {} }"#).unwrap_err();
        assert!(e.contains("unknown-field") && e.contains("1:"), "{e}");
        let e = load(&format!(
            r#"{{ "mode": "inbound", "policy": {POLICY}, "limits": {{ "maxRcpt": 5 }} }}"#
        ))
        .unwrap_err();
        assert!(e.contains("/limits/maxRcpt"), "{e}");
    }

    #[test]
    fn an_invalid_policy_is_refused_with_a_pointer_under_policy() {
        let bad = POLICY.replace(
            r#""addressLists": ["Partners"]"#,
            r#""addressLists": ["Nope"]"#,
        );
        let e = load(&format!(r#"{{ "mode": "outbound", "policy": {bad} }}"#)).unwrap_err();
        assert!(
            e.contains("/policy/orgUnits/0/settings/0/addressLists/0"),
            "{e}"
        );
        assert!(e.contains("unknown-address-list"), "{e}");
    }

    #[test]
    fn mail_modes_need_a_policy_and_limits_must_be_in_range() {
        assert!(load(r#"{ "mode": "outbound" }"#)
            .unwrap_err()
            .contains("`policy` is required"));
        assert!(load(r#"{ "mode": "evaluate" }"#).is_ok());
        let e = load(&format!(
            r#"{{ "mode": "inbound", "policy": {POLICY}, "limits": {{ "maxCommandLine": 100 }} }}"#
        ))
        .unwrap_err();
        assert!(e.contains("maxCommandLine"), "{e}");
    }

    #[test]
    fn envoy_tls_needs_envoy_facts() {
        let e = load(&format!(
            r#"{{ "mode": "inbound", "policy": {POLICY}, "envoyTls": {{ "verifiesPeerCertificate": true }} }}"#
        ))
        .unwrap_err();
        assert!(e.contains("envoyTls"), "{e}");
        let c = load(&format!(
            r#"{{ "mode": "inbound", "tlsFacts": "envoy", "policy": {POLICY}, "envoyTls": {{ "verifiesPeerCertificate": true }} }}"#
        ))
        .unwrap();
        assert!(c.envoy_tls.verifies_peer_certificate && !c.envoy_tls.verifies_peer_hostname);
    }

    #[test]
    fn fault_injection_makes_every_decision_a_fault() {
        let c = load(&format!(
            r#"{{ "mode": "outbound", "policy": {POLICY}, "faultInjection": true }}"#
        ))
        .unwrap();
        let s = tls_compliance::parse_scenario(
            r#"{ "direction": "outbound", "sender": "a@corp.example", "recipients": ["b@x.example"] }"#,
        )
        .unwrap();
        assert!(matches!(c.decider.decide(&s), Err(EvalError::Fault(_))));
        assert!(c.summary().ends_with("faultInjection=on (test only)"));
    }
}
