package argon2id_test

import (
	"strings"
	"testing"

	"github.com/admitone/admitone/internal/argon2id"
)

func TestNewVerifiesOnlyItsSecret(t *testing.T) {
	p := argon2id.Params{MemoryKiB: 64, Time: 1, Threads: 1}
	h := argon2id.New("246810", p)
	back, err := argon2id.Parse(h.String())
	if err != nil {
		t.Fatalf("Parse(New().String()) = %v", err)
	}
	if back.Params != p || !back.Verify("246810") || back.Verify("246811") || back.Verify("") {
		t.Fatalf("round trip: %+v verifies the wrong secrets", back.Params)
	}
	if other := argon2id.New("246810", p); other.String() == h.String() {
		t.Fatal("two hashes of one secret are equal: the salt is not random")
	}
	if _, err := argon2id.Parse(strings.Replace(h.String(), "t=1", "t=17", 1)); err == nil {
		t.Fatal("Parse accepted 17 passes")
	}
}
