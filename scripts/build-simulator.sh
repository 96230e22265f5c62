#!/usr/bin/env bash
# Builds the policy simulator (host-examples/simulator) into its dist/: first the npm package it is
# built on (scripts/build-wasm.sh), then its npm dependencies, then `vite build`. The result is a
# static page that works offline.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/build-wasm.sh"
SIM="$ROOT/host-examples/simulator"
ensure_node_modules "$SIM"
log "vite build (host-examples/simulator/dist)"
(cd "$SIM" && node node_modules/vite/bin/vite.js build --logLevel warn)
