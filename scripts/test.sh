#!/usr/bin/env bash
# Runs every check and test: formatting, lints, the widget build, the native
# tests (shared crate, analysis with VADER's reference data, collector, end
# to end in headless Chromium) and the widget's component tests in
# headless Chromium. Installs what is missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# Every test runner's output also goes to this log, summed up at the end.
results=$(mktemp)
trap 'rm -f "$results"' EXIT

step "setup"
scripts/setup.sh

step "format"
cargo fmt --all --check

step "lints"
cargo clippy --workspace --exclude widget --all-targets -- -D warnings
cargo clippy -p widget --target wasm32-unknown-unknown --all-targets -- -D warnings

step "VADER reference data (pinned, checksummed)"
analysis/scripts/fetch-vader-ground-truth.sh
export VADER_DATA_DIR="$PWD/target/vader-data"

step "widget build"
scripts/build-widget.sh

step "widget size within its budget"
budget=$(cat widget/size-budget)
size=$(scripts/sizes.sh | sed -n 's/^transferred (brotli): \([0-9]*\) bytes$/\1/p')
echo "widget: $size bytes brotli (budget $budget)"
if [ -z "$size" ] || [ "$size" -gt "$budget" ]; then
  echo "the widget grew past widget/size-budget; cut it down, or raise the budget on purpose" >&2
  exit 1
fi

step "generated files match what is committed"
cargo run -q -p collector -- openapi > target/openapi.json
if ! diff -u collector/openapi.json target/openapi.json; then
  echo "collector/openapi.json is stale: run 'cargo run -p collector -- openapi > collector/openapi.json'" >&2
  exit 1
fi

step "native tests (survey, analysis, collector, end to end)"
cargo test --workspace --exclude widget 2>&1 | tee -a "$results"

step "the HTTP API fuzzed from its OpenAPI document (schemathesis)"
scripts/schemathesis.sh

step "widget logic tests (native)"
cargo test -p widget --lib 2>&1 | tee -a "$results"
# The shared crate as the widget builds it: without the analysis fields.
cargo test -p survey --no-default-features --lib 2>&1 | tee -a "$results"

step "widget component tests in headless Chromium"
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver} cargo test -p widget --target wasm32-unknown-unknown 2>&1 |
  tee -a "$results"

step "summary"
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "all: %d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$results"
