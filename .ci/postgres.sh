#!/usr/bin/env bash
# Starts a PostgreSQL cluster of our own for the tests and prints the DSN:
#
#   eval "$(bash .ci/postgres.sh)"     # sets ADMITONE_TEST_POSTGRES
#   ...                                 # go test ./...
#   bash .ci/postgres-stop.sh
#
# On a bare Debian machine it installs the `postgresql` package if missing,
# then creates (once) and starts a cluster in $ADMITONE_PG_DIR (default
# /tmp/admitone-pg) listening on 127.0.0.1 only, on the first free port from
# $ADMITONE_PG_PORT (default 55432), with role `admitone` and database
# `admitone_test`. Durability settings stay at their defaults (fsync on),
# because benchmarks run against this cluster too. Running it again while
# the cluster is up prints the same DSN. Only the export line goes to
# stdout; progress goes to stderr.
set -euo pipefail
# Keep the real stdout on fd 3 for the export line only. Everything this
# script starts gets 3 closed: a server holding it open would keep
# "$(bash .ci/postgres.sh)" waiting forever.
exec 3>&1 1>&2

dir="${ADMITONE_PG_DIR:-/tmp/admitone-pg}"
port="${ADMITONE_PG_PORT:-55432}"
data="$dir/data"  # owned by postgres: initdb insists
run="$dir/run"    # owned by postgres: socket and server log
pwfile="$dir/password"

log() { printf 'postgres.sh: %s\n' "$*"; }
if [ "$(id -u)" = 0 ]; then
  SUDO=""
  as_postgres() { (cd / && runuser -u postgres -- "$@" 3>&-); }
else
  SUDO="sudo"
  as_postgres() { (cd / && sudo -u postgres -- "$@" 3>&-); }
fi

find_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bindir="$(find_bindir)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  log "installing the postgresql package"
  $SUDO apt-get update -q 3>&-
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q postgresql 3>&-
  bindir="$(find_bindir)"
fi
[ -x "$bindir/pg_ctl" ] || { log "no pg_ctl under /usr/lib/postgresql/*/bin"; exit 1; }

$SUDO mkdir -p "$dir"
$SUDO chmod 755 "$dir"
if [ ! -s "$pwfile" ]; then
  od -An -tx1 -N16 /dev/urandom | tr -d ' \n' | $SUDO tee "$pwfile" >/dev/null
  $SUDO chmod 600 "$pwfile"
fi
password="$($SUDO cat "$pwfile")"

if [ ! -f "$data/PG_VERSION" ]; then
  log "initdb $data ($bindir)"
  $SUDO install -d -o postgres -g postgres -m 700 "$data"
  as_postgres "$bindir/initdb" -D "$data" -U postgres --encoding=UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
fi
$SUDO install -d -o postgres -g postgres -m 755 "$run"

psql_admin() {
  as_postgres "$bindir/psql" -h "$run" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

if as_postgres "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  port="$(as_postgres head -n 4 "$data/postmaster.pid" | sed -n 4p)"
  log "cluster already running on 127.0.0.1:$port"
else
  port_in_use() { (exec 4<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  while port_in_use "$port"; do port=$((port + 1)); done
  log "starting cluster on 127.0.0.1:$port"
  as_postgres "$bindir/pg_ctl" -D "$data" -l "$run/postgres.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$run -c fsync=on -c synchronous_commit=on -c max_connections=200" >/dev/null
fi

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'admitone'")" != 1 ]; then
  psql_admin -c "CREATE ROLE admitone LOGIN PASSWORD '$password'"
else
  psql_admin -c "ALTER ROLE admitone PASSWORD '$password'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'admitone_test'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE admitone_test OWNER admitone"
fi

log "ready; stop it with: bash .ci/postgres-stop.sh"
echo "export ADMITONE_TEST_POSTGRES='postgres://admitone:$password@127.0.0.1:$port/admitone_test?sslmode=disable'" >&3
