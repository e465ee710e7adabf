package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// StripeMockEnv names the variable holding the URL of the stripe-mock
// that .ci/stripe-mock.sh started.
const StripeMockEnv = "ADMITONE_TEST_STRIPE_MOCK"

// CI reports whether the tests run in CI (CI=true), where every component
// a test needs is installed and a missing one is a failure.
func CI() bool { return os.Getenv("CI") == "true" }

// Missing ends a test that lacks a component it needs: it fails the test
// under CI and skips it elsewhere. The message says what is missing and
// how to get it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Getenv returns the value of the environment variable name; when it is
// unset or empty, the test is Missing it, and how says how to set it.
func Getenv(t testing.TB, name, how string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Missing(t, "%s is not set: %s", name, how)
	}
	return v
}

// LookPath returns the path of program on PATH; when it is not there, the
// test is Missing it, and debianPackage names the package that installs
// it.
func LookPath(t testing.TB, program, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		Missing(t, "%s not found (install Debian package %s): %v", program, debianPackage, err)
	}
	return p
}

// StripeMock returns the URL of the test stripe-mock (StripeMockEnv), or
// the test is Missing it.
func StripeMock(t testing.TB) string {
	t.Helper()
	return Getenv(t, StripeMockEnv, `start one with eval "$(bash .ci/stripe-mock.sh)"`)
}
