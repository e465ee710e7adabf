package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitone/admitone/scanner/gatetls"
)

// MailpitOptions say how StartMailpit configures the SMTP server.
type MailpitOptions struct {
	// TLS offers STARTTLS with a self-signed certificate for 127.0.0.1
	// and requires it; Mailpit.CAFile holds the certificate.
	TLS bool
	// User and Password, when User is set, are the only credentials the
	// server accepts (PLAIN over STARTTLS).
	User, Password string
	// Chaos enables Mailpit's chaos API (Mailpit.Chaos), which makes the
	// SMTP server refuse.
	Chaos bool
}

// Mailpit is a mailpit (github.com/axllent/mailpit v1.33.1) started for
// one test on loopback ports; t.Cleanup stops it.
type Mailpit struct {
	// SMTP is the SMTP server's host:port, API the HTTP API's base URL.
	SMTP string
	API  string
	// CAFile is the PEM certificate the SMTP server presents, with
	// MailpitOptions.TLS.
	CAFile string
}

// mailpitHow says how to install mailpit.
const mailpitHow = "install it with: go install github.com/axllent/mailpit@v1.33.1"

// MailpitPath returns the mailpit program on PATH or in GOPATH/bin, or
// the test is Missing it.
func MailpitPath(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(string(bytes.TrimSpace(gopath)), "bin", "mailpit")
	if _, err := os.Stat(p); err != nil {
		Missing(t, "mailpit not found on PATH or in GOPATH/bin: %s", mailpitHow)
	}
	return p
}

// freePort returns a loopback address no one listens on just now.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// StartMailpit starts a mailpit with its database in a temporary
// directory and waits until its API answers.
func StartMailpit(t testing.TB, o MailpitOptions) *Mailpit {
	t.Helper()
	bin := MailpitPath(t)
	dir := t.TempDir()
	m := &Mailpit{SMTP: freePort(t)}
	api := freePort(t)
	m.API = "http://" + api
	args := []string{"--smtp", m.SMTP, "--listen", api, "--database", filepath.Join(dir, "mailpit.db"),
		"--disable-version-check", "--smtp-disable-rdns", "--max", "100000", "--quiet"}
	if o.TLS {
		if _, err := gatetls.LoadOrCreate(dir, gatetls.Names{IPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		m.CAFile = filepath.Join(dir, gatetls.CertFile)
		args = append(args, "--smtp-tls-cert", m.CAFile, "--smtp-tls-key", filepath.Join(dir, gatetls.KeyFile), "--smtp-require-starttls")
	}
	if o.User != "" {
		auth := filepath.Join(dir, "smtp-auth")
		if err := os.WriteFile(auth, []byte(o.User+":"+o.Password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--smtp-auth-file", auth)
	}
	if o.Chaos {
		args = append(args, "--enable-chaos")
	}
	var out LockedBuffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("mailpit output:\n%s", out.String())
		}
	})
	if _, ok := Poll(20*time.Second, 50*time.Millisecond, func() bool {
		resp, err := http.Get(m.API + "/api/v1/info")
		if err != nil {
			return false
		}
		resp.Body.Close()
		c, err := net.Dial("tcp", m.SMTP)
		if err != nil {
			return false
		}
		c.Close()
		return resp.StatusCode == http.StatusOK
	}); !ok {
		t.Fatalf("mailpit did not start within 20 s:\n%s", out.String())
	}
	return m
}

// MailpitSummary is a message as Mailpit lists it.
type MailpitSummary struct {
	ID          string
	MessageID   string
	Subject     string
	To          []struct{ Address string }
	Attachments int
}

// MailpitAttachment is one attachment of a MailpitMessage.
type MailpitAttachment struct {
	PartID      string
	FileName    string
	ContentType string
	Size        int
}

// MailpitMessage is a message as Mailpit shows it.
type MailpitMessage struct {
	ID, MessageID, Subject string
	Text, HTML             string
	Attachments            []MailpitAttachment
	ListUnsubscribe        struct{ Header, HeaderPost string }
}

func (m *Mailpit) get(t testing.TB, path string, v any) []byte {
	t.Helper()
	resp, err := http.Get(m.API + path)
	if err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: %d %v: %s", path, resp.StatusCode, err, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("mailpit %s: %v", path, err)
		}
	}
	return b
}

// Messages lists every message received, newest first (at most 100000).
func (m *Mailpit) Messages(t testing.TB) []MailpitSummary {
	t.Helper()
	var list struct{ Messages []MailpitSummary }
	m.get(t, "/api/v1/messages?limit=100000", &list)
	return list.Messages
}

// Message returns a received message by Mailpit's id.
func (m *Mailpit) Message(t testing.TB, id string) MailpitMessage {
	t.Helper()
	var msg MailpitMessage
	m.get(t, "/api/v1/message/"+url.PathEscape(id), &msg)
	return msg
}

// Part returns the content of a message's part (an attachment).
func (m *Mailpit) Part(t testing.TB, id, partID string) []byte {
	t.Helper()
	return m.get(t, "/api/v1/message/"+url.PathEscape(id)+"/part/"+url.PathEscape(partID), nil)
}

// Raw returns a message's source as received.
func (m *Mailpit) Raw(t testing.TB, id string) []byte {
	t.Helper()
	return m.get(t, "/api/v1/message/"+url.PathEscape(id)+"/raw", nil)
}

// Chaos makes the SMTP server answer code to every MAIL FROM with the
// given probability (0 to 100; 0 stops it). It needs
// MailpitOptions.Chaos.
func (m *Mailpit) Chaos(t testing.TB, code, probability int) {
	t.Helper()
	body := fmt.Sprintf(`{"Sender":{"ErrorCode":%d,"Probability":%d}}`, code, probability)
	req, err := http.NewRequest(http.MethodPut, m.API+"/api/v1/chaos", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("mailpit chaos: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit chaos %s: %d %s", body, resp.StatusCode, b)
	}
}

// CountMessageID counts the received messages whose Message-ID is id
// (without angle brackets, as Mailpit keeps it).
func (m *Mailpit) CountMessageID(t testing.TB, id string) int {
	t.Helper()
	n := 0
	for _, s := range m.Messages(t) {
		if s.MessageID == id {
			n++
		}
	}
	return n
}
