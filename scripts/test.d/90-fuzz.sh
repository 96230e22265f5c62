#!/usr/bin/env bash
# A short smoke run of every fuzz target (where a nightly toolchain is available).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
FUZZ_SECONDS="${FUZZ_SECONDS:-15}" "$ROOT/scripts/fuzz-smoke.sh"
