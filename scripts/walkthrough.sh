#!/usr/bin/env bash
# The service-recovery walk-through of the README, run for real on this
# machine: a collector on 127.0.0.1 with a fresh data folder, a webhook
# receiver and a live-feed client beside it. It uploads a batch of
# invitations, answers one as a dissatisfied victim from its link, measures
# how long the alert takes to reach the receiver and the live feed, works
# the case to a close as the team's supervisor, and reads the team's
# response rate and satisfied share for the week.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p collector
bin=${CARGO_TARGET_DIR:-target}/debug/collector
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
port=${WALK_PORT:-18471}
hookport=$((port + 1))
base=http://127.0.0.1:$port
show() { printf '\n\033[1m%s\033[0m\n' "$*"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

show "0. An admin token (server stopped), then the collector"
admin=$("$bin" token create --data "$work/data" --role admin 2>/dev/null | tail -n1)
# curl answers in the victim's place here: it solves no proof of work and
# does not wait on the page as a person's browser does, so with the bot
# checks on its answer would be kept aside as a bot's and raise no alert.
"$bin" serve --data "$work/data" --forms examples/forms --addr "127.0.0.1:$port" \
  --allow-private-webhooks --retention-interval-secs 0 --bot-checks off 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
auth=(-H "authorization: Bearer $admin")

show "1. A webhook for the East team's alerts, and a receiver that checks its signature"
hook=$(curl -sf "${auth[@]}" -H 'content-type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$hookport/alerts\",\"forms\":[\"victim-satisfaction\"],\"teams\":[\"east\"]}" \
  "$base/api/v1/hooks")
echo "$hook" | json 'print("hook", d["id"], "secret", d["secret"][:10] + "…")'
secret=$(echo "$hook" | json 'print(d["secret"])')
python3 -u scripts/webhook-receiver.py "$hookport" "$secret" >"$work/hook.log" &
pids+=($!)

show "2. East's supervisor, and their live feed"
sgt=$(curl -sf "${auth[@]}" -H 'content-type: application/json' \
  -d '{"role":"supervisor","label":"Sgt Okafor, East response","teams":["east"]}' \
  "$base/api/v1/tokens" | json 'print(d["token"])')
python3 -u - "$base/api/v1/alerts/stream" "$sgt" >"$work/feed.log" <<'PY' &
import sys, time, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
with urllib.request.urlopen(req) as stream:
    for line in stream:
        line = line.decode().rstrip("\n")
        if line.startswith(("id:", "data:")):
            print(int(time.time() * 1000), line, flush=True)
PY
pids+=($!)
sleep 0.5

show "3. A batch of invitations (CSV): one link per row"
curl -sf "${auth[@]}" -H 'content-type: text/csv' --data-binary @- \
  "$base/api/v1/forms/victim-satisfaction/invitations?expires_days=28" >"$work/links.json" <<'CSV'
team,category,reported_via,reported_on
east,burglary,phone,2026-11-27
east,theft-from-person,online,2026-11-28
east,burglary,in-person,2026-11-29
west,vehicle-crime,phone,2026-11-28
CSV
json 'print("\n".join(i["url"] for i in d))' <"$work/links.json"
key=$(json 'print(d[0]["url"].split("?i=")[1])' <"$work/links.json")
key2=$(json 'print(d[1]["url"].split("?i=")[1])' <"$work/links.json")

show "4. The first victim opens the link and answers, dissatisfied, asking for a call back"
curl -sf -o /dev/null -w 'page: %{http_code}\n' "$base/f/victim-satisfaction?i=$key"
sent=$(python3 -c 'import time; print(int(time.time()*1000))')
curl -sf -H 'content-type: application/json' -w '\n' "$base/api/v1/forms/victim-satisfaction/responses" -d @- <<JSON
{"submission_id":"$(python3 -c 'import uuid; print(uuid.uuid4())')","invitation":"$key","channel":"link",
 "answers":{"overall_service":5,"treatment":4,"kept_informed":5,
  "experience_comment":"Nobody has told me anything since I reported the burglary",
  "callback_consent":true,"crime_reference":"CL-0042-2026","callback_contact":"07700 900461 after 6pm"}}
JSON
# A second victim answers too, satisfied (no alert).
curl -sf -o /dev/null -H 'content-type: application/json' "$base/api/v1/forms/victim-satisfaction/responses" \
  -d "{\"submission_id\":\"$(python3 -c 'import uuid; print(uuid.uuid4())')\",\"invitation\":\"$key2\",\"answers\":{\"overall_service\":1,\"treatment\":1}}"
# The first link again: already answered.
curl -s -o /dev/null -w 'the same link again: %{http_code}\n' "$base/f/victim-satisfaction?i=$key"

show "5. The alert reaches the receiver and the live feed"
for _ in $(seq 100); do [ -s "$work/hook.log" ] && grep -q data: "$work/feed.log" && break; sleep 0.05; done
python3 - "$sent" "$work/hook.log" "$work/feed.log" <<'PY'
import json, sys
sent = int(sys.argv[1])
hook = json.loads(open(sys.argv[2]).readline())
feed = next(l for l in open(sys.argv[3]) if " data:" in l)
print(f"webhook: {hook['arrived_ms'] - sent} ms after the answer was sent; signature verified: {hook['verified']}")
print("  body:", json.dumps(hook["body"]["data"] if "data" in hook["body"] else hook["body"]))
print(f"live feed: {int(feed.split()[0]) - sent} ms after the answer was sent")
PY

show "6. East's supervisor works the case"
case_id=$(curl -sf -H "authorization: Bearer $sgt" "$base/api/v1/cases" | json 'print(d[0]["id"])')
curl -sf -H "authorization: Bearer $sgt" "$base/api/v1/cases/$case_id" |
  json 'print("case", d["id"], d["state"], d["rules"], "call back:", d["personal"]["callback_contact"])'
for change in '{"state":"acknowledged","note":"Calling tonight"}' \
              '{"state":"contacted","outcome":"reached","note":"Apologised; OIC to update weekly"}' \
              '{"state":"resolved","note":"Victim updated; satisfied with the plan"}'; do
  curl -sf -X PATCH -H "authorization: Bearer $sgt" -H 'content-type: application/json' -d "$change" \
    "$base/api/v1/cases/$case_id" | json 'print(d["state"], "after", d["hours_to_acknowledge"], "h to acknowledge;", "call-back details:", "erased" if "personal" not in d else "kept")'
done
curl -sf -H "authorization: Bearer $sgt" "$base/api/v1/cases/report?form=victim-satisfaction" |
  json 'print("contacted within 2 working days:", d["contacted_in_2_working_days"], "of", d["cases"])'

show "7. East's response rate and satisfied share this week"
curl -sf -H "authorization: Bearer $sgt" "$base/api/v1/forms/victim-satisfaction/invitations/summary?by=team" |
  json 'print("\n".join("{group}: sent {sent}, opened {opened}, answered {answered}".format(**r) + " ({:.0%})".format(r["response_rate"]) for r in d))'
curl -sf -H "authorization: Bearer $sgt" \
  "$base/api/v1/forms/victim-satisfaction/aggregates?question=overall_service&by=team,week" >"$work/agg.json"
python3 - "$work/agg.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["summaries"]:
    shown = {k: v for k, v in s.items() if k in ("group", "question", "n", "mean", "satisfied", "satisfied_share", "satisfied_ci_low", "satisfied_ci_high")}
    print(json.dumps(shown))
PY
