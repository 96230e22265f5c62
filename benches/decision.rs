//! Decision latency and compile time on synthetic policies of 1k, 100k and 1M entries.
//!
//! `cargo bench --bench decision`; the numbers and how to read them are in `BENCHMARKS.md`.
//! Peak memory is measured apart, by `examples/memory.rs`, because criterion's own allocations
//! would blur it.
//!
//! - `decision/{1k,100k,1M}/{1,100}-recipient(s)/{match,no-match}`: `CompiledPolicy::evaluate` on a
//!   pre-parsed scenario: an outbound message from a `/Finance` member (which overrides an
//!   inherited setting and adds one) over a compliant connection. The one matching recipient is the
//!   same at every size, covered through a `*.` entry (the deepest look-up); the 100 matching
//!   recipients mix addresses, domains and `*.` entries, all of the first list so that the same
//!   settings apply at every size. Non-matching recipients are the same at every size.
//! - `compile/1M`: `CompiledPolicy::compile` of a parsed 1M-entry document (10 lists of 100k).
//! - `parse-and-compile/1M`: the same from JSON text, as `tls-compliance check` does it.

// A benchmark sets up fixed, known-good data: a failure to build it is a bug in the benchmark
// itself, and panicking at once is the right answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![allow(missing_docs)]

#[path = "support/synthetic.rs"]
mod synthetic;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use tls_compliance::{parse_policy, parse_scenario, CompiledPolicy, Verdict};

const SIZES: [(&str, usize); 3] = [("1k", 1_000), ("100k", 100_000), ("1M", 1_000_000)];

fn decision(c: &mut Criterion) {
    for (label, size) in SIZES {
        let synthetic = synthetic::policy(size);
        let doc = parse_policy(&synthetic.text).expect("synthetic policy parses");
        let compiled = CompiledPolicy::compile(&doc).expect("synthetic policy compiles");
        assert_eq!(compiled.entry_count(), size);
        drop(doc);
        let wildcard_hit = synthetic.wildcard_match.clone();
        let cases = [
            ("1-recipient", "match", vec![wildcard_hit]),
            (
                "1-recipient",
                "no-match",
                synthetic.non_matching[..1].to_vec(),
            ),
            (
                "100-recipients",
                "match",
                synthetic.matching[..100].to_vec(),
            ),
            (
                "100-recipients",
                "no-match",
                synthetic.non_matching[..100].to_vec(),
            ),
        ];
        let mut group = c.benchmark_group(format!("decision/{label}"));
        group
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sample_size(50);
        for (recipients, kind, addresses) in cases {
            let scenario = parse_scenario(&synthetic::outbound_scenario(&addresses))
                .expect("synthetic scenario parses");
            // Check once that the case is what its name says.
            let decision = compiled.evaluate(&scenario).expect("scenario decides");
            for r in &decision.recipients {
                assert_eq!(r.verdict, Verdict::Deliver);
                assert_eq!(
                    r.requirement.is_some(),
                    kind == "match",
                    "{kind}: {}",
                    r.address
                );
            }
            group.bench_function(BenchmarkId::new(recipients, kind), |b| {
                b.iter(|| compiled.evaluate(black_box(&scenario)))
            });
        }
        group.finish();
    }
}

fn compile(c: &mut Criterion) {
    let synthetic = synthetic::policy(1_000_000);
    let doc = parse_policy(&synthetic.text).expect("synthetic policy parses");
    let mut group = c.benchmark_group("compile");
    group
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(10))
        .sample_size(10);
    group.bench_function("1M", |b| {
        b.iter(|| CompiledPolicy::compile(black_box(&doc)))
    });
    group.finish();
    drop(doc);
    let mut group = c.benchmark_group("parse-and-compile");
    group
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(10))
        .sample_size(10);
    group.bench_function("1M", |b| {
        b.iter(|| {
            let doc = parse_policy(black_box(&synthetic.text)).expect("parses");
            CompiledPolicy::compile(&doc)
        })
    });
    group.finish();
}

criterion_group!(benches, decision, compile);
criterion_main!(benches);
