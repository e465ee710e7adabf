package analytics

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/internal/errkind"
	"github.com/admitone/admitone/purchase"
)

// Records reads an event's orders, tickets and change log page by page
// (purchase.Store).
type Records interface {
	OrdersOfEvent(ctx context.Context, eventID, after string, limit int) ([]purchase.Order, error)
	TicketsOfOrder(ctx context.Context, orderID string) ([]purchase.Ticket, error)
	Changes(ctx context.Context, eventID string, after int64, limit int) ([]changelog.Change, error)
}

// Export names an event export, the file name of its route.
type Export string

// The exports.
const (
	ExportOrders   Export = "orders.csv"
	ExportTickets  Export = "tickets.csv"
	ExportCheckins Export = "checkins.csv"
)

// ErrExport is an export this package does not make.
var ErrExport = errkind.New(errkind.NotFound, "not_found", "no such export: there are orders.csv, tickets.csv and checkins.csv")

// exportPage is how many orders or log entries one store read returns.
const exportPage = 500

// The exports' header rows.
var (
	ordersHeader   = []string{"order_id", "status", "buyer_id", "buyer_city", "lines", "total", "currency", "created_at", "paid_at", "refunded_at", "cancelled_at"}
	ticketsHeader  = []string{"ticket_id", "order_id", "ticket_type_id", "ticket_type", "holder_id", "status", "issued_at", "revoked_at", "revoke_reason", "replaces", "lineage"}
	checkinsHeader = []string{"checkin_id", "seq", "ticket_id", "gate_id", "direction", "at", "offline"}
)

// WriteExport streams one of an event's exports as CSV to w, flushing
// after every page read from the store, so memory stays bounded
// whatever the event's size. Every cell passes through SafeCell. An
// unknown event is the catalog's not-found error, given before anything
// is written.
func (s *Service) WriteExport(ctx context.Context, w io.Writer, eventID string, e Export) error {
	if s.Records == nil {
		return fmt.Errorf("exports of event %s: no records store", eventID)
	}
	p, err := s.Catalog.EventPage(ctx, eventID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, t := range p.TicketTypes {
		names[t.ID] = t.Name
	}
	cw := csv.NewWriter(w)
	write := func(row []string) error {
		for i, c := range row {
			row[i] = SafeCell(c)
		}
		return cw.Write(row)
	}
	flush := func() error {
		cw.Flush()
		return cw.Error()
	}
	switch e {
	case ExportOrders, ExportTickets:
		header := ordersHeader
		if e == ExportTickets {
			header = ticketsHeader
		}
		if err := write(header); err != nil {
			return err
		}
		for after := ""; ; {
			orders, err := s.Records.OrdersOfEvent(ctx, eventID, after, exportPage)
			if err != nil {
				return fmt.Errorf("orders of event %s: %w", eventID, err)
			}
			for _, o := range orders {
				if e == ExportOrders {
					if err := write(orderRow(o)); err != nil {
						return err
					}
					continue
				}
				tickets, err := s.Records.TicketsOfOrder(ctx, o.ID)
				if err != nil {
					return fmt.Errorf("tickets of order %s: %w", o.ID, err)
				}
				for _, t := range tickets {
					if err := write(ticketRow(t, names[t.TicketTypeID])); err != nil {
						return err
					}
				}
			}
			if err := flush(); err != nil {
				return err
			}
			if len(orders) < exportPage {
				return nil
			}
			after = orders[len(orders)-1].ID
		}
	case ExportCheckins:
		if err := write(checkinsHeader); err != nil {
			return err
		}
		for after := int64(0); ; {
			changes, err := s.Records.Changes(ctx, eventID, after, exportPage)
			if err != nil {
				return fmt.Errorf("change log of event %s: %w", eventID, err)
			}
			for _, c := range changes {
				if c.Kind != changelog.KindCheckin {
					continue
				}
				row := []string{c.CheckinID, strconv.FormatInt(c.Seq, 10), c.TicketID, c.GateID, string(c.Direction),
					csvTime(c.At), strconv.FormatBool(c.Offline)}
				if err := write(row); err != nil {
					return err
				}
			}
			if err := flush(); err != nil {
				return err
			}
			if len(changes) < exportPage {
				return nil
			}
			after = changes[len(changes)-1].Seq
		}
	}
	return ErrExport
}

func orderRow(o purchase.Order) []string {
	lines := make([]string, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = l.TicketTypeID + "x" + strconv.Itoa(l.Quantity)
	}
	return []string{o.ID, string(o.Status), o.BuyerID, o.BuyerCity, strings.Join(lines, " "), strconv.FormatInt(o.Total.Amount, 10),
		o.Total.Currency, csvTime(o.CreatedAt), csvTime(o.PaidAt), csvTime(o.RefundedAt), csvTime(o.CancelledAt)}
}

func ticketRow(t purchase.Ticket, typeName string) []string {
	return []string{t.ID, t.OrderID, t.TicketTypeID, typeName, t.HolderID, string(t.Status), csvTime(t.IssuedAt),
		csvTime(t.RevokedAt), t.RevokeReason, t.Replaces, t.Lineage}
}

// csvTime is t in RFC 3339 (UTC), or empty for the zero time.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// SafeCell defuses a cell a spreadsheet would read as a formula: one
// that begins with =, +, -, @, a tab or a carriage return gets a
// leading apostrophe (OWASP's advice for CSV injection). Text an
// organizer's buyers typed (a city) reaches the exports.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
