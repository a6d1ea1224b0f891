#!/usr/bin/env bash
# npm run test:balanced: two `signpost serve` processes (127.0.0.1:3801 and :3802) sharing one
# PostgreSQL database and nothing else, behind HAProxy on 127.0.0.1:3900 (deploy/haproxy.cfg), then
# test/deploy/balanced.test.ts through the balancer. Only the second process runs the job worker,
# so a job queued by a request to the first is done by the second. Installs haproxy with apt-get
# when missing (root). The database is created on TEST_DATABASE_URL's server and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export BALANCER_PORT=3900 APP1_PORT=3801 APP2_PORT=3802
WORK=$(mktemp -d /tmp/signpost-balanced.XXXXXX)
NAME=signpost_balanced_$$
DATABASE_URL=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$SERVER_URL" "$NAME")
pids=()

command -v haproxy >/dev/null || apt-get install -y haproxy >/dev/null

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql "$SERVER_URL" -qAt -c "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$SERVER_URL" -qAt -c "CREATE DATABASE $NAME"
DATABASE_URL=$DATABASE_URL SIGNPOST_DEMO=true LOG_LEVEL=warn node bin/signpost.mjs seed | sed -n 1p

export DATABASE_URL SIGNPOST_DEMO=false LOG_LEVEL=warn BASE_URL=http://127.0.0.1:$BALANCER_PORT
export SESSION_SECRET=${SESSION_SECRET:-balanced-test-secret-shared-by-both-processes}
PORT=$APP1_PORT SIGNPOST_WORKER=false node bin/signpost.mjs serve >"$WORK/app1.log" 2>&1 & pids+=($!)
PORT=$APP2_PORT SIGNPOST_WORKER=true node bin/signpost.mjs serve >"$WORK/app2.log" 2>&1 & pids+=($!)
envsubst < deploy/haproxy.cfg > "$WORK/haproxy.cfg"
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 & pids+=($!)

for port in $APP1_PORT $APP2_PORT; do
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
done
# Both servers up in HAProxy's eyes: a few requests see both names.
for _ in $(seq 1 40); do
  seen=$(for _ in 1 2 3 4; do curl -fsI "http://127.0.0.1:$BALANCER_PORT/health/live" | tr -d '\r' | sed -n "s/^x-signpost-server: //Ip" || true; done | sort -u | wc -l)
  [ "$seen" = 2 ] && break; sleep 0.5
done

status=0
TEST_BALANCED_URL=http://127.0.0.1:$BALANCER_PORT TEST_BALANCED_APP1_URL=http://127.0.0.1:$APP1_PORT TEST_BALANCED_DATABASE_URL=$DATABASE_URL \
  node --import tsx --test --test-reporter=spec --test-concurrency=1 test/deploy/balanced.test.ts || status=$?
if [ $status -ne 0 ]; then tail -20 "$WORK/app1.log" "$WORK/app2.log" "$WORK/haproxy.log"; fi
exit $status
