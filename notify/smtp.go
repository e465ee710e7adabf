package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"sync"
	"time"
)

// SMTP is the mail server the email channel sends through. It keeps
// one connection open between messages (a new one after any error),
// so a burst of mail costs one handshake.
type SMTP struct {
	// Addr is the server's host:port.
	Addr string
	// Username and Password authenticate (PLAIN, over TLS only); no
	// Username: no authentication.
	Username string
	Password string
	// Insecure sends without STARTTLS; otherwise a server that does not
	// offer it is refused. Only for a server on loopback.
	Insecure bool
	// TLS is the STARTTLS configuration; nil verifies the server's
	// certificate for Addr's host against the system roots.
	TLS *tls.Config
	// Hello is the name given in EHLO; empty means "localhost".
	Hello string
	// Timeout bounds each connection's dial and each message's exchange;
	// zero means 30 s.
	Timeout time.Duration

	mu   sync.Mutex
	conn *smtp.Client
}

// Deliver sends one message (its envelope sender from, one recipient
// to, and the whole RFC 5322 text) and reports whether the server took
// it. A 5xx answer wraps ErrPermanent; anything else is worth a retry.
func (s *SMTP) Deliver(ctx context.Context, from, to string, msg []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.deliver(ctx, from, to, msg, s.conn != nil)
	if err != nil {
		s.drop()
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 {
			return fmt.Errorf("smtp %s: %w: %w", s.Addr, ErrPermanent, err)
		}
		return fmt.Errorf("smtp %s: %w", s.Addr, err)
	}
	return nil
}

// deliver runs one mail transaction; on a kept connection that fails
// before the message is handed over (the server closed it while idle),
// it dials again once.
func (s *SMTP) deliver(ctx context.Context, from, to string, msg []byte, reused bool) error {
	if s.conn == nil {
		c, err := s.dial(ctx)
		if err != nil {
			return err
		}
		s.conn = c
	}
	c := s.conn
	stop := context.AfterFunc(ctx, func() { c.Close() }) // the exchange in progress fails; the caller drops c
	defer stop()
	if err := s.conn.Mail(from); err != nil {
		var te *textproto.Error
		if reused && !errors.As(err, &te) {
			s.drop()
			return s.deliver(ctx, from, to, msg, false)
		}
		return err
	}
	if err := s.conn.Rcpt(to); err != nil {
		return err
	}
	w, err := s.conn.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}

func (s *SMTP) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return 30 * time.Second
}

func (s *SMTP) dial(ctx context.Context) (*smtp.Client, error) {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w: smtp address %q: %v", ErrPermanent, s.Addr, err)
	}
	d := net.Dialer{Timeout: s.timeout()}
	nc, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return nil, err
	}
	// One deadline for the whole connection's life keeps a stalled
	// server from holding the worker; a kept connection is redialled
	// once it passes.
	_ = nc.SetDeadline(time.Now().Add(s.timeout()))
	c, err := smtp.NewClient(nc, host)
	if err != nil {
		nc.Close()
		return nil, err
	}
	hello := s.Hello
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		c.Close()
		return nil, err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !s.Insecure {
		cfg := s.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: host}
		}
		if err := c.StartTLS(cfg); err != nil {
			c.Close()
			return nil, err
		}
	} else if !s.Insecure {
		c.Close()
		return nil, fmt.Errorf("%w: %s does not offer STARTTLS", ErrPermanent, s.Addr)
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// drop closes the kept connection, if any.
func (s *SMTP) drop() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// Close ends the kept connection politely.
func (s *SMTP) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Quit()
	s.conn = nil
	return err
}
