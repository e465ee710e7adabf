package hook

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/admitone/admitone/scanner"
)

const (
	// envPrefix starts every variable the hook sets, and every variable of
	// scannerd's own environment it does not pass on.
	envPrefix = "ADMITONE_"
	// maxValue bounds one variable's value in bytes; maxResult bounds
	// ADMITONE_RESULT, which is left empty if the JSON is longer.
	maxValue  = 4 << 10
	maxResult = 16 << 10
)

// Env returns the variables a hook command gets for r, as NAME=value:
//
//	ADMITONE_VERDICT         accepted, already_used, revoked, ... or error
//	ADMITONE_ADMIT           1 if the holder may pass (accepted and recorded), else 0
//	ADMITONE_REASON          why, in words
//	ADMITONE_TICKET_ID       the ticket read, if any
//	ADMITONE_TICKET_TYPE     its ticket type's number, if known
//	ADMITONE_EVENT_ID        the ticket's event, if known
//	ADMITONE_GATE_ID         this gate
//	ADMITONE_DIRECTION       entry or exit
//	ADMITONE_CHECKIN_ID      the recorded check-in, if one was recorded
//	ADMITONE_SOURCE          the lane or API caller the code came from
//	ADMITONE_AT              when the verdict was given (RFC 3339, UTC)
//	ADMITONE_DRY_RUN         1 for a lookup that recorded nothing, else 0
//	ADMITONE_PREVIOUS_AT     for already_used: when the ticket was first used
//	ADMITONE_PREVIOUS_GATE   for already_used: at which gate
//	ADMITONE_RESULT          the verdict as the JSON line scannerd prints
//
// Every variable is set, empty when it does not apply. NUL bytes are
// removed and each value is cut at 4 KiB.
func Env(r scanner.Result) []string {
	bit := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	var ticketType, prevAt, prevGate string
	if r.TicketType != nil {
		ticketType = strconv.Itoa(int(*r.TicketType))
	}
	if p := r.Previous; p != nil {
		prevAt, prevGate = p.At.UTC().Format(time.RFC3339), p.GateID
	}
	result, err := json.Marshal(r)
	if err != nil || len(result) > maxResult {
		result = nil
	}
	vars := [][2]string{
		{"VERDICT", string(r.Verdict)},
		{"ADMIT", bit(r.Verdict.Admits() && !r.DryRun)},
		{"REASON", r.Reason},
		{"TICKET_ID", r.TicketID},
		{"TICKET_TYPE", ticketType},
		{"EVENT_ID", r.EventID},
		{"GATE_ID", r.GateID},
		{"DIRECTION", r.Direction},
		{"CHECKIN_ID", r.CheckinID},
		{"SOURCE", r.Source},
		{"AT", r.At},
		{"DRY_RUN", bit(r.DryRun)},
		{"PREVIOUS_AT", prevAt},
		{"PREVIOUS_GATE", prevGate},
		{"RESULT", string(result)},
	}
	env := make([]string, 0, len(vars))
	for _, v := range vars {
		env = append(env, envPrefix+v[0]+"="+clean(v[1]))
	}
	return env
}

// clean makes s fit an environment variable: no NUL bytes, at most
// maxValue bytes, cut at a UTF-8 boundary.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) <= maxValue {
		return s
	}
	s = s[:maxValue]
	return strings.ToValidUTF8(s, "")
}

// inherited is scannerd's environment without its ADMITONE_ variables.
func inherited() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) {
			env = append(env, kv)
		}
	}
	return env
}
