#!/usr/bin/env bash
# npm run test:replica: a PostgreSQL 15 primary (127.0.0.1:5440) and a hot standby streaming from
# it (127.0.0.1:5441), made with Debian's initdb and pg_basebackup under $REPLICA_DIR (default
# /tmp/signpost-replica); the demo is loaded on the primary, then test/db/replica.test.ts runs the
# app on both URLs. Never touches the server on 5432. As root the servers run as the postgres user.
#   scripts/replica-test.sh               set up, test, remove
#   scripts/replica-test.sh start         set up and leave running (prints both URLs)
#   scripts/replica-test.sh stop-standby  stop the standby (the test uses this)
#   scripts/replica-test.sh stop          stop both and remove $REPLICA_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
REPLICA_DIR=${REPLICA_DIR:-/tmp/signpost-replica}
PRIMARY_PORT=5440
STANDBY_PORT=5441
export PRIMARY_URL=postgres://postgres@127.0.0.1:$PRIMARY_PORT/signpost
export STANDBY_URL=postgres://postgres@127.0.0.1:$STANDBY_PORT/signpost

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_server() {
  local data=$1
  if [ -d "$data" ] && as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
  fi
}

stop_all() {
  stop_server "$REPLICA_DIR/standby"
  stop_server "$REPLICA_DIR/primary"
  case "$REPLICA_DIR" in /tmp/?*) rm -rf "$REPLICA_DIR" ;; *) echo "not removing $REPLICA_DIR" >&2 ;; esac
}

start_all() {
  [ ! -e "$REPLICA_DIR" ] || { echo "$REPLICA_DIR exists: run $0 stop first" >&2; exit 1; }
  mkdir -p "$REPLICA_DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$REPLICA_DIR"; fi
  chmod 700 "$REPLICA_DIR"
  as_owner "$PGBIN/initdb" -D "$REPLICA_DIR/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$REPLICA_DIR/initdb.log"
  cat >>"$REPLICA_DIR/primary/postgresql.conf" <<CONF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$REPLICA_DIR'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
CONF
  as_owner "$PGBIN/pg_ctl" -D "$REPLICA_DIR/primary" -l "$REPLICA_DIR/primary.log" -w -t 60 start >/dev/null
  # -R writes standby.signal and primary_conninfo; -X stream copies the WAL written meanwhile.
  as_owner "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$REPLICA_DIR/standby" -R -X stream
  echo "port = $STANDBY_PORT" | as_owner tee -a "$REPLICA_DIR/standby/postgresql.conf" >/dev/null
  as_owner "$PGBIN/pg_ctl" -D "$REPLICA_DIR/standby" -l "$REPLICA_DIR/standby.log" -w -t 60 start >/dev/null
  psql "postgres://postgres@127.0.0.1:$PRIMARY_PORT/postgres" -qAt -c 'CREATE DATABASE signpost'
  echo "primary: $PRIMARY_URL"
  echo "standby: $STANDBY_URL"
}

case "${1:-test}" in
  start) start_all ;;
  stop) stop_all ;;
  stop-standby) stop_server "$REPLICA_DIR/standby" ;;
  test)
    trap stop_all EXIT
    start_all
    DATABASE_URL=$PRIMARY_URL SIGNPOST_DEMO=true LOG_LEVEL=warn node bin/signpost.mjs seed | sed -n 1p
    psql "$STANDBY_URL" -qAt -c "SELECT 'standby in recovery: ' || pg_is_in_recovery()"
    TEST_REPLICA_PRIMARY_URL=$PRIMARY_URL TEST_REPLICA_STANDBY_URL=$STANDBY_URL \
      node --import tsx --test --test-reporter=spec --test-concurrency=1 test/db/replica.test.ts
    ;;
  *) echo "usage: $0 [test|start|stop|stop-standby]" >&2; exit 2 ;;
esac
