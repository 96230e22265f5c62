//! The conformance corpus (`tests/corpus/`): every case through the library and through the built
//! command line, which must agree with the expectation and with each other, byte for byte.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use serde_json::Value;
use tls_compliance::source::to_pretty_json;
use tls_compliance::{diff, impact, parse_scenario, parse_scenarios, validate_text, Policy};

mod common;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One decision case: a policy file, a scenario, and the whole decision it must give.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    policy: String,
    scenario: Value,
    expect: Value,
}

/// One impact case; `scenarios` is an array or a single scenario object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImpactCase {
    name: String,
    before: String,
    after: String,
    scenarios: Value,
    expect: Value,
}

/// One diff case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffCase {
    name: String,
    before: String,
    after: String,
    expect: Value,
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Every decision case, with the file it comes from.
fn cases() -> Vec<(String, Case)> {
    let mut all = Vec::new();
    for file in json_files(&corpus().join("cases")) {
        let label = file.file_name().unwrap().to_string_lossy().into_owned();
        let cases: Vec<Case> = serde_json::from_str(&read(&file))
            .unwrap_or_else(|e| panic!("{label} is not an array of cases: {e}"));
        all.extend(cases.into_iter().map(|c| (label.clone(), c)));
    }
    assert!(all.len() >= 100, "the corpus lost cases: {}", all.len());
    all
}

fn policy_path(file: &str) -> PathBuf {
    corpus().join("policies").join(file)
}

/// A scratch file under Cargo's per-test temporary directory.
fn temp_file(stem: &str, contents: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{stem}-{}-{n}.json", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

/// Runs the binary, feeding `stdin` when given; fails the test if it panicked.
fn cli(args: &[&str], stdin: Option<&str>) -> Output {
    common::run_cli(None, args, stdin)
}

fn stdout_json(out: &Output, what: &str) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Collects mismatches and reports them all at once, each with both values.
#[derive(Default)]
struct Mismatches(Vec<String>);

impl Mismatches {
    fn check(&mut self, what: &str, expected: &Value, got: &Value) {
        if expected != got {
            self.0.push(format!(
                "{what}\n  expected: {}\n  got:      {}",
                serde_json::to_string(expected).unwrap(),
                serde_json::to_string(got).unwrap()
            ));
        }
    }

    fn fail(&mut self, what: String) {
        self.0.push(what);
    }

    fn assert_none(self, ran: usize) {
        assert!(
            self.0.is_empty(),
            "{} of {ran} checks failed:\n\n{}",
            self.0.len(),
            self.0.join("\n\n")
        );
    }
}

fn library_decision(case: &Case) -> Result<Value, String> {
    let policy = Policy::from_text(&read(&policy_path(&case.policy)))
        .map_err(|e| format!("policy {} does not load: {e:?}", case.policy))?;
    let scenario = parse_scenario(&case.scenario.to_string()).map_err(|e| e.to_string())?;
    let decision = policy.evaluate(&scenario).map_err(|e| e.to_string())?;
    Ok(serde_json::to_value(&decision).unwrap())
}

#[test]
fn every_corpus_case_decides_as_expected_through_the_library() {
    let cases = cases();
    let mut mismatches = Mismatches::default();
    for (file, case) in &cases {
        let what = format!("{file}: {}", case.name);
        match library_decision(case) {
            Ok(got) => mismatches.check(&what, &case.expect, &got),
            Err(e) => mismatches.fail(format!("{what}: {e}")),
        }
    }
    mismatches.assert_none(cases.len());
}

/// The CLI's stdout for one decision, and the library's own pretty JSON of the same decision: the
/// same bytes.
fn check_cli_decision(mismatches: &mut Mismatches, what: &str, case: &Case, out: &Output) {
    if out.status.code() != Some(0) {
        mismatches.fail(format!(
            "{what}: exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        ));
        return;
    }
    let got = stdout_json(out, what);
    mismatches.check(what, &case.expect, &got);
    let policy = Policy::from_text(&read(&policy_path(&case.policy))).unwrap();
    let scenario = parse_scenario(&case.scenario.to_string()).unwrap();
    let library = format!("{}\n", to_pretty_json(&policy.evaluate(&scenario).unwrap()));
    if library.as_bytes() != out.stdout.as_slice() {
        mismatches.fail(format!(
            "{what}: the CLI's JSON is not byte for byte the library's\n  library: {library}\n  cli:     {}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
}

#[test]
fn every_corpus_case_decides_as_expected_through_the_cli_from_a_scenario_file() {
    let cases = cases();
    let mut mismatches = Mismatches::default();
    for (file, case) in &cases {
        let scenario = temp_file("scenario", &case.scenario.to_string());
        let policy = policy_path(&case.policy);
        let out = cli(
            &["eval", policy.to_str().unwrap(), scenario.to_str().unwrap()],
            None,
        );
        check_cli_decision(
            &mut mismatches,
            &format!("{file}: {}", case.name),
            case,
            &out,
        );
        std::fs::remove_file(scenario).ok();
    }
    mismatches.assert_none(cases.len());
}

#[test]
fn every_corpus_case_decides_as_expected_through_the_cli_from_standard_input() {
    let cases = cases();
    let mut mismatches = Mismatches::default();
    for (file, case) in &cases {
        let policy = policy_path(&case.policy);
        let text = serde_json::to_string_pretty(&case.scenario).unwrap();
        let out = cli(&["eval", policy.to_str().unwrap(), "-"], Some(&text));
        check_cli_decision(
            &mut mismatches,
            &format!("{file}: {}", case.name),
            case,
            &out,
        );
    }
    mismatches.assert_none(cases.len());
}

#[test]
fn all_cases_of_one_policy_decide_as_one_array_through_the_library_and_the_cli() {
    let mut by_policy: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    for (_, case) in cases() {
        by_policy.entry(case.policy.clone()).or_default().push(case);
    }
    let mut mismatches = Mismatches::default();
    for (policy_file, cases) in &by_policy {
        let scenarios = Value::Array(cases.iter().map(|c| c.scenario.clone()).collect());
        let expected = Value::Array(cases.iter().map(|c| c.expect.clone()).collect());
        let text = serde_json::to_string_pretty(&scenarios).unwrap();
        let policy_path = policy_path(policy_file);

        let policy = Policy::from_text(&read(&policy_path)).unwrap();
        let parsed = parse_scenarios(&text).unwrap();
        let decisions: Vec<_> = parsed
            .as_slice()
            .iter()
            .map(|s| policy.evaluate(s).unwrap())
            .collect();
        mismatches.check(
            &format!("library, {policy_file} as one array"),
            &expected,
            &serde_json::to_value(&decisions).unwrap(),
        );

        let file = temp_file("scenarios", &text);
        for input in [file.to_str().unwrap(), "-"] {
            let out = cli(
                &["eval", policy_path.to_str().unwrap(), input],
                (input == "-").then_some(text.as_str()),
            );
            let what = format!("cli, {policy_file} as one array from `{input}`");
            if out.status.code() == Some(0) {
                mismatches.check(&what, &expected, &stdout_json(&out, &what));
            } else {
                mismatches.fail(format!("{what}: exit {:?}", out.status.code()));
            }
        }
        std::fs::remove_file(file).ok();
    }
    mismatches.assert_none(by_policy.len() * 3);
}

#[test]
fn every_case_names_a_corpus_policy_and_every_case_policy_is_used() {
    let cases = cases();
    let mut names = std::collections::HashSet::new();
    for (file, case) in &cases {
        assert!(
            policy_path(&case.policy).is_file(),
            "{file}: {}: no policy {}",
            case.name,
            case.policy
        );
        assert!(
            names.insert(case.name.as_str()),
            "two cases are named `{}`",
            case.name
        );
    }
    for policy in json_files(&corpus().join("policies")) {
        let name = policy.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            cases.iter().any(|(_, c)| c.policy == name),
            "no case uses policies/{name}"
        );
    }
}

#[test]
fn every_corpus_policy_passes_check_with_exit_0() {
    let dirs = ["policies", "impact/policies", "diff/policies"];
    let mut checked = 0;
    for dir in dirs {
        for file in json_files(&corpus().join(dir)) {
            let what = format!("{dir}/{}", file.file_name().unwrap().to_string_lossy());
            let report = validate_text(&read(&file));
            assert!(report.valid, "{what}: {:?}", report.errors);
            let out = cli(&["check", file.to_str().unwrap()], None);
            assert_eq!(out.status.code(), Some(0), "{what}: check exit code");
            let json = stdout_json(&out, &what);
            assert_eq!(json["valid"], Value::Bool(true), "{what}");
            assert_eq!(json["errors"], Value::Array(vec![]), "{what}");
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} policies checked");
}

// --- the shared worked examples, as they are ------------------------------------------------

/// Removes `reply` from `got` wherever the matching object of `expect` leaves it out.
fn drop_replies_expect_omits(expect: &Value, got: &mut Value) {
    match (expect, got) {
        (Value::Object(e), Value::Object(g)) => {
            if !e.contains_key("reply") {
                g.remove("reply");
            }
            for (k, ev) in e {
                if let Some(gv) = g.get_mut(k) {
                    drop_replies_expect_omits(ev, gv);
                }
            }
        }
        (Value::Array(e), Value::Array(g)) => {
            for (ev, gv) in e.iter().zip(g.iter_mut()) {
                drop_replies_expect_omits(ev, gv);
            }
        }
        _ => {}
    }
}

/// Their README: each reply left out of `expect` starts with `550 <status> `.
fn check_left_out_replies(mismatches: &mut Mismatches, what: &str, got: &Value) {
    for r in got["recipients"].as_array().unwrap() {
        match (&r["status"], &r["reply"]) {
            (Value::String(status), Value::String(reply)) => {
                if !reply.starts_with(&format!("550 {status} ")) {
                    mismatches.fail(format!("{what}: reply `{reply}` for status {status}"));
                }
            }
            (Value::Null, Value::Null) => {}
            other => mismatches.fail(format!("{what}: status and reply {other:?}")),
        }
    }
    let first_refused = got["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["verdict"] == "bounce" || r["verdict"] == "reject")
        .map_or(Value::Null, |r| r["reply"].clone());
    if got["transaction"]["reply"] != first_refused {
        mismatches.fail(format!(
            "{what}: transaction reply is not the first refusal's"
        ));
    }
}

#[test]
fn the_shared_conformance_examples_pass_as_they_are_through_the_library_and_the_cli() {
    let dir = corpus().join("shared-conformance");
    let examples: Vec<Case> = serde_json::from_str(&read(&dir.join("examples.json"))).unwrap();
    assert_eq!(examples.len(), 3);
    let mut mismatches = Mismatches::default();
    for example in &examples {
        let policy_file = dir.join(&example.policy);
        let policy = Policy::from_text(&read(&policy_file)).unwrap();
        let scenario = parse_scenario(&example.scenario.to_string()).unwrap();
        let decision = serde_json::to_value(policy.evaluate(&scenario).unwrap()).unwrap();
        let scenario_file = temp_file("shared", &example.scenario.to_string());
        let out = cli(
            &[
                "eval",
                policy_file.to_str().unwrap(),
                scenario_file.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", example.name);
        for (how, got) in [("library", decision), ("cli", stdout_json(&out, "cli"))] {
            let what = format!("{how}: {}", example.name);
            check_left_out_replies(&mut mismatches, &what, &got);
            let mut compared = got;
            drop_replies_expect_omits(&example.expect, &mut compared);
            mismatches.check(&what, &example.expect, &compared);
        }
        std::fs::remove_file(scenario_file).ok();
    }
    mismatches.assert_none(examples.len() * 2);
}

#[test]
fn the_shared_conformance_copies_equal_the_originals_when_those_are_present() {
    let originals = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    if !originals.is_dir() {
        eprintln!(
            "{} is absent (a clean clone): nothing to compare",
            originals.display()
        );
        return;
    }
    for name in ["README.md", "example-policy.json", "examples.json"] {
        let copy = std::fs::read(corpus().join("shared-conformance").join(name)).unwrap();
        let original = std::fs::read(originals.join(name)).unwrap();
        assert!(
            copy == original,
            "shared-conformance/{name} differs from {}",
            originals.join(name).display()
        );
    }
    let copy = std::fs::read(corpus().join("policies/example-policy.json")).unwrap();
    let original = std::fs::read(originals.join("example-policy.json")).unwrap();
    assert!(
        copy == original,
        "policies/example-policy.json differs from the shared one"
    );
}

// --- what-if ----------------------------------------------------------------------------------

fn whatif_policy(kind: &str, file: &str) -> PathBuf {
    corpus().join(kind).join("policies").join(file)
}

#[test]
fn every_impact_case_reports_as_expected_through_the_library_and_the_cli() {
    let cases: Vec<ImpactCase> =
        serde_json::from_str(&read(&corpus().join("impact/cases.json"))).unwrap();
    assert!(cases.len() >= 5);
    let mut mismatches = Mismatches::default();
    for case in &cases {
        let before = whatif_policy("impact", &case.before);
        let after = whatif_policy("impact", &case.after);
        let text = serde_json::to_string_pretty(&case.scenarios).unwrap();

        let b = Policy::from_text(&read(&before)).unwrap();
        let a = Policy::from_text(&read(&after)).unwrap();
        let scenarios = parse_scenarios(&text).unwrap();
        let report = impact(b.compiled(), a.compiled(), scenarios.as_slice()).unwrap();
        mismatches.check(
            &format!("library: {}", case.name),
            &case.expect,
            &serde_json::to_value(&report).unwrap(),
        );

        let file = temp_file("impact", &text);
        for input in [file.to_str().unwrap(), "-"] {
            let out = cli(
                &[
                    "impact",
                    before.to_str().unwrap(),
                    after.to_str().unwrap(),
                    input,
                ],
                (input == "-").then_some(text.as_str()),
            );
            let what = format!("cli from `{input}`: {}", case.name);
            if out.status.code() != Some(0) {
                mismatches.fail(format!("{what}: exit {:?}", out.status.code()));
                continue;
            }
            mismatches.check(&what, &case.expect, &stdout_json(&out, &what));
            if out.stdout != format!("{}\n", to_pretty_json(&report)).into_bytes() {
                mismatches.fail(format!("{what}: not byte for byte the library's JSON"));
            }
        }
        std::fs::remove_file(file).ok();
    }
    mismatches.assert_none(cases.len() * 3);
}

#[test]
fn every_diff_case_reports_as_expected_through_the_library_and_the_cli() {
    let cases: Vec<DiffCase> =
        serde_json::from_str(&read(&corpus().join("diff/cases.json"))).unwrap();
    assert!(cases.len() >= 5);
    let mut mismatches = Mismatches::default();
    for case in &cases {
        let before = whatif_policy("diff", &case.before);
        let after = whatif_policy("diff", &case.after);

        let b = Policy::from_text(&read(&before)).unwrap();
        let a = Policy::from_text(&read(&after)).unwrap();
        let entry = diff(b.document(), a.document());
        mismatches.check(
            &format!("library: {}", case.name),
            &case.expect,
            &serde_json::to_value(&entry).unwrap(),
        );

        let out = cli(
            &["diff", before.to_str().unwrap(), after.to_str().unwrap()],
            None,
        );
        let what = format!("cli: {}", case.name);
        if out.status.code() != Some(0) {
            mismatches.fail(format!("{what}: exit {:?}", out.status.code()));
            continue;
        }
        mismatches.check(&what, &case.expect, &stdout_json(&out, &what));
        if out.stdout != format!("{}\n", to_pretty_json(&entry)).into_bytes() {
            mismatches.fail(format!("{what}: not byte for byte the library's JSON"));
        }
    }
    mismatches.assert_none(cases.len() * 2);
}

#[test]
fn diff_reads_the_before_policy_from_standard_input() {
    let cases: Vec<DiffCase> =
        serde_json::from_str(&read(&corpus().join("diff/cases.json"))).unwrap();
    let case = cases
        .iter()
        .find(|c| c.after == "members-changed.json")
        .unwrap();
    let before = read(&whatif_policy("diff", &case.before));
    let after = whatif_policy("diff", &case.after);
    let out = cli(&["diff", "-", after.to_str().unwrap()], Some(&before));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_json(&out, "diff"), case.expect);
}
