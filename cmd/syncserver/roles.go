package main

import (
	"fmt"
	"net/http"
	"strings"
)

// The parts of the server a process can run (--role). Every process
// answers /readyz.
const (
	roleAPI    = "api"    // the HTTP API, the desk and the attendee app: everything but /v1/sync
	roleSync   = "sync"   // the gates' websocket, /v1/sync
	roleWorker = "worker" // background work: expiring holds and unpaid orders, the outbox, doors reminders, the gate watch
	roleAll    = "all"
)

// roles is the set of parts a process runs.
type roles struct{ api, sync, worker bool }

func (r roles) all() bool { return r.api && r.sync && r.worker }

// String lists the parts, "api,sync,worker" for all.
func (r roles) String() string {
	var out []string
	for _, p := range []struct {
		on   bool
		name string
	}{{r.api, roleAPI}, {r.sync, roleSync}, {r.worker, roleWorker}} {
		if p.on {
			out = append(out, p.name)
		}
	}
	return strings.Join(out, ",")
}

// parseRoles reads --role's values; empty means all. On the embedded
// store one process holds the file, so it runs every part.
func parseRoles(values []string, embedded bool) (roles, error) {
	var r roles
	if len(values) == 0 {
		values = []string{roleAll}
	}
	for _, v := range values {
		switch strings.TrimSpace(strings.ToLower(v)) {
		case roleAll:
			r = roles{true, true, true}
		case roleAPI:
			r.api = true
		case roleSync:
			r.sync = true
		case roleWorker:
			r.worker = true
		default:
			return roles{}, fmt.Errorf("--role %q: want api, sync, worker or all (several separated by commas)", v)
		}
	}
	if embedded && !r.all() {
		return roles{}, fmt.Errorf("--role %s: the embedded store is one process's, which runs every part; split the parts over processes on PostgreSQL (--database)", r)
	}
	return r, nil
}

// servedBy keeps the requests for the parts r does not run from next:
// 503 not_served naming the part and what runs it, so a proxy
// misrouting a request is plain in its logs.
func (r roles) servedBy(next http.Handler) http.Handler {
	if r.api && r.sync {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		path := req.URL.Path
		sync := path == "/v1/sync"
		switch {
		case path == "/readyz", sync && r.sync, !sync && r.api:
			next.ServeHTTP(w, req)
			return
		}
		part := roleAPI
		if sync {
			part = roleSync
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"error":{"code":"not_served","message":"this server process runs --role %s; %s is served by processes with --role %s"}}`+"\n",
			r, path, part)
	})
}
