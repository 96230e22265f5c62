#!/usr/bin/env bash
# The npm package and the policy simulator: builds both (wasm-pack, wasm-opt from npm binaryen,
# vite), checks the .wasm size, type-checks the usage example and the simulator with tsc, then runs
# the Node test suite in js/test: API behaviour, types against the Rust types and the corpus,
# corpus parity with the command line in Node and in Chromium, the packed tarball in a fresh
# project (Node, tsc, vite), and the simulator end to end in Chromium (playwright-core driving
# Debian's Chromium). Screenshots go to target/artifacts/.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
"$ROOT/scripts/setup-wasm.sh" --browser
cd "$ROOT"

target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
cargo build --quiet --release --bin tls-compliance
export TLS_COMPLIANCE_CLI="$target/release/tls-compliance"

"$ROOT/scripts/build-simulator.sh"
ensure_node_modules "$ROOT/js"

wasm="$ROOT/js/pkg/web/tls_compliance_bg.wasm"
gz=$(gzip -9c "$wasm" | wc -c)
log "npm package .wasm: $(stat -c %s "$wasm") octets, $gz gzipped (limit 307200)"
if [ "$gz" -gt 307200 ]; then
  echo "the npm package's .wasm is $gz octets gzipped, over 300 KB" >&2
  exit 1
fi

log "tsc --noEmit (js/examples, host-examples/simulator)"
(cd "$ROOT/js" && node node_modules/typescript/bin/tsc -p examples)
(cd "$ROOT/host-examples/simulator" && node node_modules/typescript/bin/tsc --noEmit)

log "node --test js/test (Node, Chromium, packed tarball, simulator end to end)"
cd "$ROOT/js"
node --test --test-concurrency=1 test/*.test.mjs
