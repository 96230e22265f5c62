#!/usr/bin/env bash
# Sets up and runs every test: formatting, lints, the Rust test suites (unit, conformance corpus
# through the library and the CLI, bad input, lint, differential, schema, doc tests) and a short
# fuzz smoke run.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy --all-targets --all-features -- -D warnings"
cargo clippy --quiet --workspace --all-targets --all-features -- -D warnings
log "cargo test --all-features"
cargo test --quiet --workspace --all-features
if [ -x "$ROOT/scripts/fuzz-smoke.sh" ]; then
  log "fuzz smoke run"
  "$ROOT/scripts/fuzz-smoke.sh"
fi
log "all tests passed"
