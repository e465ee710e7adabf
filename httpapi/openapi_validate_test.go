package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Every harness records the requests its server answers, and at the end
// of the test validates each answer against openapi.json: the status is
// one the operation documents, and the body has the documented content
// type and matches its schema (no undocumented fields where the schema
// says additionalProperties: false, no null where an array is documented).
// So every test of this package checks the document against real answers,
// whatever route it calls; requests to paths or methods the document does
// not describe (404 and 405 tests) are left out.

// maxRecordedBody bounds a recorded answer; a larger one is checked for its
// status and content type only.
const maxRecordedBody = 8 << 20

// exchange is one request and the answer the server gave.
type exchange struct {
	req       *http.Request // method, URL and header; no body
	status    int
	header    http.Header
	body      []byte
	truncated bool // the body outgrew maxRecordedBody
	hijacked  bool // a websocket took the connection
}

// exchangeRecorder is middleware that records every exchange.
type exchangeRecorder struct {
	next      http.Handler
	mu        sync.Mutex
	exchanges []*exchange
}

func (rec *exchangeRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequestWithContext(context.Background(), r.Method, r.URL.String(), nil)
	if err != nil {
		panic(err) // r's URL parsed once already
	}
	req.Host = r.Host
	req.Header = r.Header.Clone()
	x := &exchange{req: req}
	rw := &recordingWriter{ResponseWriter: w, x: x}
	rec.next.ServeHTTP(rw, r)
	if x.status == 0 && !x.hijacked {
		x.status = http.StatusOK
		x.header = w.Header().Clone()
	}
	rec.mu.Lock()
	rec.exchanges = append(rec.exchanges, x)
	rec.mu.Unlock()
}

// recordingWriter copies the status, header and body into its exchange.
type recordingWriter struct {
	http.ResponseWriter
	x *exchange
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.x.status == 0 && code >= 200 {
		w.x.status = code
		w.x.header = w.Header().Clone()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.x.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.x.truncated {
		if len(w.x.body)+len(b) > maxRecordedBody {
			w.x.truncated = true
			w.x.body = nil
		} else {
			w.x.body = append(w.x.body, b...)
		}
	}
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection to a websocket; the answer is 101.
func (w *recordingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("response writer cannot be hijacked")
	}
	if w.x.status == 0 {
		w.x.status, w.x.hijacked = http.StatusSwitchingProtocols, true
		w.x.header = w.Header().Clone()
	}
	return h.Hijack()
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recordingServer starts handler under httptest with a recorder in front,
// and validates what it recorded against openapi.json when t ends.
func recordingServer(t *testing.T, handler http.Handler) *httptest.Server {
	t.Helper()
	rec := &exchangeRecorder{next: handler}
	srv := httptest.NewServer(rec)
	t.Cleanup(func() {
		srv.Close() // first, so that no exchange is still being written
		rec.mu.Lock()
		xs := rec.exchanges
		rec.mu.Unlock()
		for _, msg := range validateExchanges(t, xs) {
			t.Errorf("answer does not match openapi.json: %s", msg)
		}
	})
	return srv
}

var (
	apiRouterOnce sync.Once
	apiRouter     routers.Router
	apiRouterErr  error
)

// openAPIRouter loads the embedded openapi.json once and routes requests
// to its operations on any host.
func openAPIRouter() (routers.Router, error) {
	apiRouterOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/vnd.apple.pkpass", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder) // the unsubscribe pages
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(openAPI)
		if err != nil {
			apiRouterErr = fmt.Errorf("load openapi.json: %w", err)
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			apiRouterErr = fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
			return
		}
		doc.Servers = nil // match the test server's host
		apiRouter, apiRouterErr = legacy.NewRouter(doc)
	})
	return apiRouter, apiRouterErr
}

// validateExchanges checks each exchange against openapi.json and returns
// one message per distinct problem: the operation, the status and what
// the validator said, with the start of the body.
func validateExchanges(t *testing.T, xs []*exchange) []string {
	t.Helper()
	router, err := openAPIRouter()
	if err != nil {
		return []string{err.Error()}
	}
	var msgs []string
	seen := map[string]bool{}
	for _, x := range xs {
		route, params, err := router.FindRoute(x.req)
		if err != nil {
			continue // not a documented path and method: 404 and 405 tests
		}
		err = validateExchange(route, params, x)
		if err == nil {
			continue
		}
		key := fmt.Sprintf("%s %s -> %d: %v", route.Method, route.Path, x.status, err)
		if seen[key] {
			continue
		}
		seen[key] = true
		body := string(x.body)
		if len(body) > 300 {
			body = body[:300] + "..."
		}
		msgs = append(msgs, fmt.Sprintf("%s %s (%s) -> %d: %s\n\tbody: %s", route.Method, route.Path, x.req.URL.RequestURI(),
			x.status, strings.ReplaceAll(err.Error(), "\n", "\n\t"), body))
	}
	return msgs
}

func validateExchange(route *routers.Route, params map[string]string, x *exchange) error {
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	if x.truncated {
		opts.ExcludeResponseBody = true
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: x.req, PathParams: params, Route: route, Options: opts},
		Status:                 x.status,
		Header:                 x.header,
		Body:                   io.NopCloser(bytes.NewReader(x.body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return err
	}
	// The validator lets a body through where the document gives no
	// content; an answer documented as empty must be.
	if r := route.Operation.Responses.Status(x.status); r != nil && r.Value != nil && len(r.Value.Content) == 0 && len(x.body) > 0 {
		return fmt.Errorf("the document gives status %d no content, but the answer has a %d-byte body (%s)",
			x.status, len(x.body), x.header.Get("Content-Type"))
	}
	return nil
}

// TestResponseValidator shows that the check the harness runs at the end
// of every test refuses what the document does not allow: an undocumented
// status, an undocumented field, null for a list, another content type,
// and a body where none is documented; and accepts a documented answer.
func TestResponseValidator(t *testing.T) {
	get := func(path string) *http.Request {
		r, err := http.NewRequest("GET", "http://127.0.0.1:1"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	post := func(path string) *http.Request {
		r := get(path)
		r.Method = "POST"
		return r
	}
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	errBody := `{"error":{"code":"not_found","message":"no such event"}}`
	for _, c := range []struct {
		name string
		x    exchange
		want string // "" for valid; else a part of the message
	}{
		{"documented error", exchange{req: get("/v1/events/ev_1"), status: 404, header: jsonHeader, body: []byte(errBody)}, ""},
		{"search hit with score and distance", exchange{req: get("/v1/events?q=x&near=52.5,13.4"), status: 200, header: jsonHeader,
			body: []byte(`{"total":1,"page":1,"per_page":20,"events":[{"event":{"id":"ev_1"},"venue":{"id":"ven_1"},"ticket_types":[],` +
				`"score":1.5,"distance_km":2.25}],"facets":{}}`)}, ""},
		{"undocumented status", exchange{req: get("/v1/events/ev_1"), status: 418, header: jsonHeader, body: []byte(errBody)}, "status is not supported"},
		{"undocumented field", exchange{req: get("/v1/events/ev_1"), status: 404, header: jsonHeader,
			body: []byte(`{"error":{"code":"x","message":"y","internal_id":"z"}}`)}, "internal_id"},
		{"null list", exchange{req: get("/v1/tickets"), status: 200, header: jsonHeader, body: []byte(`{"tickets":null}`)}, "null"},
		{"text error", exchange{req: get("/v1/events/ev_1"), status: 404, header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
			body: []byte("404 page not found\n")}, "Content-Type"},
		{"body where none is documented", exchange{req: post("/v1/auth/logout"), status: 204, header: jsonHeader, body: []byte(`{}`)}, "no content"},
	} {
		t.Run(c.name, func(t *testing.T) {
			msgs := validateExchanges(t, []*exchange{&c.x})
			switch {
			case c.want == "" && len(msgs) > 0:
				t.Errorf("valid answer refused: %s", msgs)
			case c.want != "" && len(msgs) == 0:
				t.Errorf("invalid answer accepted")
			case c.want != "" && !strings.Contains(strings.ToLower(msgs[0]), strings.ToLower(c.want)):
				t.Errorf("message %q does not mention %q", msgs[0], c.want)
			}
		})
	}
}
