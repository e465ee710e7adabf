package purchase

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/admitone/admitone/catalog"
)

// MaxCityLen is the most runes a buyer's city may have.
const MaxCityLen = 80

// CheckCity checks and normalises the city a buyer gives at checkout:
// spaces trimmed and runs of them made one; empty is no city. Otherwise
// it must be valid UTF-8 of at most MaxCityLen runes that starts with a
// letter and holds only letters, combining marks, spaces and . , ' - ( )
// (Saint-Étienne, Washington, D.C.). Anything else is a catalog.FieldError naming buyer_city,
// wrapping ErrInvalid.
func CheckCity(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "", nil
	}
	bad := func(msg string) (string, error) {
		return "", &catalog.FieldError{Field: "buyer_city", Message: "buyer_city " + msg}
	}
	if !utf8.ValidString(s) {
		return bad("is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxCityLen {
		return bad("is longer than 80 characters")
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r):
		case i == 0:
			return bad("must start with a letter")
		case unicode.Is(unicode.Mn, r) || r == ' ' || strings.ContainsRune(".,'-()", r):
		default:
			return bad("may hold only letters, spaces and . , ' - ( )")
		}
	}
	return s, nil
}
