package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CheckSubscription checks a subscription before a store writes it.
func CheckSubscription(s Subscription) error {
	switch {
	case !okText(s.ID, MaxID) || !okText(s.UserID, MaxID):
		return fmt.Errorf("%w: subscription id or user", ErrInvalid)
	case !okText(s.Endpoint, MaxEndpoint):
		return fmt.Errorf("%w: subscription %s: endpoint", ErrInvalid, s.ID)
	case len(s.P256dh) != keySize || len(s.Auth) != authSize:
		return fmt.Errorf("%w: subscription %s: keys", ErrInvalid, s.ID)
	}
	return nil
}

// CheckMessages checks messages before a store enqueues them.
func CheckMessages(msgs []Message) error {
	for _, m := range msgs {
		if err := CheckMessage(m); err != nil {
			return err
		}
	}
	return nil
}

// CheckMessage checks a message before a store enqueues it.
func CheckMessage(m Message) error {
	switch {
	case !okText(m.ID, MaxID) || !okText(m.Channel, 40) || !okText(m.UserID, MaxID) || !okText(m.Target, MaxEndpoint):
		return fmt.Errorf("%w: message %.40q: id, channel, user or target", ErrInvalid, m.ID)
	case len(m.Payload) > MaxPayload:
		return fmt.Errorf("%w: message %s: payload of %d bytes, more than %d", ErrInvalid, m.ID, len(m.Payload), MaxPayload)
	}
	return nil
}

func okText(s string, max int) bool {
	return s != "" && len(s) <= max && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// FinishText is lastError as stores keep it: valid UTF-8 without NUL,
// at most MaxLastError bytes.
func FinishText(lastError string) string {
	s := strings.ReplaceAll(strings.ToValidUTF8(lastError, "?"), "\x00", "?")
	for len(s) > MaxLastError {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}
