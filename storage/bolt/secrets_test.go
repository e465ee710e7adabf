package bolt

import (
	"testing"

	"github.com/admitone/admitone/storage/storetest"
	"github.com/admitone/admitone/vault"
)

func TestSecrets(t *testing.T) {
	storetest.RunSecrets(t, func(t *testing.T) vault.SecretStore { return openTest(t) })
}

func TestSecretsReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutSecret(t.Context(), "rotation/ev_1", []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestIn(t, dir)
	got, err := db.Secrets(t.Context(), "rotation/")
	if err != nil || string(got["rotation/ev_1"]) != "sealed" || len(got) != 1 {
		t.Errorf("Secrets after reopening = %q, %v", got, err)
	}
}
