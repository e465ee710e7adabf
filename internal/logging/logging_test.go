package logging

import (
	"bytes"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		level string
		json  bool
		want  string // in the output of an Info line; "" for none
	}{
		{"info", false, "level=INFO msg=hello"},
		{"info", true, `"msg":"hello"`},
		{"warn", false, ""},
		{"debug", true, `"level":"INFO"`},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log, err := New(&buf, tt.level, tt.json)
		if err != nil {
			t.Fatalf("New(%q): %v", tt.level, err)
		}
		log.Info("hello")
		if got := buf.String(); tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("New(%q, json %v) logged %q, want %q", tt.level, tt.json, got, tt.want)
		}
	}
	if _, err := New(&bytes.Buffer{}, "loud", false); err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Errorf("New(loud) = %v, want an error naming --log-level", err)
	}
}
