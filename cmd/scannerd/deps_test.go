package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestScannerdDependencies keeps server-only libraries and this module's
// server packages out of the gate binary: it must stay small and
// cross-compile for a Raspberry Pi, and the gate shares with the server
// only the change log's vocabulary (package changelog) and the sync
// protocol.
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
	const module = "github.com/admitone/admitone/"
	for _, server := range []string{"catalog", "purchase", "account", "search", "payment", "wallet", "httpapi"} {
		for _, d := range deps {
			if d == module+server || strings.HasPrefix(d, module+server+"/") {
				t.Errorf("scannerd links the server package %s", d)
			}
		}
	}
}
