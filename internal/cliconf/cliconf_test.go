package cliconf

import (
	"testing"

	"github.com/spf13/pflag"
)

func TestApplyEnv(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	dir := fs.String("data-dir", "default", "")
	listen := fs.String("listen", "default", "")
	n := fs.Int("count", 1, "")
	if err := fs.Parse([]string{"--listen", "given"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ADMITONE_DATA_DIR", "/from/env")
	t.Setenv("ADMITONE_LISTEN", "env-loses")
	if err := ApplyEnv(fs); err != nil {
		t.Fatal(err)
	}
	if *dir != "/from/env" || *listen != "given" || *n != 1 {
		t.Fatalf("data-dir=%q listen=%q count=%d", *dir, *listen, *n)
	}
	t.Setenv("ADMITONE_COUNT", "many")
	if err := ApplyEnv(fs); err == nil {
		t.Fatal("a bad value from the environment was accepted")
	}
}
