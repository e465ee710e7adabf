// Package e2e runs syncserver and scannerd as real processes and checks
// gate sync end to end: the binaries are built once per test run, each
// process gets its own data directory and a loopback port, and the tests
// talk to them only as their users do, over HTTP (the server's API, the
// gate's local API) and through the processes' logs.
//
// Between a gate and the server a test may put a fault proxy (a TCP
// proxy in the tests) that resets connections, refuses or black-holes new
// ones, or delays every chunk, and it may SIGKILL the server and restart
// it on the same data. Whatever happens on the way, every check-in a gate
// accepted must reach the server exactly once and the gate's outbox must
// empty.
//
// Purchases meet the real server here too: TestCrashIdempotency SIGKILLs
// it with keyed holds and orders in flight and checks every retry's
// answer and the store, and TestFlashSale, the flash-sale benchmark of
// BENCHMARKS.md, runs only when ADMITONE_FLASHSALE is set.
//
// The organizer's desk meets a real gate here: TestDeskLiveDashboard
// drives the desk's pages in Chromium (internal/browsertest) from sign-in
// to a live dashboard that follows a purchase and a scannerd check-in
// without a reload, and TestDeskCheckinDelay times a check-in at the gate
// to the dashboard's live figure (BENCHMARKS.md), also across two
// servers of one PostgreSQL database.
//
// Scaling out meets a real proxy here: TestScaleOutBehindNginx puts
// Debian's nginx, configured as docs/operations.md shows, in front of
// three servers of one PostgreSQL database, with two gates on different
// servers, clients at loopback addresses of their own (so the login
// limits see them, not nginx) and 500 buyers racing for 100 tickets.
//
// The package holds tests only; `go test ./e2e/` runs them. The binaries
// are built by internal/testenv, with CGO_ENABLED=0, at the first test
// that needs them.
//
// # Caveats
//
// The tests need the go command (to build the binaries) and loopback
// networking; TestFlashSale, TestCrashIdempotency and
// TestScaleOutBehindNginx need Linux. TestMultiProcess,
// TestDeskCheckinDelay and TestScaleOutBehindNginx need PostgreSQL
// (ADMITONE_TEST_POSTGRES, see storage/postgres/pgtest), and
// TestScaleOutBehindNginx nginx (on PATH or /usr/sbin): each is skipped
// without them on a laptop and fails without them when CI=true. With
// -short every test is skipped and nothing is built, except TestFlashSale
// when ADMITONE_FLASHSALE asks for it (its gating is that variable alone).
//
// Delays (how long a check-in took to reach another gate, how long a
// gate took to catch up after a fault) are logged with t.Logf, never
// asserted: they depend on the machine. The one exception is the
// product's promise that a check-in reaches the gates of other servers
// within one second, which TestScaleOutBehindNginx asserts. Waits are
// bounded generously instead, so a broken sync fails in seconds rather
// than hanging.
package e2e
