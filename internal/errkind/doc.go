// Package errkind is the vocabulary of error kinds the domain packages
// share: not found, exists, invalid, conflict, forbidden and the few
// others a client must tell apart (unauthorized, expired, rate limited,
// busy, unavailable, a declined payment, an unverified request, a failed
// upstream service).
//
// A domain package defines each of its sentinel errors with New, giving
// it a Kind, the wire code clients see and the text for people:
//
//	var ErrSoldOut = errkind.New(errkind.Conflict, "sold_out", "sold out")
//
// The sentinel keeps its own identity (errors.Is(err, purchase.ErrSoldOut))
// and wraps its kind (errors.Is(err, errkind.Conflict)). An edge that
// answers clients, such as the HTTP API, maps kinds to its own statuses
// and reads the code with Of, and the field and wait with Field and
// RetryAfter, without importing the domain packages.
//
// The package imports nothing of the module, so that every package,
// server or gate, may use it.
//
// # Caveats
//
// An error whose text comes from outside (a payment provider's words, a
// driver's dial error) is made with Hidden: its Public text is what a
// client is told, and the error's own text belongs in the log.
//
// An error chain may hold sentinels of several kinds; Of finds the first
// of one kind, so the caller decides which kind wins by the order in
// which it asks.
package errkind
