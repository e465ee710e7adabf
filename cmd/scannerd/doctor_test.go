package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/admitone/admitone/scanner"
)

// doctor runs scannerd doctor on g's data dir with args and returns its
// report and whether it passed.
func doctor(t *testing.T, dir string, args ...string) (string, bool) {
	t.Helper()
	out, err := runCLIErr("", append([]string{"doctor", "--data-dir", dir}, args...)...)
	t.Logf("scannerd doctor %s:\n%s", strings.Join(args, " "), out)
	return out, err == nil
}

// reportLine returns the report's line for check name (at its level)
// and the fix below it, or fails the test.
func reportLine(t *testing.T, out, lvl, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + lvl + `\s+` + regexp.QuoteMeta(name) + `\s+.*(\n\s+fix: .*)?`).FindString(out)
	if m == "" {
		t.Fatalf("no %s line for %q in:\n%s", lvl, name, out)
	}
	return m
}

func TestDoctorGoodGate(t *testing.T) {
	g := newTestGate(t, 2)
	cam := filepath.Join(t.TempDir(), "cam.mjpeg")
	var stream []byte
	for range 4 {
		stream = append(stream, cameraJPEG(t, g.tokens[0].Text())...)
	}
	if err := os.WriteFile(cam, stream, 0o600); err != nil {
		t.Fatal(err)
	}
	wedge := filepath.Join(t.TempDir(), "wedge")
	if err := os.WriteFile(wedge, []byte(g.tokens[1].Text()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, ok := doctor(t, g.dir, "--source", "cam0=mjpeg:"+cam, "--source", "lines:"+wedge)
	if !ok {
		t.Fatal("doctor failed a good gate")
	}
	if line := reportLine(t, out, "OK", "store"); !strings.Contains(line, "gate north") || !strings.Contains(line, "2 tickets") {
		t.Errorf("store line: %s", line)
	}
	reportLine(t, out, "OK", "disk")
	if line := reportLine(t, out, "OK", "server"); !strings.Contains(line, "not enrolled") {
		t.Errorf("server line: %s", line)
	}
	if line := reportLine(t, out, "OK", "source cam0"); !regexp.MustCompile(`[1-4] frames`).MatchString(line) {
		t.Errorf("camera line: %s", line)
	}
	if line := reportLine(t, out, "OK", "source lines:"+wedge); !strings.Contains(line, "1 codes and 0 frames") {
		t.Errorf("wedge line: %s", line)
	}
	if regexp.MustCompile(`(?m)^(WARN|FAIL) `).MatchString(out) {
		t.Errorf("a good gate got a warning or failure:\n%s", out)
	}
}

func TestDoctorMissingStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	out, ok := doctor(t, dir)
	if ok {
		t.Fatal("doctor passed a gate with no store")
	}
	line := reportLine(t, out, "FAIL", "store")
	for _, want := range []string{"does not exist", "scannerd enroll --data-dir " + dir, "scannerd import"} {
		if !strings.Contains(line, want) {
			t.Errorf("store line lacks %q: %s", want, line)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("doctor created the data directory")
	}
}

func TestDoctorDamagedStore(t *testing.T) {
	g := newTestGate(t, 4)
	damageStore(t, g)
	out, ok := doctor(t, g.dir)
	if ok {
		t.Fatal("doctor passed a damaged store")
	}
	line := reportLine(t, out, "FAIL", "store")
	for _, want := range []string{"is damaged", "will not scan", "scannerd status --data-dir " + g.dir, "move", "scannerd enroll", "scannerd import"} {
		if !strings.Contains(line, want) {
			t.Errorf("store line lacks %q: %s", want, line)
		}
	}
	if exports, _ := filepath.Glob(filepath.Join(g.dir, "outbox-export-*")); len(exports) != 0 {
		t.Errorf("doctor wrote %v: it must change nothing", exports)
	}
}

func TestDoctorStoreInUse(t *testing.T) {
	g := newTestGate(t, 1)
	s, err := scanner.OpenStore(g.dir, scanner.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, ok := doctor(t, g.dir)
	if !ok {
		t.Fatal("doctor failed a gate whose store a running scannerd holds")
	}
	if line := reportLine(t, out, "WARN", "store"); !strings.Contains(line, "systemctl stop scannerd") {
		t.Errorf("store line: %s", line)
	}
}

func TestDoctorSourceGivesNothing(t *testing.T) {
	g := newTestGate(t, 1)
	out, ok := doctor(t, g.dir, "--source-wait", "300ms", "--source", "idle=cmd:sleep 30", "--source", "quits=cmd:true")
	if ok {
		t.Fatal("doctor passed sources that give no frame")
	}
	for name, want := range map[string]string{"source idle": "gave no frame", "source quits": "without a frame"} {
		line := reportLine(t, out, "FAIL", name)
		if !strings.Contains(line, want) || !strings.Contains(line, "fix: run the camera command by hand") {
			t.Errorf("%s line: %s", name, line)
		}
	}
}

func TestDoctorUnreachableServer(t *testing.T) {
	g := newTestGate(t, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := "http://" + ln.Addr().String()
	ln.Close()
	s, err := scanner.OpenStore(g.dir, scanner.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.SetSyncConfig(scanner.SyncConfig{Server: server, GateID: "north", Credential: "aogc_test"})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, ok := doctor(t, g.dir, "--timeout", "3s")
	if ok {
		t.Fatal("doctor passed a gate whose server is unreachable")
	}
	if line := reportLine(t, out, "OK", "store"); !strings.Contains(line, "enrolled with "+server) {
		t.Errorf("store line: %s", line)
	}
	line := reportLine(t, out, "FAIL", "server")
	for _, want := range []string{"cannot reach " + server, "fix: check this gate's network", "scans offline"} {
		if !strings.Contains(line, want) {
			t.Errorf("server line lacks %q: %s", want, line)
		}
	}
	if strings.Contains(out, "aogc_test") {
		t.Error("the report shows the credential")
	}
	if _, ok := doctor(t, g.dir, "--offline"); !ok {
		t.Error("doctor --offline failed on the server it must not contact")
	}
}

func TestClockCheck(t *testing.T) {
	for _, tc := range []struct {
		skew time.Duration
		want level
		text string
	}{
		{0, levelOK, "0s ahead of"},
		{3 * time.Second, levelOK, "3s ahead of"},
		{-time.Minute, levelFail, "1m0s behind"},
		{2 * time.Minute, levelFail, "2m0s ahead of"},
	} {
		c := clockCheck(tc.skew, 5*time.Second)
		if c.level != tc.want || !strings.Contains(c.what, tc.text) {
			t.Errorf("clockCheck(%v): %v %q, want %v with %q", tc.skew, c.level, c.what, tc.want, tc.text)
		}
		if c.level == levelFail && !strings.Contains(c.fix, "timedatectl") {
			t.Errorf("clockCheck(%v): fix %q", tc.skew, c.fix)
		}
	}
}

func TestSourceKind(t *testing.T) {
	for spec, want := range map[string]string{
		"cmd:rpicam-vid -t 0":      "cmd",
		"cam0=cmd:rpicam-vid -t 0": "cmd",
		"wedge=lines:/dev/ttyACM0": "lines",
		"lines:-":                  "lines",
		"yuv:640x480:-":            "yuv",
		"/srv/incoming":            "file",
		"C:/pictures":              "file",
		"a=b=dir:/x":               "file",
		"9x=cmd:true":              "file",
	} {
		if got := sourceKind(spec); got != want {
			t.Errorf("sourceKind(%q) = %q, want %q", spec, got, want)
		}
	}
}

// FuzzSourceKind: any spec gives a kind of lower-case letters.
func FuzzSourceKind(f *testing.F) {
	for _, s := range []string{"cam0=cmd:x", "lines:-", "/a/b", "=:", "a=", "é=x:y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		k := sourceKind(spec)
		if k == "" || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("sourceKind(%q) = %q", spec, k)
		}
	})
}
