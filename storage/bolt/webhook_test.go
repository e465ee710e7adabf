package bolt

import (
	"testing"

	"github.com/admitone/admitone/storage/storetest"
)

func TestWebhook(t *testing.T) {
	storetest.RunWebhook(t, func(t *testing.T) storetest.WebhookStore { return openTest(t) })
}
