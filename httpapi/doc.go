// Package httpapi is syncserver's HTTP API under /v1/: the route table,
// who may call each route, how domain errors become statuses, the
// Idempotency-Key contract of the purchase routes, and the OpenAPI
// document that describes all of it. Server holds the domain services
// (account, catalog, search, purchase, payment, wallet, sync) and
// Handler serves them; the work is in those packages, and a handler only
// decodes, checks and encodes.
//
// Routes. routes() is one table of method, pattern, policy and handler;
// the router, the OpenAPI test and the authorization test all read it, so
// a route cannot be added without being documented and walked. Besides
// it, Handler serves /v1/openapi.json, /livez and /readyz (Ready), and
// answers anything else with a JSON 404. MetricsHandler serves the
// syncserver_http_* metrics for another listener, never the API's.
//
// Authentication and policies. A bearer token (a session or an API
// token) resolves to an account.Principal. A route's policy is anyone,
// signedIn, enrolling (signed in, allowed before a required 2FA
// enrolment), orgManager or eventManager (admin or organizer of the org
// in the path, or of the org owning the event; the handler checks these
// with requireOrg and requireEventOrg, as they need the path), or device,
// the gates' sync websocket, which authenticates its own gate credential
// and is exempt from the 15 s request timeout. An organization that
// requires two-factor authentication is refused to its members without
// it (403 enroll_2fa). Everything of an organization (its venues,
// members, events and what hangs off them) follows one rule, orgAccess:
// a signed-in caller outside the organization gets 404 not_found, as for
// an id that does not exist, and a member whose role is not enough
// (staff on an organizer's route) 403; TestOutsidersGet404 holds the
// authorization walk to it. Login and sign-up limits key on the client's
// address, read through TrustedProxies only (clientAddr).
//
// Errors. Handlers return errors; toAPIError maps the domain packages'
// sentinels (account, catalog, purchase, payment, sync, storeerr) to a
// status and a wire code in {"error":{"code","message","field"}}. A
// payment provider's text is replaced by ours and logged; an error the
// table does not know is a 500 that says nothing about internals and is
// logged as an error; storeerr.ErrUnavailable is a 503 with Retry-After,
// as is any error that knows its wait. A panic is recovered into a 500.
//
// Idempotency. idempotent wraps the mutating purchase routes: an
// Idempotency-Key's first successful answer is kept under the caller and
// key with a hash of the request, a repeat gets it again, and the same
// key with another request is a 422. Holds and orders keep that answer
// in the transaction that creates them (purchase.WithIdempotency).
//
// OpenAPI. openapi.json, embedded and served as is, is the contract:
// TestOpenAPI checks that it and the route table name the same
// operations, and every answer the package's HTTP tests get is validated
// against it (status, content type, schema).
//
// # Caveats
//
//   - Request bodies are JSON objects of at most MaxBody bytes with no
//     unknown fields; lists are sent as [], never null (emptyLists).
//   - Every answer carries X-Content-Type-Options: nosniff, and every
//     answer under /v1/auth/ Cache-Control: no-store. Search answers and
//     an event's page carry an ETag (a digest of the body) and answer 304
//     to a matching If-None-Match; they are public for PublicMaxAge
//     seconds when the same for everyone (search; the page to an
//     anonymous caller without ?code=), else private, no-cache (cache.go).
//   - A nil optional service (Purchase, Payments, PassSigner,
//     GoogleWallet, Webhooks, Sync) answers its routes with 503 rather
//     than failing at start.
package httpapi
