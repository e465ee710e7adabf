package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/bundle"
	ticketcrypto "github.com/admitone/admitone/crypto"
	ticketsync "github.com/admitone/admitone/sync"
	"github.com/admitone/admitone/vault"
)

// The admin socket. `syncserver serve` answers the commands that change or
// read the server's own data — admin create, keys rotate and bundle
// server-export — on a unix socket in its data directory, so that they work
// while it runs: the embedded database is one process's at a time. The
// socket is mode 0600 in the data directory, so only the server's user
// (and root) may use it, as only they may read the database file. The
// commands ask the socket when it answers and they use the embedded
// database (no --database); otherwise they open the store themselves. The
// protocol is HTTP/1.1 with JSON bodies, private to this program.

// adminSocketName is the socket's file name in the data directory.
const adminSocketName = "admin.sock"

// maxSocketPath is the longest unix socket path every platform takes
// (sun_path is 104 bytes on the BSDs, 108 on Linux, with its NUL).
const maxSocketPath = 103

// maxAdminRequest bounds a request to the socket.
const maxAdminRequest = 64 << 10

// errSocketPathTooLong says the data directory's path leaves no room for
// the socket's.
var errSocketPathTooLong = errors.New("the data directory's path is too long for a unix socket")

// errAdminSocketInUse says another server answers on the data directory's
// socket.
var errAdminSocketInUse = errors.New("another syncserver answers on it; one server per data directory")

// The requests and answers of the socket, which the commands print the
// same way whichever way they got them.
type (
	adminCreateRequest struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	adminCreated struct {
		Email string `json:"email"`
		ID    string `json:"id"`
	}
	issuerKeyJSON struct {
		ID        string    `json:"id"`
		PublicKey string    `json:"public_key"`
		CreatedAt time.Time `json:"created_at"`
		Active    bool      `json:"active"`
	}
	keysRotated struct {
		New     string          `json:"new"` // the new key's id
		Storage string          `json:"storage"`
		Keys    []issuerKeyJSON `json:"keys"`
	}
	serverExportRequest struct {
		Gate       string `json:"gate"`
		Passphrase []byte `json:"passphrase"`
		KDFFast    bool   `json:"kdf_fast"`
	}
	// serverExported is the bundle and what the command prints of it;
	// on the socket the bundle is the answer's body and the rest are
	// headers.
	serverExported struct {
		Bundle  []byte
		Signer  ticketcrypto.PublicKey
		Tickets int
	}
)

// Headers of the server-export answer.
const (
	headerSigner  = "Admitone-Signer"
	headerTickets = "Admitone-Tickets"
)

func createAdmin(ctx context.Context, accounts *account.Service, email, password string) (adminCreated, error) {
	u, err := accounts.CreateAdmin(ctx, nil, email, password)
	if err != nil {
		return adminCreated{}, err
	}
	return adminCreated{Email: u.Email, ID: u.ID}, nil
}

func (r adminCreated) print(w io.Writer) {
	fmt.Fprintf(w, "admin %s created (%s); sign in and enrol two-factor authentication before anything else\n", r.Email, r.ID)
}

func rotateKeys(ctx context.Context, v *vault.Vault, storageKind string) (keysRotated, error) {
	kid, err := v.Rotate(ctx)
	if err != nil {
		return keysRotated{}, err
	}
	keys, err := v.Keys(ctx)
	if err != nil {
		return keysRotated{}, err
	}
	r := keysRotated{New: kid.String(), Storage: storageKind}
	for _, k := range keys {
		r.Keys = append(r.Keys, issuerKeyJSON{ID: k.ID.String(), PublicKey: k.PublicKey.String(), CreatedAt: k.CreatedAt, Active: k.Active})
	}
	return r, nil
}

func (r keysRotated) print(out io.Writer) {
	for _, k := range r.Keys {
		if k.ID == r.New {
			fmt.Fprintf(out, "new issuer key %s: %s\n", k.ID, k.PublicKey)
		}
	}
	fmt.Fprintf(out, "issuer keys in the %s database, oldest first (all trusted; the active one signs):\n", r.Storage)
	for _, k := range r.Keys {
		active := ""
		if k.Active {
			active = "  active"
		}
		fmt.Fprintf(out, "  %s  %s  %s%s\n", k.ID, k.CreatedAt.Format(time.RFC3339), k.PublicKey, active)
	}
}

func exportServerBundle(ctx context.Context, e *ticketsync.Enroller, gate string, pass []byte, kdfFast bool) (serverExported, error) {
	kdf := ticketcrypto.DefaultKDF
	if kdfFast {
		kdf = fastKDF
	}
	var buf bytes.Buffer
	signer, n, err := e.Export(ctx, gate, &buf, pass, kdf)
	if err != nil {
		return serverExported{}, err
	}
	return serverExported{Bundle: buf.Bytes(), Signer: signer, Tickets: n}, nil
}

// --- the server's side

// listenAdmin listens on dir/admin.sock, mode 0600. The socket is made in
// a private directory and renamed into place, so that nobody else can
// connect between its creation and its chmod; a stale socket of a server
// that died is replaced. A live one is refused: one server per data
// directory.
func listenAdmin(dir string) (ln *net.UnixListener, path string, err error) {
	path = filepath.Join(dir, adminSocketName)
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, "", fmt.Errorf("admin socket %s: %w", path, errAdminSocketInUse)
	}
	tmp, err := os.MkdirTemp(dir, ".sock")
	if err != nil {
		return nil, "", fmt.Errorf("admin socket: %w", err)
	}
	defer os.RemoveAll(tmp)
	tmpPath := filepath.Join(tmp, adminSocketName)
	if len(tmpPath) > maxSocketPath || len(path) > maxSocketPath {
		return nil, "", fmt.Errorf("admin socket %s: %w", path, errSocketPathTooLong)
	}
	ln, err = net.ListenUnix("unix", &net.UnixAddr{Name: tmpPath, Net: "unix"})
	if err != nil {
		return nil, "", fmt.Errorf("admin socket: %w", err)
	}
	ln.SetUnlinkOnClose(false) // it is renamed; serveAdmin removes it
	if err := os.Chmod(tmpPath, 0o600); err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Rename(tmpPath, path); err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("admin socket: %w", err)
	}
	return ln, path, nil
}

// serveAdmin answers the admin socket until ctx ends, then closes it and
// removes its file (unless another server replaced it since).
func (a *app) serveAdmin(ctx context.Context, ln *net.UnixListener, path string) {
	st, statErr := os.Stat(path)
	srv := &http.Server{Handler: a.adminHandler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("admin socket", "err", err)
		}
	}()
	<-ctx.Done()
	srv.Close()
	<-done
	if now, err := os.Stat(path); statErr == nil && err == nil && os.SameFile(st, now) {
		os.Remove(path)
	}
}

func (a *app) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/create", func(w http.ResponseWriter, r *http.Request) {
		var req adminCreateRequest
		if !readAdminRequest(w, r, &req) {
			return
		}
		res, err := createAdmin(r.Context(), a.accounts, req.Email, req.Password)
		if err != nil {
			a.adminError(w, "admin create", err)
			return
		}
		a.log.Info("admin socket: admin created", "email", res.Email, "id", res.ID)
		writeAdminJSON(w, res)
	})
	mux.HandleFunc("POST /keys/rotate", func(w http.ResponseWriter, r *http.Request) {
		if !readAdminRequest(w, r, &struct{}{}) {
			return
		}
		res, err := rotateKeys(r.Context(), a.vault, a.backend.Kind)
		if err != nil {
			a.adminError(w, "keys rotate", err)
			return
		}
		a.log.Info("admin socket: issuer key rotated", "kid", res.New)
		writeAdminJSON(w, res)
	})
	mux.HandleFunc("POST /bundle/server-export", func(w http.ResponseWriter, r *http.Request) {
		var req serverExportRequest
		if !readAdminRequest(w, r, &req) {
			return
		}
		res, err := exportServerBundle(r.Context(), a.api.Enroller, req.Gate, req.Passphrase, req.KDFFast)
		if err != nil {
			a.adminError(w, "bundle server-export", err)
			return
		}
		a.log.Info("admin socket: gate bundle exported", "gate", req.Gate, "tickets", res.Tickets)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set(headerSigner, res.Signer.String())
		w.Header().Set(headerTickets, strconv.Itoa(res.Tickets))
		w.Write(res.Bundle)
	})
	mux.HandleFunc("POST /backup", func(w http.ResponseWriter, r *http.Request) {
		if !readAdminRequest(w, r, &struct{}{}) {
			return
		}
		if a.backend.Backup == nil {
			a.adminError(w, "backup", errNoBackup)
			return
		}
		// The copy is one read transaction: its size is known once it
		// started, so it goes out as the body with no size header; the
		// command checks the file it wrote.
		w.Header().Set("Content-Type", "application/octet-stream")
		n, err := a.backend.Backup(w)
		if err != nil {
			a.log.Error("admin socket: backup failed", "bytes", n, "err", err)
			return
		}
		a.log.Info("admin socket: backup written", "bytes", n)
	})
	return mux
}

// adminErrorJSON is the socket's error answer: the error's text, which
// the command prints as it would its own.
type adminErrorJSON struct {
	Error string `json:"error"`
}

func readAdminRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(adminErrorJSON{Error: "admin socket: bad request: " + err.Error()})
		return false
	}
	return true
}

func (a *app) adminError(w http.ResponseWriter, what string, err error) {
	a.log.Warn("admin socket: "+what+" failed", "err", err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnprocessableEntity)
	json.NewEncoder(w).Encode(adminErrorJSON{Error: err.Error()})
}

func writeAdminJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// --- the commands' side

// adminClient is the admin socket of a running server.
type adminClient struct {
	path string
	http *http.Client
}

// dialAdmin returns the admin socket of the server running on dataDir,
// or nil when none answers there.
func dialAdmin(dataDir string) *adminClient {
	path := filepath.Join(dataDir, adminSocketName)
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil // no socket, or a stale one: no server runs here
	}
	c.Close()
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
	return &adminClient{path: path, http: &http.Client{Transport: &http.Transport{DialContext: dial}}}
}

// call posts req to the socket and returns the answer's body (at most
// max bytes) and header, or the server's error.
func (c *adminClient) call(ctx context.Context, route string, req any, max int64) ([]byte, http.Header, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, "POST", "http://syncserver"+route, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(hr)
	if err != nil {
		return nil, nil, fmt.Errorf("the server's admin socket %s: %w", c.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, max+1))
	if err != nil {
		return nil, nil, fmt.Errorf("the server's admin socket %s: %w", c.path, err)
	}
	if int64(len(b)) > max {
		return nil, nil, fmt.Errorf("the server's admin socket %s: the answer is over %d bytes", c.path, max)
	}
	if res.StatusCode != http.StatusOK {
		var e adminErrorJSON
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			return nil, nil, fmt.Errorf("the server's admin socket %s: status %d", c.path, res.StatusCode)
		}
		return nil, nil, errors.New(e.Error)
	}
	return b, res.Header, nil
}

// callJSON posts req and decodes the JSON answer into out.
func (c *adminClient) callJSON(ctx context.Context, route string, req, out any) error {
	b, _, err := c.call(ctx, route, req, 1<<20)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("the server's admin socket %s: %w", c.path, err)
	}
	return nil
}

func (c *adminClient) serverExport(ctx context.Context, req serverExportRequest) (serverExported, error) {
	b, h, err := c.call(ctx, "/bundle/server-export", req, bundle.MaxSize)
	if err != nil {
		return serverExported{}, err
	}
	signer, err := ticketcrypto.ParsePublicKey(h.Get(headerSigner))
	if err != nil {
		return serverExported{}, fmt.Errorf("the server's admin socket %s: signer: %w", c.path, err)
	}
	n, err := strconv.Atoi(h.Get(headerTickets))
	if err != nil {
		return serverExported{}, fmt.Errorf("the server's admin socket %s: ticket count: %w", c.path, err)
	}
	return serverExported{Bundle: b, Signer: signer, Tickets: n}, nil
}
