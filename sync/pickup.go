package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// A merch desk (a gate with Purpose PurposeMerchPickup) hands out an
// order's merchandise by claiming it at the server, online: POST
// /v1/gate/pickups with the gate's device credential and the scanned
// order code. These are that request's answer and the desk's client;
// package merch is the server's side.

// PickupItem is one merchandise line of an order: what a scan hands out
// or, with GateID, GateName and At, what a desk handed out before.
type PickupItem struct {
	TicketTypeID string    `json:"ticket_type_id"`
	Name         string    `json:"name"`
	Quantity     int       `json:"quantity"`
	GateID       string    `json:"gate_id,omitempty"`
	GateName     string    `json:"gate_name,omitempty"`
	At           time.Time `json:"at,omitzero"`
}

// PickupResult is what one scan at a desk did: HandedOut are the lines
// this scan hands out, Earlier those handed out before (at this desk or
// another).
type PickupResult struct {
	OrderID   string       `json:"order_id"`
	HandedOut []PickupItem `json:"handed_out"`
	Earlier   []PickupItem `json:"earlier"`
}

// ErrPickupOffline is a pickup the desk could not send: the server is
// out of reach or not answering. Nothing was handed out.
var ErrPickupOffline = errors.New("offline: pickup needs the server")

// PickupRefusal is the server's refusal of a pickup (a bad code, an
// unpaid order, a gate that is not a desk), with its code and message.
type PickupRefusal struct {
	Status  int
	Code    string
	Message string
}

func (e *PickupRefusal) Error() string {
	return fmt.Sprintf("pickup refused (%d %s): %s", e.Status, e.Code, e.Message)
}

// maxPickupAnswer bounds the server's answer to one pickup.
const maxPickupAnswer = 256 << 10

// PickupClient claims pickups at the server for a merch desk.
type PickupClient struct {
	Server     string // base URL, as enrolled
	Credential string
	// HTTP defaults to a client with a 10 second timeout.
	HTTP *http.Client
}

// Pickup sends a scanned order code. It returns ErrPickupOffline when the
// server cannot be reached or answers 5xx, a *PickupRefusal for the
// server's other refusals.
func (c *PickupClient) Pickup(ctx context.Context, code string) (PickupResult, error) {
	body, _ := json.Marshal(map[string]string{"code": code})
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(c.Server, "/")+"/v1/gate/pickups", bytes.NewReader(body))
	if err != nil {
		return PickupResult{}, fmt.Errorf("pickup: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Credential)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := hc.Do(req)
	if err != nil {
		return PickupResult{}, fmt.Errorf("%w (%v)", ErrPickupOffline, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxPickupAnswer+1))
	if err != nil || len(raw) > maxPickupAnswer {
		return PickupResult{}, fmt.Errorf("%w (answer unreadable or over %d bytes)", ErrPickupOffline, maxPickupAnswer)
	}
	if res.StatusCode >= 500 {
		return PickupResult{}, fmt.Errorf("%w (HTTP %d)", ErrPickupOffline, res.StatusCode)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
			e.Error.Code, e.Error.Message = "refused", http.StatusText(res.StatusCode)
		}
		return PickupResult{}, &PickupRefusal{Status: res.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	var r PickupResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return PickupResult{}, fmt.Errorf("pickup: answer: %w", err)
	}
	return r, nil
}
