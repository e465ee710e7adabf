package gateauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	gosync "sync"
	"time"
)

// Session defaults.
const (
	SessionTTL  = 12 * time.Hour
	MaxSessions = 256
	// maxSecretLen bounds a session id or CSRF token read from a
	// request: base64url of 32 bytes is 43 characters.
	maxSecretLen = 64
)

// Session is a signed-in person's session.
type Session struct {
	// CSRF is the token every state-changing request of the session
	// must carry in X-CSRF-Token.
	CSRF    string
	Expires time.Time
}

// Sessions holds the gate's sessions in memory, keyed by the SHA-256 of
// their ids so a lookup's timing tells nothing about stored ids. It is
// safe for concurrent use; the zero value is ready, with SessionTTL and
// MaxSessions.
type Sessions struct {
	// TTL is how long a session lasts from sign-in; zero means
	// SessionTTL.
	TTL time.Duration
	// Max bounds the sessions kept; a sign-in beyond it ends the session
	// closest to its end. Zero means MaxSessions.
	Max int

	mu gosync.Mutex
	m  map[[sha256.Size]byte]Session
}

// New opens a session at now and returns its id, the secret the cookie
// carries.
func (s *Sessions) New(now time.Time) (string, Session) {
	id, sess := newSecret(), Session{CSRF: newSecret(), Expires: now.Add(s.ttl())}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[[sha256.Size]byte]Session)
	}
	max := s.Max
	if max <= 0 {
		max = MaxSessions
	}
	if len(s.m) >= max {
		s.dropExpired(now)
	}
	for len(s.m) >= max {
		var oldest [sha256.Size]byte
		first := true
		for k, v := range s.m {
			if first || v.Expires.Before(s.m[oldest].Expires) {
				oldest, first = k, false
			}
		}
		delete(s.m, oldest)
	}
	s.m[sha256.Sum256([]byte(id))] = sess
	return id, sess
}

// Get returns the live session with id at now.
func (s *Sessions) Get(id string, now time.Time) (Session, bool) {
	if id == "" || len(id) > maxSecretLen {
		return Session{}, false
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[k]
	if ok && !now.Before(sess.Expires) {
		delete(s.m, k)
		return Session{}, false
	}
	return sess, ok
}

// Delete ends the session with id, if there is one.
func (s *Sessions) Delete(id string) {
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
}

// Len returns the number of sessions kept, expired ones included until
// they are next looked at.
func (s *Sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *Sessions) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return SessionTTL
}

func (s *Sessions) dropExpired(now time.Time) {
	for k, v := range s.m {
		if !now.Before(v.Expires) {
			delete(s.m, k)
		}
	}
}

// newSecret returns 32 random bytes in unpadded base64url.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
