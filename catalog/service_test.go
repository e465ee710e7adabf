package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/id"
)

// wantField checks that err is a FieldError naming field that wraps
// ErrInvalid, with a message that names the field too.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want a FieldError for %q", field)
	}
	if !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("err = %v, does not wrap ErrInvalid", err)
	}
	fe, ok := errors.AsType[*catalog.FieldError](err)
	if !ok {
		t.Fatalf("err = %v (%T), not a *FieldError", err, err)
	}
	if fe.Field != field {
		t.Errorf("Field = %q, want %q (%v)", fe.Field, field, err)
	}
	if !strings.HasPrefix(fe.Message, field) {
		t.Errorf("Message = %q, does not start with the field %q", fe.Message, field)
	}
}

func TestCreateEventValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, err := f.svc.CreateOrg(ctx, catalog.Organization{Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	otherVenue, err := f.svc.CreateVenue(ctx, validVenue(other.ID))
	if err != nil {
		t.Fatal(err)
	}
	many := func(n int, s string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s%d", s, i)
		}
		return out
	}
	tests := []struct {
		name  string
		edit  func(e *catalog.Event)
		field string // "" means valid
	}{
		{"valid", func(e *catalog.Event) {}, ""},
		{"title at limit", func(e *catalog.Event) { e.Title = strings.Repeat("ü", 200) }, ""},
		{"description at limit", func(e *catalog.Event) { e.Description = strings.Repeat("d", 10_000) }, ""},
		{"20 tags of 40", func(e *catalog.Event) {
			e.Tags = many(20, strings.Repeat("t", 38))
		}, ""},
		{"10 images", func(e *catalog.Event) { e.Images = many(10, "https://img.example.com/") }, ""},
		{"no doors", func(e *catalog.Event) { e.DoorsAt = time.Time{} }, ""},
		{"doors at start", func(e *catalog.Event) { e.DoorsAt = e.StartsAt }, ""},
		{"category in capitals", func(e *catalog.Event) { e.Category = "Comedy" }, ""},

		{"title empty", func(e *catalog.Event) { e.Title = "  " }, "title"},
		{"title too long", func(e *catalog.Event) { e.Title = strings.Repeat("x", 201) }, "title"},
		{"title control character", func(e *catalog.Event) { e.Title = "a\x00b" }, "title"},
		{"title bad UTF-8", func(e *catalog.Event) { e.Title = "a\xffb" }, "title"},
		{"description too long", func(e *catalog.Event) { e.Description = strings.Repeat("d", 10_001) }, "description"},
		{"category unknown", func(e *catalog.Event) { e.Category = "opera" }, "category"},
		{"category empty", func(e *catalog.Event) { e.Category = "" }, "category"},
		{"21 tags", func(e *catalog.Event) { e.Tags = many(21, "t") }, "tags"},
		{"tag too long", func(e *catalog.Event) { e.Tags = []string{strings.Repeat("t", 41)} }, "tags"},
		{"tag empty", func(e *catalog.Event) { e.Tags = []string{"rock", " "} }, "tags"},
		{"11 images", func(e *catalog.Event) { e.Images = many(11, "https://img.example.com/") }, "images"},
		{"image http", func(e *catalog.Event) { e.Images = []string{"http://img.example.com/a.jpg"} }, "images"},
		{"image relative", func(e *catalog.Event) { e.Images = []string{"/a.jpg"} }, "images"},
		{"image with credentials", func(e *catalog.Event) { e.Images = []string{"https://u:p@img.example.com/a.jpg"} }, "images"},
		{"time zone empty", func(e *catalog.Event) { e.TimeZone = "" }, "time_zone"},
		{"time zone unknown", func(e *catalog.Event) { e.TimeZone = "Mars/Olympus_Mons" }, "time_zone"},
		{"time zone Local", func(e *catalog.Event) { e.TimeZone = "Local" }, "time_zone"},
		{"no start", func(e *catalog.Event) { e.StartsAt = time.Time{} }, "starts_at"},
		{"no end", func(e *catalog.Event) { e.EndsAt = time.Time{} }, "ends_at"},
		{"ends at start", func(e *catalog.Event) { e.EndsAt = e.StartsAt }, "ends_at"},
		{"ends before start", func(e *catalog.Event) { e.EndsAt = e.StartsAt.Add(-time.Hour) }, "ends_at"},
		{"doors after start", func(e *catalog.Event) { e.DoorsAt = e.StartsAt.Add(time.Minute) }, "doors_at"},
		{"venue unknown", func(e *catalog.Event) { e.VenueID = id.New("ven") }, "venue_id"},
		{"venue of another org", func(e *catalog.Event) { e.VenueID = otherVenue.ID }, "venue_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := f.validEvent()
			tt.edit(&e)
			got, err := f.svc.CreateEvent(ctx, e)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("CreateEvent: %v", err)
				}
				if got.Status != catalog.StatusDraft || got.Version < 1 || got.ID == "" {
					t.Errorf("created %+v", got)
				}
				if _, err := ticketcrypto.ParseEventID(got.ID); err != nil {
					t.Errorf("ID %q: %v", got.ID, err)
				}
				return
			}
			wantField(t, err, tt.field)
		})
	}
}

func TestCreateEventNormalizes(t *testing.T) {
	f := newFixture(t)
	e := f.validEvent()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	e.Title = "  Metallica  "
	e.Category = "Music"
	e.StartsAt = time.Date(2030, 6, 1, 20, 0, 0, 123456789, berlin)
	e.EndsAt = e.StartsAt.Add(3 * time.Hour)
	e.DoorsAt = time.Time{}
	tags := []string{" metal ", "rock"}
	e.Tags = tags
	got, err := f.svc.CreateEvent(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Metallica" || got.Category != "music" || got.Tags[0] != "metal" {
		t.Errorf("not normalized: %q %q %q", got.Title, got.Category, got.Tags)
	}
	if tags[0] != " metal " {
		t.Errorf("CreateEvent changed the caller's tags slice: %q", tags)
	}
	wantStart := time.Date(2030, 6, 1, 18, 0, 0, 0, time.UTC)
	if !got.StartsAt.Equal(wantStart) || got.StartsAt.Location() != time.UTC || !got.DoorsAt.Equal(wantStart) {
		t.Errorf("StartsAt, DoorsAt = %v, %v; want %v for both", got.StartsAt, got.DoorsAt, wantStart)
	}
}

func TestCreateVenueValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		edit  func(v *catalog.Venue)
		field string
	}{
		{"valid", func(v *catalog.Venue) {}, ""},
		{"lower-case country", func(v *catalog.Venue) { v.Country = "de" }, ""},
		{"poles and date line", func(v *catalog.Venue) { v.Lat, v.Lon = -90, 180 }, ""},
		{"name empty", func(v *catalog.Venue) { v.Name = "" }, "name"},
		{"city empty", func(v *catalog.Venue) { v.City = " " }, "city"},
		{"address too long", func(v *catalog.Venue) { v.Address = strings.Repeat("a", 501) }, "address"},
		{"country three letters", func(v *catalog.Venue) { v.Country = "DEU" }, "country"},
		{"country digit", func(v *catalog.Venue) { v.Country = "D1" }, "country"},
		{"country empty", func(v *catalog.Venue) { v.Country = "" }, "country"},
		{"lat too big", func(v *catalog.Venue) { v.Lat = 90.0001 }, "lat"},
		{"lat NaN", func(v *catalog.Venue) { v.Lat = math.NaN() }, "lat"},
		{"lon too small", func(v *catalog.Venue) { v.Lon = -180.5 }, "lon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := validVenue(f.org.ID)
			tt.edit(&v)
			got, err := f.svc.CreateVenue(ctx, v)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("CreateVenue: %v", err)
				}
				if got.Country != "DE" || !id.Valid(got.ID, "ven") {
					t.Errorf("created %+v", got)
				}
				return
			}
			wantField(t, err, tt.field)
		})
	}
	if _, err := f.svc.CreateVenue(ctx, validVenue(id.New("org"))); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("venue of unknown org: err = %v, want ErrNotFound", err)
	}
	if _, err := f.svc.CreateOrg(ctx, catalog.Organization{Name: ""}); err == nil {
		t.Error("CreateOrg without a name succeeded")
	} else {
		wantField(t, err, "name")
	}
}

func TestCreateTicketTypeValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e := f.createEvent(t)
	tests := []struct {
		name  string
		edit  func(tt *catalog.TicketType)
		field string
	}{
		{"valid", func(tt *catalog.TicketType) {}, ""},
		{"free", func(tt *catalog.TicketType) { tt.Price.Amount = 0 }, ""},
		{"price at MaxPrice", func(tt *catalog.TicketType) { tt.Price.Amount = catalog.MaxPrice }, ""},
		{"capacity at limit", func(tt *catalog.TicketType) { tt.Capacity = 10_000_000 }, ""},
		{"per order 1", func(tt *catalog.TicketType) { tt.PerOrderMax = 1 }, ""},
		{"per order 100", func(tt *catalog.TicketType) { tt.PerOrderMax = 100 }, ""},
		{"merchandise", func(tt *catalog.TicketType) { tt.Kind = catalog.KindMerchandise }, ""},
		{"kind defaults", func(tt *catalog.TicketType) { tt.Kind = "" }, ""},
		{"sale window", func(tt *catalog.TicketType) {
			tt.SaleStarts, tt.SaleEnds = t0, e.StartsAt
		}, ""},
		{"sale ends with the event", func(tt *catalog.TicketType) { tt.SaleEnds = e.EndsAt }, ""},

		{"name empty", func(tt *catalog.TicketType) { tt.Name = "" }, "name"},
		{"kind unknown", func(tt *catalog.TicketType) { tt.Kind = "vip" }, "kind"},
		{"price negative", func(tt *catalog.TicketType) { tt.Price.Amount = -1 }, "price"},
		{"price over MaxPrice", func(tt *catalog.TicketType) { tt.Price.Amount = catalog.MaxPrice + 1 }, "price"},
		{"price that wraps an order's total", func(tt *catalog.TicketType) { tt.Price.Amount = 1 << 62 }, "price"},
		{"currency lower case", func(tt *catalog.TicketType) { tt.Price.Currency = "eur" }, "currency"},
		{"currency four letters", func(tt *catalog.TicketType) { tt.Price.Currency = "EURO" }, "currency"},
		{"currency empty", func(tt *catalog.TicketType) { tt.Price.Currency = "" }, "currency"},
		{"capacity zero", func(tt *catalog.TicketType) { tt.Capacity = 0 }, "capacity"},
		{"capacity negative", func(tt *catalog.TicketType) { tt.Capacity = -5 }, "capacity"},
		{"capacity too big", func(tt *catalog.TicketType) { tt.Capacity = 10_000_001 }, "capacity"},
		{"per order zero", func(tt *catalog.TicketType) { tt.PerOrderMax = 0 }, "per_order_max"},
		{"per order 101", func(tt *catalog.TicketType) { tt.PerOrderMax = 101 }, "per_order_max"},
		{"sale ends before it starts", func(tt *catalog.TicketType) {
			tt.SaleStarts, tt.SaleEnds = t0.Add(time.Hour), t0
		}, "sale_ends"},
		{"sale ends at its start", func(tt *catalog.TicketType) {
			tt.SaleStarts, tt.SaleEnds = t0, t0
		}, "sale_ends"},
		{"sale ends after the event", func(tt *catalog.TicketType) { tt.SaleEnds = e.EndsAt.Add(time.Second) }, "sale_ends"},
		{"sale starts after the event", func(tt *catalog.TicketType) { tt.SaleStarts = e.EndsAt.Add(time.Hour) }, "sale_starts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tt := validTicketType(e.ID)
			tc.edit(&tt)
			got, err := f.svc.CreateTicketType(ctx, tt)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("CreateTicketType: %v", err)
				}
				if got.Number == 0 || !id.Valid(got.ID, "tt") || got.Kind == "" {
					t.Errorf("created %+v", got)
				}
				return
			}
			wantField(t, err, tc.field)
		})
	}

	t.Run("second currency", func(t *testing.T) {
		tt := validTicketType(e.ID)
		tt.Price.Currency = "USD"
		_, err := f.svc.CreateTicketType(ctx, tt)
		wantField(t, err, "currency")
	})
	t.Run("unknown event", func(t *testing.T) {
		_, err := f.svc.CreateTicketType(ctx, validTicketType(ticketcrypto.NewEventID().String()))
		if !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestTicketTypeNumbering(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.createEvent(t), f.createEvent(t)
	var got []uint16
	for _, ev := range []string{a.ID, a.ID, b.ID, a.ID, b.ID} {
		tt, err := f.svc.CreateTicketType(ctx, validTicketType(ev))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tt.Number)
	}
	if want := []uint16{1, 2, 1, 3, 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("numbers = %v, want %v", got, want)
	}
	tts, err := f.svc.TicketTypes(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tts {
		if int(tt.Number) != i+1 {
			t.Errorf("TicketTypes(a)[%d].Number = %d", i, tt.Number)
		}
	}
}

func TestStatusTransitions(t *testing.T) {
	ctx := context.Background()
	type step struct {
		op   string // publish, cancel, end, addtype, update, advance
		want catalog.Status
		err  error
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"publish needs a ticket type", []step{
			{"publish", "", catalog.ErrState},
			{"addtype", catalog.StatusDraft, nil},
			{"publish", catalog.StatusPublished, nil},
			{"publish", "", catalog.ErrState},
		}},
		{"publish needs a future start", []step{
			{"addtype", catalog.StatusDraft, nil},
			{"advance", "", nil},
			{"publish", "", catalog.ErrState},
			{"cancel", catalog.StatusCancelled, nil},
		}},
		{"cancel a draft", []step{
			{"cancel", catalog.StatusCancelled, nil},
			{"publish", "", catalog.ErrState},
			{"addtype", "", catalog.ErrState},
			{"update", "", catalog.ErrState},
			{"cancel", "", catalog.ErrState},
			{"end", "", catalog.ErrState},
		}},
		{"cancel a published event", []step{
			{"addtype", catalog.StatusDraft, nil},
			{"publish", catalog.StatusPublished, nil},
			{"update", catalog.StatusPublished, nil},
			{"addtype", catalog.StatusPublished, nil},
			{"cancel", catalog.StatusCancelled, nil},
			{"end", "", catalog.ErrState},
		}},
		{"end only after the start", []step{
			{"end", "", catalog.ErrState},
			{"addtype", catalog.StatusDraft, nil},
			{"publish", catalog.StatusPublished, nil},
			{"end", "", catalog.ErrState},
			{"advance", "", nil},
			{"end", catalog.StatusEnded, nil},
			{"cancel", "", catalog.ErrState},
			{"publish", "", catalog.ErrState},
			{"update", "", catalog.ErrState},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			e := f.createEvent(t)
			for i, s := range tt.steps {
				var err error
				var got catalog.Event
				switch s.op {
				case "publish":
					got, err = f.svc.Publish(ctx, e.ID)
				case "cancel":
					got, err = f.svc.Cancel(ctx, e.ID)
				case "end":
					got, err = f.svc.End(ctx, e.ID)
				case "update":
					title := fmt.Sprintf("Metallica %d", i)
					got, err = f.svc.UpdateEvent(ctx, e.ID, catalog.EventPatch{Title: &title})
				case "addtype":
					_, err = f.svc.CreateTicketType(ctx, validTicketType(e.ID))
					if err == nil {
						got, err = f.svc.Event(ctx, e.ID)
					}
				case "advance":
					f.clock.Advance(e.StartsAt.Sub(f.clock.Now()) + time.Minute)
					continue
				}
				if s.err != nil {
					if !errors.Is(err, s.err) {
						t.Fatalf("step %d %s: err = %v, want %v", i, s.op, err, s.err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d %s: %v", i, s.op, err)
				}
				if got.Status != s.want {
					t.Fatalf("step %d %s: status = %s, want %s", i, s.op, got.Status, s.want)
				}
				// What the service returned is what the store holds.
				stored, err := f.svc.Event(ctx, e.ID)
				if err != nil || stored.Status != s.want {
					t.Fatalf("step %d %s: stored status = %s (%v), want %s", i, s.op, stored.Status, err, s.want)
				}
			}
		})
	}
}

func TestUpdateEvent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	e := f.createEvent(t)

	title, desc := "Metallica: M72 World Tour", "Two nights, no repeats."
	f.clock.Advance(time.Hour)
	got, err := f.svc.UpdateEvent(ctx, e.ID, catalog.EventPatch{Title: &title, Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != title || got.Description != desc || got.Category != e.Category || got.Version <= e.Version {
		t.Errorf("after update: %+v", got)
	}
	if !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, t0.Add(time.Hour))
	}

	t.Run("invalid patch changes nothing", func(t *testing.T) {
		before, _ := f.svc.Event(ctx, e.ID)
		empty, badCat := "", "opera"
		tags := make([]string, 21)
		ends := before.StartsAt.Add(-time.Hour)
		for _, tc := range []struct {
			p     catalog.EventPatch
			field string
		}{
			{catalog.EventPatch{Title: &empty}, "title"},
			{catalog.EventPatch{Title: &title, Category: &badCat}, "category"},
			{catalog.EventPatch{Tags: &tags}, "tags"},
			{catalog.EventPatch{EndsAt: &ends}, "ends_at"},
		} {
			_, err := f.svc.UpdateEvent(ctx, e.ID, tc.p)
			wantField(t, err, tc.field)
		}
		after, _ := f.svc.Event(ctx, e.ID)
		if after.Version != before.Version || after.Title != before.Title {
			t.Errorf("a refused update changed the event: %+v -> %+v", before, after)
		}
	})

	t.Run("moving the start takes the doors along", func(t *testing.T) {
		before, err := f.svc.Event(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		start := before.StartsAt.Add(-24 * time.Hour)
		ends := start.Add(2 * time.Hour)
		u, err := f.svc.UpdateEvent(ctx, e.ID, catalog.EventPatch{StartsAt: &start, EndsAt: &ends})
		if err != nil {
			t.Fatal(err)
		}
		if want := start.Add(before.DoorsAt.Sub(before.StartsAt)); !u.DoorsAt.Equal(want) {
			t.Errorf("DoorsAt = %v, want %v (as far before the new start as before the old)", u.DoorsAt, want)
		}
		// A start moved with the doors in the patch leaves them where the
		// patch says.
		doors := start.Add(-3 * time.Hour)
		later := start.Add(time.Hour)
		u, err = f.svc.UpdateEvent(ctx, e.ID, catalog.EventPatch{StartsAt: &later, DoorsAt: &doors})
		if err != nil {
			t.Fatal(err)
		}
		if !u.DoorsAt.Equal(doors) {
			t.Errorf("DoorsAt = %v, want the patch's %v", u.DoorsAt, doors)
		}
	})

	t.Run("cannot end before a sale ends", func(t *testing.T) {
		cur, _ := f.svc.Event(ctx, e.ID)
		tt := validTicketType(e.ID)
		tt.SaleEnds = cur.EndsAt
		if _, err := f.svc.CreateTicketType(ctx, tt); err != nil {
			t.Fatal(err)
		}
		ends := cur.EndsAt.Add(-time.Minute)
		_, err := f.svc.UpdateEvent(ctx, e.ID, catalog.EventPatch{EndsAt: &ends})
		wantField(t, err, "ends_at")
	})

	t.Run("published start stays in the future", func(t *testing.T) {
		p := f.publishedEvent(t)
		past := t0.Add(-time.Hour)
		ends := t0.Add(time.Hour)
		_, err := f.svc.UpdateEvent(ctx, p.ID, catalog.EventPatch{StartsAt: &past, EndsAt: &ends})
		wantField(t, err, "starts_at")
	})

	t.Run("venue of another org", func(t *testing.T) {
		other, _ := f.svc.CreateOrg(ctx, catalog.Organization{Name: "Other"})
		ov, _ := f.svc.CreateVenue(ctx, validVenue(other.ID))
		_, err := f.svc.UpdateEvent(ctx, e.ID, catalog.EventPatch{VenueID: &ov.ID})
		wantField(t, err, "venue_id")
	})

	t.Run("unknown event", func(t *testing.T) {
		_, err := f.svc.UpdateEvent(ctx, ticketcrypto.NewEventID().String(), catalog.EventPatch{Title: &title})
		if !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestEventOrg(t *testing.T) {
	f := newFixture(t)
	e := f.createEvent(t)
	got, err := f.svc.EventOrg(context.Background(), e.ID)
	if err != nil || got != f.org.ID {
		t.Errorf("EventOrg = %q, %v; want %q", got, err, f.org.ID)
	}
	got, err = f.svc.VenueOrg(context.Background(), f.venue.ID)
	if err != nil || got != f.org.ID {
		t.Errorf("VenueOrg = %q, %v; want %q", got, err, f.org.ID)
	}
	if _, err := f.svc.EventOrg(context.Background(), ticketcrypto.NewEventID().String()); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("EventOrg(unknown): err = %v, want ErrNotFound", err)
	}
}

func TestIndexFollowsChanges(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	e := f.createEvent(t)
	f.addType(t, e.ID)
	if _, ok := f.index.doc(e.ID); ok {
		t.Fatal("a draft is in the index")
	}

	if _, err := f.svc.Publish(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	d, ok := f.index.doc(e.ID)
	if !ok || d.Event.Status != catalog.StatusPublished || len(d.Types) != 1 || d.Venue.ID != f.venue.ID {
		t.Fatalf("after publish: indexed %+v, %v", d, ok)
	}

	title := "Metallica, second night"
	if _, err := f.svc.UpdateEvent(ctx, e.ID, catalog.EventPatch{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.index.doc(e.ID); d.Event.Title != title {
		t.Errorf("after update: indexed title %q, want %q", d.Event.Title, title)
	}

	f.addType(t, e.ID)
	if d, _ := f.index.doc(e.ID); len(d.Types) != 2 {
		t.Errorf("after a new ticket type: indexed %d types, want 2", len(d.Types))
	}

	if _, err := f.svc.Cancel(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.index.doc(e.ID); ok {
		t.Error("a cancelled event is still in the index")
	}
}

// TestConcurrentChangesIndexLastState checks that concurrent updates leave
// the index with the store's final state, whatever order the re-indexes
// ran in.
func TestConcurrentChangesIndexLastState(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	e := f.publishedEvent(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			title := fmt.Sprintf("Metallica %d", i)
			if _, err := f.svc.UpdateEvent(ctx, e.ID, catalog.EventPatch{Title: &title}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	stored, _ := f.svc.Event(ctx, e.ID)
	d, _ := f.index.doc(e.ID)
	if d.Event.Title != stored.Title || d.Event.Version != stored.Version {
		t.Errorf("index has %q v%d, store has %q v%d", d.Event.Title, d.Event.Version, stored.Title, stored.Version)
	}
}
