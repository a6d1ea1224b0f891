#!/usr/bin/env bash
# npm run test:citus: installs Citus 13.2.2 from shared/citus (needs root), starts a coordinator
# (5433) and two workers (5434, 5435) on loopback unless one is running, then
#   1. a demo database: signpost migrate, citus distribute, seed, through the real CLI;
#   2. a test database copied from the migrated template and distributed;
# and runs test/citus/ (EXPLAIN routing checks on the demo) and the integration tests of referrals,
# caseload, social prescribing, outcomes and the directory against the coordinator, one file at a
# time. A cluster this script started is removed at the end; KEEP_CITUS=1 keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."

CITUS_HOME=${CITUS_HOME:-}
for candidate in "$CITUS_HOME" ../shared/citus /work/shared/citus; do
  if [ -n "$candidate" ] && [ -x "$candidate/cluster.sh" ]; then CITUS_HOME=$(cd "$candidate" && pwd); break; fi
done
[ -x "${CITUS_HOME:-}/cluster.sh" ] || { echo "Citus build not found: set CITUS_HOME to the shared/citus folder" >&2; exit 1; }

COORDINATOR=postgres://postgres@127.0.0.1:5433/postgres
export CITUS_DIR=${CITUS_DIR:-/tmp/citus-cluster}

if [ ! -e /usr/lib/postgresql/15/lib/citus.so ]; then
  bash "$CITUS_HOME/install.sh"
fi
started=0
if ! psql "$COORDINATOR" -Atqc 'SELECT 1' >/dev/null 2>&1; then
  bash "$CITUS_HOME/cluster.sh" start
  started=1
fi
cleanup() {
  if [ "$started" = 1 ] && [ -z "${KEEP_CITUS:-}" ]; then bash "$CITUS_HOME/cluster.sh" stop >/dev/null; fi
}
trap cleanup EXIT

# A database of its own on every node, with the extension and the nodes registered.
citus_database() {
  local name=$1
  for port in 5433 5434 5435; do
    psql -h 127.0.0.1 -p "$port" -U postgres -qAt -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
  done
  for port in 5434 5435; do psql -h 127.0.0.1 -p "$port" -U postgres -d "$name" -qAt -c 'CREATE EXTENSION citus'; done
  psql -h 127.0.0.1 -p 5433 -U postgres -d "$name" -qAt -c 'CREATE EXTENSION citus' \
    -c "SELECT citus_set_coordinator_host('127.0.0.1', 5433)" \
    -c "SELECT citus_add_node('127.0.0.1', 5434)" -c "SELECT citus_add_node('127.0.0.1', 5435)" >/dev/null
}

echo "=== demo database: migrate, distribute, seed ==="
citus_database signpost_citus_demo
export TEST_CITUS_DEMO_URL=postgres://postgres@127.0.0.1:5433/signpost_citus_demo
(
  export DATABASE_URL=$TEST_CITUS_DEMO_URL SIGNPOST_DEMO=true LOG_LEVEL=warn
  node bin/signpost.mjs migrate
  node bin/signpost.mjs citus distribute --shards 8
  node bin/signpost.mjs citus distribute   # a second run finds nothing to do
  node bin/signpost.mjs seed | sed -n 1p
)

echo "=== test database ==="
prepared=$(TEST_DATABASE_URL=$COORDINATOR node --import tsx test/support/prepare-templates.ts citus)
echo "$prepared"
export TEST_CITUS_DATABASE_URL=$(echo "$prepared" | sed -n 's/^Citus database: //p')
export TEST_PG_TEMPLATE=$(echo "$prepared" | sed -n 's/^PostgreSQL template: //p')
export TEST_DATABASE_URL=$COORDINATOR TEST_BACKEND=citus

files=(test/citus/*.test.ts
  test/referrals/life-cycle.test.ts test/referrals/referral-pages.test.ts
  test/social-prescriptions/social-prescriptions.test.ts test/social-prescriptions/provider-inbox.test.ts
  test/outcomes/service.test.ts test/directory/search.test.ts)
status=0
node --import tsx --test --test-reporter=spec --test-concurrency=1 --test-timeout=300000 "${files[@]}" || status=$?
for name in signpost_citus_demo "${TEST_CITUS_DATABASE_URL##*/}"; do
  for port in 5433 5434 5435; do psql -h 127.0.0.1 -p "$port" -U postgres -qAt -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" || true; done
done
exit $status
