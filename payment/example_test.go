package payment_test

import (
	"context"
	"fmt"

	"github.com/admitone/admitone/payment"
)

// The test provider walks through a payment the way Stripe would: the
// server creates the intent, the client confirms it with a card, and the
// server learns the outcome from an event.
func ExampleTestProvider() {
	ctx := context.Background()
	p := payment.NewTestProvider(payment.TestConfig{})
	p.OnEvent(func(_ context.Context, ev payment.Event) error {
		fmt.Println("event:", ev.Type, ev.OrderID, ev.Amount, ev.Currency)
		return nil
	})

	in, err := p.CreateIntent(ctx, "ord_1", 8950, "EUR", "checkout-ord_1")
	if err != nil {
		panic(err)
	}
	// The client holds in.ClientSecret; with Stripe it would now call
	// stripe.confirmPayment.
	in, err = p.Confirm(ctx, in.ID, payment.TestCardSucceeds)
	fmt.Println("status:", in.Status, err)

	rf, err := p.Refund(ctx, in.ID, 2000, "refund-ord_1-1")
	fmt.Println("refund:", rf.Amount, rf.Status, err)
	// Output:
	// event: payment_intent.succeeded ord_1 8950 EUR
	// status: succeeded <nil>
	// event: charge.refunded ord_1 2000 EUR
	// refund: 2000 succeeded <nil>
}
