package purchase

import "context"

// Admissions decides whether a buyer may hold an event's tickets now:
// an event whose on-sale has a waiting room takes holds only from
// buyers it admitted, with their admission token. *waitroom.Service
// implements it; its errors (waitroom.ErrAdmissionRequired,
// waitroom.ErrAdmissionExpired) are CreateHoldAdmitted's.
type Admissions interface {
	CheckAdmission(ctx context.Context, eventID, buyerID, token string) error
}
