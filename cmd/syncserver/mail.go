package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"

	"github.com/spf13/pflag"

	"github.com/admitone/admitone/internal/fileutil"
	"github.com/admitone/admitone/notify"
)

// envSMTPPassword holds the SMTP password when --smtp-password-file is
// not given; the password is never a flag, so it never shows in ps.
const envSMTPPassword = "ADMITONE_SMTP_PASSWORD"

// mailConfig says how mail leaves the server; no --smtp-addr: no email.
type mailConfig struct {
	SMTPAddr, SMTPFrom, SMTPUser, SMTPPasswordFile, SMTPCA string
	// SMTPInsecure sends without STARTTLS, to a server on loopback only.
	SMTPInsecure bool
	// PublicURL starts the links mails carry (https://tickets.example).
	PublicURL string
}

func (c *mailConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.SMTPAddr, "smtp-addr", "", "email: SMTP server host:port (STARTTLS required); empty sends no email (env ADMITONE_SMTP_ADDR)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", "", "email: sender address, e.g. 'AdmitOne <tickets@example.com>' (env ADMITONE_SMTP_FROM)")
	fs.StringVar(&c.SMTPUser, "smtp-user", "", "email: SMTP user name; empty: no authentication (env ADMITONE_SMTP_USER)")
	fs.StringVar(&c.SMTPPasswordFile, "smtp-password-file", "", "email: file holding the SMTP password; default: env "+envSMTPPassword+" (env ADMITONE_SMTP_PASSWORD_FILE)")
	fs.StringVar(&c.SMTPCA, "smtp-ca", "", "email: PEM file of the CA certificates that may sign the SMTP server's certificate; default: the system's (env ADMITONE_SMTP_CA)")
	fs.BoolVar(&c.SMTPInsecure, "smtp-insecure", false, "email: no STARTTLS, for an SMTP server on a loopback address only (env ADMITONE_SMTP_INSECURE)")
	fs.StringVar(&c.PublicURL, "public-url", "", "email: the server's public address, the start of every link a mail carries, e.g. https://tickets.example.com (env ADMITONE_PUBLIC_URL)")
}

// load checks the mail flags and returns the email sender and the base
// URL; nil without --smtp-addr.
func (c *mailConfig) load() (*notify.Email, string, error) {
	if c.SMTPAddr == "" {
		if c.SMTPFrom != "" || c.SMTPUser != "" || c.SMTPPasswordFile != "" {
			return nil, "", fmt.Errorf("--smtp-from, --smtp-user and --smtp-password-file need --smtp-addr")
		}
		return nil, "", nil
	}
	host, _, err := net.SplitHostPort(c.SMTPAddr)
	if err != nil {
		return nil, "", fmt.Errorf("--smtp-addr %q: want host:port", c.SMTPAddr)
	}
	from, err := mail.ParseAddress(c.SMTPFrom)
	if err != nil {
		return nil, "", fmt.Errorf("--smtp-from %q: want an address: %v", c.SMTPFrom, err)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", fmt.Errorf("--public-url %q: want the server's public address, https://host", c.PublicURL)
	}
	if ip := net.ParseIP(host); c.SMTPInsecure && (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return nil, "", fmt.Errorf("--smtp-insecure: only for an SMTP server on loopback, not %s", host)
	}
	s := &notify.SMTP{Addr: c.SMTPAddr, Username: c.SMTPUser, Insecure: c.SMTPInsecure, Hello: u.Hostname()}
	if c.SMTPUser != "" {
		pw, err := fileutil.ReadSecret(c.SMTPPasswordFile, envSMTPPassword, "--smtp-password-file")
		if err != nil {
			return nil, "", fmt.Errorf("--smtp-user: %w", err)
		}
		s.Password = string(pw)
	}
	if c.SMTPCA != "" {
		pem, err := os.ReadFile(c.SMTPCA)
		if err != nil {
			return nil, "", fmt.Errorf("--smtp-ca: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, "", fmt.Errorf("--smtp-ca %s: no PEM certificate", c.SMTPCA)
		}
		s.TLS = &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &notify.Email{SMTP: s, From: from.Address, Name: from.Name}, u.String(), nil
}
