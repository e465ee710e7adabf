package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/purchase"
)

// Ticket buckets. A ticket row and the change log entries describing it
// are written in one transaction.
var (
	bucketTickets       = []byte("tickets")        // ticket id -> purchase.Ticket JSON
	bucketHolderTickets = []byte("holder_tickets") // holder id, 0, issued (8 bytes), ticket id -> nothing
	bucketOrderTickets  = []byte("order_tickets")  // order id, 0, issued (8 bytes), ticket id -> nothing
	bucketChanges       = []byte("changes")        // event id, 0, seq (big endian uint64) -> changelog.Change JSON
	bucketChangeSeq     = []byte("change_seq")     // event id -> last seq (big endian uint64)
	bucketTicketLineage = []byte("ticket_lineage") // id of a ticket a transfer issued -> its lineage root
)

// issuedKey is owner, 0, the issue time (as expiryKey orders times), id:
// a prefix scan over owner lists tickets oldest first.
func issuedKey(owner string, at time.Time, id string) []byte {
	k := append(prefix(owner), binary.BigEndian.AppendUint64(nil, uint64(at.UnixMicro())^(1<<63))...)
	return append(k, id...)
}

// putTicket stores t as new, without its token (see purchase.Ticket):
// ErrConflict if its id is taken.
func putTicket(tx *bbolt.Tx, t purchase.Ticket) error {
	t.Token = ""
	b := tx.Bucket(bucketTickets)
	if b.Get([]byte(t.ID)) != nil {
		return fmt.Errorf("ticket %s: id taken: %w", t.ID, purchase.ErrConflict)
	}
	if err := put(b, []byte(t.ID), t); err != nil {
		return err
	}
	if err := indexTicket(tx, t); err != nil {
		return err
	}
	if err := tx.Bucket(bucketHolderTickets).Put(issuedKey(t.HolderID, t.IssuedAt, t.ID), nil); err != nil {
		return err
	}
	return tx.Bucket(bucketOrderTickets).Put(issuedKey(t.OrderID, t.IssuedAt, t.ID), nil)
}

// appendChanges numbers cs after the event's last entry and stores them.
func appendChanges(tx *bbolt.Tx, cs ...changelog.Change) error {
	seqs, log := tx.Bucket(bucketChangeSeq), tx.Bucket(bucketChanges)
	for _, c := range cs {
		var last uint64
		if raw := seqs.Get([]byte(c.EventID)); len(raw) == 8 {
			last = binary.BigEndian.Uint64(raw)
		}
		c.Seq = int64(last + 1)
		c.At = storedTime(c.At)
		if err := seqs.Put([]byte(c.EventID), binary.BigEndian.AppendUint64(nil, last+1)); err != nil {
			return err
		}
		if err := put(log, changeKey(c.EventID, uint64(c.Seq)), c); err != nil {
			return err
		}
	}
	return nil
}

func changeKey(eventID string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(prefix(eventID), seq)
}

// issueTickets stores a paid order's tickets and logs their issue.
func issueTickets(tx *bbolt.Tx, tickets []purchase.Ticket) error {
	changes := make([]changelog.Change, len(tickets))
	for i, t := range tickets {
		t.IssuedAt, t.RevokedAt, t.ValidUntil = storedTime(t.IssuedAt), storedTime(t.RevokedAt), storedTime(t.ValidUntil)
		if err := putTicket(tx, t); err != nil {
			return err
		}
		changes[i] = purchase.IssueChange(t)
	}
	return appendChanges(tx, changes...)
}

// revokeOrderTickets revokes an order's valid tickets and logs it.
func revokeOrderTickets(tx *bbolt.Tx, orderID, reason string, at time.Time) error {
	b := tx.Bucket(bucketTickets)
	var changes []changelog.Change
	for _, k := range keysWithPrefix(tx.Bucket(bucketOrderTickets), prefix(orderID)) {
		id := k[len(orderID)+1+8:]
		var t purchase.Ticket
		if ok, err := get(b, id, &t); err != nil || !ok {
			return fmt.Errorf("ticket %s of order %s: missing (%v)", id, orderID, err)
		}
		if !purchase.Revoke(&t, reason, "", storedTime(at)) {
			continue
		}
		if err := put(b, id, t); err != nil {
			return err
		}
		if err := indexTicket(tx, t); err != nil {
			return err
		}
		changes = append(changes, purchase.RevokeChange(t))
	}
	return appendChanges(tx, changes...)
}

// Ticket implements purchase.TicketStore.
func (s *DB) Ticket(ctx context.Context, id string) (purchase.Ticket, error) {
	var t purchase.Ticket
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		ok, err := get(tx.Bucket(bucketTickets), []byte(id), &t)
		if err == nil && !ok {
			err = fmt.Errorf("ticket %s: %w", id, purchase.ErrNotFound)
		}
		return err
	})
	return t, err
}

// TicketsByID implements purchase.TicketStore.
func (s *DB) TicketsByID(ctx context.Context, ids []string) (map[string]purchase.Ticket, error) {
	if len(ids) > purchase.MaxTicketsByID {
		return nil, fmt.Errorf("tickets by id: %d ids, more than %d: %w", len(ids), purchase.MaxTicketsByID, purchase.ErrInvalid)
	}
	out := make(map[string]purchase.Ticket, len(ids))
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTickets)
		for _, id := range ids {
			var t purchase.Ticket
			if ok, err := get(b, []byte(id), &t); err != nil {
				return err
			} else if ok {
				out[id] = t
			}
		}
		return nil
	})
	return out, err
}

// listTickets reads the tickets an index bucket lists under owner.
func (s *DB) listTickets(ctx context.Context, index []byte, owner string, limit int) ([]purchase.Ticket, error) {
	var out []purchase.Ticket
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTickets)
		p := prefix(owner)
		c := tx.Bucket(index).Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p) && len(out) < limit; k, _ = c.Next() {
			var t purchase.Ticket
			if ok, err := get(b, k[len(p)+8:], &t); err != nil || !ok {
				return fmt.Errorf("ticket %s: missing (%v)", k[len(p)+8:], err)
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// TicketsOfHolder implements purchase.TicketStore.
func (s *DB) TicketsOfHolder(ctx context.Context, holderID string, limit int) ([]purchase.Ticket, error) {
	return s.listTickets(ctx, bucketHolderTickets, holderID, limit)
}

// TicketsOfOrder implements purchase.TicketStore.
func (s *DB) TicketsOfOrder(ctx context.Context, orderID string) ([]purchase.Ticket, error) {
	return s.listTickets(ctx, bucketOrderTickets, orderID, purchase.MaxTicketsPerOrder)
}

// Transfer implements purchase.TicketStore.
func (s *DB) Transfer(ctx context.Context, oldID, fromHolder string, next purchase.Ticket, at time.Time) (purchase.Ticket, error) {
	next.IssuedAt, next.RevokedAt, next.ValidUntil, next.Token = storedTime(next.IssuedAt), time.Time{}, storedTime(next.ValidUntil), ""
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTickets)
		var old purchase.Ticket
		if ok, err := get(b, []byte(oldID), &old); err != nil {
			return err
		} else if !ok || old.HolderID != fromHolder {
			return fmt.Errorf("ticket %s: %w", oldID, purchase.ErrNotFound)
		}
		if err := purchase.CheckTransfer(old, next); err != nil {
			return err
		}
		var entry purchase.Entry
		if ok, err := get(tx.Bucket(bucketTicketEntered), join(old.EventID, old.Root()), &entry); err != nil {
			return err
		} else if ok {
			return purchase.UsedError("transfer", oldID, entry)
		}
		if err := tx.Bucket(bucketTicketLineage).Put([]byte(next.ID), []byte(next.Root())); err != nil {
			return err
		}
		purchase.Revoke(&old, purchase.RevokedTransferred, next.ID, storedTime(at))
		if err := put(b, []byte(oldID), old); err != nil {
			return err
		}
		if err := indexTicket(tx, old); err != nil {
			return err
		}
		if err := putTicket(tx, next); err != nil {
			return err
		}
		return appendChanges(tx, purchase.RevokeChange(old), purchase.IssueChange(next))
	})
	if err != nil {
		return purchase.Ticket{}, err
	}
	return next, nil
}

// SetValidity implements purchase.TicketStore. The bbolt store has no
// index of an event's tickets: it reads them all, which is fine for the
// sizes it serves and an operation as rare as moving an event.
func (s *DB) SetValidity(ctx context.Context, eventID string, validUntil time.Time) (int, error) {
	validUntil = storedTime(validUntil)
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketTickets)
		type change struct {
			key []byte
			t   purchase.Ticket
		}
		var changed []change
		err := b.ForEach(func(k, v []byte) error {
			var t purchase.Ticket
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("ticket %s: %w", k, err)
			}
			if t.EventID != eventID || t.Status != purchase.TicketValid || (t.ValidUntil.Equal(validUntil) && t.Token == "") {
				return nil
			}
			// A token stored before tokens were derived says the old
			// time: drop it, the fields sign the new one.
			t.ValidUntil, t.Token = validUntil, ""
			changed = append(changed, change{key: append([]byte(nil), k...), t: t})
			return nil
		})
		if err != nil || len(changed) == 0 {
			return err
		}
		for _, c := range changed {
			if err := put(b, c.key, c.t); err != nil {
				return err
			}
		}
		n = len(changed)
		return appendChanges(tx, changelog.ValidityChange(eventID, validUntil))
	})
	return n, err
}

// Changes implements purchase.TicketStore.
func (s *DB) Changes(ctx context.Context, eventID string, after int64, limit int) ([]changelog.Change, error) {
	if limit < 1 || limit > changelog.MaxChanges {
		return nil, fmt.Errorf("changes of %s: limit %d outside 1..%d: %w", eventID, limit, changelog.MaxChanges, purchase.ErrInvalid)
	}
	var out []changelog.Change
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		p := prefix(eventID)
		c := tx.Bucket(bucketChanges).Cursor()
		for k, v := c.Seek(changeKey(eventID, uint64(max(after, 0))+1)); k != nil && hasPrefix(k, p) && len(out) < limit; k, v = c.Next() {
			var ch changelog.Change
			if err := json.Unmarshal(v, &ch); err != nil {
				return fmt.Errorf("change %x: %w", k, err)
			}
			out = append(out, ch)
		}
		return nil
	})
	return out, err
}

// LastSeq implements purchase.TicketStore.
func (s *DB) LastSeq(ctx context.Context, eventID string) (int64, error) {
	var head int64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if raw := tx.Bucket(bucketChangeSeq).Get([]byte(eventID)); len(raw) == 8 {
			head = int64(binary.BigEndian.Uint64(raw))
		}
		return nil
	})
	return head, err
}
