package packaging

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/admitone/admitone/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// DebDirEnv names a folder holding the built packages (.ci/run sets it
// after build-deb.sh); without it the package test builds them.
const DebDirEnv = "ADMITONE_TEST_DEB_DIR"

// verifyUnit runs systemd-analyze verify on unit, a copy of
// scannerd.service rewritten to run bin, and returns its output.
func verifyUnit(t *testing.T, analyze, bin string, unit []byte) (string, error) {
	t.Helper()
	unit = bytes.ReplaceAll(unit, []byte("ExecStart=/usr/bin/scannerd "), []byte("ExecStart="+bin+" "))
	path := filepath.Join(t.TempDir(), "scannerd.service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	return string(out), err
}

// TestUnitVerifies: systemd-analyze accepts scannerd.service with no
// warning about it (verify exits 0 on unknown keys and bad values, so
// its output is read too), and the unit keeps the settings the service
// relies on.
func TestUnitVerifies(t *testing.T) {
	analyze := testenv.LookPath(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile("scannerd.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Type=notify", "WatchdogSec=", "Restart=on-failure", "User=scannerd", "StateDirectory=scannerd",
		"SupplementaryGroups=video dialout", "EnvironmentFile=-/etc/default/scannerd",
		"ExecStart=/usr/bin/scannerd run ", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"NoNewPrivileges=yes", "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes",
		"ProtectControlGroups=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "RestrictNamespaces=yes",
		"LockPersonality=yes", "MemoryDenyWriteExecute=yes", "SystemCallArchitectures=native", "CapabilityBoundingSet=\n",
	} {
		if !bytes.Contains(unit, []byte("\n"+want)) {
			t.Errorf("scannerd.service lacks %q", strings.TrimSpace(want))
		}
	}
	bin := testenv.Program(t, "scannerd")

	out, err := verifyUnit(t, analyze, bin, unit)
	if err != nil || strings.Contains(out, "scannerd.service") {
		t.Fatalf("systemd-analyze verify scannerd.service: %v\n%s", err, out)
	}
	t.Logf("systemd-analyze verify: exit 0, nothing about scannerd.service (%d bytes of output)", len(out))

	// The check above would see a mistake: a misspelt key is reported.
	out, _ = verifyUnit(t, analyze, bin, bytes.Replace(unit, []byte("ProtectHome="), []byte("ProtectHom="), 1))
	if !strings.Contains(out, "scannerd.service") || !strings.Contains(out, "ProtectHom") {
		t.Errorf("systemd-analyze verify did not report a misspelt key:\n%s", out)
	}
}

// TestDebPackages: each architecture's package holds the binary (built
// for that architecture), the unit and the default configuration (a
// conffile, readable by root only), with maintainer scripts that parse;
// the amd64 package's binary, extracted into a scratch root, runs.
func TestDebPackages(t *testing.T) {
	dpkgDeb := testenv.LookPath(t, "dpkg-deb", "dpkg")
	dir := os.Getenv(DebDirEnv)
	if dir == "" {
		if testing.Short() {
			t.Skipf("builds the packages; %s unset and -short", DebDirEnv)
		}
		dir = t.TempDir()
		cmd := exec.Command("bash", "build-deb.sh", dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			testenv.Missing(t, "build-deb.sh could not build the packages (it installs nfpm from the Go module proxy): %v\n%s", err, out)
		}
	}
	unit, err := os.ReadFile("scannerd.service")
	if err != nil {
		t.Fatal(err)
	}
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "armhf": elf.EM_ARM}
	for _, arch := range []string{"amd64", "arm64", "armhf"} {
		t.Run(arch, func(t *testing.T) {
			debs, _ := filepath.Glob(filepath.Join(dir, "scannerd_*_"+arch+".deb"))
			if len(debs) != 1 {
				t.Fatalf("want one scannerd_*_%s.deb in %s, found %v", arch, dir, debs)
			}
			deb := debs[0]
			run := func(args ...string) string {
				t.Helper()
				out, err := exec.Command(dpkgDeb, args...).Output()
				if err != nil {
					t.Fatalf("dpkg-deb %s: %v", strings.Join(args, " "), err)
				}
				return string(out)
			}
			list := run("-c", deb)
			t.Logf("dpkg-deb -c %s:\n%s", filepath.Base(deb), list)
			for path, mode := range map[string]string{
				"./usr/bin/scannerd":                        "-rwxr-xr-x",
				"./usr/lib/systemd/system/scannerd.service": "-rw-r--r--",
				"./etc/default/scannerd":                    "-rw-------",
			} {
				if !hasEntry(list, path, mode) {
					t.Errorf("%s does not list %s with mode %s", filepath.Base(deb), path, mode)
				}
			}
			if got := strings.TrimSpace(run("-f", deb, "Architecture")); got != arch {
				t.Errorf("Architecture %q, want %q", got, arch)
			}

			root := t.TempDir()
			run("-x", deb, root)
			if got, _ := os.ReadFile(filepath.Join(root, "usr/lib/systemd/system/scannerd.service")); !bytes.Equal(got, unit) {
				t.Error("the packaged unit is not packaging/scannerd.service")
			}
			bin := filepath.Join(root, "usr/bin/scannerd")
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			if f.Machine != machines[arch] {
				t.Errorf("usr/bin/scannerd is built for %v, want %v", f.Machine, machines[arch])
			}
			f.Close()

			ctrl := t.TempDir()
			run("-e", deb, ctrl)
			if got, _ := os.ReadFile(filepath.Join(ctrl, "conffiles")); strings.TrimSpace(string(got)) != "/etc/default/scannerd" {
				t.Errorf("conffiles %q, want /etc/default/scannerd", got)
			}
			for _, script := range []string{"postinst", "prerm", "postrm"} {
				if out, err := exec.Command("sh", "-n", filepath.Join(ctrl, script)).CombinedOutput(); err != nil {
					t.Errorf("%s does not parse: %v\n%s", script, err, out)
				}
			}

			if arch != "amd64" {
				return
			}
			cmd := exec.Command(bin, "--help")
			cmd.Dir = root
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("extracted scannerd --help: %v\n%s", err, out)
			}
			for _, want := range []string{"Usage:", "scannerd [command]", "run", "doctor"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("scannerd --help lacks %q:\n%s", want, out)
				}
			}
			t.Logf("extracted usr/bin/scannerd --help: exit 0, %d bytes of usage", len(out))
		})
	}
}

// hasEntry reports whether a dpkg-deb -c listing has path with mode.
func hasEntry(list, path, mode string) bool {
	for line := range strings.SplitSeq(list, "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[len(f)-1] == path && f[0] == mode {
			return true
		}
	}
	return false
}
