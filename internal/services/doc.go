// Package services builds syncserver's service graph from a Config: the
// account, catalog and purchase services, the issuer key vault, the
// gates' sync hub and enroller, with the clock, logger, limits, payment
// provider and wallet issuers handed to each. syncserver serve, the HTTP
// tests (package httpapi's harness) and the sync benchmarks all call New,
// so tests run the services as production wires them; httpapi.New makes
// the HTTP server from the result.
//
// It does not import httpapi, so that httpapi's own tests can use it.
//
// # Caveats
//
//   - New only builds: it opens nothing, starts nothing and validates
//     nothing a caller could not have checked first. Callers validate
//     their flags and files before opening storage, then call New.
//   - Hub.Shutdown is the caller's, when it stops serving.
package services
