#!/usr/bin/env bash
# Sets up everything the project's build, main job and tests need. Safe to run again: each step
# checks before it installs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_rust_components
log "building the command line"
cargo build --release --quiet --bin tls-compliance
log "setup done"
