package scanner

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/admitone/admitone/bundle"
	"github.com/admitone/admitone/changelog"
	ticketcrypto "github.com/admitone/admitone/crypto"
	ticketsync "github.com/admitone/admitone/sync"
)

// The Store is the gate's side of sync (ticketsync.GateStore): the
// outbox goes up, the event's log comes down.
var _ ticketsync.GateStore = (*Store)(nil)

// keySyncCursor is the Seq of the last server log entry applied (big
// endian uint64) in bucketMeta.
var keySyncCursor = []byte("sync_cursor")

// PendingUploads implements ticketsync.GateStore.
func (s *Store) PendingUploads(limit int) ([]changelog.Checkin, error) {
	return s.Outbox(limit)
}

// Acknowledge implements ticketsync.GateStore.
func (s *Store) Acknowledge(ids []string) error {
	parsed := make([]changelog.CheckinID, 0, len(ids))
	for _, id := range ids {
		ci, err := changelog.ParseCheckinID(id)
		if err != nil {
			return fmt.Errorf("ack: %w", err)
		}
		parsed = append(parsed, ci)
	}
	return s.Ack(parsed...)
}

// SyncCursor implements ticketsync.GateStore.
func (s *Store) SyncCursor() (int64, error) {
	var cur int64
	err := s.db.View(func(tx *bolt.Tx) error {
		cur = readCursor(tx)
		return nil
	})
	return cur, err
}

func readCursor(tx *bolt.Tx) int64 {
	if raw := tx.Bucket(bucketMeta).Get(keySyncCursor); len(raw) == 8 {
		return int64(binary.BigEndian.Uint64(raw))
	}
	return 0
}

// SetSyncCursor sets where sync resumes: enrolment sets it to the log
// head its ticket list was made at.
func (s *Store) SetSyncCursor(seq int64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySyncCursor, binary.BigEndian.AppendUint64(nil, uint64(seq)))
	})
}

// ApplyChanges implements ticketsync.GateStore: issued tickets join the
// ticket list, revocations are stored, and other gates' check-ins update
// the tickets' state (so a ticket used at another gate is already_used
// here), all with the cursor in one transaction. Entries at or before the
// cursor were applied already and are skipped.
func (s *Store) ApplyChanges(changes []changelog.Change) error {
	if len(changes) == 0 {
		return nil
	}
	moved := slices.ContainsFunc(changes, func(ch changelog.Change) bool { return ch.Kind == changelog.KindValidity })
	err := s.db.Update(func(tx *bolt.Tx) error {
		cursor := readCursor(tx)
		for _, ch := range changes {
			if ch.Seq <= cursor {
				continue
			}
			if err := applyChange(tx, ch); err != nil {
				return fmt.Errorf("log entry %d (%s %s): %w", ch.Seq, ch.Kind, ch.TicketID, err)
			}
			cursor = ch.Seq
		}
		return tx.Bucket(bucketMeta).Put(keySyncCursor, binary.BigEndian.AppendUint64(nil, uint64(cursor)))
	})
	if err == nil && moved {
		err = s.loadConfig()
	}
	return err
}

func applyChange(tx *bolt.Tx, ch changelog.Change) error {
	if ch.Kind == changelog.KindValidity {
		return putValidUntil(tx, ch.At)
	}
	ticket, err := ticketcrypto.ParseTicketID(ch.TicketID)
	if err != nil {
		return err
	}
	switch ch.Kind {
	case changelog.KindIssue:
		if ch.Replaces != "" {
			// A transfer: the new ticket shares the old one's entry
			// state, so whoever went in on the old one is inside on it.
			prev, err := ticketcrypto.ParseTicketID(ch.Replaces)
			if err != nil {
				return fmt.Errorf("replaces: %w", err)
			}
			if err := linkLineage(tx, ticket, prev); err != nil {
				return err
			}
		}
		tb := tx.Bucket(bucketTickets)
		_, holder, _ := parseTicketValue(tb.Get(ticket[:])) // a name the bundle gave stays
		return tb.Put(ticket[:], ticketValue(ch.TypeNumber, holder))
	case changelog.KindRevoke:
		raw, err := json.Marshal(bundle.Revocation{Ticket: ticket, At: ch.At, Reason: ch.Reason})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketRevoked).Put(ticket[:], raw)
	case changelog.KindCheckin:
		id, err := changelog.ParseCheckinID(ch.CheckinID)
		if err != nil {
			return err
		}
		if _, err := ticketcrypto.ParseEventID(ch.EventID); err != nil {
			return err
		}
		st, err := readState(tx, ticket)
		if err != nil {
			return err
		}
		ci := ch.Checkin()
		return writeCheckin(tx, id, ticket, &ci, st, false) // a no-op for this gate's own check-ins
	default:
		return nil // a kind from a newer server: nothing to do here
	}
}

// keySync holds the gate's server and device credential (SyncConfig
// JSON) in bucketMeta. The store file is readable by its owner only.
var keySync = []byte("sync")

// SyncConfig is where a gate enrolled and how it authenticates there.
type SyncConfig struct {
	Server     string `json:"server"`
	GateID     string `json:"gate_id"`
	Credential string `json:"credential"`
	// Purpose is the gate's purpose as enrolled: empty for a door,
	// ticketsync.PurposeMerchPickup for a merch desk.
	Purpose string `json:"purpose,omitempty"`
}

// SetSyncConfig stores the gate's server and credential.
func (s *Store) SetSyncConfig(c SyncConfig) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySync, raw) })
}

// SyncConfig returns the gate's server and credential; ok is false for a
// gate that was never enrolled (it works from imported bundles only).
func (s *Store) SyncConfig() (c SyncConfig, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketMeta).Get(keySync)
		if raw == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(raw, &c)
	})
	return c, ok, err
}

// Enroll installs what the server gave this gate for its enrolment code:
// it opens the bundle (sealed under the code, so only the holder of the
// code reads the rotation key, and a bundle that opens came from whoever
// issued the code), trusts its signer, imports it, applies the check-ins
// so far, sets the sync cursor and stores the server and credential.
func (s *Store) Enroll(enr ticketsync.Enrollment, server, code string, now time.Time) (ImportInfo, error) {
	p, signer, err := bundle.Read(enr.Bundle, []ticketcrypto.PublicKey{enr.Signer}, []byte(code))
	if err != nil {
		return ImportInfo{}, fmt.Errorf("enrolment bundle: %w", err)
	}
	if err := s.Trust(signer); err != nil {
		return ImportInfo{}, err
	}
	info, err := s.Import(p, enr.Gate.ID, signer, now)
	if err != nil {
		return info, err
	}
	if err := s.ApplyChanges(enr.Checkins); err != nil {
		return info, fmt.Errorf("check-ins so far: %w", err)
	}
	if err := s.SetSyncCursor(enr.Cursor); err != nil {
		return info, err
	}
	return info, s.SetSyncConfig(SyncConfig{Server: server, GateID: enr.Gate.ID, Credential: enr.Credential, Purpose: enr.Gate.Purpose})
}
