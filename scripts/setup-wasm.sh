#!/usr/bin/env bash
# Installs what the npm package (js/), the simulator (host-examples/simulator/) and their tests
# need. Idempotent: each step checks first and installs only what is missing.
#
#   scripts/setup-wasm.sh            the wasm32 target, wasm-pack, wasm-bindgen, wasm-opt
#   scripts/setup-wasm.sh --browser  also Debian's Chromium, for the browser tests
#
# wasm-pack cannot download its helpers here: it finds wasm-bindgen (the same version as the
# crate's pinned `wasm-bindgen`) in .tools/bin and wasm-opt from npm `binaryen` in
# .tools/node_modules/.bin, both on PATH through lib.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WASM_BINDGEN_VERSION=0.2.130 # = the `wasm-bindgen` pin in js/Cargo.toml
# The two `cargo install`s share one build directory, so the crates they both use build once.
BINARYEN_VERSION=132.0.0

ensure_rust_target wasm32-unknown-unknown

if ! command -v wasm-pack >/dev/null 2>&1; then
  log "cargo install wasm-pack (into .tools)"
  retry 3 cargo install wasm-pack --locked --root "$TOOLS" --target-dir "$TOOLS/build"
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (into .tools)"
  # Not `--locked`: its lock file names a webpki-roots release the registry does not serve.
  retry 3 cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --root "$TOOLS" --target-dir "$TOOLS/build"
fi

installed_binaryen="$(node -p "try { require('$TOOLS/node_modules/binaryen/package.json').version } catch { '' }")"
if [ "$installed_binaryen" != "$BINARYEN_VERSION" ]; then
  log "npm install binaryen@$BINARYEN_VERSION (wasm-opt, into .tools)"
  mkdir -p "$TOOLS"
  retry 3 npm install --prefix "$TOOLS" --no-audit --no-fund --save-exact "binaryen@$BINARYEN_VERSION" >/dev/null
fi

if [ "${1:-}" = "--browser" ]; then
  ensure_apt chromium chromium-driver
fi
