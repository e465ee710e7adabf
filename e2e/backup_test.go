package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	accountstore "github.com/admitone/admitone/account"
	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/storage/bolt"
	"github.com/admitone/admitone/storage/storetest"
	ticketsync "github.com/admitone/admitone/sync"
)

// TestBackupDuringSale takes `syncserver backup` through the running
// server's admin socket while buyers purchase through HTTP, restores it
// with `syncserver restore` into a new data directory, and checks the
// restored store: its sold counter equals the tickets of its live
// orders, and the storetest conformance suites pass on copies of it.
func TestBackupDuringSale(t *testing.T) {
	needBinaries(t)
	bin := testenv.Program(t, "syncserver")
	dataDir := t.TempDir()
	srv := startServer(t, dataDir, "", "127.0.0.1:0")
	e := setupEvent(t, srv.url, 10)

	// Buyers purchase (hold, order, pay one ticket) until stopped, at
	// most 2,000 purchases and 60 s.
	ctx, stop := context.WithTimeout(t.Context(), 60*time.Second)
	defer stop()
	var bought atomic.Int64
	var wg gosync.WaitGroup
	for b := range 8 {
		token := account(t, srv.url, "sale-buyer-"+string(rune('a'+b))+"@example.com")
		wg.Go(func() {
			for ctx.Err() == nil && bought.Load() < 2000 {
				var hold, ord struct{ ID string }
				if st, raw, err := send("POST", srv.url+"/v1/holds", token, map[string]any{"event_id": e.id,
					"lines": []map[string]any{{"ticket_type_id": e.typeID, "quantity": 1}}}); err != nil || st != http.StatusCreated {
					if ctx.Err() == nil {
						t.Errorf("hold: %d %s %v", st, raw, err)
					}
					return
				} else if err := jsonInto(raw, &hold); err != nil {
					t.Error(err)
					return
				}
				st, raw, err := send("POST", srv.url+"/v1/orders", token, map[string]any{"hold_id": hold.ID})
				if err != nil || st != http.StatusCreated || jsonInto(raw, &ord) != nil {
					t.Errorf("order: %d %s %v", st, raw, err)
					return
				}
				if st, raw, err := send("POST", srv.url+"/v1/orders/"+ord.ID+"/pay", token, map[string]any{"test_card": "4242424242424242"}); err != nil || st != http.StatusOK {
					t.Errorf("pay: %d %s %v", st, raw, err)
					return
				}
				bought.Add(1)
			}
		})
	}
	testenv.Poll(30*time.Second, 10*time.Millisecond, func() bool { return bought.Load() >= 50 })
	backupFile := filepath.Join(t.TempDir(), "admitone.backup")
	out, err := exec.Command(bin, "backup", "--data-dir", dataDir, "--out", backupFile).CombinedOutput()
	atBackup := bought.Load()
	if err != nil || !strings.Contains(string(out), "checked") {
		t.Fatalf("syncserver backup: %v\n%s", err, out)
	}
	t.Logf("%s(%d purchases done when it returned)", out, atBackup)
	time.Sleep(200 * time.Millisecond) // purchases go on after the backup
	stop()
	wg.Wait()
	if bought.Load() <= atBackup {
		t.Errorf("no purchase after the backup (%d at the backup, %d in all): the sale was not running", atBackup, bought.Load())
	}
	srv.stopClean(t, 30*time.Second)

	// A backup is refused over an existing file, and restore refuses a
	// file that is not a store.
	if out, err := exec.Command(bin, "backup", "--data-dir", dataDir, "--out", backupFile).CombinedOutput(); err == nil {
		t.Errorf("a second backup over %s succeeded: %s", backupFile, out)
	}
	junk := filepath.Join(t.TempDir(), "junk")
	os.WriteFile(junk, []byte("not a store"), 0o600)
	if out, err := exec.Command(bin, "restore", "--data-dir", t.TempDir(), "--from", junk).CombinedOutput(); err == nil || !strings.Contains(string(out), "not a store file") {
		t.Errorf("restore of a junk file: %v\n%s", err, out)
	}

	restored := t.TempDir()
	if out, err := exec.Command(bin, "restore", "--data-dir", restored, "--from", backupFile).CombinedOutput(); err != nil {
		t.Fatalf("syncserver restore: %v\n%s", err, out)
	}
	db, err := bolt.Open(restored)
	if err != nil {
		t.Fatal(err)
	}
	sold, held, err := db.Counts(t.Context(), e.typeID)
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for after := ""; ; {
		page, err := db.OrdersOfEvent(t.Context(), e.id, after, purchase.MaxOrdersPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			after = o.ID
			if o.Status == purchase.StatusPaid || o.Status == purchase.StatusPendingPayment {
				for _, l := range o.Lines {
					live += l.Quantity
				}
			}
		}
		if len(page) < purchase.MaxOrdersPage {
			break
		}
	}
	t.Logf("restored store: %d sold, %d held; %d tickets in live orders", sold, held, live)
	if sold != live || held < 0 || held > 8 {
		t.Errorf("restored counters: %d sold, %d held; live orders hold %d tickets and at most 8 holds were active", sold, held, live)
	}
	if live < 10+50 {
		t.Errorf("the backup has %d tickets sold; the sale had sold at least %d before it", live, 10+50)
	}
	// The holds and unpaid orders in flight at the backup end as the
	// server's expiry would end them, so the suites' store-wide sweeps
	// count only their own.
	if _, err := db.ExpireHolds(t.Context(), time.Now().Add(100*365*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// The conformance suites on copies of the restored store.
	openCopy := func(t *testing.T) *bolt.DB {
		dir := t.TempDir()
		copyFileT(t, filepath.Join(restored, bolt.File), filepath.Join(dir, bolt.File))
		db, err := bolt.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	storetest.RunAccount(t, func(t *testing.T) accountstore.Store { return openCopy(t) })
	storetest.RunCatalog(t, func(t *testing.T) catalog.Store { return openCopy(t) })
	storetest.RunPurchase(t, func(t *testing.T) (purchase.Store, catalog.Store) { db := openCopy(t); return db, db })
	storetest.RunSync(t, func(t *testing.T) (ticketsync.Store, purchase.Store, catalog.Store) {
		db := openCopy(t)
		return db, db, db
	})
}

func copyFileT(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func jsonInto(raw []byte, v any) error { return json.Unmarshal(raw, v) }
