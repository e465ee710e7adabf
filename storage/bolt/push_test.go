package bolt

import (
	"testing"

	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/storage/storetest"
)

func TestNotify(t *testing.T) {
	storetest.RunNotify(t, func(t *testing.T) notify.Store { return openTest(t) })
}
