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

// program is one packaged program: its unit, its conffile and the
// settings its unit must keep.
type program struct {
	name string
	want []string
}

// programs are the packages build-deb.sh makes.
var programs = []program{
	{name: "scannerd", want: []string{
		"Type=notify", "WatchdogSec=", "Restart=on-failure", "User=scannerd", "StateDirectory=scannerd",
		"SupplementaryGroups=video dialout", "EnvironmentFile=-/etc/default/scannerd",
		"ExecStart=/usr/bin/scannerd run ", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"NoNewPrivileges=yes", "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes",
		"ProtectControlGroups=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "RestrictNamespaces=yes",
		"LockPersonality=yes", "MemoryDenyWriteExecute=yes", "SystemCallArchitectures=native", "CapabilityBoundingSet=\n",
	}},
	{name: "syncserver", want: []string{
		"Type=exec", "Restart=on-failure", "User=syncserver", "StateDirectory=syncserver", "LimitNOFILE=",
		"EnvironmentFile=-/etc/default/syncserver", "ExecStart=/usr/bin/syncserver serve ", "ProtectSystem=strict",
		"ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes", "NoNewPrivileges=yes", "ProtectKernelTunables=yes",
		"ProtectKernelModules=yes", "ProtectKernelLogs=yes", "ProtectControlGroups=yes",
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n", "RestrictNamespaces=yes", "LockPersonality=yes",
		"MemoryDenyWriteExecute=yes", "SystemCallArchitectures=native", "CapabilityBoundingSet=\n",
	}},
}

// verifyUnit runs systemd-analyze verify on unit, a copy of name's
// .service rewritten to run bin, and returns its output.
func verifyUnit(t *testing.T, analyze, name, bin string, unit []byte) (string, error) {
	t.Helper()
	unit = bytes.ReplaceAll(unit, []byte("ExecStart=/usr/bin/"+name+" "), []byte("ExecStart="+bin+" "))
	path := filepath.Join(t.TempDir(), name+".service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	return string(out), err
}

// TestUnitVerifies: systemd-analyze accepts each program's unit with no
// warning about it (verify exits 0 on unknown keys and bad values, so its
// output is read too), and each unit keeps the settings its service
// relies on.
func TestUnitVerifies(t *testing.T) {
	analyze := testenv.LookPath(t, "systemd-analyze", "systemd")
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			file := p.name + ".service"
			unit, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range p.want {
				if !bytes.Contains(unit, []byte("\n"+want)) {
					t.Errorf("%s lacks %q", file, strings.TrimSpace(want))
				}
			}
			bin := testenv.Program(t, p.name)

			out, err := verifyUnit(t, analyze, p.name, bin, unit)
			if err != nil || strings.Contains(out, file) {
				t.Fatalf("systemd-analyze verify %s: %v\n%s", file, err, out)
			}
			t.Logf("systemd-analyze verify: exit 0, nothing about %s (%d bytes of output)", file, len(out))

			// The check above would see a mistake: a misspelt key is reported.
			out, _ = verifyUnit(t, analyze, p.name, bin, bytes.Replace(unit, []byte("ProtectHome="), []byte("ProtectHom="), 1))
			if !strings.Contains(out, file) || !strings.Contains(out, "ProtectHom") {
				t.Errorf("systemd-analyze verify did not report a misspelt key:\n%s", out)
			}
		})
	}
}

// TestDebPackages: each program's package for each architecture holds the binary (built
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
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "armhf": elf.EM_ARM}
	for _, p := range programs {
		name := p.name
		unit, err := os.ReadFile(name + ".service")
		if err != nil {
			t.Fatal(err)
		}
		for _, arch := range []string{"amd64", "arm64", "armhf"} {
			t.Run(name+"/"+arch, func(t *testing.T) {
				debs, _ := filepath.Glob(filepath.Join(dir, name+"_*_"+arch+".deb"))
				if len(debs) != 1 {
					t.Fatalf("want one %s_*_%s.deb in %s, found %v", name, arch, dir, debs)
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
					"./usr/bin/" + name:                             "-rwxr-xr-x",
					"./usr/lib/systemd/system/" + name + ".service": "-rw-r--r--",
					"./etc/default/" + name:                         "-rw-------",
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
				if got, _ := os.ReadFile(filepath.Join(root, "usr/lib/systemd/system/"+name+".service")); !bytes.Equal(got, unit) {
					t.Errorf("the packaged unit is not packaging/%s.service", name)
				}
				bin := filepath.Join(root, "usr/bin/"+name)
				f, err := elf.Open(bin)
				if err != nil {
					t.Fatal(err)
				}
				if f.Machine != machines[arch] {
					t.Errorf("usr/bin/%s is built for %v, want %v", name, f.Machine, machines[arch])
				}
				f.Close()

				ctrl := t.TempDir()
				run("-e", deb, ctrl)
				if got, _ := os.ReadFile(filepath.Join(ctrl, "conffiles")); strings.TrimSpace(string(got)) != "/etc/default/"+name {
					t.Errorf("conffiles %q, want /etc/default/%s", got, name)
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
					t.Fatalf("extracted %s --help: %v\n%s", name, err, out)
				}
				for _, want := range []string{"Usage:", name + " [command]"} {
					if !strings.Contains(string(out), want) {
						t.Errorf("%s --help lacks %q:\n%s", name, want, out)
					}
				}
				t.Logf("extracted usr/bin/%s --help: exit 0, %d bytes of usage", name, len(out))
			})
		}
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
