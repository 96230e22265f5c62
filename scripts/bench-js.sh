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
# A nodejs build with the `bench` feature, outside the package: it times the core inside
# WebAssembly with nothing crossing the boundary.
bench_pkg="$target/js-bench-pkg"
log "building the benchmark-only nodejs build (feature bench) into $bench_pkg"
rm -rf "$bench_pkg"
wasm-pack --quiet build js --profile release-wasm --target nodejs --out-dir "$bench_pkg/node" \
  --out-name tls_compliance --no-pack --no-gitignore --no-opt -- --features bench
wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$bench_pkg/node/tls_compliance_bg.wasm" -o "$bench_pkg/node/tls_compliance_bg.wasm"
echo '{ "type": "commonjs" }' >"$bench_pkg/node/package.json"
mkdir -p "$ROOT/target/artifacts"
log "node js/bench/bench.mjs"
node js/bench/bench.mjs --native-bin "$target/release/examples/native_eval_bench" \
  --bench-pkg "$bench_pkg" --json "$ROOT/target/artifacts/bench-js.json" "$@"
