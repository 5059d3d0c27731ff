#!/usr/bin/env bash
# Fuzzes the collector's HTTP API from its own OpenAPI document with
# schemathesis (pinned, installed by scripts/setup.sh): every route, with
# an admin token, valid and invalid inputs and stateful sequences. Fails on
# any 5xx, any status, content type, header or body the document does not
# describe. A fixed seed and a bounded number of examples per route in the
# normal run; ST_SEED=random ST_MAX_EXAMPLES=500 for a longer one.
#
# Not checked: that every schema-valid request is accepted (cross-field
# rules the schema cannot say, such as a supervisor token needing a team,
# or a webhook URL that must resolve to a public address, answer 400 or
# 422), and that every schema-violating one is refused (unknown query
# parameters are ignored by design). The live alert feed is left out: a
# stream does not end, so each case would wait out the timeout; its own
# integration tests (collector/tests/alert_stream.rs) cover it.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
st=$target/schemathesis-venv/bin/schemathesis
[ -x "$st" ] || { echo "schemathesis is missing: run scripts/setup.sh" >&2; exit 1; }
cargo build -q -p collector
bin=$target/debug/collector
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
admin=$("$bin" token create --data "$work/data" --role admin 2>/dev/null | tail -n1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --data "$work/data" --forms examples/forms --addr "127.0.0.1:$port" \
  --rate-limit 0 --global-rate-limit 0 --bot-checks off --retention-interval-secs 0 2>"$work/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
seed=${ST_SEED:-1}
seed_args=(--seed "$seed")
[ "$seed" = random ] && seed_args=()
"$st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  -H "Authorization: Bearer $admin" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --exclude-path /api/v1/alerts/stream \
  --max-examples "${ST_MAX_EXAMPLES:-15}" "${seed_args[@]}" --request-timeout 5 --no-color
if grep -q '"level":"ERROR"\|ERROR' "$work/server.log"; then
  echo "the collector logged errors under schemathesis:" >&2
  grep 'ERROR' "$work/server.log" | head -20 >&2
  exit 1
fi
