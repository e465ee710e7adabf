package main

import (
	"testing"

	"github.com/admitone/admitone/internal/testenv"
)

// TestMain removes the syncserver binary testenv.Program built for the
// process tests.
func TestMain(m *testing.M) { testenv.Main(m) }
