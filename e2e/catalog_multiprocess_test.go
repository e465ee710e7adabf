package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/storage/postgres/pgtest"
)

// TestCatalogAcrossServers: two syncserver processes on one PostgreSQL.
// An event published through the first is found by the second's search,
// and a title changed through the first is on the second's event page,
// at once rather than after a restart (search) or the page cache's
// minute: the servers tell each other of catalog changes over
// LISTEN/NOTIFY (catalog.Bus).
func TestCatalogAcrossServers(t *testing.T) {
	needBinaries(t)
	dsn := pgtest.FreshSchema(t) // skips without PostgreSQL; fails under CI=true
	t.Parallel()
	dir1, dir2 := t.TempDir(), t.TempDir()
	s1 := startServer(t, dir1, dsn, "127.0.0.1:0")
	key, err := os.ReadFile(filepath.Join(dir1, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir2, "seal.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := startServer(t, dir2, dsn, "127.0.0.1:0")

	// The second server reads the (still empty) search first, so a stale
	// copy would show.
	var found struct {
		Total  int `json:"total"`
		Events []struct {
			Event struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			} `json:"event"`
		} `json:"events"`
	}
	call(t, "GET", s2.url+"/v1/events?q=Sync", "", nil, http.StatusOK, &found)
	if found.Total != 0 {
		t.Fatalf("search on server 2 before any event: %+v", found)
	}
	ev := setupEvent(t, s1.url, 0) // "Gate Sync Night", published through server 1
	searched, ok := testenv.Poll(5*time.Second, 20*time.Millisecond, func() bool {
		call(t, "GET", s2.url+"/v1/events?q=Sync", "", nil, http.StatusOK, &found)
		return found.Total == 1 && found.Events[0].Event.ID == ev.id
	})
	if !ok {
		t.Fatalf("server 2's search never found the event published through server 1: %+v", found)
	}
	t.Logf("server 2's search found the event %v after it was published through server 1", searched.Round(time.Millisecond))

	var page struct {
		Event struct {
			Title string `json:"title"`
		} `json:"event"`
	}
	call(t, "GET", s2.url+"/v1/events/"+ev.id, "", nil, http.StatusOK, &page) // now cached at server 2
	call(t, "PATCH", s1.url+"/v1/events/"+ev.id, ev.organizer, map[string]any{"title": "Gate Sync Night (late show)"}, http.StatusOK, nil)
	took, ok := testenv.Poll(5*time.Second, 20*time.Millisecond, func() bool {
		call(t, "GET", s2.url+"/v1/events/"+ev.id, "", nil, http.StatusOK, &page)
		return page.Event.Title == "Gate Sync Night (late show)"
	})
	if !ok {
		t.Fatalf("server 2 still shows %q after the title changed through server 1", page.Event.Title)
	}
	t.Logf("server 2's event page showed the new title %v after the change through server 1", took.Round(time.Millisecond))
	call(t, "GET", s2.url+"/v1/events?q=late", "", nil, http.StatusOK, &found)
	if found.Total != 1 {
		t.Errorf("server 2's search for the new title: %+v", found)
	}
}
