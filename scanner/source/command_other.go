//go:build !unix

package source

import (
	"os"
	"os/exec"
)

// cmdSetup does nothing where there are no process groups.
func cmdSetup(*exec.Cmd) {}

// cmdSignal interrupts, or kills, the command itself (Windows has no interrupt to send, so
// the caller falls back to killing).
func cmdSignal(cmd *exec.Cmd, kill bool) error {
	if kill {
		return cmd.Process.Kill()
	}
	return cmd.Process.Signal(os.Interrupt)
}
