// Package testenv holds what the repository's tests repeat about their
// surroundings: building the programs once per test binary (Program,
// with Main in TestMain), a goroutine-safe buffer for a process's or a
// logger's output (LockedBuffer), polling until a condition holds within
// a bounded time (Poll), and the rule for a component a test needs but
// cannot find, such as PostgreSQL, stripe-mock, zbarimg or openssl
// (Missing, Getenv, LookPath): the test fails under CI (CI=true), where
// everything is installed, and is skipped on a laptop.
//
// It is imported only by tests and by test-helper packages (pgtest,
// wallettest).
//
// # Caveats
//
//   - Program needs TestMain to call Main, which removes the built
//     programs when the tests end; without it Program fails the test
//     rather than leave binaries behind in the temporary directory.
//   - Programs are built with CGO_ENABLED=0, as they are shipped, once
//     per test binary: a test sees the source as it was at its first
//     Program call.
package testenv
