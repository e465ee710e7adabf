#!/usr/bin/env bash
# Starts stripe-mock on loopback for the payment tests and prints its URL
# and process id:
#
#   eval "$(bash .ci/stripe-mock.sh)"   # sets ADMITONE_TEST_STRIPE_MOCK
#                                       # and ADMITONE_STRIPE_MOCK_PID
#   go test ./payment/...
#   kill "$ADMITONE_STRIPE_MOCK_PID"
#
# It installs stripe-mock with `go install` if it is not on PATH or in
# $(go env GOPATH)/bin, starts it listening on 127.0.0.1 only, HTTP and
# HTTPS each on a port the system picks (so it never collides with
# anything), and waits until it answers an HTTP request. If the two
# variables are already set and that server still answers, it prints
# them again instead of starting another. Only the export lines go to
# stdout; progress goes to stderr, the server's log to a file named there.
set -euo pipefail
# Keep the real stdout on fd 3 for the export lines only. The server gets
# 3 closed: holding it open would keep "$(bash .ci/stripe-mock.sh)"
# waiting forever.
exec 3>&1 1>&2

version=v0.203.0
log() { printf 'stripe-mock.sh: %s\n' "$*"; }

# answers HOST:PORT: does an HTTP server answer there?
answers() {
  (
    exec 4<>"/dev/tcp/${1%:*}/${1##*:}" || exit 1
    printf 'GET /v1/charges HTTP/1.0\r\nHost: %s\r\nAuthorization: Bearer sk_test_123\r\n\r\n' "$1" >&4
    IFS= read -r -t 5 line <&4 || exit 1
    [[ $line == HTTP/* ]]
  ) 2>/dev/null
}

if [ -n "${ADMITONE_TEST_STRIPE_MOCK:-}" ] && [ -n "${ADMITONE_STRIPE_MOCK_PID:-}" ] &&
  kill -0 "$ADMITONE_STRIPE_MOCK_PID" 2>/dev/null && answers "${ADMITONE_TEST_STRIPE_MOCK#http://}"; then
  log "already running at $ADMITONE_TEST_STRIPE_MOCK (pid $ADMITONE_STRIPE_MOCK_PID)"
  printf 'export ADMITONE_TEST_STRIPE_MOCK=%s\nexport ADMITONE_STRIPE_MOCK_PID=%s\n' \
    "$ADMITONE_TEST_STRIPE_MOCK" "$ADMITONE_STRIPE_MOCK_PID" >&3
  exit 0
fi

gobin="$(go env GOBIN)"
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
if command -v stripe-mock >/dev/null; then
  bin="$(command -v stripe-mock)"
elif [ -x "$gobin/stripe-mock" ]; then
  bin="$gobin/stripe-mock"
else
  log "installing github.com/stripe/stripe-mock@$version"
  (cd / && go install "github.com/stripe/stripe-mock@$version") 3>&-
  bin="$gobin/stripe-mock"
fi
[ -x "$bin" ] || { log "no stripe-mock binary at $bin"; exit 1; }

logfile="$(mktemp "${TMPDIR:-/tmp}/admitone-stripe-mock.XXXXXX.log")"
log "starting $bin (log: $logfile)"
# Port-less addresses make the system pick free ports; the server logs
# the addresses it got.
"$bin" -http-addr 127.0.0.1: -https-addr 127.0.0.1: </dev/null >"$logfile" 2>&1 3>&- &
pid=$!

addr=""
for _ in $(seq 1 300); do
  if ! kill -0 "$pid" 2>/dev/null; then
    log "stripe-mock exited; its log:"
    cat "$logfile"
    exit 1
  fi
  if [ -z "$addr" ]; then
    addr="$(sed -n 's/^Listening for HTTP at address: //p' "$logfile" | head -n 1)"
  fi
  if [ -n "$addr" ] && answers "$addr"; then
    log "ready at http://$addr (pid $pid); stop it with: kill $pid"
    printf 'export ADMITONE_TEST_STRIPE_MOCK=http://%s\nexport ADMITONE_STRIPE_MOCK_PID=%s\n' "$addr" "$pid" >&3
    exit 0
  fi
  sleep 0.1
done
log "stripe-mock did not answer within 30 s; stopping it. Its log:"
cat "$logfile"
kill "$pid" 2>/dev/null || true
exit 1
