#!/usr/bin/env bash
# `tls-compliance probe` against a real Postfix: installs Postfix from apt (unconfigured; each test
# runs its own instance in a temporary directory on loopback) and runs tests/probe.rs with
# TLS_COMPLIANCE_REQUIRE_POSTFIX=1, so a Postfix that cannot be found fails instead of skipping.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ensure_postfix
cd "$ROOT"
log "cargo test --test probe (real Postfix)"
TLS_COMPLIANCE_REQUIRE_POSTFIX=1 cargo test --quiet --test probe
