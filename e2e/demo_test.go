package e2e

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/internal/testenv"
)

// TestDemo runs `syncserver demo` as a process, as the README's first
// command does, follows the API URL and logins it prints, and finds what
// it says happened: the event, the buyer's sold tickets, the two gates
// and their check-ins, and the cross-gate refusal in its output. Ctrl-C
// (SIGINT here, SIGTERM in stop) ends it cleanly and removes its
// temporary data.
func TestDemo(t *testing.T) {
	needBinaries(t)
	p := startProc(t, "syncserver demo", testenv.Program(t, "syncserver"), "demo", "--listen", "127.0.0.1:0")
	base := p.waitLog(t, regexp.MustCompile(`server at (http://127\.0\.0\.1:\d+)`), 60*time.Second)
	p.waitLog(t, regexp.MustCompile(`press Ctrl-C to stop`), 120*time.Second)
	out := p.logs.String()
	t.Logf("demo output:\n%s", out)

	eventID := regexp.MustCompile(`created event (ev_[0-9a-f]+)`).FindStringSubmatch(out)
	login := regexp.MustCompile(`logins: (\S+) and (\S+), password (\S+)\):`).FindStringSubmatch(out)
	dataDir := regexp.MustCompile(`ticket pictures: +(\S+)/tickets`).FindStringSubmatch(out)
	if eventID == nil || login == nil || dataDir == nil {
		t.Fatalf("the demo's output lacks the event, the logins or the data directory")
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`North door +ticket-1\.png +accepted`),
		regexp.MustCompile(`South door +ticket-1\.png +already_used +the same ticket at the other door`),
		regexp.MustCompile(`South door +ticket-2\.png +accepted`),
		regexp.MustCompile(`North door +ticket-2\.png +already_used`),
	} {
		if !want.MatchString(out) {
			t.Errorf("the demo's output has no line matching %q", want)
		}
	}
	for _, pic := range []string{"ticket-1.png", "ticket-4.png"} {
		if _, err := os.Stat(dataDir[1] + "/tickets/" + pic); err != nil {
			t.Errorf("QR picture: %v", err)
		}
	}

	// The printed desk URL is the event's dashboard, which asks a
	// visitor without a session to sign in.
	desk := regexp.MustCompile(`the organizer's desk: +(http://\S+/desk/events/(ev_[0-9a-f]+))`).FindStringSubmatch(out)
	if desk == nil || desk[2] != eventID[1] {
		t.Errorf("the demo's output names no desk page of event %s", eventID[1])
	} else {
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get(desk[1])
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/desk/login" {
			t.Errorf("GET %s without a session: %s to %q, want 303 to /desk/login", desk[1], resp.Status, resp.Header.Get("Location"))
		}
	}

	// Follow the printed URL with the printed logins.
	signIn := func(email string) string {
		var l struct{ Token string }
		call(t, "POST", base+"/v1/auth/login", "", map[string]string{"email": email, "password": login[3]}, http.StatusOK, &l)
		return l.Token
	}
	organizer, buyer := signIn(login[1]), signIn(login[2])
	var page struct {
		Event struct {
			Title string `json:"title"`
		} `json:"event"`
		TicketTypes []struct {
			Name string `json:"name"`
		} `json:"ticket_types"`
	}
	call(t, "GET", base+"/v1/events/"+eventID[1], "", nil, http.StatusOK, &page)
	if page.Event.Title != "AdmitOne Demo Night" || len(page.TicketTypes) != 2 {
		t.Errorf("event page: %+v, want AdmitOne Demo Night with two ticket types", page)
	}
	var tickets struct {
		Tickets []struct {
			ID      string `json:"id"`
			EventID string `json:"event_id"`
			Status  string `json:"status"`
		} `json:"tickets"`
	}
	call(t, "GET", base+"/v1/tickets", buyer, nil, http.StatusOK, &tickets)
	if len(tickets.Tickets) != 4 {
		t.Errorf("the buyer has %d tickets, want 4", len(tickets.Tickets))
	}
	var gates struct {
		Gates []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"gates"`
	}
	call(t, "GET", base+"/v1/events/"+eventID[1]+"/gates", organizer, nil, http.StatusOK, &gates)
	names := map[string]string{}
	for _, g := range gates.Gates {
		names[g.ID] = g.Name
	}
	if len(names) != 2 {
		t.Fatalf("gates %+v, want North door and South door", gates.Gates)
	}
	e := &event{id: eventID[1], organizer: organizer}
	// The gates upload their check-ins as they make them; all three
	// reach the server within moments.
	var checkins []serverCheckin
	testenv.Poll(10*time.Second, 50*time.Millisecond, func() bool {
		checkins = e.checkins(t, base)
		return len(checkins) >= 3
	})
	perGate := map[string]int{}
	perTicket := map[string]int{}
	for _, c := range checkins {
		perGate[names[c.GateID]]++
		perTicket[c.TicketID]++
	}
	if len(checkins) != 3 || perGate["North door"] != 2 || perGate["South door"] != 1 {
		t.Errorf("check-ins by gate %v (%d in all), want North door 2 and South door 1", perGate, len(checkins))
	}
	for tk, n := range perTicket {
		if n != 1 {
			t.Errorf("ticket %s has %d check-ins: the refused scans must not be recorded", tk, n)
		}
	}

	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop within 30 s of Ctrl-C")
	}
	if p.err != nil || !strings.Contains(p.logs.String(), "demo stopped") {
		t.Errorf("the demo's exit after Ctrl-C: %v\n%s", p.err, p.logs.String())
	}
	if _, err := os.Stat(dataDir[1]); !os.IsNotExist(err) {
		t.Errorf("the demo's temporary data %s is still there (%v)", dataDir[1], err)
	}
}
