package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestScannerdDependencies keeps server-only libraries out of the gate
// binary: it must stay small and cross-compile for a Raspberry Pi.
func TestScannerdDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 || !slices.Contains(deps, "go.etcd.io/bbolt") {
		t.Fatalf("go list -deps looks wrong (%d packages)", len(deps))
	}
	for _, banned := range []string{"github.com/jackc/pgx", "github.com/blevesearch/bleve", "github.com/stripe/stripe-go"} {
		for _, d := range deps {
			if strings.HasPrefix(d, banned) {
				t.Errorf("scannerd links %s", d)
			}
		}
	}
}
