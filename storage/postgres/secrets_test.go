package postgres

import (
	"testing"

	"github.com/admitone/admitone/issuer"
	"github.com/admitone/admitone/storage/storetest"
)

func TestSecrets(t *testing.T) {
	storetest.RunSecrets(t, func(t *testing.T) issuer.SecretStore { return openTest(t) })
}
