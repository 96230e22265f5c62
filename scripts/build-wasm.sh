#!/usr/bin/env bash
# Builds the npm package `tls-compliance` into js/pkg/: one package that serves browsers (the
# `web` build, ESM with `init`), Node (the `nodejs` build) and bundlers (the `bundler` build),
# with the hand-written types of js/npm/index.d.ts. Skips the build when js/pkg is newer than
# every input; `--force` builds anyway.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/setup-wasm.sh"
cd "$ROOT"

PKG="$ROOT/js/pkg"
STAMP="$PKG/.built"
if [ "${1:-}" != "--force" ] && [ -f "$STAMP" ] &&
   [ -z "$(find src js/src js/npm js/Cargo.toml Cargo.toml Cargo.lock -newer "$STAMP" -print -quit)" ]; then
  log "npm package is up to date (js/pkg)"
  exit 0
fi

log "wasm-pack build (web, nodejs, bundler) into js/pkg"
rm -rf "$PKG"
mkdir -p "$PKG"
# wasm-opt runs once below: the three builds share one .wasm (checked), and binaryen's wasm-opt
# from npm takes a while.
for pair in web:web nodejs:node bundler:bundler; do
  target="${pair%%:*}"
  dir="${pair##*:}"
  wasm-pack --quiet build js --profile release-wasm --target "$target" \
    --out-dir "pkg/$dir" --out-name tls_compliance --no-pack --no-gitignore --no-opt
done
for dir in node bundler; do
  cmp -s "$PKG/web/tls_compliance_bg.wasm" "$PKG/$dir/tls_compliance_bg.wasm" || {
    echo "the $dir build's .wasm differs from the web build's; optimise each separately" >&2
    exit 1
  }
done
log "wasm-opt -O3 (npm binaryen)"
wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$PKG/web/tls_compliance_bg.wasm" -o "$PKG/web/tls_compliance_bg.opt.wasm"
mv "$PKG/web/tls_compliance_bg.opt.wasm" "$PKG/web/tls_compliance_bg.wasm"
cp "$PKG/web/tls_compliance_bg.wasm" "$PKG/node/tls_compliance_bg.wasm"
cp "$PKG/web/tls_compliance_bg.wasm" "$PKG/bundler/tls_compliance_bg.wasm"

# The nodejs build is CommonJS inside a `"type": "module"` package.
echo '{ "type": "commonjs" }' >"$PKG/node/package.json"
echo '{ "type": "module" }' >"$PKG/web/package.json"
echo '{ "type": "module" }' >"$PKG/bundler/package.json"
cp js/npm/index.d.ts js/npm/node.mjs js/npm/node.cjs js/npm/bundler.mjs js/npm/README.md "$PKG/"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' js/Cargo.toml | head -1)"
node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  pkg.version = process.argv[2];
  fs.writeFileSync(process.argv[3], JSON.stringify(pkg, null, 2) + "\n");
' js/npm/package.json "$version" "$PKG/package.json"
touch "$STAMP"
log "npm package built: js/pkg ($(wc -c <"$PKG/web/tls_compliance_bg.wasm") bytes of .wasm, $(gzip -9c "$PKG/web/tls_compliance_bg.wasm" | wc -c) gzipped)"
