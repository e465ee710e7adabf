package bundle

import (
	"encoding/base64"

	ticketcrypto "github.com/admitone/admitone/crypto"
)

func b64sig(key ticketcrypto.PrivateKey, payload []byte) string {
	return base64.RawURLEncoding.EncodeToString(key.Sign(signatureContext, payload))
}
