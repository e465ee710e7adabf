package payment

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/admitone/admitone/purchase"
)

// Test card numbers understood by TestProvider.Confirm. They are the
// numbers Stripe documents for the same outcomes.
const (
	TestCardSucceeds       = "4242424242424242"
	TestCardDeclined       = "4000000000000002"
	TestCardRequiresAction = "4000002500003155"
)

// TestRecord is everything TestProvider keeps about one intent. It is
// what the Save hook receives and what Load takes back.
type TestRecord struct {
	Intent Intent
	// IdempotencyKey is the key the intent was created with, if any.
	IdempotencyKey string
	// Refunds are the intent's refunds, oldest first.
	Refunds []TestRefund
	Created time.Time
}

// TestRefund is a refund as TestProvider keeps it.
type TestRefund struct {
	Refund Refund
	// IdempotencyKey is the key the refund was made with, if any.
	IdempotencyKey string
	// Requested is the amount asked for: zero for "everything left".
	// A call with the same key must ask for the same.
	Requested int64
}

// refunded is the total of the record's refunds.
func (r *TestRecord) refunded() int64 {
	var n int64
	for _, rf := range r.Refunds {
		n += rf.Refund.Amount
	}
	return n
}

func (r *TestRecord) clone() TestRecord {
	c := *r
	c.Refunds = append([]TestRefund(nil), r.Refunds...)
	return c
}

// EventHandler receives the events of TestProvider. An error means
// the event was not processed; TestProvider keeps it for Redeliver.
type EventHandler = func(ctx context.Context, ev Event) error

// TestConfig configures a TestProvider. The zero value is an in-memory
// provider on the wall clock.
type TestConfig struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Save, if set, persists a record before the change it carries takes
	// effect: when Save fails, the call fails and nothing changes. It is
	// called under TestProvider's lock, one call at a time.
	Save func(ctx context.Context, r TestRecord) error
}

// TestProvider is the built-in "test" payment provider: intents live in
// memory (optionally persisted through TestConfig.Save) and the client
// "pays" with one of the test cards through Confirm. It reports outcomes
// through the same normalized Events as Stripe's webhooks, delivered
// synchronously to the handler set with OnEvent. It is safe for
// concurrent use.
type TestProvider struct {
	now  func() time.Time
	save func(context.Context, TestRecord) error

	mu      sync.Mutex
	records map[string]*TestRecord // by intent id
	keys    map[string]idemEntry   // by idempotency key
	handler EventHandler
	pending []Event // events the handler failed, oldest first
}

// idemEntry is what an idempotency key was used for.
type idemEntry struct {
	intentID string
	refundID string // empty for an intent creation
}

var _ Provider = (*TestProvider)(nil)

// NewTestProvider returns an empty TestProvider.
func NewTestProvider(cfg TestConfig) *TestProvider {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &TestProvider{
		now:     now,
		save:    cfg.Save,
		records: make(map[string]*TestRecord),
		keys:    make(map[string]idemEntry),
	}
}

// Name returns "test".
func (p *TestProvider) Name() string { return "test" }

// OnEvent sets the handler that receives the provider's events
// (purchase.EventPaymentSucceeded, purchase.EventPaymentFailed, purchase.EventChargeRefunded). Events
// raised while no handler is set are kept for Redeliver.
func (p *TestProvider) OnEvent(h EventHandler) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handler = h
}

// Load replaces the provider's state with records, as saved by the Save
// hook. Call it before use.
func (p *TestProvider) Load(records []TestRecord) error {
	byID := make(map[string]*TestRecord, len(records))
	keys := make(map[string]idemEntry)
	addKey := func(key string, e idemEntry) error {
		if key == "" {
			return nil
		}
		if _, dup := keys[key]; dup {
			return fmt.Errorf("load: idempotency key used twice: %w", ErrInvalid)
		}
		keys[key] = e
		return nil
	}
	for i := range records {
		r := records[i].clone()
		id := r.Intent.ID
		if id == "" {
			return fmt.Errorf("load: record %d has no intent id: %w", i, ErrInvalid)
		}
		if _, dup := byID[id]; dup {
			return fmt.Errorf("load: intent %s twice: %w", id, ErrInvalid)
		}
		if r.refunded() > r.Intent.Amount {
			return fmt.Errorf("load: intent %s refunds exceed its amount: %w", id, ErrInvalid)
		}
		byID[id] = &r
		if err := addKey(r.IdempotencyKey, idemEntry{intentID: id}); err != nil {
			return err
		}
		for _, rf := range r.Refunds {
			if err := addKey(rf.IdempotencyKey, idemEntry{intentID: id, refundID: rf.Refund.ID}); err != nil {
				return err
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records, p.keys = byID, keys
	return nil
}

// CreateIntent creates an intent awaiting a payment method. A repeated
// idempotency key with the same parameters returns the intent in its
// current state.
func (p *TestProvider) CreateIntent(ctx context.Context, orderID string, amount int64, currency string, idempotencyKey string) (Intent, error) {
	if err := ctx.Err(); err != nil {
		return Intent{}, err
	}
	if err := validateCreate(orderID, amount, currency, idempotencyKey); err != nil {
		return Intent{}, fmt.Errorf("create intent: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if idempotencyKey != "" {
		if e, ok := p.keys[idempotencyKey]; ok {
			r := p.records[e.intentID]
			if e.refundID != "" || r.Intent.OrderID != orderID || r.Intent.Amount != amount || r.Intent.Currency != currency {
				return Intent{}, fmt.Errorf("create intent: idempotency key reused with different parameters: %w", ErrInvalid)
			}
			return r.Intent, nil
		}
	}
	id := "pi_test_" + token()
	r := TestRecord{
		Intent: Intent{
			ID:           id,
			ClientSecret: id + "_secret_" + token(),
			Amount:       amount,
			Currency:     currency,
			Status:       StatusRequiresPaymentMethod,
			OrderID:      orderID,
		},
		IdempotencyKey: idempotencyKey,
		Created:        p.now().UTC(),
	}
	if err := p.commit(ctx, r); err != nil {
		return Intent{}, fmt.Errorf("create intent: %w", err)
	}
	if idempotencyKey != "" {
		p.keys[idempotencyKey] = idemEntry{intentID: id}
	}
	return r.Intent, nil
}

// Intent returns the intent's current state.
func (p *TestProvider) Intent(ctx context.Context, id string) (Intent, error) {
	if err := ctx.Err(); err != nil {
		return Intent{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.records[id]
	if !ok {
		return Intent{}, fmt.Errorf("intent %q: %w", id, ErrNotFound)
	}
	return r.Intent, nil
}

// Record returns what the provider keeps about an intent: its state
// and refunds. Tests and the demo read it; ok is false for an unknown
// intent.
func (p *TestProvider) Record(intentID string) (r TestRecord, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rec, ok := p.records[intentID]
	if !ok {
		return TestRecord{}, false
	}
	return rec.clone(), true
}

// Confirm simulates the client confirming the intent with a card, as
// Stripe.js would: TestCardSucceeds pays it (purchase.EventPaymentSucceeded),
// TestCardDeclined fails with ErrDeclined and status failed
// (purchase.EventPaymentFailed), TestCardRequiresAction leaves it in
// requires_action until CompleteAction. Any other number is ErrInvalid
// and changes nothing; the number is not repeated in the error. Only an
// intent that requires a payment method, or whose last attempt failed,
// can be confirmed.
//
// When the event handler fails, Confirm returns the updated intent and
// an error wrapping the handler's; the payment stands, as it would at
// Stripe, and the event waits for Redeliver.
func (p *TestProvider) Confirm(ctx context.Context, intentID, card string) (Intent, error) {
	if err := ctx.Err(); err != nil {
		return Intent{}, err
	}
	p.mu.Lock()
	old, ok := p.records[intentID]
	if !ok {
		p.mu.Unlock()
		return Intent{}, fmt.Errorf("confirm %q: %w", intentID, ErrNotFound)
	}
	if s := old.Intent.Status; s != StatusRequiresPaymentMethod && s != StatusFailed {
		p.mu.Unlock()
		return old.Intent, fmt.Errorf("confirm %s: the intent is %s; only one awaiting a payment method can be confirmed: %w", intentID, s, ErrInvalid)
	}
	r := old.clone()
	var (
		evType string
		result error
	)
	switch card {
	case TestCardSucceeds:
		r.Intent.Status, evType = StatusSucceeded, purchase.EventPaymentSucceeded
	case TestCardDeclined:
		r.Intent.Status, evType = StatusFailed, purchase.EventPaymentFailed
		result = fmt.Errorf("confirm %s: %w", intentID, ErrDeclined)
	case TestCardRequiresAction:
		r.Intent.Status = StatusRequiresAction
	default:
		p.mu.Unlock()
		return old.Intent, fmt.Errorf("confirm %s: the card is not one of the test cards: %w", intentID, ErrInvalid)
	}
	if err := p.commit(ctx, r); err != nil {
		p.mu.Unlock()
		return old.Intent, fmt.Errorf("confirm %s: %w", intentID, err)
	}
	p.mu.Unlock()
	if evType == "" {
		return r.Intent, nil
	}
	ev := p.event(evType, r.Intent, r.Intent.Amount)
	return r.Intent, errors.Join(result, p.deliver(ctx, ev))
}

// CompleteAction simulates the customer passing authentication on an
// intent confirmed with TestCardRequiresAction: it succeeds and
// purchase.EventPaymentSucceeded is delivered. Errors are as for Confirm.
func (p *TestProvider) CompleteAction(ctx context.Context, intentID string) (Intent, error) {
	if err := ctx.Err(); err != nil {
		return Intent{}, err
	}
	p.mu.Lock()
	old, ok := p.records[intentID]
	if !ok {
		p.mu.Unlock()
		return Intent{}, fmt.Errorf("complete action %q: %w", intentID, ErrNotFound)
	}
	if old.Intent.Status != StatusRequiresAction {
		p.mu.Unlock()
		return old.Intent, fmt.Errorf("complete action %s: the intent is %s, not %s: %w", intentID, old.Intent.Status, StatusRequiresAction, ErrInvalid)
	}
	r := old.clone()
	r.Intent.Status = StatusSucceeded
	if err := p.commit(ctx, r); err != nil {
		p.mu.Unlock()
		return old.Intent, fmt.Errorf("complete action %s: %w", intentID, err)
	}
	p.mu.Unlock()
	return r.Intent, p.deliver(ctx, p.event(purchase.EventPaymentSucceeded, r.Intent, r.Intent.Amount))
}

// Refund refunds amount (zero: all that is left) of a succeeded intent
// and delivers purchase.EventChargeRefunded. Refunds succeed at once.
func (p *TestProvider) Refund(ctx context.Context, intentID string, amount int64, idempotencyKey string) (Refund, error) {
	if err := ctx.Err(); err != nil {
		return Refund{}, err
	}
	if err := validateRefund(intentID, amount, idempotencyKey); err != nil {
		return Refund{}, fmt.Errorf("refund: %w", err)
	}
	p.mu.Lock()
	if idempotencyKey != "" {
		if e, ok := p.keys[idempotencyKey]; ok {
			defer p.mu.Unlock()
			if e.refundID == "" || e.intentID != intentID {
				return Refund{}, fmt.Errorf("refund %s: idempotency key reused with different parameters: %w", intentID, ErrInvalid)
			}
			for _, rf := range p.records[e.intentID].Refunds {
				if rf.Refund.ID == e.refundID {
					if rf.Requested != amount {
						return Refund{}, fmt.Errorf("refund %s: idempotency key reused with different parameters: %w", intentID, ErrInvalid)
					}
					return rf.Refund, nil
				}
			}
			return Refund{}, fmt.Errorf("refund %s: idempotency key names a lost refund: %w", intentID, ErrNotFound)
		}
	}
	old, ok := p.records[intentID]
	if !ok {
		p.mu.Unlock()
		return Refund{}, fmt.Errorf("refund %q: %w", intentID, ErrNotFound)
	}
	if old.Intent.Status != StatusSucceeded {
		p.mu.Unlock()
		return Refund{}, fmt.Errorf("refund %s: the intent is %s; only a succeeded payment can be refunded: %w", intentID, old.Intent.Status, ErrInvalid)
	}
	left := old.Intent.Amount - old.refunded()
	give := amount
	if give == 0 {
		give = left
	}
	switch {
	case left == 0:
		p.mu.Unlock()
		return Refund{}, fmt.Errorf("refund %s: the payment is already fully refunded: %w", intentID, ErrInvalid)
	case give > left:
		p.mu.Unlock()
		return Refund{}, fmt.Errorf("refund %s: %d %s is more than the %d %s not yet refunded: %w",
			intentID, give, old.Intent.Currency, left, old.Intent.Currency, ErrInvalid)
	}
	rf := Refund{ID: "re_test_" + token(), IntentID: intentID, Amount: give, Currency: old.Intent.Currency, Status: RefundSucceeded}
	r := old.clone()
	r.Refunds = append(r.Refunds, TestRefund{Refund: rf, IdempotencyKey: idempotencyKey, Requested: amount})
	if err := p.commit(ctx, r); err != nil {
		p.mu.Unlock()
		return Refund{}, fmt.Errorf("refund %s: %w", intentID, err)
	}
	if idempotencyKey != "" {
		p.keys[idempotencyKey] = idemEntry{intentID: intentID, refundID: rf.ID}
	}
	p.mu.Unlock()
	return rf, p.deliver(ctx, p.event(purchase.EventChargeRefunded, r.Intent, r.refunded()))
}

// Redeliver hands the events whose delivery failed (or that were raised
// while no handler was set) to the handler again, oldest first, like
// Stripe's retries. Events the handler fails again go back to the end
// of the queue; the returned error joins their errors.
func (p *TestProvider) Redeliver(ctx context.Context) error {
	p.mu.Lock()
	evs, h := p.pending, p.handler
	if h == nil {
		p.mu.Unlock()
		return nil
	}
	p.pending = nil
	p.mu.Unlock()
	var errs []error
	for i, ev := range evs {
		if err := ctx.Err(); err != nil {
			p.requeue(evs[i:])
			return errors.Join(append(errs, err)...)
		}
		if err := h(ctx, ev); err != nil {
			p.requeue([]Event{ev})
			errs = append(errs, fmt.Errorf("deliver %s %s: %w", ev.Type, ev.ID, err))
		}
	}
	return errors.Join(errs...)
}

// Pending returns how many events wait for Redeliver.
func (p *TestProvider) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

// commit saves r and makes it current. Call with p.mu held.
func (p *TestProvider) commit(ctx context.Context, r TestRecord) error {
	if p.save != nil {
		if err := p.save(ctx, r.clone()); err != nil {
			return fmt.Errorf("save intent %s: %w", r.Intent.ID, err)
		}
	}
	p.records[r.Intent.ID] = &r
	return nil
}

func (p *TestProvider) event(typ string, in Intent, amount int64) Event {
	return Event{
		ID:       "evt_test_" + token(),
		Type:     typ,
		IntentID: in.ID,
		OrderID:  in.OrderID,
		Amount:   amount,
		Currency: in.Currency,
		Created:  p.now().UTC(),
	}
}

// deliver hands ev to the handler outside the lock; a failure keeps ev
// for Redeliver.
func (p *TestProvider) deliver(ctx context.Context, ev Event) error {
	p.mu.Lock()
	h := p.handler
	p.mu.Unlock()
	if h == nil {
		p.requeue([]Event{ev})
		return nil
	}
	if err := h(ctx, ev); err != nil {
		p.requeue([]Event{ev})
		return fmt.Errorf("deliver %s %s: %w", ev.Type, ev.ID, err)
	}
	return nil
}

func (p *TestProvider) requeue(evs []Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = append(p.pending, evs...)
}

// token returns a random lower-case id part of 130 bits.
func token() string { return strings.ToLower(rand.Text()) }
