#!/usr/bin/env bash
# Smoke-runs every cargo-fuzz target in tests/fuzz for FUZZ_SECONDS seconds each (default 20).
#
# Installs cargo-fuzz into .tools/ when it is missing (once; .tools is kept between runs and is
# not committed). Needs a nightly toolchain (libFuzzer's sanitizer flags are nightly-only): where
# there is none, it says so and exits 0 without fuzzing. Exits non-zero when a target crashes; the
# crashing input is left in tests/fuzz/artifacts/<target>/. How to fuzz for longer:
# tests/fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${FUZZ_SECONDS:-20}

if ! command -v rustup >/dev/null 2>&1 || ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz-smoke: skipped: no nightly toolchain (install one with 'rustup toolchain install nightly')"
    exit 0
fi

export PATH="$root/.tools/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz into .tools/"
    cargo install cargo-fuzz --locked --root "$root/.tools"
fi

# The fuzz workspace keeps its own target dir (tests/fuzz/target), whatever the caller's is.
unset CARGO_TARGET_DIR
mapfile -t targets < <(cargo fuzz list --fuzz-dir tests/fuzz)
logs=tests/fuzz/target/smoke-logs
mkdir -p "$logs"
failed=()
for target in "${targets[@]}"; do
    corpus="tests/fuzz/corpus/$target"
    mkdir -p "$corpus"
    echo "fuzz-smoke: $target for ${seconds}s"
    if cargo +nightly fuzz run --fuzz-dir tests/fuzz "$target" "$corpus" "tests/fuzz/seeds/$target" \
        -- -max_total_time="$seconds" -print_final_stats=1 2>"$logs/$target.log"; then
        grep -E '^(Done|stat::number_of_executed_units)' "$logs/$target.log" || true
    else
        failed+=("$target")
        tail -n 40 "$logs/$target.log"
    fi
done

if ((${#failed[@]})); then
    echo "fuzz-smoke: FAILED: ${failed[*]} (inputs in tests/fuzz/artifacts/)"
    exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets ran ${seconds}s each without a crash"
