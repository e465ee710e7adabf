package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestMailConfig: the mail flags are all-or-nothing where they must be,
// STARTTLS is off only on loopback, and the password comes from a file
// or the environment, never a flag, and shows in no error.
func TestMailConfig(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pw, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--smtp-addr", "smtp.example.com:587", "--smtp-from", "AdmitOne <tickets@example.com>", "--public-url", "https://tickets.example.com"}
	tests := []struct {
		name    string
		args    []string
		env     string
		wantErr string
	}{
		{name: "off"},
		{name: "plain", args: base},
		{name: "password file", args: append(base, "--smtp-user", "tickets", "--smtp-password-file", pw)},
		{name: "password env", args: append(base, "--smtp-user", "tickets"), env: "s3cret-from-env"},
		{name: "no password", args: append(base, "--smtp-user", "tickets"), wantErr: "ADMITONE_SMTP_PASSWORD"},
		{name: "from without addr", args: []string{"--smtp-from", "tickets@example.com"}, wantErr: "need --smtp-addr"},
		{name: "bad from", args: []string{"--smtp-addr", "smtp.example.com:587", "--smtp-from", "tickets", "--public-url", "https://t.example"}, wantErr: "--smtp-from"},
		{name: "no public url", args: base[:4], wantErr: "--public-url"},
		{name: "insecure remote", args: append(base, "--smtp-insecure"), wantErr: "loopback"},
		{name: "insecure loopback", args: []string{"--smtp-addr", "127.0.0.1:1025", "--smtp-from", "t@example.com", "--public-url", "http://127.0.0.1:8080", "--smtp-insecure"}},
		{name: "no such password flag", args: append(base, "--smtp-password", "x"), wantErr: "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envSMTPPassword, tt.env)
			var c mailConfig
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			c.addFlags(fs)
			err := fs.Parse(tt.args)
			var pass string
			if err == nil {
				mailer, _, lerr := c.load()
				err = lerr
				if mailer != nil {
					pass = mailer.SMTP.Password
				}
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one naming %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "s3cret"):
				t.Fatalf("the error shows the password: %v", err)
			}
			switch tt.name {
			case "password file":
				if pass != "s3cret-from-file" {
					t.Errorf("password %q, want the file's", pass)
				}
			case "password env":
				if pass != "s3cret-from-env" {
					t.Errorf("password %q, want the environment's", pass)
				}
			}
		})
	}
}
