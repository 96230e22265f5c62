#!/usr/bin/env bash
# The main job: set up, then decide the built-in example scenarios against the built-in example
# policy and explain each decision.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/setup.sh"
CLI="$ROOT/target/release/tls-compliance"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$CLI" example policy >"$work/policy.json"
"$CLI" example scenarios >"$work/scenarios.json"
log "tls-compliance eval (built-in example policy and scenarios)"
"$CLI" eval "$work/policy.json" "$work/scenarios.json" --format text
