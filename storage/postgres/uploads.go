package postgres

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/admitone/admitone/changelog"
	ticketsync "github.com/admitone/admitone/sync"
)

// Group commit of RecordCheckins (see doc.go, "Sync"): the uploads of
// every gate that arrive within uploadDelay of each other, up to
// uploadGroupCheckins check-ins, are recorded in one transaction with
// set-based statements.
const (
	uploadDelay         = time.Millisecond
	uploadGroupCheckins = 5_000
)

// customPlansSQL makes the rest of a transaction plan each statement
// with its parameters and the tables' current size instead of reusing a
// plan the connection cached while ticket_inside was small (doc.go,
// "Sync"; TestLineageStatementsProbeByKey).
const customPlansSQL = `SET LOCAL plan_cache_mode = force_custom_plan`

// insertLineagesSQL inserts the missing ticket_inside rows of lineages
// ($1 events, $2 roots, in (event, root) order); rows are never deleted,
// so there is always one to lock.
const insertLineagesSQL = `INSERT INTO ticket_inside (event_id, ticket_id)
	SELECT v.e, v.t FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS v(e, t, n) ORDER BY v.n
	ON CONFLICT (event_id, ticket_id) DO NOTHING`

// lockLineagesSQL locks the ticket_inside rows of lineages ($1 events,
// $2 roots), in (event, root) order, and returns their state.
const lockLineagesSQL = `SELECT i.event_id, i.ticket_id, i.inside_ticket_id, i.checkin_id, i.gate_id, i.at, i.offline, i.entered_checkin_id <> ''
	FROM ticket_inside i JOIN unnest($1::text[], $2::text[]) AS v(e, t) ON i.event_id = v.e AND i.ticket_id = v.t
	ORDER BY i.event_id, i.ticket_id FOR UPDATE OF i`

// updateLineagesSQL writes the state of the lineages an upload group
// moved, one row each: where it is inside now (si and the columns
// after) and its first entry (se and the columns after), each part set
// only where it moved.
const updateLineagesSQL = `UPDATE ticket_inside AS i SET
	inside_ticket_id = CASE WHEN v.si THEN v.tid ELSE i.inside_ticket_id END,
	checkin_id = CASE WHEN v.si THEN v.cid ELSE i.checkin_id END,
	gate_id = CASE WHEN v.si THEN v.gid ELSE i.gate_id END,
	at = CASE WHEN v.si THEN v.at ELSE i.at END,
	offline = CASE WHEN v.si THEN v.off ELSE i.offline END,
	entered_ticket_id = CASE WHEN v.se THEN v.etid ELSE i.entered_ticket_id END,
	entered_checkin_id = CASE WHEN v.se THEN v.ecid ELSE i.entered_checkin_id END,
	entered_gate_id = CASE WHEN v.se THEN v.egid ELSE i.entered_gate_id END,
	entered_at = CASE WHEN v.se THEN v.eat ELSE i.entered_at END
FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::boolean[],
		$9::boolean[], $10::text[], $11::text[], $12::text[], $13::timestamptz[])
	AS v(event_id, ticket_id, si, tid, cid, gid, at, off, se, etid, ecid, egid, eat)
WHERE i.event_id = v.event_id AND i.ticket_id = v.ticket_id`

// upload is one RecordCheckins waiting for its group's commit.
type upload struct {
	ctx        context.Context
	gate       ticketsync.Gate
	batch      []changelog.Checkin // without repeated ids, times as stored
	receivedAt time.Time
	// res and err are set before done is closed.
	res  ticketsync.RecordResult
	err  error
	done chan struct{}
}

func (u *upload) answer(err error) {
	u.err = err
	close(u.done)
}

func (u *upload) weight() int               { return len(u.batch) }
func (u *upload) answered() <-chan struct{} { return u.done }

// RecordCheckins implements sync.Store by group commit: the upload joins
// the current group and returns once the group has committed and its
// entries are numbered. If ctx ends first it returns ctx's error, and
// the check-ins may or may not be stored; a gate resends them (ids make
// that harmless).
func (s *DB) RecordCheckins(ctx context.Context, g ticketsync.Gate, cs []changelog.Checkin, receivedAt time.Time) (ticketsync.RecordResult, error) {
	if err := ticketsync.CheckCheckins(g, cs); err != nil {
		return ticketsync.RecordResult{}, fmt.Errorf("record check-ins: %w", err)
	}
	// A repeated id within the batch is a resend too: the first counts.
	u := &upload{ctx: ctx, gate: g, receivedAt: storedTime(receivedAt), done: make(chan struct{})}
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		if !seen[c.ID] {
			seen[c.ID] = true
			c.At = storedTime(c.At)
			u.batch = append(u.batch, c)
		}
	}
	if len(u.batch) == 0 {
		return ticketsync.RecordResult{}, nil
	}
	if err := s.uploads.do(ctx, u); err != nil {
		return ticketsync.RecordResult{}, fmt.Errorf("record check-ins of gate %s: %w", g.ID, err)
	}
	if u.err != nil {
		return ticketsync.RecordResult{}, fmt.Errorf("record check-ins of gate %s: %w", g.ID, u.err)
	}
	return u.res, nil
}

// newUploads makes RecordCheckins' batcher. Its run records a group
// (runGroup: one transaction, or each upload alone if that fails) and
// hands the numbering and the answers to another goroutine, so the next
// group's transaction starts while this one's entries are numbered.
func (s *DB) newUploads() *batcher[*upload] {
	var numbering gosync.WaitGroup
	return &batcher[*upload]{
		delay: uploadDelay, max: uploadGroupCheckins, wait: numbering.Wait,
		run: func(group []*upload) {
			var recorded []*upload
			runGroup(s, group, func(u *upload) context.Context { return u.ctx }, recordGroup,
				func(u *upload, err error) {
					if err != nil {
						u.answer(err)
						return
					}
					recorded = append(recorded, u)
				})
			var events []string
			for _, u := range recorded {
				if u.res.New > 0 {
					events = append(events, u.gate.EventID)
				}
			}
			s.numberThenAnswer(&numbering, events, func() {
				for _, u := range recorded {
					u.answer(nil)
				}
			})
		},
	}
}

// lineageKey is a lineage of an event: its root ticket (see ticketRoots).
type lineageKey struct{ event, root string }

func compareLineage(a, b lineageKey) int {
	return cmp.Or(cmp.Compare(a.event, b.event), cmp.Compare(a.root, b.root))
}

// recordGroup is one try of a group's transaction, in the lock order of
// doc.go ("Sync"), with set-based statements over all its uploads:
//
//  1. insert every check-in, in id order, ON CONFLICT (id) DO NOTHING
//     RETURNING id, which tells new ones from resends; insert the
//     missing ticket_inside rows of their lineages and lock them all,
//     in (event, ticket) order (one batch);
//  2. decide in Go, upload by upload in arrival order and each upload's
//     check-ins in their order, what each new check-in does;
//  3. write the log entries (unnumbered, per event), ticket states and
//     conflicts (one batch).
//
// It sets each upload's result; a retry starts it again from zero.
func recordGroup(ctx context.Context, tx pgx.Tx, group []*upload) error {
	type row struct {
		c    changelog.Checkin
		gate ticketsync.Gate
		at   time.Time // received
	}
	var rows []row
	var tickets []string
	for _, u := range group {
		u.res = ticketsync.RecordResult{}
		for _, c := range u.batch {
			rows = append(rows, row{c, u.gate, u.receivedAt})
			tickets = append(tickets, c.TicketID)
		}
	}
	// A transfer's ticket shares its lineage's entry state (see
	// ticketRoots); tickets never change lineage, so reading it before
	// the locks is safe.
	root, err := ticketRoots(ctx, tx, tickets)
	if err != nil {
		return err
	}
	lineages := make(map[lineageKey]bool)
	for _, r := range rows {
		lineages[lineageKey{r.gate.EventID, root(r.c.TicketID)}] = true
	}
	keys := slices.SortedFunc(maps.Keys(lineages), compareLineage)
	levents, lroots := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		levents[i], lroots[i] = k.event, k.root
	}

	// Rows are inserted and locked in key order, so two groups (of two
	// processes) never wait on each other in opposite orders.
	byID := slices.SortedFunc(slices.Values(rows), func(a, b row) int { return cmp.Compare(a.c.ID, b.c.ID) })
	n := len(byID)
	ids, evs, gates, tks, dirs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	types, ats, offline, received := make([]int32, n), make([]time.Time, n), make([]bool, n), make([]time.Time, n)
	for i, r := range byID {
		ids[i], evs[i], gates[i], tks[i], dirs[i] = r.c.ID, r.gate.EventID, r.gate.ID, r.c.TicketID, string(r.c.Direction)
		types[i], ats[i], offline[i], received[i] = int32(r.c.TypeNumber), r.c.At, r.c.Offline, r.at
	}
	var b pgx.Batch
	b.Queue(customPlansSQL)
	var inserted []string
	b.Queue(`INSERT INTO sync_checkins (id, event_id, gate_id, ticket_id, type_number, direction, at, offline, received_at)
		SELECT v.id, v.event_id, v.gate_id, v.ticket_id, v.type_number, v.direction, v.at, v.offline, v.received_at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::text[], $7::timestamptz[],
			$8::boolean[], $9::timestamptz[])
			WITH ORDINALITY AS v(id, event_id, gate_id, ticket_id, type_number, direction, at, offline, received_at, n)
		ORDER BY v.n
		ON CONFLICT (id) DO NOTHING RETURNING id`,
		ids, evs, gates, tks, types, dirs, ats, offline, received).Query(func(rows pgx.Rows) error {
		var err error
		inserted, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	b.Queue(insertLineagesSQL, levents, lroots)
	inside := make(map[lineageKey]ticketsync.ConflictSide) // lineages inside
	entered := make(map[lineageKey]bool)                   // lineages with an entry on record
	b.Queue(lockLineagesSQL, levents, lroots).Query(func(rows pgx.Rows) error {
		var k lineageKey
		var side ticketsync.ConflictSide
		var at *time.Time
		var hasEntry bool
		_, err := pgx.ForEachRow(rows, []any{&k.event, &k.root, &side.TicketID, &side.CheckinID, &side.GateID, &at, &side.Offline, &hasEntry}, func() error {
			if side.CheckinID != "" {
				side.At = fromNull(at)
				inside[k] = side
			}
			entered[k] = hasEntry
			return nil
		})
		return err
	})
	if err := sendBatch(ctx, tx, &b); err != nil {
		return syncErr(err)
	}
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}

	changes := make(map[string][]changelog.Change) // by event
	changed := make(map[lineageKey]bool)
	firstEntry := make(map[lineageKey]ticketsync.ConflictSide) // lineages entered for the first time now
	var conflicts []ticketsync.Conflict
	var detected []time.Time
	for _, u := range group {
		for _, c := range u.batch {
			if !isNew[c.ID] {
				continue
			}
			delete(isNew, c.ID) // a resend of it in a later upload of the group is not new
			k := lineageKey{u.gate.EventID, root(c.TicketID)}
			l := ticketsync.Lineage{Entered: entered[k]}
			l.Since, l.Inside = inside[k]
			next, cf, first := ticketsync.ApplyCheckin(l, k.root, c, u.receivedAt)
			entered[k] = next.Entered
			if first {
				firstEntry[k] = ticketsync.Side(c)
			}
			if cf != nil {
				conflicts, detected = append(conflicts, *cf), append(detected, u.receivedAt)
				u.res.Conflicts = append(u.res.Conflicts, *cf)
			}
			if next.Inside != l.Inside {
				if next.Inside {
					inside[k] = next.Since
				} else {
					delete(inside, k)
				}
				changed[k] = true
			}
			changes[u.gate.EventID] = append(changes[u.gate.EventID], c.Change())
			u.res.New++
		}
	}
	if len(changes) == 0 {
		return nil
	}

	b = pgx.Batch{}
	for _, ev := range slices.Sorted(maps.Keys(changes)) {
		if err := queueChanges(&b, changes[ev]); err != nil {
			return err
		}
	}
	// One UPDATE of the lineages whose state moved: where it is inside
	// now (changed) and its first entry (firstEntry), each column set
	// only where its part moved; one row version and one trigger call a
	// lineage, where an entry moves both.
	movedSet := maps.Clone(changed)
	for k := range firstEntry {
		movedSet[k] = true
	}
	if moved := slices.SortedFunc(maps.Keys(movedSet), compareLineage); len(moved) > 0 {
		n := len(moved)
		es, ts := make([]string, n), make([]string, n)
		setInside, tids, cids, gids := make([]bool, n), make([]string, n), make([]string, n), make([]string, n)
		ats, offs := make([]*time.Time, n), make([]bool, n)
		setEntered, etids, ecids, egids := make([]bool, n), make([]string, n), make([]string, n), make([]string, n)
		eats := make([]*time.Time, n)
		for i, k := range moved {
			es[i], ts[i] = k.event, k.root
			if setInside[i] = changed[k]; setInside[i] {
				side := inside[k] // zero: outside
				tids[i], cids[i], gids[i], ats[i], offs[i] = side.TicketID, side.CheckinID, side.GateID, nullTime(side.At), side.Offline
			}
			if e, ok := firstEntry[k]; ok {
				setEntered[i], etids[i], ecids[i], egids[i], eats[i] = true, e.TicketID, e.CheckinID, e.GateID, nullTime(e.At)
			}
		}
		b.Queue(updateLineagesSQL,
			es, ts, setInside, tids, cids, gids, ats, offs, setEntered, etids, ecids, egids, eats)
	}
	if len(conflicts) > 0 {
		k := len(conflicts)
		es, ts := make([]string, k), make([]string, k)
		fc, fg, sc, sg := make([]string, k), make([]string, k), make([]string, k), make([]string, k)
		ft, st := make([]string, k), make([]string, k)
		fa, sa := make([]time.Time, k), make([]time.Time, k)
		fo, so := make([]bool, k), make([]bool, k)
		for i, cf := range conflicts {
			es[i], ts[i] = cf.EventID, cf.TicketID
			fc[i], fg[i], fa[i], fo[i] = cf.First.CheckinID, cf.First.GateID, cf.First.At, cf.First.Offline
			sc[i], sg[i], sa[i], so[i] = cf.Second.CheckinID, cf.Second.GateID, cf.Second.At, cf.Second.Offline
			ft[i], st[i] = cf.First.TicketID, cf.Second.TicketID
		}
		// pos (from change_pos, drawn here, after the check-ins'
		// entries) orders an event's conflicts as they were found.
		b.Queue(`INSERT INTO conflicts (event_id, ticket_id, first_checkin_id, first_gate_id, first_at, first_offline,
				second_checkin_id, second_gate_id, second_at, second_offline, detected_at, first_ticket_id, second_ticket_id)
			SELECT v.e, v.ticket_id, v.fc, v.fg, v.fa, v.fo, v.sc, v.sg, v.sa, v.so, v.d, v.ft, v.st
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::boolean[],
				$7::text[], $8::text[], $9::timestamptz[], $10::boolean[], $11::timestamptz[], $12::text[], $13::text[])
				WITH ORDINALITY AS v(e, ticket_id, fc, fg, fa, fo, sc, sg, sa, so, d, ft, st, n)
			ORDER BY v.n`,
			es, ts, fc, fg, fa, fo, sc, sg, sa, so, detected, ft, st)
	}
	return syncErr(sendBatch(ctx, tx, &b))
}
