#!/usr/bin/env bash
# `make test-replica` (ADR 20): a primary PostgreSQL cluster on port 5434 and a streaming standby of it on
# 5435, both under var/replica/ (initdb and pg_basebackup -R, run as the postgres user when we are root);
# the small demo migrated and seeded on the primary; once the standby has replayed it, the tests marked
# `replica` (echelon/core/tests/test_replica_e2e.py) with DATABASE_URL on the primary and
# DATABASE_REPLICA_URL on the standby. Both clusters are stopped and removed on the way out, whatever
# happened (and a run that was killed is cleaned up by the next one). Nothing touches the system cluster.
set -euo pipefail

PRIMARY_PORT=${REPLICA_PRIMARY_PORT:-5434}
STANDBY_PORT=${REPLICA_STANDBY_PORT:-5435}
DIR=${REPLICA_DIR:-$PWD/var/replica}
BIN=${REPLICA_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
VENV_BIN=${VENV_BIN:-.venv/bin}
DB=echelon_replica

if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "PostgreSQL's server programs were not found (Debian: apt-get install postgresql)" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }  # initdb refuses to run as root
else
  as_pg() { "$@"; }
fi

stop() {
  if [ -f "$1/postmaster.pid" ]; then as_pg "$BIN/pg_ctl" -D "$1" -m immediate -w stop >/dev/null 2>&1 || true; fi
}
cleanup() {
  stop "$DIR/standby"
  stop "$DIR/primary"
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup  # what a killed run left behind

psql_at() { "$BIN/psql" -X -q -At -h 127.0.0.1 -U postgres -p "$1" -d "${3:-postgres}" -c "$2"; }

start=$(date +%s)
mkdir -p "$DIR"
if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR"; fi

echo "== primary: initdb, port $PRIMARY_PORT"
as_pg "$BIN/initdb" -D "$DIR/primary" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
cat >>"$DIR/primary/postgresql.conf" <<EOF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 4
shared_buffers = 64MB
fsync = off                 # a throwaway cluster
synchronous_commit = off
autovacuum = off            # nothing of its own written while the tests watch the lag
EOF
as_pg "$BIN/pg_ctl" -D "$DIR/primary" -l "$DIR/primary.log" -w start >/dev/null

echo "== standby: pg_basebackup -R, port $STANDBY_PORT, hot_standby"
as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DIR/standby" -R -X stream -c fast
cat >>"$DIR/standby/postgresql.conf" <<EOF
port = $STANDBY_PORT
hot_standby = on
hot_standby_feedback = on
EOF
as_pg "$BIN/pg_ctl" -D "$DIR/standby" -l "$DIR/standby.log" -w start >/dev/null
test "$(psql_at "$STANDBY_PORT" 'SELECT pg_is_in_recovery()')" = t

export DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DB"
export DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:$STANDBY_PORT/$DB"
export REPLICA_PG_BIN="$BIN" REPLICA_DIR="$DIR"
psql_at "$PRIMARY_PORT" "CREATE DATABASE $DB"

echo "== the small demo on the primary"
step() { local t=$SECONDS; "$@" >/dev/null; echo "   $2: $((SECONDS - t)) s"; }
step "$VENV_BIN/echelon" migrate --noinput -v0
step "$VENV_BIN/echelon" seed_demo --scale small
step "$VENV_BIN/echelon" demo_campaign --no-history

echo "== waiting for the standby to replay it"
lsn=$(psql_at "$PRIMARY_PORT" 'SELECT pg_current_wal_lsn()')
for _ in $(seq 600); do
  [ "$(psql_at "$STANDBY_PORT" "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] && break
  sleep 0.1
done
test "$(psql_at "$STANDBY_PORT" "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t
echo "   caught up at $lsn ($(psql_at "$STANDBY_PORT" 'SELECT count(*) FROM orgs_unit' "$DB") units on the standby)"

echo "== the tests marked replica"
status=0
"$VENV_BIN/pytest" -q -p no:randomly -m replica echelon/core/tests/test_replica_e2e.py "$@" || status=$?
echo "== make test-replica: $(($(date +%s) - start)) s, pytest exit $status; removing both clusters"
exit $status
