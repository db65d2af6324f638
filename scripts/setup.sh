#!/usr/bin/env bash
# Installs what building, running and (with --test) testing Gatehouse needs.
# Idempotent: anything already installed at the right version is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
[[ "${1:-}" == "--test" ]] && want_test=true

CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132
SCHEMATHESIS_VERSION=4.32.5
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "Need root to run: $* (install it by hand, or use sudo)" >&2; return 1; fi
}

apt_install() {
  log "Installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null
  }
}

# Rust: the WebAssembly target, and for tests clippy and rustfmt.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if $want_test; then
  for component in clippy rustfmt; do
    rustup component list --installed | grep -q "^$component" || rustup component add "$component"
  done
fi

# cargo-leptos, built without its GitHub downloads.
if [[ "$(cargo leptos --version 2>/dev/null || true)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
  log "Installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes, once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

# wasm-bindgen CLI: must equal the wasm-bindgen version in Cargo.lock.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $bindgen_version" ]]; then
  log "Installing wasm-bindgen-cli $bindgen_version"
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# wasm-opt for release builds, from npm's binaryen (Debian's is too old).
if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
if [[ ! -x .tools/node_modules/.bin/wasm-opt ]]; then
  log "Installing binaryen $BINARYEN_VERSION (wasm-opt)"
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION" >/dev/null
fi

# PostgreSQL server programs, for the embedded database.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

if $want_test; then
  if [[ ! -x /usr/bin/chromium ]]; then apt_install chromium; fi
  # Playwright, and the OpenID provider the single sign-on tests start on loopback.
  if [[ ! -d end2end/node_modules/@playwright/test || ! -d end2end/node_modules/oidc-provider ]]; then
    log "Installing Playwright (without its browser download) and the test OpenID provider"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  fi
  # Schemathesis, the OpenAPI fuzzer behind scripts/fuzz-api.sh, in its own
  # virtualenv so that it touches neither the system Python nor Debian's packages.
  if [[ "$(.tools/venv/bin/schemathesis --version 2>/dev/null || true)" != *" $SCHEMATHESIS_VERSION" ]]; then
    log "Installing schemathesis $SCHEMATHESIS_VERSION (API fuzzer)"
    [[ -x .tools/venv/bin/pip ]] || python3 -m venv .tools/venv
    .tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
fi
