package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/admitone/admitone/bundle"
)

// MaxEnrollmentBytes bounds the server's answer: the bundle and the
// check-ins so far.
const MaxEnrollmentBytes = 2*bundle.MaxSize + 64<<20

// FetchEnrollment is a gate's side of enrolment: it exchanges the
// one-time code at the server's POST /v1/gates/enroll (with the ticket
// types' and holders' names) for the gate's Enrollment, which the gate's
// store imports (scanner.Store.Enroll). scannerd enroll and syncserver
// demo use it.
func FetchEnrollment(ctx context.Context, client *http.Client, server, code string) (Enrollment, error) {
	var enr Enrollment
	body, _ := json.Marshal(map[string]string{"code": code})
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(server, "/")+"/v1/gates/enroll?names=1", bytes.NewReader(body))
	if err != nil {
		return enr, fmt.Errorf("--server: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return enr, fmt.Errorf("enrol at %s: %w", server, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, MaxEnrollmentBytes+1))
	if err != nil {
		return enr, fmt.Errorf("enrol at %s: read answer: %w", server, err)
	}
	if len(raw) > MaxEnrollmentBytes {
		return enr, fmt.Errorf("enrol at %s: answer over %d bytes", server, MaxEnrollmentBytes)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			return enr, fmt.Errorf("enrol at %s: %s (%s)", server, e.Error.Message, e.Error.Code)
		}
		return enr, fmt.Errorf("enrol at %s: HTTP %d", server, res.StatusCode)
	}
	if err := json.Unmarshal(raw, &enr); err != nil {
		return enr, fmt.Errorf("enrol at %s: answer: %w", server, err)
	}
	return enr, nil
}
