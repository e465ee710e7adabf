package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// MaxBody bounds a JSON request body.
const MaxBody = 64 << 10

// decodeJSON reads one JSON object into v: at most MaxBody bytes, unknown
// fields refused, nothing after the object. Errors name the field.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r, MaxBody)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &apiError{status: http.StatusBadRequest, code: "bad_json", msg: "request body is empty; want a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &apiError{status: http.StatusBadRequest, code: "bad_json", msg: "request body has data after the JSON object"}
	}
	return nil
}

// readBody reads a request body of at most limit bytes. Only a body over
// the limit is 413 too_large; one cut short (fewer bytes than its
// Content-Length, or the connection broke) is 400 incomplete_body.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		return body, nil
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: "too_large",
			msg: fmt.Sprintf("request body is larger than %d bytes", limit)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, &apiError{status: http.StatusBadRequest, code: "incomplete_body",
			msg: "request body is incomplete: it ended before the length its Content-Length header declared"}
	}
	return nil, &apiError{status: http.StatusBadRequest, code: "incomplete_body", msg: "could not read the request body: the connection failed or timed out while sending it"}
}

// jsonError turns an encoding/json error into a message naming the field.
func jsonError(err error) *apiError {
	e := &apiError{status: http.StatusBadRequest, code: "bad_json"}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		e.msg = fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ) && typ.Field == "":
		e.msg = fmt.Sprintf("request body must be a JSON object, not %s", typ.Value)
	case errors.As(err, &typ):
		e.field = typ.Field
		e.msg = fmt.Sprintf("field %q: want %s, got %s", typ.Field, jsonType(typ.Type), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.msg = "malformed JSON: the body ends in the middle of a value"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e.field = name
		e.msg = fmt.Sprintf("unknown field %q", name)
	default:
		// Errors from a type's UnmarshalJSON/UnmarshalText (times): their
		// text is Go's (layouts, method names), so it is not passed on.
		var pe *time.ParseError
		if errors.As(err, &pe) {
			e.msg = fmt.Sprintf("invalid time %q: want an RFC 3339 time such as 2030-05-01T20:00:00+02:00", pe.Value)
		} else {
			e.msg = "invalid value: a field does not have the form it needs (times are RFC 3339 strings such as 2030-05-01T20:00:00+02:00)"
		}
	}
	return e
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// jsonType names the JSON a Go type decodes from, for messages: "a
// string", "a whole number from 0 to 65535", "an object".
func jsonType(t reflect.Type) string {
	if t == nil {
		return "another JSON type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "a whole number"
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if t.Bits() == 64 {
			return "a whole number"
		}
		return fmt.Sprintf("a whole number from %d to %d", -1<<(t.Bits()-1), 1<<(t.Bits()-1)-1)
	case reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return "a whole number, not negative"
	case reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return fmt.Sprintf("a whole number from 0 to %d", uint64(1)<<t.Bits()-1)
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another JSON type"
}
