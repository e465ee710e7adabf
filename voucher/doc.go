// Package voucher is an event's codes: access codes, which unlock hidden
// ticket types (guest lists, presales), and discount codes, which take an
// amount or a percentage off some or all of an event's ticket types.
//
// A Code belongs to one event. Its text is normalized (Normalize: upper
// case, MinCodeLen to MaxCodeLen letters, digits, '-' or '_') and unique in the
// event. It may have a number of uses (MaxUses, 0: unlimited), a validity
// window (ValidFrom, ValidUntil) and be disabled by an organizer; a
// disabled code is kept, with its uses, for the record.
//
// Service creates, lists and disables codes for organizers and resolves
// the text a buyer types (Resolve). It talks to storage through Store,
// implemented by storage/bolt and storage/postgres and checked by
// storage/storetest.
//
// # Uses
//
// A use is one ticket: a hold that redeems a code takes as many uses as
// it has units of the ticket types the code applies to. Uses are not kept
// here: package purchase counts them beside the ticket types' capacity
// (purchase.CodeKey), checked and moved in the same atomic step as the
// capacity (purchase.Store.Reserve), so a code with N uses raced by many
// buyers is redeemed N times exactly. A hold released or expired, and an
// order cancelled or left unpaid past its deadline, give their uses back,
// as they give back capacity. A paid order keeps them; a refund does not
// give a use back (a refunded guest-list place or discount is spent:
// the organizer makes a new code, or more uses, if they want it reused).
//
// # Secrets
//
// A code is a secret that grants a price or access. The store finds one
// by Lookup (SHA-256 of the event id and the normalized text), never by
// comparing the text, and Resolve compares the found code's digest with
// the typed one in constant time, so an answer's timing tells nothing
// about how much of a guess was right. Errors and logs never carry a
// code's text; only organizers' lists show it.
//
// # Caveats
//
// Codes are short secrets that people type, so guessing them must be
// slow: purchase.Service.UnlockCode lets one caller check
// DefaultCodeChecksPerMinute codes a minute to see hidden types, and
// holds are limited per account (purchase.Service.HoldsPerMinute). A
// code of 6 characters that an organizer picks by hand ("VIP2026") is
// still guessable by many callers together: make guest-list codes long
// and random.
//
// Unknown, disabled and out-of-window codes all answer ErrCodeNotValid
// (the wrapping text says which, for the buyer who has the code); the
// number of uses left is told to organizers only.
package voucher
