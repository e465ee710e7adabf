package gateauth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/admitone/admitone/internal/argon2id"
	"github.com/admitone/admitone/internal/fileutil"
)

// PINFile is the file in the gate's data directory that holds the staff
// PIN's hash, one PHC string.
const PINFile = "staff-pin"

// Staff PIN policy.
const (
	MinPINLen = 6
	MaxPINLen = 32
)

// PINParams are the argon2id parameters of a new PIN hash: 16 MiB and 3
// passes, about a quarter of a second on a Raspberry Pi 4 and under a
// second on a Pi Zero 2 W, inside the 32 MiB heap scannerd run keeps.
var PINParams = argon2id.Params{MemoryKiB: 16 * 1024, Time: 3, Threads: 1}

// ErrPINNotSet is returned when no staff PIN is set.
var ErrPINNotSet = errors.New("no staff PIN is set: set one with scannerd pin set")

// ErrWeakPIN is wrapped by every CheckPIN error.
var ErrWeakPIN = errors.New("staff PIN refused")

// CheckPIN applies the PIN policy: MinPINLen to MaxPINLen ASCII digits,
// not one digit repeated and not a run up or down (123456, 987654). The
// error wraps ErrWeakPIN and never contains the PIN.
func CheckPIN(pin string) error {
	if len(pin) < MinPINLen || len(pin) > MaxPINLen {
		return fmt.Errorf("%w: a PIN is %d to %d digits; this one has %d characters", ErrWeakPIN, MinPINLen, MaxPINLen, len(pin))
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return fmt.Errorf("%w: a PIN is digits only (0-9), so it can be typed on a phone's number pad", ErrWeakPIN)
		}
	}
	same, up, down := true, true, true
	for i := 1; i < len(pin); i++ {
		d := int(pin[i]) - int(pin[i-1])
		same = same && d == 0
		up = up && (d == 1 || d == -9)
		down = down && (d == -1 || d == 9)
	}
	if same || up || down {
		return fmt.Errorf("%w: one digit repeated, or digits counting up or down, is the first thing anyone tries", ErrWeakPIN)
	}
	return nil
}

// SetPIN checks pin against the policy, hashes it and replaces the PIN
// file in dir (mode 0600), creating dir if needed.
func SetPIN(dir, pin string) error {
	if err := CheckPIN(pin); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("staff PIN: %w", err)
	}
	h := argon2id.New(pin, PINParams)
	if err := fileutil.WriteAtomic(filepath.Join(dir, PINFile), []byte(h.String()+"\n"), 0o600); err != nil {
		return fmt.Errorf("staff PIN: write: %w", err)
	}
	return nil
}

// ReadPIN reads the PIN hash kept in dir; ErrPINNotSet if there is none.
func ReadPIN(dir string) (argon2id.PHC, error) {
	path := filepath.Join(dir, PINFile)
	b, err := fileutil.ReadLimited(path, 1024)
	if errors.Is(err, os.ErrNotExist) {
		return argon2id.PHC{}, ErrPINNotSet
	}
	if err != nil {
		return argon2id.PHC{}, fmt.Errorf("staff PIN: %w", err)
	}
	h, err := argon2id.Parse(strings.TrimRight(string(b), "\n"))
	if err != nil {
		return argon2id.PHC{}, fmt.Errorf("staff PIN file %s: %w; set the PIN again with scannerd pin set", path, err)
	}
	return h, nil
}

// PINSet reports whether dir holds a staff PIN file.
func PINSet(dir string) (bool, error) {
	_, err := os.Stat(filepath.Join(dir, PINFile))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("staff PIN: %w", err)
}
