#!/usr/bin/env bash
# The main job: set up everything (the command line, the wasm toolchain, npm dependencies), build
# the npm package and the policy simulator, then serve the simulator on 127.0.0.1 (port 8080, or
# PORT) and print its URL. It serves until interrupted (Ctrl-C).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build-simulator.sh"
log "serving the policy simulator"
exec node "$ROOT/host-examples/simulator/serve.mjs"
