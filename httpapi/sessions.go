package httpapi

import (
	"net/http"
	"time"

	"github.com/admitone/admitone/account"
)

// --- password, two-factor removal, sessions and API tokens

type disableTOTPRequest struct {
	Password string `json:"password"`
	// Code is a current code from the app or an unused recovery code.
	Code string `json:"code"`
}

func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	var req disableTOTPRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Password == "" {
		return fieldError("password", "password (the account's current password) is required to turn two-factor authentication off")
	}
	if req.Code == "" {
		return fieldError("code", "code (a current two-factor code or an unused recovery code) is required")
	}
	if err := s.Accounts.DisableTOTP(r.Context(), *p, req.Password, req.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	var req changePasswordRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.CurrentPassword == "" {
		return fieldError("current_password", "current_password is required")
	}
	if req.NewPassword == "" {
		return fieldError("new_password", "new_password is required")
	}
	if err := s.Accounts.ChangePassword(r.Context(), *p, req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tokenJSON is what a user sees of a session or API token: an id to
// revoke it by (the SHA-256 of the secret, which cannot be turned back
// into it), never the secret.
type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt  time.Time  `json:"expires_at"`
	Current    bool       `json:"current"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, p *account.Principal, kind, key string) error {
	ts, err := s.Accounts.Tokens(r.Context(), *p, kind)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		v := tokenJSON{ID: t.Hash, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Current: t.Current}
		if !t.LastUsedAt.IsZero() {
			v.LastUsedAt = &t.LastUsedAt
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{key: out})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p *account.Principal, kind string) error {
	if err := s.Accounts.RevokeToken(r.Context(), *p, kind, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	return s.listTokens(w, r, p, account.TokenSession, "sessions")
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	return s.revokeToken(w, r, p, account.TokenSession)
}

func (s *Server) listAPITokens(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	return s.listTokens(w, r, p, account.TokenAPI, "tokens")
}

func (s *Server) revokeAPIToken(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
	return s.revokeToken(w, r, p, account.TokenAPI)
}
