// Package feedback is what attendees say about an event once they were
// there: a rating from 1 to 5 and an optional plain-text comment, one
// answer per account per event, and the summary organizers read
// (GET /v1/events/{id}/feedback: the average, the distribution and the
// comments, paged).
//
// Only someone who was at the event may answer: the account must hold a
// ticket of the event whose lineage has an entry on record at the server
// (purchase.TicketStore.Entered), which is what a gate's check-in
// uploads. The Service decides that; the Store only keeps answers and
// refuses a second one of the same account (ErrAnswered), decided by the
// store's own key, so two answers sent at once store one.
//
// # Caveats
//
//   - A comment is kept as the attendee typed it (trimmed, valid UTF-8,
//     no control characters but newlines and tabs, at most
//     MaxCommentBytes): it is text, and whoever shows it escapes it.
//   - An answer cannot be changed or withdrawn through the API.
//   - The check-in is looked up when the answer is given; a ticket
//     refunded after the event still counts, since its entry stays on
//     record.
package feedback
