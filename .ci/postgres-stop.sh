#!/usr/bin/env bash
# Stops the cluster .ci/postgres.sh started, found by the pid file in its
# data directory ($ADMITONE_PG_DIR, default /tmp/admitone-pg). With
# --remove it also deletes the cluster's files. Stopping a cluster that is
# not running is not an error.
set -euo pipefail

dir="${ADMITONE_PG_DIR:-/tmp/admitone-pg}"
data="$dir/data"
log() { printf 'postgres-stop.sh: %s\n' "$*" >&2; }
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi

if $SUDO test -f "$data/postmaster.pid"; then
  pid="$($SUDO head -n 1 "$data/postmaster.pid")"
  if $SUDO kill -0 "$pid" 2>/dev/null; then
    log "stopping postgres (pid $pid)"
    # SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions,
    # checkpoint, exit.
    $SUDO kill -INT "$pid"
    for _ in $(seq 1 600); do
      $SUDO kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if $SUDO kill -0 "$pid" 2>/dev/null; then
      log "postgres (pid $pid) still running after 60s"
      exit 1
    fi
  else
    log "pid $pid from $data/postmaster.pid is not running"
  fi
else
  log "no cluster running in $data"
fi

if [ "${1:-}" = "--remove" ]; then
  log "removing $dir"
  $SUDO rm -rf "$dir"
fi
