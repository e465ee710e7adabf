package catalog_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testclock"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/storage/bolt"
)

// t0 is the tests' "now".
var t0 = time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)

// countingStore counts the reads an event page needs, to tell cache hits
// from misses.
type countingStore struct {
	catalog.Store
	mu    sync.Mutex
	reads int
}

func (s *countingStore) Event(ctx context.Context, id string) (catalog.Event, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.Store.Event(ctx, id)
}

func (s *countingStore) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// recordingIndex is a catalog.Indexer that keeps what it was told.
type recordingIndex struct {
	mu   sync.Mutex
	docs map[string]indexed
	log  []string // "upsert <id>" or "delete <id>"
}

type indexed struct {
	Event catalog.Event
	Venue catalog.Venue
	Types []catalog.TicketType
}

func newRecordingIndex() *recordingIndex { return &recordingIndex{docs: map[string]indexed{}} }

func (x *recordingIndex) Upsert(e catalog.Event, v catalog.Venue, tts []catalog.TicketType) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.docs[e.ID] = indexed{e, v, slices.Clone(tts)}
	x.log = append(x.log, "upsert "+e.ID)
	return nil
}

func (x *recordingIndex) Delete(id string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.docs, id)
	x.log = append(x.log, "delete "+id)
	return nil
}

func (x *recordingIndex) doc(id string) (indexed, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d, ok := x.docs[id]
	return d, ok
}

// fixture is a service over a fresh store with one organization and venue.
type fixture struct {
	svc   *catalog.Service
	store *countingStore
	index *recordingIndex
	clock *testclock.Clock
	org   catalog.Organization
	venue catalog.Venue
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		store: &countingStore{Store: newStore(t)},
		index: newRecordingIndex(),
		clock: testclock.New(t0),
	}
	f.svc = &catalog.Service{Store: f.store, Now: f.clock.Now, Index: f.index, Cache: catalog.NewCache(100)}
	ctx := context.Background()
	var err error
	if f.org, err = f.svc.CreateOrg(ctx, catalog.Organization{Name: "Tempo Konzerte"}); err != nil {
		t.Fatal(err)
	}
	if f.venue, err = f.svc.CreateVenue(ctx, validVenue(f.org.ID)); err != nil {
		t.Fatal(err)
	}
	return f
}

// newStore returns the store the tests run against: storage/bolt in a
// temporary directory.
func newStore(t *testing.T) catalog.Store {
	t.Helper()
	db, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func validVenue(orgID string) catalog.Venue {
	return catalog.Venue{
		OrgID: orgID, Name: "Columbiahalle", Address: "Columbiadamm 13-21",
		City: "Berlin", Country: "DE", Lat: 52.4846, Lon: 13.3906,
	}
}

func (f *fixture) validEvent() catalog.Event {
	return catalog.Event{
		OrgID: f.org.ID, VenueID: f.venue.ID,
		Title: "Metallica", Description: "Heavy metal concert.",
		Category: "music", Tags: []string{"metal", "rock"},
		Images:   []string{"https://img.example.com/a.jpg"},
		TimeZone: "Europe/Berlin",
		StartsAt: t0.Add(30 * 24 * time.Hour), EndsAt: t0.Add(30*24*time.Hour + 3*time.Hour),
		DoorsAt: t0.Add(30*24*time.Hour - time.Hour),
	}
}

func validTicketType(eventID string) catalog.TicketType {
	return catalog.TicketType{
		EventID: eventID, Name: "Standing", Kind: catalog.KindAdmission,
		Price: catalog.Money{Amount: 8950, Currency: "EUR"}, Capacity: 5000, PerOrderMax: 10,
	}
}

func (f *fixture) createEvent(t *testing.T) catalog.Event {
	t.Helper()
	e, err := f.svc.CreateEvent(context.Background(), f.validEvent())
	if err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	return e
}

func (f *fixture) addType(t *testing.T, eventID string) catalog.TicketType {
	t.Helper()
	tt, err := f.svc.CreateTicketType(context.Background(), validTicketType(eventID))
	if err != nil {
		t.Fatalf("CreateTicketType: %v", err)
	}
	return tt
}

// publishedEvent returns a published event with one ticket type.
func (f *fixture) publishedEvent(t *testing.T) catalog.Event {
	t.Helper()
	e := f.createEvent(t)
	f.addType(t, e.ID)
	e, err := f.svc.Publish(context.Background(), e.ID)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return e
}
