#!/usr/bin/env bash
# A short smoke run of the `smtp_session` fuzz target (the Envoy filter's SMTP session logic), after
# 90-fuzz.sh has installed cargo-fuzz. Like it, skipped where there is no nightly toolchain.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$ROOT"
if ! rustup run nightly rustc --version >/dev/null 2>&1 || ! cargo fuzz --version >/dev/null 2>&1; then
  echo "smtp_session fuzz smoke skipped: needs a nightly toolchain and cargo-fuzz (scripts/fuzz-smoke.sh installs it)"
  exit 0
fi
seconds="${FUZZ_SECONDS:-15}"
log "fuzz smoke: smtp_session for ${seconds}s"
unset CARGO_TARGET_DIR
mkdir -p tests/fuzz/corpus/smtp_session tests/fuzz/target
cargo +nightly fuzz run --fuzz-dir tests/fuzz smtp_session tests/fuzz/corpus/smtp_session \
  tests/fuzz/seeds/smtp_session -- -max_total_time="$seconds" -print_final_stats=1 \
  2>tests/fuzz/target/smtp_session.log || { tail -n 40 tests/fuzz/target/smtp_session.log; exit 1; }
grep -E '^(Done|stat::number_of_executed_units)' tests/fuzz/target/smtp_session.log || true
