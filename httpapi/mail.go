package httpapi

import (
	"context"

	"github.com/admitone/admitone/notify"
	"github.com/admitone/admitone/purchase"
)

// OrderAttachments are the files an order confirmation mail carries
// (notify.Email.Attachments): for each valid ticket the buyer holds, its
// QR code as a PNG and, with Apple Wallet configured, its pass. A
// rotating ticket's code changes every step, so it gets neither: its
// holder shows it from the app.
func (s *Server) OrderAttachments(ctx context.Context, orderID, buyerID string) ([]notify.Attachment, error) {
	svc, err := s.purchases()
	if err != nil {
		return nil, err
	}
	tickets, err := svc.OrderTickets(ctx, orderID, buyerID)
	if err != nil {
		return nil, err
	}
	var files []notify.Attachment
	for _, t := range tickets {
		if t.Token == "" || t.Status != purchase.TicketValid || t.Rotating {
			continue
		}
		png, err := s.qrPNG(ctx, t)
		if err != nil {
			return nil, err
		}
		files = append(files, notify.Attachment{Name: t.ID + ".png", ContentType: "image/png", Data: png})
		if s.PassSigner == nil {
			continue
		}
		page, err := s.ticketPage(ctx, t)
		if err != nil {
			return nil, err
		}
		pass, err := s.pkpass(t, page, s.holderName(ctx, t.HolderID))
		if err != nil {
			return nil, err
		}
		files = append(files, notify.Attachment{Name: t.ID + ".pkpass", ContentType: "application/vnd.apple.pkpass", Data: pass})
	}
	return files, nil
}
