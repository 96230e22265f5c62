# Shared helpers for the project's scripts. Every `ensure_*` is idempotent: it checks first and
# installs only what is missing, into the project's `.tools/` where it can.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
export PATH="$TOOLS/bin:$TOOLS/node_modules/.bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=""
ensure_apt() {
  # ensure_apt PACKAGE... : installs the Debian packages that are not installed yet.
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$APT_UPDATED" ]; then
    log "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_rust_components() {
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
}

ensure_rust_target() {
  rustup target list --installed | grep -qx "$1" || rustup target add "$1"
}

ensure_postfix() {
  # Postfix from apt, unconfigured: tests configure their own instance in a temporary directory.
  if ! dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q "install ok installed"; then
    echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
  fi
  ensure_apt postfix swaks
}

ensure_node_modules() {
  # ensure_node_modules DIR : `npm ci` (or `npm install` without a lock file) when DIR's
  # node_modules is missing or older than its package files.
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package.json" -nt "$dir/node_modules" ] ||
     { [ -f "$dir/package-lock.json" ] && [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; }; then
    log "npm install in ${dir#$ROOT/}"
    if [ -f "$dir/package-lock.json" ]; then (cd "$dir" && npm ci --no-audit --no-fund); else (cd "$dir" && npm install --no-audit --no-fund); fi
    touch "$dir/node_modules"
  fi
}

ensure_pip() {
  # ensure_pip MODULE PACKAGE : pip-installs PACKAGE when `import MODULE` fails.
  python3 -c "import $1" 2>/dev/null || { log "pip install $2"; python3 -m pip install --quiet "$2"; }
}

retry() {
  # retry N COMMAND... : runs COMMAND up to N times, 20 s apart (registry look-ups can fail for a
  # moment).
  local n="$1" i
  shift
  for ((i = 1; i <= n; i++)); do
    "$@" && return 0
    [ "$i" -lt "$n" ] && { log "attempt $i of $n failed: $*; retrying in 20 s"; sleep 20; }
  done
  return 1
}
