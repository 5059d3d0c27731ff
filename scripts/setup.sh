#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh machine, and
# skips whatever is already there. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  log "installing wasm-bindgen-cli $want (found '${have:-none}')"
  cargo install wasm-bindgen-cli --version "$want"
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing Debian's chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The widget build compresses its assets with Debian's brotli and gzip; the
# browser tests and wasm-opt come from npm (tests/browser/package.json),
# which needs Node 20 or later.
missing=()
command -v brotli >/dev/null || missing+=(brotli)
command -v gzip >/dev/null || missing+=(gzip)
# The widget build writes Subresource Integrity hashes with openssl.
command -v openssl >/dev/null || missing+=(openssl)
# The durability test traces the collector's syncs with strace.
command -v strace >/dev/null || missing+=(strace)
# The poster tests read the QR codes back with an independent decoder.
command -v zbarimg >/dev/null || missing+=(zbar-tools)
# The ingest benchmark (collector/examples/bench_submit.rs) loads the
# server with wrk.
command -v wrk >/dev/null || missing+=(wrk)
# Its row without syncs runs it under eatmydata, which makes every sync a
# no-op: what the disk costs, against what sled's own work costs.
command -v eatmydata >/dev/null || missing+=(eatmydata)
node_major=$(node --version 2>/dev/null | sed 's/^v\([0-9]*\).*/\1/' || true)
if [ -z "$node_major" ] || [ "$node_major" -lt 20 ]; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
node_major=$(node --version 2>/dev/null | sed 's/^v\([0-9]*\).*/\1/' || true)
if [ "${node_major:-0}" -lt 20 ]; then
  log "Node $(node --version) is too old for playwright-core; install Node 20 or later"
  exit 1
fi
if [ ! -x tests/browser/node_modules/.bin/wasm-opt ] || [ ! -d tests/browser/node_modules/playwright-core ] \
  || [ ! -d tests/browser/node_modules/axe-core ] || [ ! -x tests/browser/node_modules/.bin/terser ] \
  || [ ! -d tests/browser/node_modules/lighthouse ]; then
  log "installing the pinned npm tools (binaryen, terser, playwright-core, axe-core, lighthouse)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# schemathesis (PyPI, pinned) fuzzes the HTTP API from its OpenAPI
# document (scripts/schemathesis.sh), from a virtualenv of its own.
st_venv=${CARGO_TARGET_DIR:-target}/schemathesis-venv
if ! "$st_venv/bin/schemathesis" --version 2>/dev/null | grep -q 'version 4.32.5$'; then
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    log "installing python3 and python3-venv from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3 python3-venv >/dev/null
  fi
  log "installing schemathesis 4.32.5 from PyPI"
  rm -rf "$st_venv"
  mkdir -p "$(dirname "$st_venv")"
  python3 -m venv "$st_venv"
  "$st_venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5
fi

log "toolchain ready"
