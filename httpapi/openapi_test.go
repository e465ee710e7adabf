package httpapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// oaDoc is the part of an OpenAPI 3 document the tests read.
type oaDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// oaOperation is the part of an operation the tests read.
type oaOperation struct {
	OperationID string                     `json:"operationId"`
	Responses   map[string]json.RawMessage `json:"responses"`
	Parameters  []oaParameter              `json:"parameters"`
	Security    *[]map[string][]string     `json:"security"`
	RequestBody json.RawMessage            `json:"requestBody"`
	Tags        json.RawMessage            `json:"tags"`
}

type oaParameter struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
	Ref      string `json:"$ref"`
}

var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// oaExtras are operations the server has outside routes(), which the
// document may describe.
var oaExtras = map[string]bool{
	"GET /v1/openapi.json": true,
	"GET /livez":           true,
	"GET /readyz":          true,
	"GET /metrics":         true,
}

// loadOpenAPI reads openapi.json from the package directory: the file the
// binary embeds.
func loadOpenAPI(t *testing.T) ([]byte, oaDoc, map[string]oaOperation, map[string][]oaParameter) {
	t.Helper()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc oaDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	ops := map[string]oaOperation{}
	pathParams := map[string][]oaParameter{}
	for path, item := range doc.Paths {
		for key, v := range item {
			if key == "parameters" {
				var ps []oaParameter
				if err := json.Unmarshal(v, &ps); err != nil {
					t.Fatalf("%s parameters: %v", path, err)
				}
				pathParams[path] = ps
				continue
			}
			if !slices.Contains(oaMethods, key) {
				continue // summary, description, servers
			}
			var op oaOperation
			if err := json.Unmarshal(v, &op); err != nil {
				t.Fatalf("%s %s: %v", key, path, err)
			}
			ops[strings.ToUpper(key)+" "+path] = op
		}
	}
	return raw, doc, ops, pathParams
}

// oaPath turns a ServeMux pattern's path into an OpenAPI path template:
// {name...} becomes {name}, and {$} goes.
func oaPath(pattern string) string {
	p := strings.ReplaceAll(pattern, "{$}", "")
	return regexp.MustCompile(`\{(\w+)\.\.\.\}`).ReplaceAllString(p, "{$1}")
}

var placeholder = regexp.MustCompile(`\{(\w+)\}`)

func TestOpenAPI(t *testing.T) {
	raw, doc, ops, pathParams := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}

	routeOps := map[string]route{}
	for _, rt := range routes() {
		routeOps[rt.method+" "+oaPath(rt.pattern)] = rt
	}

	t.Run("every route is documented", func(t *testing.T) {
		for _, key := range slices.Sorted(maps.Keys(routeOps)) {
			if _, ok := ops[key]; !ok {
				t.Errorf("route %s is not in openapi.json", key)
			}
		}
	})

	t.Run("every documented operation is served", func(t *testing.T) {
		for _, key := range slices.Sorted(maps.Keys(ops)) {
			if _, ok := routeOps[key]; ok {
				continue
			}
			if !oaExtras[key] {
				t.Errorf("openapi.json documents %s, which no route serves", key)
			}
		}
	})

	t.Run("operations", func(t *testing.T) {
		ids := map[string]string{}
		for _, key := range slices.Sorted(maps.Keys(ops)) {
			op := ops[key]
			t.Run(key, func(t *testing.T) {
				if len(op.Responses) == 0 {
					t.Fatal("no responses")
				}
				ok2xx := false
				for code := range op.Responses {
					ok2xx = ok2xx || strings.HasPrefix(code, "2") || code == "101" // 101: a websocket
				}
				if !ok2xx {
					t.Errorf("no 2xx response among %v", slices.Sorted(maps.Keys(op.Responses)))
				}
				if op.OperationID == "" {
					t.Error("no operationId")
				} else if other, dup := ids[op.OperationID]; dup {
					t.Errorf("operationId %q is also %s's", op.OperationID, other)
				}
				ids[op.OperationID] = key

				// Path parameters: declared exactly the template's placeholders.
				_, path, _ := strings.Cut(key, " ")
				var want, got []string
				for _, m := range placeholder.FindAllStringSubmatch(path, -1) {
					want = append(want, m[1])
				}
				for _, p := range append(slices.Clone(pathParams[path]), op.Parameters...) {
					if p.Ref != "" {
						t.Errorf("parameter $ref %s: the test reads inline parameters only", p.Ref)
						continue
					}
					if p.In != "path" {
						continue
					}
					got = append(got, p.Name)
					if !p.Required {
						t.Errorf("path parameter %q is not required: true", p.Name)
					}
				}
				slices.Sort(want)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("path parameters declared %v, want %v", got, want)
				}

				rt, isRoute := routeOps[key]
				if !isRoute {
					return
				}
				// Security as the route's policy says; a route for
				// anyone takes a bearer optionally, so it needs none.
				bearer := op.Security != nil && slices.ContainsFunc(*op.Security, func(s map[string][]string) bool {
					_, ok := s["bearer"]
					return ok
				})
				if rt.policy != anyone {
					if !bearer {
						t.Errorf("a signed-in route whose security does not ask for bearer")
					}
					if op.Responses["401"] == nil {
						t.Error("a signed-in route without a 401 response")
					}
				}
				if rt.policy == orgManager || rt.policy == eventManager {
					for _, code := range []string{"403", "404"} {
						if op.Responses[code] == nil {
							t.Errorf("an org- or event-scoped route without a %s response", code)
						}
					}
				}
			})
		}
	})

	t.Run("tags are arrays of strings", func(t *testing.T) {
		// OpenAPI 3 Operation.tags is [string]; generators and
		// validators reject a bare string.
		var bad []string
		for _, key := range slices.Sorted(maps.Keys(ops)) {
			var tags []string
			if op := ops[key]; op.Tags != nil && json.Unmarshal(op.Tags, &tags) != nil {
				bad = append(bad, key+": "+string(op.Tags))
			}
		}
		if len(bad) > 0 {
			t.Errorf("tags must be arrays of strings, but are not in %d operations:\n%s", len(bad), strings.Join(bad, "\n"))
		}
	})

	t.Run("operations with a JSON body document 400 and 413", func(t *testing.T) {
		// decodeJSON answers 400 to bad JSON and 413 to a body over
		// MaxBody on every route that reads one.
		var missing []string
		for _, key := range slices.Sorted(maps.Keys(ops)) {
			op := ops[key]
			if op.RequestBody == nil {
				continue
			}
			for _, code := range []string{"400", "413"} {
				if op.Responses[code] == nil {
					missing = append(missing, key+": "+code)
				}
			}
		}
		if len(missing) > 0 {
			t.Errorf("operations that read a JSON body do not document these responses:\n%s", strings.Join(missing, "\n"))
		}
	})

	t.Run("search parameters match the server's", func(t *testing.T) {
		op, ok := ops["GET /v1/events"]
		if !ok {
			t.Skip("GET /v1/events is not documented")
		}
		var documented []string
		for _, p := range op.Parameters {
			if p.In == "query" {
				documented = append(documented, p.Name)
			}
		}
		served := slices.Collect(maps.Keys(searchParams))
		slices.Sort(documented)
		slices.Sort(served)
		if !slices.Equal(documented, served) {
			t.Errorf("documented query parameters %v, served %v", documented, served)
		}
	})

	t.Run("every $ref resolves", func(t *testing.T) {
		var tree any
		if err := json.Unmarshal(raw, &tree); err != nil {
			t.Fatal(err)
		}
		n := 0
		walkRefs(tree, func(ref string) {
			n++
			if !resolves(tree, ref) {
				t.Errorf("$ref %q does not resolve", ref)
			}
		})
		if n == 0 {
			t.Error("no $ref found: the walk is broken")
		}
	})

	t.Run("served document is the file", func(t *testing.T) {
		h := newHarness(t, "bolt")
		res := h.do(t, "GET", "/v1/openapi.json", "", nil).want(t, http.StatusOK)
		if !bytes.Equal(res.body, raw) {
			t.Errorf("GET /v1/openapi.json serves %d bytes that differ from openapi.json (%d bytes)", len(res.body), len(raw))
		}
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q", ct)
		}
		// Documented extras must exist.
		for key := range ops {
			if !oaExtras[key] {
				continue
			}
			method, path, _ := strings.Cut(key, " ")
			if res := h.do(t, method, path, "", nil); res.status == http.StatusNotFound {
				t.Errorf("%s is documented but answers 404", key)
			}
		}
	})
}

// walkRefs calls f with every "$ref" string in a decoded JSON tree.
func walkRefs(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				f(s)
				continue
			}
			walkRefs(x, f)
		}
	case []any:
		for _, x := range v {
			walkRefs(x, f)
		}
	}
}

// resolves reports whether ref, a local JSON pointer ("#/a/b"), names a
// value in tree.
func resolves(tree any, ref string) bool {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	cur := tree
	for _, tok := range strings.Split(p, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[tok]; !ok {
			return false
		}
	}
	return true
}
