#!/usr/bin/env bash
# Sets up and runs every test: formatting, lints, the Rust test suites (unit, conformance corpus
# through the library and the CLI, bad input, lint, differential, schema, doc tests), then each
# suite in scripts/test.d/ in name order (each sets up what it needs itself).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy --all-targets --all-features -- -D warnings"
cargo clippy --quiet --workspace --all-targets --all-features -- -D warnings
log "cargo test --all-features"
cargo test --quiet --workspace --all-features
for suite in "$ROOT"/scripts/test.d/*.sh; do
  [ -e "$suite" ] || continue
  log "suite ${suite#$ROOT/}"
  bash "$suite"
done
log "all tests passed"
