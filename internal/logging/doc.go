// Package logging builds the programs' loggers: one New for scannerd and
// syncserver, so --log-level and --log-json mean the same in both.
//
// Packages take a *slog.Logger and discard when it is nil
// through OrDiscard; none falls back to slog.Default.
package logging
