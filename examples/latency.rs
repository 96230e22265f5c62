//! Decision latency percentiles: `cargo run --release --example latency`.
//!
//! criterion (`cargo bench --bench decision`) reports the typical time of a sample of many calls,
//! and on a busy machine every such sample is slowed by the other processes. This example times
//! calls in batches of [`BATCH`] and reports percentiles over the batches: a batch that the
//! scheduler interrupts lands in the tail, so p50 stays the latency of an uninterrupted call. The
//! cases take turns, so a drift in the machine's speed weighs on all of them alike.
//! Same synthetic policies, scenarios and cases as the criterion benchmark.
//!
//! It also compiles the 1M-entry policy [`COMPILES`] times and reports the fastest and the median
//! run: on a busy machine the fastest is the closest to the cost of compiling alone.
//!
//! `latency [SIZES…]`, sizes as `1k`, `100k`, `1M` (default all three); `latency compile` for the
//! compile times only.

// An example with fixed, known-good inputs: a failure is a bug in the example.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::hint::black_box;
use std::time::{Duration, Instant};

use tls_compliance::{parse_policy, parse_scenario, CompiledPolicy};

/// Calls per timed batch: the clock's own cost (~25 ns) is shared by this many calls.
const BATCH: u32 = 8;
/// Each case is timed for `ROUNDS` slices of `SLICE`, in turn with the others.
const ROUNDS: u32 = 10;
/// See [`ROUNDS`].
const SLICE: Duration = Duration::from_millis(200);
/// Runs of the 1M-entry compile.
const COMPILES: usize = 7;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

fn format_ns(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "compile") {
        compile_times();
        return;
    }
    let sizes: Vec<(&str, usize)> = [("1k", 1_000), ("100k", 100_000), ("1M", 1_000_000)]
        .into_iter()
        .filter(|(label, _)| args.is_empty() || args.iter().any(|a| a == label))
        .collect();
    // Every case is built first and then timed in turns, a slice at a time, so that a machine
    // whose speed drifts (other processes, a shared host) slows every case alike.
    let mut cases = Vec::new();
    for (label, size) in sizes {
        let synthetic = synthetic::policy(size);
        let doc = parse_policy(&synthetic.text).expect("synthetic policy parses");
        let compiled = std::sync::Arc::new(CompiledPolicy::compile(&doc).expect("compiles"));
        drop(doc);
        let wildcard_hit = synthetic.wildcard_match.clone();
        for (case, addresses) in [
            ("1-recipient/match", vec![wildcard_hit]),
            ("1-recipient/no-match", synthetic.non_matching[..1].to_vec()),
            ("100-recipients/match", synthetic.matching[..100].to_vec()),
            (
                "100-recipients/no-match",
                synthetic.non_matching[..100].to_vec(),
            ),
        ] {
            let scenario = parse_scenario(&synthetic::outbound_scenario(&addresses))
                .expect("synthetic scenario parses");
            let name = format!("decision/{label}/{case}");
            cases.push((name, compiled.clone(), scenario, Vec::<f64>::new()));
        }
    }
    for _ in 0..ROUNDS {
        for (_, compiled, scenario, per_call) in &mut cases {
            // Warm up: caches, allocator, branch predictors.
            for _ in 0..200 {
                black_box(compiled.evaluate(black_box(&*scenario)).is_ok());
            }
            let started = Instant::now();
            while started.elapsed() < SLICE {
                let t = Instant::now();
                for _ in 0..BATCH {
                    black_box(compiled.evaluate(black_box(&*scenario)).is_ok());
                }
                per_call.push(t.elapsed().as_nanos() as f64 / f64::from(BATCH));
            }
        }
    }
    println!("| case | calls | p50 | p90 | p99 |");
    println!("|---|---|---|---|---|");
    for (name, _, _, mut per_call) in cases {
        per_call.sort_by(f64::total_cmp);
        println!(
            "| {name} | {} | {} | {} | {} |",
            per_call.len() * BATCH as usize,
            format_ns(percentile(&per_call, 0.5)),
            format_ns(percentile(&per_call, 0.9)),
            format_ns(percentile(&per_call, 0.99)),
        );
    }
}

fn compile_times() {
    let synthetic = synthetic::policy(1_000_000);
    let doc = parse_policy(&synthetic.text).expect("synthetic policy parses");
    let mut compile = Vec::new();
    let mut parse_and_compile = Vec::new();
    for _ in 0..COMPILES {
        let t = Instant::now();
        black_box(CompiledPolicy::compile(black_box(&doc)).is_ok());
        compile.push(t.elapsed());
        let t = Instant::now();
        let parsed = parse_policy(black_box(&synthetic.text)).expect("parses");
        black_box(CompiledPolicy::compile(&parsed).is_ok());
        parse_and_compile.push(t.elapsed());
    }
    compile.sort();
    parse_and_compile.sort();
    println!("| case | runs | fastest | median |");
    println!("|---|---|---|---|");
    for (case, times) in [
        ("compile/1M", &compile),
        ("parse-and-compile/1M", &parse_and_compile),
    ] {
        println!(
            "| {case} | {COMPILES} | {:.0} ms | {:.0} ms |",
            times[0].as_secs_f64() * 1000.0,
            times[COMPILES / 2].as_secs_f64() * 1000.0
        );
    }
}
