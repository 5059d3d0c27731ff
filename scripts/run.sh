#!/usr/bin/env bash
# Builds the widget and runs the collector with the example forms on an
# embedded sled database in ./data. Extra arguments go to `collector serve`
# (e.g. --addr 0.0.0.0:8080). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-widget.sh
exec cargo run --release -p collector -- serve "$@"
