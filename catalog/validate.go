package catalog

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
	// The zone database is embedded so that validating an event's time
	// zone does not depend on the host having /usr/share/zoneinfo (minimal
	// containers do not).
	_ "time/tzdata"
	"unicode/utf8"
)

// Limits the service enforces on what organizers enter.
const (
	MaxTitleLen       = 200
	MaxDescriptionLen = 10_000
	MaxTags           = 20
	MaxTagLen         = 40
	MaxImages         = 10
	MaxImageURLLen    = 2048
	MaxNameLen        = 200
	MaxAddressLen     = 500
	MaxCityLen        = 100
	MaxCapacity       = 10_000_000
	MaxPerOrder       = 100
	// MaxPrice bounds a ticket type's price, in minor units: 1,000,000.00
	// of a currency with cents. With MaxPerOrder per line and
	// purchase.MaxLines lines an order's total stays far inside an int64
	// (2*10^11), and purchase checks every sum for overflow all the same.
	MaxPrice = 100_000_000
)

// Categories lists the event categories, in the order a client shows them.
var Categories = []string{"music", "theatre", "comedy", "sports", "festival", "conference", "family", "other"}

// invalid returns a FieldError whose message starts with the field name.
func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: field + " " + fmt.Sprintf(format, args...)}
}

// checkText checks a free-text field: valid UTF-8, no control characters
// other than newlines and tabs (when multiline), and a length in runes.
func checkText(field, s string, min, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return invalid(field, "is not valid UTF-8")
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < min && min == 1:
		return invalid(field, "is required")
	case n < min:
		return invalid(field, "must be at least %d characters", min)
	case n > max:
		return invalid(field, "must be at most %d characters (got %d)", max, n)
	}
	for _, r := range s {
		if r < 0x20 && !(multiline && (r == '\n' || r == '\r' || r == '\t')) || r == 0x7f {
			return invalid(field, "must not contain control characters")
		}
	}
	return nil
}

func validateOrg(o *Organization) error {
	o.Name = strings.TrimSpace(o.Name)
	return checkText("name", o.Name, 1, MaxNameLen, false)
}

func validateVenue(v *Venue) error {
	v.Name = strings.TrimSpace(v.Name)
	v.Address = strings.TrimSpace(v.Address)
	v.City = strings.TrimSpace(v.City)
	v.Country = strings.ToUpper(strings.TrimSpace(v.Country))
	if err := checkText("name", v.Name, 1, MaxNameLen, false); err != nil {
		return err
	}
	if err := checkText("address", v.Address, 0, MaxAddressLen, false); err != nil {
		return err
	}
	if err := checkText("city", v.City, 1, MaxCityLen, false); err != nil {
		return err
	}
	if len(v.Country) != 2 || !isUpperASCII(v.Country) {
		return invalid("country", "must be a two-letter ISO 3166-1 code such as DE (got %q)", v.Country)
	}
	if math.IsNaN(v.Lat) || v.Lat < -90 || v.Lat > 90 {
		return invalid("lat", "must be between -90 and 90")
	}
	if math.IsNaN(v.Lon) || v.Lon < -180 || v.Lon > 180 {
		return invalid("lon", "must be between -180 and 180")
	}
	return nil
}

// validateEvent checks and normalizes the fields an organizer sets. It does
// not look at the venue (the service checks that it exists and belongs to
// the organization) or the status.
func validateEvent(e *Event) error {
	e.Title = strings.TrimSpace(e.Title)
	if err := checkText("title", e.Title, 1, MaxTitleLen, false); err != nil {
		return err
	}
	if err := checkText("description", e.Description, 0, MaxDescriptionLen, true); err != nil {
		return err
	}
	e.Category = strings.ToLower(strings.TrimSpace(e.Category))
	if !isCategory(e.Category) {
		return invalid("category", "must be one of %s (got %q)", strings.Join(Categories, ", "), e.Category)
	}
	if len(e.Tags) > MaxTags {
		return invalid("tags", "must have at most %d entries (got %d)", MaxTags, len(e.Tags))
	}
	for i, tag := range e.Tags {
		tag = strings.TrimSpace(tag)
		if err := checkText(fmt.Sprintf("tags[%d]", i), tag, 1, MaxTagLen, false); err != nil {
			return &FieldError{Field: "tags", Message: err.(*FieldError).Message}
		}
		e.Tags[i] = tag
	}
	if len(e.Images) > MaxImages {
		return invalid("images", "must have at most %d entries (got %d)", MaxImages, len(e.Images))
	}
	for i, img := range e.Images {
		if err := checkImageURL(img); err != nil {
			return &FieldError{Field: "images", Message: fmt.Sprintf("images[%d] %s", i, err)}
		}
	}
	if e.TimeZone == "" {
		return invalid("time_zone", "is required (an IANA name such as Europe/Berlin)")
	}
	if _, err := time.LoadLocation(e.TimeZone); err != nil || e.TimeZone == "Local" {
		return invalid("time_zone", "is not a known IANA time zone (got %q)", e.TimeZone)
	}
	if e.StartsAt.IsZero() {
		return invalid("starts_at", "is required")
	}
	if e.EndsAt.IsZero() {
		return invalid("ends_at", "is required")
	}
	if e.DoorsAt.IsZero() {
		e.DoorsAt = e.StartsAt
	}
	// Event times are kept in UTC to the second: every store round-trips
	// them exactly, and nobody schedules doors to the nanosecond.
	e.StartsAt = e.StartsAt.UTC().Truncate(time.Second)
	e.EndsAt = e.EndsAt.UTC().Truncate(time.Second)
	e.DoorsAt = e.DoorsAt.UTC().Truncate(time.Second)
	if !e.StartsAt.Before(e.EndsAt) {
		return invalid("ends_at", "must be after starts_at")
	}
	if e.DoorsAt.After(e.StartsAt) {
		return invalid("doors_at", "must not be after starts_at")
	}
	return nil
}

func checkImageURL(s string) error {
	if len(s) > MaxImageURLLen {
		return fmt.Errorf("must be at most %d bytes long", MaxImageURLLen)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return fmt.Errorf("must be an https URL (got %q)", truncate(s, 80))
	}
	return nil
}

// validateTicketType checks a ticket type against the event it is for.
func validateTicketType(t *TicketType, e Event) error {
	t.Name = strings.TrimSpace(t.Name)
	if err := checkText("name", t.Name, 1, MaxNameLen, false); err != nil {
		return err
	}
	if t.Kind == "" {
		t.Kind = KindAdmission
	}
	if t.Kind != KindAdmission && t.Kind != KindMerchandise {
		return invalid("kind", "must be admission or merchandise (got %q)", t.Kind)
	}
	if t.Price.Amount < 0 {
		return invalid("price", "must not be negative")
	}
	if t.Price.Amount > MaxPrice {
		return invalid("price", "must be at most %d (in minor units, e.g. cents; got %d)", MaxPrice, t.Price.Amount)
	}
	if len(t.Price.Currency) != 3 || !isUpperASCII(t.Price.Currency) {
		return invalid("currency", "must be an ISO 4217 code of three capital letters such as EUR (got %q)", t.Price.Currency)
	}
	if t.Capacity <= 0 {
		return invalid("capacity", "must be positive")
	}
	if t.Capacity > MaxCapacity {
		return invalid("capacity", "must be at most %d", MaxCapacity)
	}
	if t.PerOrderMax < 1 || t.PerOrderMax > MaxPerOrder {
		return invalid("per_order_max", "must be between 1 and %d", MaxPerOrder)
	}
	if t.PerBuyerMax != 0 && (t.PerBuyerMax < t.PerOrderMax || t.PerBuyerMax > t.Capacity) {
		return invalid("per_buyer_max", "must be 0 (no limit) or between per_order_max (%d) and the capacity (%d)", t.PerOrderMax, t.Capacity)
	}
	if t.MaxHeldPerBuyer != 0 && (t.MaxHeldPerBuyer < t.PerOrderMax || t.MaxHeldPerBuyer > t.Capacity) {
		return invalid("max_held_per_buyer", "must be 0 (the server's cap only) or between per_order_max (%d) and the capacity (%d)", t.PerOrderMax, t.Capacity)
	}
	if !t.SaleStarts.IsZero() {
		t.SaleStarts = t.SaleStarts.UTC().Truncate(time.Second)
		if !t.SaleStarts.Before(e.EndsAt) {
			return invalid("sale_starts", "must be before the event ends")
		}
	}
	if !t.SaleEnds.IsZero() {
		t.SaleEnds = t.SaleEnds.UTC().Truncate(time.Second)
		if !t.SaleStarts.IsZero() && !t.SaleStarts.Before(t.SaleEnds) {
			return invalid("sale_ends", "must be after sale_starts")
		}
		if t.SaleEnds.After(e.EndsAt) {
			return invalid("sale_ends", "must not be after the event ends")
		}
	}
	return nil
}

func isCategory(s string) bool {
	for _, c := range Categories {
		if s == c {
			return true
		}
	}
	return false
}

func isUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
