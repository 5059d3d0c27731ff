#!/usr/bin/env bash
# Builds the embeddable widget into dist/ (or $DIST):
#   dist/widget.js                      the loader; stable name, short cache
#   dist/assets/widget-<hash>.js        wasm-bindgen glue  } content-hashed,
#   dist/assets/widget-<hash>.wasm      the widget itself  } cached forever
#   … and a .br and .gz of each, plus dist/manifest.json.
# `collector serve` serves this directory (its `dist` setting).
#
# Steps: cargo (profile release-size) → wasm-bindgen --target web →
# wasm-opt -Oz from npm's binaryen@132 (the one that reads current
# wasm-bindgen output) → terser (the glue and the loader) → hash →
# brotli/gzip. Run scripts/setup.sh first on
# a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target_dir=${CARGO_TARGET_DIR:-$root/target}
out=${DIST:-$root/dist}
tools=$root/tests/browser
wasm_opt=$tools/node_modules/.bin/wasm-opt
terser=$tools/node_modules/.bin/terser

log() { printf '\033[1m[build-widget]\033[0m %s\n' "$*" >&2; }

if [ ! -x "$wasm_opt" ] || [ ! -x "$terser" ]; then
  log "installing the pinned npm tools (binaryen, terser, playwright-core, axe-core)"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
fi
for tool in wasm-bindgen brotli gzip openssl; do
  command -v "$tool" >/dev/null || { log "missing $tool: run scripts/setup.sh"; exit 1; }
done

log "cargo build (release-size)"
cargo build -p widget --target wasm32-unknown-unknown --profile release-size
raw=$target_dir/wasm32-unknown-unknown/release-size/widget.wasm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "wasm-bindgen --target web"
wasm-bindgen --target web --no-typescript --out-dir "$work" --out-name widget "$raw"

log "wasm-opt -Oz"
"$wasm_opt" -Oz --converge --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  -o "$work/widget.opt.wasm" "$work/widget_bg.wasm"

log "terser (glue)"
"$terser" "$work/widget.js" --module --ecma 2020 --compress passes=2 --mangle --comments false \
  -o "$work/widget.min.js"
mv "$work/widget.min.js" "$work/widget.js"

hash=$(cat "$work/widget.opt.wasm" "$work/widget.js" | sha256sum | cut -c1-16)
glue=widget-$hash.js
wasm=widget-$hash.wasm

rm -rf "$out/assets" "$out/widget.js" "$out/widget.js.br" "$out/widget.js.gz" "$out/manifest.json"
mkdir -p "$out/assets"
cp "$work/widget.js" "$out/assets/$glue"
cp "$work/widget.opt.wasm" "$out/assets/$wasm"
# Subresource Integrity: the loader checks the glue and the wasm against
# these; the pinned copy of the loader is checked by the page's snippet.
sri() { printf 'sha256-%s' "$(openssl dgst -sha256 -binary "$1" | base64 -w0)"; }
glue_sri=$(sri "$out/assets/$glue")
wasm_sri=$(sri "$out/assets/$wasm")
sed -e "s/__GLUE__/$glue/" -e "s/__WASM__/$wasm/" \
  -e "s|__GLUE_SRI__|$glue_sri|" -e "s|__WASM_SRI__|$wasm_sri|" widget/loader/widget.js > "$work/loader.js"
"$terser" "$work/loader.js" --compress passes=2 --mangle --comments false -o "$out/widget.js"
loader_hash=$(sha256sum "$out/widget.js" | cut -c1-16)
pinned=loader-$loader_hash.js
cp "$out/widget.js" "$out/assets/$pinned"
loader_sri=$(sri "$out/assets/$pinned")

for f in "$out/widget.js" "$out/assets/$glue" "$out/assets/$wasm" "$out/assets/$pinned"; do
  brotli -q 11 -f -k -o "$f.br" "$f"
  gzip -9 -n -f -k "$f"
done

size() { wc -c < "$1" | tr -d ' '; }
cat > "$out/manifest.json" <<JSON
{
  "loader": "widget.js",
  "pinned_loader": "assets/$pinned",
  "pinned_loader_integrity": "$loader_sri",
  "glue_integrity": "$glue_sri",
  "wasm_integrity": "$wasm_sri",
  "glue": "assets/$glue",
  "wasm": "assets/$wasm",
  "brotli_bytes": {
    "loader": $(size "$out/widget.js.br"),
    "glue": $(size "$out/assets/$glue.br"),
    "wasm": $(size "$out/assets/$wasm.br")
  }
}
JSON
log "wrote $out"
scripts/sizes.sh "$out"
