#!/usr/bin/env bash
# Prints what a browser downloads for the widget: the loader, the JS glue
# and the wasm, raw and as transferred (brotli, gzip), from a built dist/
# (scripts/build-widget.sh). Usage: scripts/sizes.sh [DIST]
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-${DIST:-dist}}
manifest=$dist/manifest.json
[ -f "$manifest" ] || { echo "no $manifest: run scripts/build-widget.sh" >&2; exit 1; }
field() { sed -n "s/^ *\"$1\": \"\\(.*\\)\",\{0,1\}$/\\1/p" "$manifest"; }
size() { wc -c < "$1" | tr -d ' '; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }

printf '%-8s %-34s %10s %10s %10s\n' part file raw gzip brotli
total_br=0; total_gz=0; total_raw=0
for part in loader glue wasm; do
  f=$(field "$part")
  raw=$(size "$dist/$f"); gz=$(size "$dist/$f.gz"); br=$(size "$dist/$f.br")
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)); total_br=$((total_br + br))
  printf '%-8s %-34s %10s %10s %10s\n' "$part" "$f" "$(kb "$raw")" "$(kb "$gz")" "$(kb "$br")"
done
printf '%-8s %-34s %10s %10s %10s\n' total "" "$(kb "$total_raw")" "$(kb "$total_gz")" "$(kb "$total_br")"
echo "transferred (brotli): $total_br bytes"
