//! # tls-compliance
//!
//! A mail "Secure transport (TLS) compliance" policy engine, modelled on Google Workspace Gmail's
//! setting of that name. It answers one question for an organisation's units, address lists and
//! settings: *must this mail travel over TLS, with which certificate checks, and what happens if
//! it can't?*
//!
//! The crate is the decision core. The npm package, the browser simulator, the Envoy filter and
//! the command line are thin hosts over it, and for the same policy and facts they give the same
//! decision, byte for byte in JSON.
//!
//! | area | items |
//! |---|---|
//! | policy document (SPEC §2) | [`PolicyDocument`], [`parse_policy`] |
//! | canonical addresses | [`canonical_address`], [`canonical_domain`], [`parse_from_header`] |
//! | validation and lint (§6) | [`validate`], [`validate_text`], [`lint`], [`ValidationReport`] |
//! | compiled, indexed policy | [`CompiledPolicy`], [`Policy`] |
//! | effective settings per unit (§3) | [`Policy::org_units`], [`Policy::effective_settings`] |
//! | scenario and decision (§4–5) | [`Scenario`], [`Decision`], [`CompiledPolicy::evaluate`] |
//! | explanations | [`explain`] |
//! | what-if (§7) | [`impact`], [`diff`] |
//! | SMTP enforcement (§8), for the Envoy filter | [`smtp::Session`] |
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `cli` | yes | the `tls-compliance` command line (clap) |
//! | `schema` | no | `JsonSchema` for the wire types (schemars) |
//! | `probe` | with `cli` | [`probe`]: test a live mail server's STARTTLS and certificate (native only: rustls, sockets) |
//!
//! ```
//! use tls_compliance::{Policy, Verdict};
//! let policy = Policy::from_text(r#"{ "version": 1,
//!   "addressLists": [ { "name": "Partners", "entries": ["partner.example"] } ],
//!   "orgUnits": [ { "path": "/", "settings": [
//!     { "name": "TLS with partners", "messages": ["outbound"], "addressLists": ["Partners"] } ] } ] }"#)
//!     .map_err(|errors| errors[0].to_string())?;
//! let scenario = tls_compliance::parse_scenario(r#"{ "direction": "outbound",
//!   "sender": "alice@corp.example", "recipients": ["bob@partner.example"],
//!   "connection": { "tls": false } }"#).map_err(|e| e.to_string())?;
//! let decision = policy.evaluate(&scenario).map_err(|e| e.to_string())?;
//! assert_eq!(decision.transaction.verdict, Verdict::Bounce);
//! # Ok::<(), String>(())
//! ```

pub mod canonical;
pub mod compile;
pub mod decision;
pub mod diagnostic;
pub mod effective;
mod evaluate;
pub mod explain;
mod lint;
pub mod policy;
#[cfg(feature = "probe")]
pub mod probe;
pub mod scenario;
pub mod smtp;
pub mod source;
pub mod whatif;

use serde::{Deserialize, Serialize};

pub use canonical::{
    canonical_address, canonical_domain, parse_from_header, Address, AddressError,
};
pub use compile::CompiledPolicy;
pub use decision::{
    Decision, Failure, Reason, RecipientDecision, Requirement, TransactionDecision, Verdict,
};
pub use diagnostic::{Diagnostic, ErrorCode, Fault, LintCode, LintWarning, ValidationError};
pub use effective::{EffectiveSetting, OrgUnitView};
pub use evaluate::EvalError;
pub use lint::lint;
pub use policy::{AddressList, MessageKind, OrgUnit, PolicyDocument, Setting, TlsVersion};
pub use scenario::{
    CertificateFacts, CertificateTrust, Direction, HostnameCheck, Recipient, RecipientSpec,
    Scenario, TlsFacts,
};
pub use whatif::{diff, impact, AuditEntry, Change, ImpactReport};

/// The result of checking a policy: whether it loads, why not, and what lint has to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidationReport {
    /// True when there are no errors.
    pub valid: bool,
    /// Every validation error.
    pub errors: Vec<ValidationError>,
    /// Lint warnings (only for a document that parsed).
    pub warnings: Vec<LintWarning>,
}

/// Parses a policy document from JSON text.
///
/// # Errors
/// The syntax or type error, with its line, column and JSON pointer.
pub fn parse_policy(text: &str) -> Result<PolicyDocument, Vec<ValidationError>> {
    source::parse_json(text).map_err(|e| vec![e])
}

/// Parses one scenario from JSON text.
///
/// # Errors
/// The syntax or type error, with its line, column and JSON pointer.
pub fn parse_scenario(text: &str) -> Result<Scenario, ValidationError> {
    source::parse_json(text)
}

/// Scenarios as given: one object, or an array of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scenarios {
    /// A single scenario object.
    One(Scenario),
    /// An array of scenarios.
    Many(Vec<Scenario>),
}

impl Scenarios {
    /// The scenarios as a slice.
    pub fn as_slice(&self) -> &[Scenario] {
        match self {
            Self::One(s) => std::slice::from_ref(s),
            Self::Many(v) => v,
        }
    }
}

/// Parses a scenario object, or an array of them, from JSON text.
///
/// # Errors
/// The syntax or type error, with its line, column and JSON pointer.
pub fn parse_scenarios(text: &str) -> Result<Scenarios, ValidationError> {
    if text.trim_start().starts_with('[') {
        source::parse_json(text).map(Scenarios::Many)
    } else {
        source::parse_json(text).map(Scenarios::One)
    }
}

/// Validates a document and lints it.
pub fn validate(doc: &PolicyDocument) -> ValidationReport {
    let errors = CompiledPolicy::compile(doc).err().unwrap_or_default();
    ValidationReport {
        valid: errors.is_empty(),
        errors,
        warnings: lint(doc),
    }
}

/// Parses, validates and lints policy text; every error and warning carries its line and column.
pub fn validate_text(text: &str) -> ValidationReport {
    match parse_policy(text) {
        Err(errors) => ValidationReport {
            valid: false,
            errors,
            warnings: Vec::new(),
        },
        Ok(doc) => {
            let mut report = validate(&doc);
            source::locate_all(text, &mut report.errors);
            source::locate_all(text, &mut report.warnings);
            report
        }
    }
}

/// Everything that can stop a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The policy does not load (SPEC §6 errors).
    InvalidPolicy(Vec<ValidationError>),
    /// The scenario is bad input.
    InvalidScenario(Vec<ValidationError>),
    /// A fault inside the engine: answer `451 4.3.0`.
    Fault(Fault),
}

impl Error {
    /// The errors to report (a fault has none; it has its own reply).
    pub fn errors(&self) -> &[ValidationError] {
        match self {
            Self::InvalidPolicy(e) | Self::InvalidScenario(e) => e,
            Self::Fault(_) => &[],
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidPolicy(e) | Self::InvalidScenario(e) => {
                let kind = if matches!(self, Self::InvalidPolicy(_)) {
                    "policy"
                } else {
                    "scenario"
                };
                write!(f, "invalid {kind}")?;
                for d in e {
                    write!(f, "\n{d}")?;
                }
                Ok(())
            }
            Self::Fault(fault) => write!(f, "{fault}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<EvalError> for Error {
    fn from(e: EvalError) -> Self {
        match e {
            EvalError::Invalid(errors) => Self::InvalidScenario(errors),
            EvalError::Fault(f) => Self::Fault(f),
        }
    }
}

/// A policy document together with its compiled form: what a host keeps to answer decisions and
/// lint on demand.
#[derive(Debug)]
pub struct Policy {
    document: PolicyDocument,
    compiled: CompiledPolicy,
}

impl Policy {
    /// Validates and compiles a document.
    ///
    /// # Errors
    /// Every validation error (SPEC §6).
    pub fn new(document: PolicyDocument) -> Result<Self, Vec<ValidationError>> {
        let compiled = CompiledPolicy::compile(&document)?;
        Ok(Self { document, compiled })
    }

    /// Parses, validates and compiles policy text; errors carry line and column.
    ///
    /// # Errors
    /// The syntax or type error, or every validation error.
    pub fn from_text(text: &str) -> Result<Self, Vec<ValidationError>> {
        let document = parse_policy(text)?;
        Self::new(document).map_err(|mut errors| {
            source::locate_all(text, &mut errors);
            errors
        })
    }

    /// The document as given.
    pub fn document(&self) -> &PolicyDocument {
        &self.document
    }

    /// The compiled form.
    pub fn compiled(&self) -> &CompiledPolicy {
        &self.compiled
    }

    /// Lint warnings for the document.
    pub fn lint(&self) -> Vec<LintWarning> {
        lint(&self.document)
    }

    /// Every organizational unit that exists, parents first, each with its members and effective
    /// settings; see [`effective::org_units`].
    pub fn org_units(&self) -> Vec<OrgUnitView> {
        effective::org_units(&self.document, &self.compiled)
    }

    /// The effective settings of the unit at `path`, disabled ones included; see
    /// [`effective::effective_settings`].
    pub fn effective_settings(&self, path: &str) -> Vec<EffectiveSetting> {
        effective::effective_settings(&self.document, &self.compiled, path)
    }

    /// Decides a scenario; see [`CompiledPolicy::evaluate`].
    ///
    /// # Errors
    /// See [`CompiledPolicy::evaluate`].
    pub fn evaluate(&self, scenario: &Scenario) -> Result<Decision, EvalError> {
        self.compiled.evaluate(scenario)
    }
}

/// Validates `doc`, compiles it, and decides `scenario`: the one-shot form of
/// [`CompiledPolicy::evaluate`].
///
/// # Errors
/// [`Error::InvalidPolicy`], [`Error::InvalidScenario`] or [`Error::Fault`].
pub fn evaluate(doc: &PolicyDocument, scenario: &Scenario) -> Result<Decision, Error> {
    let compiled = CompiledPolicy::compile(doc).map_err(Error::InvalidPolicy)?;
    Ok(compiled.evaluate(scenario)?)
}
