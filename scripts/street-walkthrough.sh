#!/usr/bin/env bash
# The street walk-through of the README, run for real on this machine: a
# collector on 127.0.0.1 with a fresh data folder and the bot checks on,
# as deployed. It prints the poster for a site, reads its QR code back
# with zbarimg, answers the street form from that address in headless
# Chromium with JavaScript on and with it off, finds the answers under
# their site, ward, cluster and sector with their channel, then opens the
# form and leaves after one answer, and reads the view and the drop-off
# in the funnel. Needs the widget built (scripts/build-widget.sh) and the
# npm tools (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p collector
bin=${CARGO_TARGET_DIR:-target}/debug/collector
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
port=${WALK_PORT:-18491}
base=http://127.0.0.1:$port
show() { printf '\n\033[1m%s\033[0m\n' "$*"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

show "0. An analyst token (server stopped), then the collector"
analyst=$("$bin" token create --data "$work/data" --role analyst 2>/dev/null | tail -n1)
"$bin" serve --data "$work/data" --forms examples/forms --addr "127.0.0.1:$port" \
  --public-url "$base" --retention-interval-secs 0 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
auth=(-H "authorization: Bearer $analyst")

show "1. The poster for Liverpool Street station, printed to PDF"
curl -sf "${auth[@]}" "$base/api/v1/forms/street-feedback/poster?loc=liverpool-street" >"$work/poster.html"
chromium --headless=new --no-sandbox --disable-gpu --no-pdf-header-footer \
  --print-to-pdf="$work/poster.pdf" "file://$work/poster.html" 2>/dev/null
python3 - "$work/poster.pdf" <<'PY'
import re, sys
pdf = open(sys.argv[1], "rb").read()
pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
box = re.search(rb"/MediaBox\s*\[([^\]]*)\]", pdf).group(1).decode().split()
print(f"poster.pdf: {pages} page, MediaBox {' '.join(box)} (A4 is 595 x 842 pt)")
PY
python3 - "$work/poster.html" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
typed = re.search(r'<p class="url[^"]*"[^>]*>(.*?)</p>', html, re.S)
print("typed address on the poster:", re.sub(r"<[^>]+>", "", typed.group(1)) if typed else "?")
PY

show "2. Its QR code, read back by an independent decoder (zbarimg)"
curl -sf "${auth[@]}" "$base/api/v1/forms/street-feedback/qr?loc=liverpool-street&format=png" >"$work/qr.png"
url=$(zbarimg --raw -q "$work/qr.png" 2>/dev/null)
echo "decoded: $url"

show "3. Answered from that address: with JavaScript (the widget takes over), then without"
node tests/browser/walk-street.mjs "$url" answer-js answer-nojs

show "4. The answers under their site, ward, cluster and sector, with their channel"
for by in site ward cluster sector channel; do
  curl -sf "${auth[@]}" "$base/api/v1/forms/street-feedback/aggregates?by=$by&question=feel_safe_now" |
    json "print('by=$by:', ', '.join(f\"{s['group'][0]} {s['n']}\" for s in d['summaries']))"
done
curl -sf "${auth[@]}" "$base/api/v1/forms/street-feedback/responses" |
  python3 -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(r['received_at'], r['location'], r['channel'], r['lang'], json.dumps(r['answers']), json.dumps(r.get('place')))"

show "5. Opened, one answer, then left without sending: the funnel"
node tests/browser/walk-street.mjs "$url" leave
sleep 1.5
curl -sf "${auth[@]}" "$base/api/v1/forms/street-feedback/funnel?by=ward" | python3 -c "
import json, sys
d = json.load(sys.stdin)
def line(name, f):
    lo, hi = f.get('completion_ci_low'), f.get('completion_ci_high')
    ci = f' (95% CI {lo:.2f} to {hi:.2f})' if lo is not None else ''
    rate = f.get('completion_rate')
    rate = f'{rate:.2f}' if rate is not None else '-'
    stops = ', '.join(f\"{s['question']} {s['count']}\" for s in f['stopped_at']) or 'none'
    print(f\"{name}: views {f['views']}, starts {f['starts']}, completions {f['completions']}, completion rate {rate}{ci}; stopped at: {stops}\")
line('overall', d['overall'])
for g in d['groups']:
    line('ward ' + g['group'], g)
"
