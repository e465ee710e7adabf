package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/changelog"
	"github.com/admitone/admitone/qr"
	ticketsync "github.com/admitone/admitone/sync"
)

// Gates: an organizer of the event's org (or an admin) creates a gate
// and gets its one-time enrolment code (also as a QR code the gate's
// camera can read); `scannerd enroll` exchanges the code for the device
// credential and the gate's starting state; the device then syncs over
// the websocket at /v1/sync. Organizers revoke devices; staff list them.
// Creating a gate is organizer-only because a gate holds the event's
// rotation key and reads its check-in log, which staff may not.

func (s *Server) syncHub() (*ticketsync.Hub, *ticketsync.Enroller, error) {
	if s.Sync == nil || s.Enroller == nil {
		return nil, nil, &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "gate sync is not available on this server"}
	}
	return s.Sync, s.Enroller, nil
}

type gateCreated struct {
	Gate ticketsync.Gate `json:"gate"`
	// EnrollmentCode is shown once: `scannerd enroll --code` takes it.
	EnrollmentCode string `json:"enrolment_code"`
	// EnrollmentQR is the code as a PNG QR image, base64.
	EnrollmentQR []byte `json:"enrolment_qr_png"`
}

func (s *Server) createGate(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	_, enr, err := s.syncHub()
	if err != nil {
		return err
	}
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	var spec ticketsync.GateSpec
	if err := decodeJSON(w, r, &spec); err != nil {
		return err
	}
	if spec.Direction == "" {
		spec.Direction = "entry"
	}
	g, code, err := enr.CreateGate(r.Context(), eventID, spec, p.User.ID)
	if err != nil {
		return err
	}
	var png bytes.Buffer
	if err := qr.PNG(code, 6, &png); err != nil {
		return fmt.Errorf("gate %s: enrolment QR: %w", g.ID, err)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, gateCreated{Gate: g, EnrollmentCode: code, EnrollmentQR: png.Bytes()})
	return nil
}

func (s *Server) listGates(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	hub, _, err := s.syncHub()
	if err != nil {
		return err
	}
	eventID, err := s.requireEventStaff(r, p)
	if err != nil {
		return err
	}
	gates, err := hub.GateStates(r.Context(), eventID)
	if err != nil {
		return err
	}
	if gates == nil {
		gates = []ticketsync.GateState{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"gates": gates})
	return nil
}

// revokeGate revokes a gate's device: its connections close and its
// credential is refused from now on. Organizers only.
func (s *Server) revokeGate(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	hub, _, err := s.syncHub()
	if err != nil {
		return err
	}
	g, err := s.requireGateOrg(r, hub, p)
	if err != nil {
		return err
	}
	g, err = hub.RevokeGate(r.Context(), g.ID, s.now().UTC())
	if err != nil {
		return err
	}
	s.Log.Info("gate revoked", "gate", g.ID, "event", g.EventID, "by", p.User.ID)
	writeJSON(w, http.StatusOK, g)
	return nil
}

// requireGateOrg checks that p manages the organization of the {id}
// gate's event and returns the gate.
func (s *Server) requireGateOrg(r *http.Request, hub *ticketsync.Hub, p *account.Principal) (ticketsync.Gate, error) {
	gateID := r.PathValue("id")
	hidden := hiddenErr("gate", gateID)
	g, err := hub.Gate(r.Context(), gateID)
	if err != nil {
		return ticketsync.Gate{}, hideMissing(err, hidden)
	}
	orgID, err := s.Catalog.EventOrg(r.Context(), g.EventID)
	if err != nil {
		return ticketsync.Gate{}, hideMissing(err, hidden)
	}
	return g, s.orgAccess(r.Context(), p, orgID, true, hidden)
}

type enrollRequest struct {
	Code string `json:"code"`
}

// enrollGate exchanges an enrolment code for a device credential and the
// gate's starting state. It needs no sign-in: the code is the secret. A
// code that does not work is 404 whatever the reason, so codes cannot be
// probed; the organizer sees the gate's state.
func (s *Server) enrollGate(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	_, enr, err := s.syncHub()
	if err != nil {
		return err
	}
	var req enrollRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Code) == "" {
		return fieldError("code", "code (the enrolment code) is required")
	}
	enr2, err := s.enroll(r, enr, req.Code)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, enr2)
	return nil
}

func (s *Server) enroll(r *http.Request, enr *ticketsync.Enroller, code string) (ticketsync.Enrollment, error) {
	// names=1: the gate reads ticket type names (an older scannerd
	// does not ask, and would refuse a bundle carrying them).
	res, err := enr.Enroll(r.Context(), code, ticketsync.EnrollOptions{Names: r.URL.Query().Get("names") == "1"})
	if errors.Is(err, ticketsync.ErrNotFound) || errors.Is(err, ticketsync.ErrExpired) || errors.Is(err, ticketsync.ErrRevoked) {
		return res, &apiError{status: http.StatusNotFound, code: "bad_code", msg: "enrolment code unknown, used, expired or revoked; ask the organizer for a new gate"}
	}
	return res, err
}

// listConflicts lists the event's tickets admitted twice.
func (s *Server) listConflicts(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	return s.writeSyncList(w, r, p, "conflicts", func(ctx context.Context, hub *ticketsync.Hub, eventID string) (any, error) {
		return hub.Conflicts(ctx, eventID, maxSyncList)
	})
}

// maxSyncList bounds the conflicts and quarantined check-ins listed.
const maxSyncList = 1000

// writeSyncList answers an organizer of the {id} event with one of the
// hub's lists of it, under key (an empty list is []).
func (s *Server) writeSyncList(w http.ResponseWriter, r *http.Request, p *account.Principal, key string,
	list func(context.Context, *ticketsync.Hub, string) (any, error)) error {
	hub, _, err := s.syncHub()
	if err != nil {
		return err
	}
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	items, err := list(r.Context(), hub, eventID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{key: items})
	return nil
}

// syncSocket serves a gate's websocket. The device credential comes in
// the Authorization header; an unknown one is 401, a revoked gate's 403,
// both before the upgrade.
func (s *Server) syncSocket(w http.ResponseWriter, r *http.Request, _ *account.Principal) error {
	hub, _, err := s.syncHub()
	if err != nil {
		return err
	}
	g, err := s.gateOfRequest(r)
	if err != nil {
		return err
	}
	if err := checkHandshake(w, r); err != nil {
		return err
	}
	if err := hub.ServeGate(w, r, g); errors.Is(err, ticketsync.ErrTooManyConnections) {
		return &apiError{status: http.StatusTooManyRequests, code: "too_many_connections", retryAfter: 30,
			msg: fmt.Sprintf("this gate already has %d connections open; close one or wait for it to time out", ticketsync.MaxConnsPerGate)}
	}
	return nil
}

// gateOfRequest authenticates a gate's request by its device credential
// (Authorization: Bearer aogc_...): 401 unknown, 403 revoked.
func (s *Server) gateOfRequest(r *http.Request) (ticketsync.Gate, error) {
	hub, _, err := s.syncHub()
	if err != nil {
		return ticketsync.Gate{}, err
	}
	cred, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !strings.HasPrefix(cred, ticketsync.CredentialPrefix) {
		return ticketsync.Gate{}, &apiError{status: http.StatusUnauthorized, code: "unauthorized", msg: "a gate's device credential (Authorization: Bearer aogc_...) is required"}
	}
	g, err := hub.Authenticate(r.Context(), cred)
	switch {
	case errors.Is(err, ticketsync.ErrRevoked):
		return ticketsync.Gate{}, &apiError{status: http.StatusForbidden, code: "gate_revoked", msg: "this gate was revoked by an organizer; enrol it again"}
	case errors.Is(err, ticketsync.ErrNotFound):
		return ticketsync.Gate{}, &apiError{status: http.StatusUnauthorized, code: "unauthorized", msg: "unknown device credential"}
	case err != nil:
		return ticketsync.Gate{}, err
	}
	return g, nil
}

// listQuarantine lists the check-ins the event's gates uploaded that the
// server did not record (a ticket it never issued, another event's, a
// wrong type, an impossible time), with the reason for each.
func (s *Server) listQuarantine(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	return s.writeSyncList(w, r, p, "quarantine", func(ctx context.Context, hub *ticketsync.Hub, eventID string) (any, error) {
		return hub.Quarantine(ctx, eventID, maxSyncList)
	})
}

// checkHandshake answers a request that is not an RFC 6455 websocket
// handshake in the API's error shape, before the websocket library would
// in plain text: 426 without the upgrade or version 13, 400 with a bad key.
func checkHandshake(w http.ResponseWriter, r *http.Request) error {
	hasToken := func(header, token string) bool {
		for _, v := range r.Header.Values(header) {
			for t := range strings.SplitSeq(v, ",") {
				if strings.EqualFold(strings.TrimSpace(t), token) {
					return true
				}
			}
		}
		return false
	}
	if !hasToken("Connection", "upgrade") || !hasToken("Upgrade", "websocket") || !hasToken("Sec-WebSocket-Version", "13") {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Sec-WebSocket-Version", "13")
		return &apiError{status: http.StatusUpgradeRequired, code: "upgrade_required",
			msg: "GET /v1/sync is a websocket: send an RFC 6455 handshake (Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Version: 13, Sec-WebSocket-Key)"}
	}
	if key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-WebSocket-Key")); err != nil || len(key) != 16 {
		return &apiError{status: http.StatusBadRequest, code: "bad_handshake",
			msg: "Sec-WebSocket-Key must be 16 bytes in base64"}
	}
	return nil
}

// listCheckins pages through the check-ins of the event's log: what the
// gates uploaded, with gate, time and whether the gate was offline.
// ?after=SEQ resumes after a log position; ?limit= (1..1000, default 1000)
// bounds the page, which also reports the position to resume from.
func (s *Server) listCheckins(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	svc, err := s.purchases()
	if err != nil {
		return err
	}
	eventID, err := s.requireEventOrg(r, p)
	if err != nil {
		return err
	}
	after, err := queryInt(r, "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 1000, 1, 1000)
	if err != nil {
		return err
	}
	out := []changelog.Change{}
	next := after
	for len(out) < int(limit) {
		page, err := svc.Changes(r.Context(), eventID, next, changelog.MaxChanges)
		if err != nil {
			return err
		}
		for _, c := range page {
			next = c.Seq
			if c.Kind == changelog.KindCheckin {
				out = append(out, c)
				if len(out) == int(limit) {
					break
				}
			}
		}
		if len(page) < changelog.MaxChanges {
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"checkins": out, "next": next})
	return nil
}

// queryInt reads an integer query parameter within [lo, hi], def when
// absent.
func queryInt(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fieldError(name, fmt.Sprintf("%s must be an integer from %d to %d", name, lo, hi))
	}
	return n, nil
}
