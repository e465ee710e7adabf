package postgres

import (
	"testing"

	"github.com/admitone/admitone/storage/storetest"
	"github.com/admitone/admitone/vault"
)

func TestSecrets(t *testing.T) {
	storetest.RunSecrets(t, func(t *testing.T) vault.SecretStore { return openTest(t) })
}
