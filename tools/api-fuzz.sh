#!/usr/bin/env bash
# Schemathesis against the operator API of a running release build, on a fresh SQLite
# database: every operation of /api/v1/openapi.json, positive and negative cases, with a token
# that holds every scope; checks for no server error and answers that match the document.
# Used by `make test-api` (part of `make test`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${API_FUZZ_BIN:-$ROOT/target/release/active-sessions}"
PORT="${API_FUZZ_PORT:-3300}"
WORK="$(mktemp -d)"
export DATABASE_URL="sqlite://$WORK/fuzz.db"
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT"
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export MAIL_OUTBOX="$WORK/outbox"
export API_RATE_LIMIT=1000000
export SIGNUP_MAX_PER_IP=1000
export RUST_LOG=warn
"$BIN" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 200); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
# Something to find: an account with two sessions.
for ua in "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"; do
  curl -fs -o /dev/null -A "$ua" -H "Origin: http://127.0.0.1:$PORT" -H 'Sec-Fetch-Site: same-origin' \
    --data-urlencode "email=fuzz@example.com" --data-urlencode "password=correct horse battery staple" \
    "http://127.0.0.1:$PORT/api/$([ -f "$WORK/signed-up" ] && echo login || echo signup)"
  touch "$WORK/signed-up"
done
TOKEN="$("$BIN" api-token create --name schemathesis --scope sessions:read --scope sessions:write --scope events:read | tail -n 1)"
"$ROOT/.venv/bin/schemathesis" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  --url "http://127.0.0.1:$PORT" \
  --header "Authorization: Bearer $TOKEN" \
  --checks all \
  --max-examples "${API_FUZZ_EXAMPLES:-40}" \
  --seed "${API_FUZZ_SEED:-20261207}" \
  --no-color "$@"
if grep -q 'panicked' "$WORK/server.log"; then
  echo "the server panicked during the run:" >&2
  grep -A5 'panicked' "$WORK/server.log" >&2
  exit 1
fi
