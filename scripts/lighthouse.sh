#!/usr/bin/env bash
# Runs Lighthouse (mobile preset, simulated throttling) over the hosted survey
# pages and a partner page that embeds the widget, and prints a Markdown table
# of the four category scores and the vitals (tests/browser/lighthouse.mjs).
#
#   scripts/lighthouse.sh [--runs N] [--check]
#
# Builds the widget and the collector (release), starts the collector on a
# free 127.0.0.1 port with a temporary data folder and the example forms,
# serves examples/ on another port as the partner's origin, and stops both
# when done. Extra arguments go to lighthouse.mjs. Lighthouse's figures
# depend on how busy the CPU is: run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

log() { printf '\033[1m[lighthouse]\033[0m %s\n' "$*" >&2; }

scripts/setup.sh
scripts/build-widget.sh
log "cargo build --release -p collector"
cargo build --release -p collector
collector=${CARGO_TARGET_DIR:-$root/target}/release/collector

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

work=$(mktemp -d)
collector_pid=
partner_pid=
stop() {
  for pid in $partner_pid $collector_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM

collector_port=$(free_port)
partner_port=$(free_port)
while [ "$partner_port" = "$collector_port" ]; do partner_port=$(free_port); done
origin=http://127.0.0.1:$collector_port
partner=http://127.0.0.1:$partner_port

# The partner page loads the widget from the collector's usual address
# (127.0.0.1:8080); the copy served here loads it from this run's collector.
mkdir -p "$work/examples" "$work/data"
cp -R examples/. "$work/examples/"
sed -i "s#http://127.0.0.1:8080/widget.js#$origin/widget.js#" "$work/examples/partner-page.html"

log "collector on $origin, partner page on $partner"
"$collector" serve --addr "127.0.0.1:$collector_port" --data "$work/data" --forms examples/forms \
  --dist "${DIST:-$root/dist}" --rate-limit 0 --allowed-origins "$partner" 2>"$work/collector.log" &
collector_pid=$!
python3 -m http.server "$partner_port" --bind 127.0.0.1 --directory "$work/examples" \
  >/dev/null 2>&1 &
partner_pid=$!

ready() { curl -fs -o /dev/null "$1"; }
for _ in $(seq 100); do
  ready "$origin/healthz" && ready "$partner/partner-page.html" && break
  if ! kill -0 "$collector_pid" 2>/dev/null; then
    cat "$work/collector.log" >&2
    log "the collector did not start"
    exit 1
  fi
  sleep 0.1
done
ready "$origin/healthz" && ready "$partner/partner-page.html" || {
  cat "$work/collector.log" >&2
  log "the collector or the partner page did not answer"
  exit 1
}

log "load before: $(uptime)"
status=0
CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium} \
  node tests/browser/lighthouse.mjs "$origin" --partner "$partner/partner-page.html" "$@" || status=$?
log "load after: $(uptime)"
exit "$status"
