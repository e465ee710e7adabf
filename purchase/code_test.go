package purchase_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/internal/errkind"
	"github.com/admitone/admitone/purchase"
	"github.com/admitone/admitone/voucher"
)

// withCodes gives the shop's service codes over its store, and a hidden
// "Guest list" type of its event.
func (s *shop) withCodes(t *testing.T) (*voucher.Service, catalog.TicketType) {
	t.Helper()
	vs := &voucher.Service{Store: s.store, Catalog: s.catalog, Now: s.clock.Now,
		Used: func(ctx context.Context, codeID string) (int, error) {
			sold, held, err := s.store.Counts(ctx, purchase.CodeKey(codeID))
			return sold + held, err
		}}
	s.svc.Codes = vs
	guest, err := s.catalog.CreateTicketType(t.Context(), catalog.TicketType{EventID: s.event.ID, Name: "Guest list",
		Price: catalog.Money{Amount: 1000, Currency: "EUR"}, Capacity: 50, PerOrderMax: 4, Hidden: true})
	must(t, err)
	return vs, guest
}

func TestHiddenTypeNeedsAccessCode(t *testing.T) {
	s := newShop(t)
	ctx := t.Context()
	vs, guest := s.withCodes(t)
	access, err := vs.Create(ctx, voucher.Code{EventID: s.event.ID, Code: "guests", Kind: voucher.KindAccess,
		TicketTypeIDs: []string{guest.ID}, MaxUses: 3, ValidUntil: t0.Add(time.Hour)})
	must(t, err)
	_, err = vs.Create(ctx, voucher.Code{EventID: s.event.ID, Code: "save10", Kind: voucher.KindDiscount, PercentOff: 10})
	must(t, err)
	line := []purchase.Line{{TicketTypeID: guest.ID, Quantity: 2}}

	for _, tt := range []struct {
		name, code string
		want       error
	}{
		{"no code", "", purchase.ErrCodeRequired},
		{"a discount code", "SAVE10", purchase.ErrCodeRequired},
		{"an unknown code", "GUESTS2", voucher.ErrCodeNotValid},
		{"a malformed code", "g u e s t s", voucher.ErrCodeNotValid},
	} {
		if _, err := s.svc.CreateHoldWithCode(ctx, buyer, s.event.ID, line, tt.code); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	h, err := s.svc.CreateHoldWithCode(ctx, buyer, s.event.ID, line, " Guests ")
	must(t, err)
	if h.Code == nil || h.Code.ID != access.ID || h.Code.Uses != 2 {
		t.Fatalf("the hold redeems %+v, want 2 uses of %s", h.Code, access.ID)
	}
	if _, err := s.svc.CreateHoldWithCode(ctx, "usr_000000000000000000000b02", s.event.ID, line, "guests"); !errors.Is(err, purchase.ErrCodeUsedUp) {
		t.Errorf("two more uses of a code with one left: %v", err)
	}
	must(t, s.svc.ReleaseHold(ctx, h.ID, buyer))
	list, err := vs.List(ctx, s.event.ID)
	must(t, err)
	for _, l := range list {
		if l.ID == access.ID && (l.Used != 0 || l.UsesLeft == nil || *l.UsesLeft != 3) {
			t.Errorf("after the release the code has %d used, %v left; want 0 and 3", l.Used, l.UsesLeft)
		}
	}
	s.clock.Advance(time.Hour)
	if _, err := s.svc.CreateHoldWithCode(ctx, buyer, s.event.ID, line, "guests"); !errors.Is(err, voucher.ErrCodeNotValid) {
		t.Errorf("a code past its validity: %v", err)
	}
}

func TestDiscountOnOrder(t *testing.T) {
	s := newShop(t)
	ctx := t.Context()
	vs, _ := s.withCodes(t)
	_, err := vs.Create(ctx, voucher.Code{EventID: s.event.ID, Code: "seated-15", Kind: voucher.KindDiscount, PercentOff: 15,
		TicketTypeIDs: []string{s.seated.ID}})
	must(t, err)
	_, err = vs.Create(ctx, voucher.Code{EventID: s.event.ID, Code: "free-all", Kind: voucher.KindDiscount, AmountOff: catalog.MaxPrice})
	must(t, err)

	lines := []purchase.Line{{TicketTypeID: s.seated.ID, Quantity: 3}, {TicketTypeID: s.standing.ID, Quantity: 1}}
	h, err := s.svc.CreateHoldWithCode(ctx, buyer, s.event.ID, lines, "SEATED-15")
	must(t, err)
	if h.Code.Uses != 3 {
		t.Errorf("the hold takes %d uses, want 3 (the seated tickets)", h.Code.Uses)
	}
	o, err := s.svc.Checkout(ctx, h.ID, buyer)
	must(t, err)
	// 15% of 80.00 is 12.00 per seat: 36.00 off 3 × 80.00 + 50.00.
	if o.Discount != (catalog.Money{Amount: 3600, Currency: "EUR"}) || o.Total.Amount != 29000-3600 {
		t.Errorf("order discount %+v, total %+v; want 36.00 off 290.00", o.Discount, o.Total)
	}
	stored, err := s.store.Order(ctx, o.ID)
	must(t, err)
	if stored.Discount != o.Discount || stored.Total != o.Total || stored.Code.ID != o.Code.ID {
		t.Errorf("stored order %+v differs from %+v", stored, o)
	}

	// An amount off is at most the price: the order is free, and paid
	// without the provider.
	h, err = s.svc.CreateHoldWithCode(ctx, "usr_000000000000000000000b02", s.event.ID,
		[]purchase.Line{{TicketTypeID: s.standing.ID, Quantity: 2}}, "free-all")
	must(t, err)
	o, err = s.svc.Checkout(ctx, h.ID, "usr_000000000000000000000b02")
	must(t, err)
	if o.Total.Amount != 0 || o.Discount.Amount != 10000 || !o.Free() {
		t.Errorf("a 100%% discount: total %d, discount %d, free %v", o.Total.Amount, o.Discount.Amount, o.Free())
	}
}

func TestCreateCodeInvalid(t *testing.T) {
	s := newShop(t)
	vs, guest := s.withCodes(t)
	for _, tt := range []struct {
		name  string
		c     voucher.Code
		field string
	}{
		{"short text", voucher.Code{Code: "abcde", Kind: voucher.KindDiscount, PercentOff: 5}, "code"},
		{"no kind", voucher.Code{Code: "abcdef", PercentOff: 5}, "kind"},
		{"access without types", voucher.Code{Code: "abcdef", Kind: voucher.KindAccess}, "ticket_type_ids"},
		{"access to a visible type", voucher.Code{Code: "abcdef", Kind: voucher.KindAccess, TicketTypeIDs: []string{s.standing.ID}}, "ticket_type_ids[0]"},
		{"access with a discount", voucher.Code{Code: "abcdef", Kind: voucher.KindAccess, TicketTypeIDs: []string{guest.ID}, PercentOff: 5}, "kind"},
		{"both reductions", voucher.Code{Code: "abcdef", Kind: voucher.KindDiscount, PercentOff: 5, AmountOff: 5}, "percent_off"},
		{"no reduction", voucher.Code{Code: "abcdef", Kind: voucher.KindDiscount}, "percent_off"},
		{"over 100%", voucher.Code{Code: "abcdef", Kind: voucher.KindDiscount, PercentOff: 101}, "percent_off"},
		{"another event's type", voucher.Code{Code: "abcdef", Kind: voucher.KindDiscount, PercentOff: 5, TicketTypeIDs: []string{s.other.ID}}, "ticket_type_ids[0]"},
		{"a type twice", voucher.Code{Code: "abcdef", Kind: voucher.KindDiscount, PercentOff: 5, TicketTypeIDs: []string{s.seated.ID, s.seated.ID}}, "ticket_type_ids[1]"},
		{"negative uses", voucher.Code{Code: "abcdef", Kind: voucher.KindDiscount, PercentOff: 5, MaxUses: -1}, "max_uses"},
		{"window backwards", voucher.Code{Code: "abcdef", Kind: voucher.KindDiscount, PercentOff: 5, ValidFrom: t0, ValidUntil: t0}, "valid_until"},
	} {
		tt.c.EventID = s.event.ID
		_, err := vs.Create(t.Context(), tt.c)
		var fe *catalog.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: %v, want a field error on %s", tt.name, err, tt.field)
		}
	}
	must(t, func() error {
		_, err := vs.Create(t.Context(), voucher.Code{EventID: s.event.ID, Code: "dup-one", Kind: voucher.KindDiscount, PercentOff: 5})
		return err
	}())
	if _, err := vs.Create(t.Context(), voucher.Code{EventID: s.event.ID, Code: "DUP-ONE", Kind: voucher.KindDiscount, PercentOff: 9}); !errors.Is(err, voucher.ErrExists) {
		t.Errorf("a code differing only in case: %v, want ErrExists", err)
	}
}

func TestUnlockCodeLimited(t *testing.T) {
	s := newShop(t)
	ctx := t.Context()
	vs, guest := s.withCodes(t)
	_, err := vs.Create(ctx, voucher.Code{EventID: s.event.ID, Code: "guests", Kind: voucher.KindAccess, TicketTypeIDs: []string{guest.ID}})
	must(t, err)
	for i := range purchase.DefaultCodeChecksPerMinute {
		code := "wrong-" + string(rune('a'+i))
		if _, err := s.svc.UnlockCode(ctx, "addr:192.0.2.1", s.event.ID, code); !errors.Is(err, voucher.ErrCodeNotValid) {
			t.Fatalf("check %d: %v", i, err)
		}
	}
	_, err = s.svc.UnlockCode(ctx, "addr:192.0.2.1", s.event.ID, "guests")
	if e, ok := errkind.Of(err, errkind.RateLimited); !ok || e.Code() != "code_rate_limited" || errkind.RetryAfter(err) <= 0 {
		t.Errorf("the right code after %d checks: %v, want code_rate_limited with a wait", purchase.DefaultCodeChecksPerMinute, err)
	}
	if c, err := s.svc.UnlockCode(ctx, "addr:192.0.2.2", s.event.ID, "GUESTS"); err != nil || !c.Unlocks(guest.ID) {
		t.Errorf("another caller: %+v, %v", c, err)
	}
	s.clock.Advance(time.Minute)
	if _, err := s.svc.UnlockCode(ctx, "addr:192.0.2.1", s.event.ID, "guests"); err != nil {
		t.Errorf("a minute later: %v", err)
	}
}
