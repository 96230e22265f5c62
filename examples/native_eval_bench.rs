//! The native side of the npm package's benchmark (`js/bench/bench.mjs`): the same decision the
//! benchmark times in WebAssembly under Node, timed natively.
//!
//! `native_eval_bench POLICY SCENARIO [ITERATIONS]` compiles the policy file, then times deciding
//! the scenario file over and over, in batches, and prints one JSON line with the median (p50)
//! per decision in nanoseconds, for two forms of the work:
//! - `evaluateNs`: [`Policy::evaluate`] on a parsed scenario, giving a typed decision;
//! - `evaluateJsonNs`: scenario JSON text in, decision JSON text out (parse, decide, serialize):
//!   what crossing a host boundary costs natively.
//!
//! It also prints the compile time and the decision, so the caller can check that both sides
//! decided the same thing.

// A benchmark harness with inputs the caller controls: it reports a bad input and exits.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use tls_compliance::{parse_scenario, Policy};

/// Calls per timed batch: long enough that the clock's own cost does not count.
const BATCH: usize = 50;

fn median_ns_per_call(mut run_batch: impl FnMut(), iterations: usize) -> f64 {
    for _ in 0..(iterations / 10).max(BATCH) {
        run_batch();
    }
    let mut samples: Vec<f64> = Vec::with_capacity(iterations / BATCH + 1);
    for _ in 0..(iterations / BATCH).max(1) {
        let start = Instant::now();
        run_batch();
        samples.push(start.elapsed().as_nanos() as f64 / BATCH as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(policy_path), Some(scenario_path)) = (args.get(1), args.get(2)) else {
        return Err("usage: native_eval_bench POLICY SCENARIO [ITERATIONS]".to_owned());
    };
    let iterations: usize = match args.get(3) {
        Some(n) => n.parse().map_err(|e| format!("ITERATIONS: {e}"))?,
        None => 200_000,
    };
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("cannot read `{p}`: {e}"));
    let policy_text = read(policy_path)?;
    let scenario_text = read(scenario_path)?;

    let start = Instant::now();
    let policy = Policy::from_text(&policy_text).map_err(|e| format!("invalid policy: {e:?}"))?;
    let compile_ms = start.elapsed().as_secs_f64() * 1e3;
    let scenario = parse_scenario(&scenario_text).map_err(|e| e.to_string())?;
    let decision = policy.evaluate(&scenario).map_err(|e| format!("{e:?}"))?;

    let evaluate_ns = median_ns_per_call(
        || {
            for _ in 0..BATCH {
                std::hint::black_box(policy.evaluate(std::hint::black_box(&scenario)).ok());
            }
        },
        iterations,
    );
    let evaluate_json_ns = median_ns_per_call(
        || {
            for _ in 0..BATCH {
                let out = parse_scenario(std::hint::black_box(&scenario_text))
                    .ok()
                    .and_then(|s| policy.evaluate(&s).ok())
                    .and_then(|d| serde_json::to_string(&d).ok());
                std::hint::black_box(out);
            }
        },
        iterations,
    );
    let report = serde_json::json!({
        "entries": policy.compiled().entry_count(),
        "compileMs": compile_ms,
        "evaluateNs": evaluate_ns,
        "evaluateJsonNs": evaluate_json_ns,
        "decision": decision,
    });
    println!("{report}");
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("native_eval_bench: {message}");
            std::process::ExitCode::from(2)
        }
    }
}
