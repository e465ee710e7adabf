package bolt

import (
	"context"
	"testing"
	"time"

	"github.com/admitone/admitone/account"
	"github.com/admitone/admitone/internal/id"
)

// BenchmarkSessionRead compares what authenticating a request reads:
// Session's one read transaction against the three reads (TokenByHash,
// UserByID, Memberships) it replaced in account.Service.Authenticate.
func BenchmarkSessionRead(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	u := account.User{ID: id.New("usr"), Email: "bench@example.com", Name: "Bench", PasswordHash: "x", CreatedAt: time.Now()}
	if err := s.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	tok := account.Token{Hash: "h0123456789", UserID: u.ID, Kind: account.TokenSession, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := s.CreateToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.Run("session", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, _, err := s.Session(ctx, tok.Hash); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("three-reads", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				t, err := s.TokenByHash(ctx, tok.Hash)
				if err == nil {
					_, err = s.UserByID(ctx, t.UserID)
				}
				if err == nil {
					_, err = s.Memberships(ctx, t.UserID)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
