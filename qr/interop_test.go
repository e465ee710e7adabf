package qr_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/admitone/admitone/internal/testenv"
	"github.com/admitone/admitone/qr"
)

// peerTool finds a peer decoder on PATH. Missing, it skips the test on a
// laptop and fails it in CI (CI=true), where the tools are installed.
func peerTool(t testing.TB, name, pkg string) string {
	t.Helper()
	return testenv.LookPath(t, name, pkg)
}

// TestInteropPeers checks that codes we render read back, byte for byte,
// in the two decoders gates and phones most often embed: zbar and
// zxing-cpp.
func TestInteropPeers(t *testing.T) {
	zbar := peerTool(t, "zbarimg", "zbar-tools")
	zxing := peerTool(t, "ZXingReader", "zxing-cpp-tools")
	dir := t.TempDir()
	texts := []string{token154, token154[:148], "AT1:" + strings.Repeat("Z", 10), "hello, wörld"}
	for i, text := range texts {
		path := filepath.Join(dir, "code"+string(rune('a'+i))+".png")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := qr.PNG(text, 4, f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		// zbarimg prints the data and a newline; --raw drops the
		// symbology prefix.
		out, err := exec.Command(zbar, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", path).Output()
		if err != nil {
			t.Fatalf("zbarimg %q: %v", text, err)
		}
		if got := strings.TrimSuffix(string(out), "\n"); got != text {
			t.Errorf("zbarimg read %q, want %q", got, text)
		}
		// ZXingReader -bytes writes exactly the symbol's bytes.
		out, err = exec.Command(zxing, "-bytes", "-format", "QRCode", path).Output()
		if err != nil {
			t.Fatalf("ZXingReader %q: %v", text, err)
		}
		if !bytes.Equal(out, []byte(text)) {
			t.Errorf("ZXingReader read %q, want %q", out, text)
		}
	}
}
