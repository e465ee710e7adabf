package bolt

import (
	"testing"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/storetest"
	ticketsync "github.com/admitone/admitone/sync"
)

func TestSyncStore(t *testing.T) {
	storetest.RunSync(t, func(t *testing.T) (ticketsync.Store, purchase.Store, catalog.Store) {
		db := openTest(t)
		return db, db, db
	})
}
