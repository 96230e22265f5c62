//! # tls-compliance-wasm
//!
//! The `tls-compliance` decision core for JavaScript, built with wasm-bindgen into the npm package
//! `tls-compliance` (browsers, Node and bundlers). SPEC §10 is its contract.
//!
//! This crate only adapts types: every answer comes from the core, unchanged. Inputs and outputs
//! are the JSON shapes of SPEC §2–7 as plain JS objects; `JSON.stringify` of a result is the
//! command line's JSON, key order included.
//!
//! | export | core | throws |
//! |---|---|---|
//! | `validate(doc)`, `validateText(text)` | [`tls_compliance::validate`], [`tls_compliance::validate_text`] | never: the report says what is wrong |
//! | `evaluate(doc, scenario)` | [`tls_compliance::Policy::evaluate`] | invalid policy or scenario, fault |
//! | `compile(doc)`, `compileText(text)` → `CompiledPolicy` | [`tls_compliance::Policy`] | invalid policy |
//! | `CompiledPolicy#evaluate`, `#lint`, `#orgUnits`, `#effectiveSettings` | the same [`tls_compliance::Policy`], held | invalid scenario or path, fault |
//! | `impact(before, after, scenarios)`, `diff(before, after)` | [`tls_compliance::impact`], [`tls_compliance::diff`] | invalid policy or scenario, fault |
//! | `explain(decision)` | [`tls_compliance::explain::explain_decision`] | invalid decision |
//!
//! A thrown value is always a JS `Error` (`name` `TlsComplianceError`) with `kind`
//! (`invalidPolicy`, `invalidScenario`, `invalidInput` or `fault`, as the command line's `error`),
//! `input` (the argument at fault) and `errors` (SPEC §6 errors: `code`, `message`, `pointer`,
//! and `help` where there is advice); a fault also has `reply` (`451 4.3.0 …`). Nothing here can
//! panic: the core denies it, and this crate denies it too.
//!
//! ## How input is read
//! A JS value is read through its JSON form: `JSON.stringify` in the JS engine, then the core's
//! JSON reader, the command line's own. So the package decides exactly what the command line
//! decides for that JSON, refuses unknown fields as it does, and names every error with the same
//! code, pointer and message (a JS value has no line or column, so those are left out). A getter
//! or proxy that throws, a cycle or a `BigInt` is an `invalid-json` error, never an exception
//! unwinding through WebAssembly (which would leave a handle borrowed for good). Values JSON does
//! not have follow `JSON.stringify`: an `undefined` property is absent, `NaN` is `null`, a `Date`
//! is its ISO string, a `Map` is `{}`.
//!
//! serde-wasm-bindgen builds every answer (`Serializer::json_compatible`: plain objects, `null`
//! for none). Reading with it too was measured no faster than the JSON form (10.2 µs against
//! 10.1 µs for a decision), and it asks an object only for the struct's own fields, so it cannot
//! refuse unknown ones.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use tls_compliance::explain::explain_decision;
use tls_compliance::{
    compile::check_org_unit_path, source, Decision, Diagnostic, ErrorCode, EvalError, Fault,
    PolicyDocument, Scenario, ValidationError, ValidationReport,
};

/// What kind of input a thrown error is about (the command line's `error` tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Policy,
    Scenario,
    Input,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Policy => "invalidPolicy",
            Self::Scenario => "invalidScenario",
            Self::Input => "invalidInput",
        }
    }
}

/// Why a call fails; becomes the thrown JS `Error`.
#[derive(Debug)]
enum Thrown {
    Invalid {
        kind: Kind,
        input: &'static str,
        errors: Vec<ValidationError>,
    },
    Fault(Fault),
}

impl Thrown {
    fn invalid(kind: Kind, input: &'static str, errors: Vec<ValidationError>) -> Self {
        Self::Invalid {
            kind,
            input,
            errors,
        }
    }

    fn from_eval(e: EvalError, input: &'static str) -> Self {
        match e {
            EvalError::Invalid(errors) => Self::invalid(Kind::Scenario, input, errors),
            EvalError::Fault(f) => Self::Fault(f),
        }
    }

    fn into_js(self) -> JsValue {
        match self {
            Self::Invalid {
                kind,
                input,
                errors,
            } => {
                let message = match kind {
                    Kind::Policy => {
                        tls_compliance::Error::InvalidPolicy(errors.clone()).to_string()
                    }
                    Kind::Scenario => {
                        tls_compliance::Error::InvalidScenario(errors.clone()).to_string()
                    }
                    Kind::Input => {
                        let mut m = format!("invalid {input}");
                        for e in &errors {
                            m.push('\n');
                            m.push_str(&e.to_string());
                        }
                        m
                    }
                };
                let error = js_sys::Error::new(&message);
                error.set_name("TlsComplianceError");
                set(&error, "kind", &JsValue::from_str(kind.as_str()));
                set(&error, "input", &JsValue::from_str(input));
                let errors = to_js(&errors).unwrap_or_else(|_| js_sys::Array::new().into());
                set(&error, "errors", &errors);
                error.into()
            }
            Self::Fault(fault) => {
                let error = js_sys::Error::new(&fault.to_string());
                error.set_name("TlsComplianceError");
                set(&error, "kind", &JsValue::from_str("fault"));
                set(&error, "input", &JsValue::NULL);
                set(&error, "errors", &js_sys::Array::new());
                set(&error, "reply", &JsValue::from_str(&fault.reply));
                error.into()
            }
        }
    }
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // `Reflect.set` on a fresh `Error` cannot fail; were it to, the error still throws.
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(key), value);
}

type JsResult<T> = Result<T, JsValue>;

const SERIALIZER: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::json_compatible();

/// A core value as a plain JS value: objects for structs and maps, `null` for `None`.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Thrown> {
    value.serialize(&SERIALIZER).map_err(|e| {
        Thrown::Fault(Fault::new(format!(
            "cannot hand a result to JavaScript: {e}"
        )))
    })
}

fn answer<T: Serialize>(value: &T) -> JsResult<JsValue> {
    to_js(value).map_err(Thrown::into_js)
}

/// Reads a JS value as `T` through its JSON form; see the crate docs.
fn from_js<T: DeserializeOwned>(
    value: &JsValue,
    expected: &str,
) -> Result<T, Vec<ValidationError>> {
    // `JSON.stringify` is imported with `catch`: whatever the value's getters, proxies or cycles
    // throw comes back here as an `Err`, never as an exception unwinding through WebAssembly.
    let text = match js_sys::JSON::stringify(value) {
        Ok(text) => text.as_string(),
        Err(e) => {
            let reason = e
                .dyn_ref::<js_sys::Error>()
                .and_then(|e| e.message().as_string())
                .unwrap_or_default();
            return Err(vec![Diagnostic::new(
                ErrorCode::InvalidJson,
                "",
                format!("{expected} cannot be read as JSON: {reason}"),
            )]);
        }
    };
    match text {
        Some(text) => source::parse_json::<T>(&text).map_err(|mut e| {
            // Positions in the text made by `JSON.stringify` mean nothing to the caller.
            e.line = None;
            e.column = None;
            vec![e]
        }),
        // `JSON.stringify` gives `undefined` for `undefined`, a function or a symbol.
        None => Err(vec![Diagnostic::new(
            ErrorCode::InvalidType,
            "",
            format!(
                "invalid type: {}, expected {expected}",
                value.js_typeof().as_string().unwrap_or_default()
            ),
        )]),
    }
}

fn policy_from_js(doc: &JsValue, input: &'static str) -> Result<tls_compliance::Policy, Thrown> {
    let document: PolicyDocument = from_js(doc, "a policy document object")
        .map_err(|errors| Thrown::invalid(Kind::Policy, input, errors))?;
    tls_compliance::Policy::new(document)
        .map_err(|errors| Thrown::invalid(Kind::Policy, input, errors))
}

/// One scenario object, or an array of them (as the command line's `eval` and `impact` take).
enum Scenarios {
    One(Scenario),
    Many(Vec<Scenario>),
}

fn scenarios_from_js(value: &JsValue, input: &'static str) -> Result<Scenarios, Thrown> {
    let invalid = |errors| Thrown::invalid(Kind::Scenario, input, errors);
    if js_sys::Array::is_array(value) {
        from_js(value, "an array of scenario objects")
            .map(Scenarios::Many)
            .map_err(invalid)
    } else {
        from_js(value, "a scenario object")
            .map(Scenarios::One)
            .map_err(invalid)
    }
}

/// Decides one scenario or each of an array, as the command line's `eval`: a scenario in an array
/// that cannot be decided is reported with its pointer under `/<index>`.
fn evaluate_with(policy: &tls_compliance::Policy, scenario: &JsValue) -> Result<JsValue, Thrown> {
    match scenarios_from_js(scenario, "scenario")? {
        Scenarios::One(s) => {
            let decision = policy
                .evaluate(&s)
                .map_err(|e| Thrown::from_eval(e, "scenario"))?;
            to_js(&decision)
        }
        Scenarios::Many(list) => {
            let mut decisions = Vec::with_capacity(list.len());
            for (i, s) in list.iter().enumerate() {
                let decision = policy.evaluate(s).map_err(|e| {
                    let e = match e {
                        EvalError::Invalid(errors) => EvalError::Invalid(
                            errors
                                .into_iter()
                                .map(|d| d.under(&format!("/{i}")))
                                .collect(),
                        ),
                        fault => fault,
                    };
                    Thrown::from_eval(e, "scenario")
                })?;
                decisions.push(decision);
            }
            to_js(&decisions)
        }
    }
}

/// Validates a policy document and lints it: `{ valid, errors, warnings }`. Never throws: a value
/// that is not a policy document is reported as the report's errors.
#[wasm_bindgen]
pub fn validate(doc: JsValue) -> JsResult<JsValue> {
    let report = match from_js::<PolicyDocument>(&doc, "a policy document object") {
        Ok(document) => tls_compliance::validate(&document),
        Err(errors) => ValidationReport {
            valid: false,
            errors,
            warnings: Vec::new(),
        },
    };
    answer(&report)
}

/// Parses, validates and lints policy text (for an editor): every error and warning carries its
/// line and column. Never throws.
#[wasm_bindgen(js_name = validateText)]
pub fn validate_text(text: JsValue) -> JsResult<JsValue> {
    let report = match text.as_string() {
        Some(text) => tls_compliance::validate_text(&text),
        None => ValidationReport {
            valid: false,
            errors: vec![not_a_string(&text, "policy text")],
            warnings: Vec::new(),
        },
    };
    answer(&report)
}

fn not_a_string(value: &JsValue, what: &str) -> ValidationError {
    Diagnostic::new(
        ErrorCode::InvalidType,
        "",
        format!(
            "invalid type: {}, expected {what} (a string)",
            value.js_typeof().as_string().unwrap_or_default()
        ),
    )
}

/// Validates and compiles `doc`, then decides `scenario` (one object → a decision; an array → an
/// array of decisions).
#[wasm_bindgen]
pub fn evaluate(doc: JsValue, scenario: JsValue) -> JsResult<JsValue> {
    policy_from_js(&doc, "policy")
        .and_then(|policy| evaluate_with(&policy, &scenario))
        .map_err(Thrown::into_js)
}

/// Validates and compiles a policy document once, for many decisions.
#[wasm_bindgen]
pub fn compile(doc: JsValue) -> JsResult<CompiledPolicy> {
    policy_from_js(&doc, "policy")
        .map(|inner| CompiledPolicy { inner })
        .map_err(Thrown::into_js)
}

/// Parses, validates and compiles policy text; a thrown error's `errors` carry line and column.
#[wasm_bindgen(js_name = compileText)]
pub fn compile_text(text: JsValue) -> JsResult<CompiledPolicy> {
    let Some(text) = text.as_string() else {
        return Err(Thrown::invalid(
            Kind::Policy,
            "policy",
            vec![not_a_string(&text, "policy text")],
        )
        .into_js());
    };
    tls_compliance::Policy::from_text(&text)
        .map(|inner| CompiledPolicy { inner })
        .map_err(|errors| Thrown::invalid(Kind::Policy, "policy", errors).into_js())
}

/// Evaluates every scenario under both policies and reports the recipients whose outcome changes.
#[wasm_bindgen]
pub fn impact(before: JsValue, after: JsValue, scenarios: JsValue) -> JsResult<JsValue> {
    let run = || -> Result<JsValue, Thrown> {
        let before = policy_from_js(&before, "before")?;
        let after = policy_from_js(&after, "after")?;
        let (list, single) = match scenarios_from_js(&scenarios, "scenarios")? {
            Scenarios::One(s) => (vec![s], true),
            Scenarios::Many(list) => (list, false),
        };
        let report =
            tls_compliance::impact(before.compiled(), after.compiled(), &list).map_err(|e| {
                // `impact` places pointers under `/<index>`; a single object has no index.
                let e = match e {
                    EvalError::Invalid(errors) if single => EvalError::Invalid(
                        errors
                            .into_iter()
                            .map(|mut d| {
                                if let Some(rest) = d.pointer.strip_prefix("/0") {
                                    d.pointer = rest.to_owned();
                                }
                                d
                            })
                            .collect(),
                    ),
                    e => e,
                };
                Thrown::from_eval(e, "scenarios")
            })?;
        to_js(&report)
    };
    run().map_err(Thrown::into_js)
}

/// Describes the change from `before` to `after` as an audit-log entry. Both must be valid
/// policies.
#[wasm_bindgen]
pub fn diff(before: JsValue, after: JsValue) -> JsResult<JsValue> {
    let run = || -> Result<JsValue, Thrown> {
        let before = policy_from_js(&before, "before")?;
        let after = policy_from_js(&after, "after")?;
        to_js(&tls_compliance::diff(before.document(), after.document()))
    };
    run().map_err(Thrown::into_js)
}

/// Explains a decision in words, recipient by recipient (the command line's `--format text`).
#[wasm_bindgen]
pub fn explain(decision: JsValue) -> JsResult<String> {
    from_js::<Decision>(&decision, "a decision object")
        .map(|d| explain_decision(&d))
        .map_err(|errors| Thrown::invalid(Kind::Input, "decision", errors).into_js())
}

/// A validated, compiled policy. Decisions read it in place: nothing is copied or parsed again.
#[wasm_bindgen]
pub struct CompiledPolicy {
    inner: tls_compliance::Policy,
}

#[wasm_bindgen]
impl CompiledPolicy {
    /// Decides a scenario (one object → a decision; an array → an array of decisions).
    pub fn evaluate(&self, scenario: JsValue) -> JsResult<JsValue> {
        evaluate_with(&self.inner, &scenario).map_err(Thrown::into_js)
    }

    /// Lint warnings for the policy.
    pub fn lint(&self) -> JsResult<JsValue> {
        answer(&self.inner.lint())
    }

    /// Every organizational unit, parents first, with its members and effective settings.
    #[wasm_bindgen(js_name = orgUnits)]
    pub fn org_units(&self) -> JsResult<JsValue> {
        answer(&self.inner.org_units())
    }

    /// The effective settings of the unit at `path`, disabled ones included.
    #[wasm_bindgen(js_name = effectiveSettings)]
    pub fn effective_settings(&self, path: JsValue) -> JsResult<JsValue> {
        let invalid = |e: ValidationError| Thrown::invalid(Kind::Input, "path", vec![e]);
        let Some(path) = path.as_string() else {
            return Err(invalid(not_a_string(&path, "an org unit path")).into_js());
        };
        if let Err(message) = check_org_unit_path(&path) {
            return Err(
                invalid(Diagnostic::new(ErrorCode::InvalidOrgUnitPath, "", message)).into_js(),
            );
        }
        answer(&self.inner.effective_settings(&path))
    }

    /// The number of address-list entries indexed.
    #[wasm_bindgen(getter, js_name = entryCount)]
    pub fn entry_count(&self) -> usize {
        self.inner.compiled().entry_count()
    }
}

#[cfg(feature = "bench")]
#[wasm_bindgen]
impl CompiledPolicy {
    /// Benchmarks only (feature `bench`): reads `scenario` once, then decides it `iterations`
    /// times inside WebAssembly, nothing crossing to JavaScript, and returns how many decisions
    /// were made. It separates the core's own cost from the cost of the boundary.
    #[wasm_bindgen(js_name = benchEvaluateCore)]
    pub fn bench_evaluate_core(&self, scenario: JsValue, iterations: u32) -> JsResult<u32> {
        let scenario: Scenario = from_js(&scenario, "a scenario object")
            .map_err(|errors| Thrown::invalid(Kind::Scenario, "scenario", errors).into_js())?;
        let mut decided = 0;
        for _ in 0..iterations {
            if std::hint::black_box(self.inner.evaluate(std::hint::black_box(&scenario))).is_ok() {
                decided += 1;
            }
        }
        Ok(decided)
    }
}
