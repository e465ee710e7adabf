package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// module is the import path the programs are built from.
const module = "github.com/admitone/admitone"

// built is what Program has built in this test binary.
var built struct {
	mu    sync.Mutex
	main  bool              // Main is running the tests
	dir   string            // where the programs go; "" until the first build
	paths map[string]string // program name -> path
	errs  map[string]error  // program name -> why it did not build
}

// Main runs the tests and then removes what Program built. A package whose
// tests call Program has it as its TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	built.mu.Lock()
	built.main = true
	built.mu.Unlock()
	code := m.Run()
	built.mu.Lock()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	built.mu.Unlock()
	os.Exit(code)
}

// Program returns the path of the repository's program name (cmd/name),
// built with CGO_ENABLED=0 on the first call in this test binary and
// shared by every later call, from any goroutine. A build that fails
// fails every test that asks for it.
func Program(t testing.TB, name string) string {
	t.Helper()
	built.mu.Lock()
	defer built.mu.Unlock()
	if !built.main {
		t.Fatal("testenv.Program: the package's TestMain must call testenv.Main, which removes the programs afterwards")
	}
	if p, ok := built.paths[name]; ok {
		return p
	}
	if err, ok := built.errs[name]; ok {
		t.Fatal(err)
	}
	p, err := build(name)
	if err != nil {
		if built.errs == nil {
			built.errs = map[string]error{}
		}
		built.errs[name] = err
		t.Fatal(err)
	}
	if built.paths == nil {
		built.paths = map[string]string{}
	}
	built.paths[name] = p
	return p
}

// build compiles cmd/name into built.dir; built.mu is held.
func build(name string) (string, error) {
	if built.dir == "" {
		dir, err := os.MkdirTemp("", "admitone-test-bin-")
		if err != nil {
			return "", fmt.Errorf("build %s: %w", name, err)
		}
		built.dir = dir
	}
	p := filepath.Join(built.dir, name)
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", p, module+"/cmd/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", name, err, out)
	}
	if testing.Verbose() {
		fmt.Printf("testenv: built %s in %v\n", name, time.Since(start).Round(time.Millisecond))
	}
	return p, nil
}
