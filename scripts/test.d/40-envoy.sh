#!/usr/bin/env bash
# The Envoy filter: builds its .wasm and checks its size, then runs it in a real Envoy against real
# MTAs (end-to-end tests), and checks it gives the command line's decisions on the conformance
# corpus. (95-smtp-fuzz.sh smoke-fuzzes the SMTP session logic.)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
"$ROOT/scripts/setup-envoy.sh"
cd "$ROOT"

target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
log "building the Envoy filter (wasm32-wasip1, profile wasm-filter)"
cargo build --quiet -p tls-compliance-envoy-filter --target wasm32-wasip1 --profile wasm-filter
export TLS_COMPLIANCE_FILTER_WASM="$target/wasm32-wasip1/wasm-filter/tls_compliance_envoy_filter.wasm"
raw=$(stat -c %s "$TLS_COMPLIANCE_FILTER_WASM")
gz=$(gzip -9c "$TLS_COMPLIANCE_FILTER_WASM" | wc -c)
log "filter .wasm: $raw octets, $gz gzipped (limit 307200)"
if [ "$gz" -gt 307200 ]; then
  echo "the filter .wasm is $gz octets gzipped, over 300 KB" >&2
  exit 1
fi
cargo build --quiet --release --bin tls-compliance
export TLS_COMPLIANCE_CLI="$target/release/tls-compliance"

cd "$ROOT/host-examples/envoy-filter/e2e"
log "Envoy filter: end-to-end tests (real Envoy, aiosmtpd, Postfix)"
python3 -m unittest -v test_e2e
log "Envoy filter: parity with the command line on the conformance corpus"
python3 parity.py

log "Envoy filter suite passed"
