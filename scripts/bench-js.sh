#!/usr/bin/env bash
# Benchmarks of the npm package (js/bench/bench.mjs): CompiledPolicy#evaluate against the native
# core on the same workload, compile of 1M entries in WebAssembly, and the gzipped .wasm size.
# Prints a table for BENCHMARKS.md and writes the numbers to target/artifacts/bench-js.json.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/build-wasm.sh"
cd "$ROOT"
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
log "building the native side (examples/native_eval_bench.rs, release)"
cargo build --quiet --release --example native_eval_bench
mkdir -p "$ROOT/target/artifacts"
log "node js/bench/bench.mjs"
node js/bench/bench.mjs --native-bin "$target/release/examples/native_eval_bench" --json "$ROOT/target/artifacts/bench-js.json" "$@"
