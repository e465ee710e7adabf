// Package changelog is the vocabulary of an event's change log, which
// the server keeps and gates sync from: its entries (Change) and their
// kinds, the size of one read (MaxChanges), and a check-in (Checkin) as
// a gate makes it, stores it in its outbox, uploads it and the server
// records it. The purchase package writes issues and revokes to the log;
// package sync moves entries and check-ins between server and gates;
// package scanner applies them at the gate. It imports nothing of the
// server, so the gate program links it without the server's packages.
//
// # The log
//
// The server keeps, per event, one ordered log with sequence numbers 1,
// 2, 3, ... in commit order: tickets issued and revoked, check-ins
// uploaded by the event's gates, and validity entries when the event
// moves. A gate holds a copy of the part it needs and the Seq of the
// last entry it applied (its cursor).
//
// # Caveats
//
// A check-in and its log entry are two JSON shapes: a Checkin's id is
// "id" and its type number "ticket_type" (the upload frame), while a
// Change names them "checkin_id" and "type_number". Checkin.Change and
// Change.Checkin convert between them.
package changelog
