package purchase_test

import (
	"errors"
	"math"
	"testing"

	"github.com/admitone/admitone/catalog"
	"github.com/admitone/admitone/purchase"
)

func TestTotal(t *testing.T) {
	eur := func(amount int64, q int) purchase.OrderLine {
		return purchase.OrderLine{TicketTypeID: "tt_x", Quantity: q, UnitPrice: catalog.Money{Amount: amount, Currency: "EUR"}}
	}
	full := make([]purchase.OrderLine, purchase.MaxLines)
	for i := range full {
		full[i] = eur(catalog.MaxPrice, catalog.MaxPerOrder)
	}
	tests := []struct {
		name  string
		lines []purchase.OrderLine
		want  int64 // -1: ErrInvalid
	}{
		{"two lines", []purchase.OrderLine{eur(2500, 2), eur(1500, 1)}, 6500},
		{"free", []purchase.OrderLine{eur(0, 4)}, 0},
		{"the largest order", full, int64(purchase.MaxLines) * catalog.MaxPrice * catalog.MaxPerOrder},
		{"2^62 × 4 wraps to 0", []purchase.OrderLine{eur(1<<62, 4)}, -1},
		{"price over MaxPrice", []purchase.OrderLine{eur(catalog.MaxPrice+1, 1)}, -1},
		{"negative price", []purchase.OrderLine{eur(-1, 1)}, -1},
		{"max int64 price", []purchase.OrderLine{eur(math.MaxInt64, 1)}, -1},
		{"quantity zero", []purchase.OrderLine{eur(100, 0)}, -1},
		{"quantity over MaxPerOrder", []purchase.OrderLine{eur(100, catalog.MaxPerOrder+1)}, -1},
		{"huge quantity", []purchase.OrderLine{eur(1, math.MaxInt)}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := purchase.Total(tc.lines)
			if tc.want < 0 {
				if !errors.Is(err, purchase.ErrInvalid) {
					t.Fatalf("Total = %d, %v; want ErrInvalid", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Total = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestOrderFree(t *testing.T) {
	line := func(amount int64) purchase.OrderLine {
		return purchase.OrderLine{TicketTypeID: "tt_x", Quantity: 4, UnitPrice: catalog.Money{Amount: amount, Currency: "EUR"}}
	}
	free := purchase.Order{Lines: []purchase.OrderLine{line(0), line(0)}, Total: catalog.Money{Currency: "EUR"}}
	if !free.Free() {
		t.Errorf("an order of free lines is not Free")
	}
	// A total of 0 over priced lines (what an overflow made) is not free.
	wrapped := purchase.Order{Lines: []purchase.OrderLine{line(1 << 62)}, Total: catalog.Money{Currency: "EUR"}}
	if wrapped.Free() {
		t.Errorf("an order of a priced line with total 0 is Free")
	}
	if (purchase.Order{Lines: []purchase.OrderLine{line(100)}, Total: catalog.Money{Amount: 400, Currency: "EUR"}}).Free() {
		t.Errorf("a priced order is Free")
	}
}
