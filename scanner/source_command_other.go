//go:build !unix

package scanner

import (
	"os"
	"os/exec"
)

// sourceCmdSetup does nothing where there are no process groups.
func sourceCmdSetup(*exec.Cmd) {}

// sourceCmdSignal interrupts, or kills, the command itself (Windows has no interrupt to send, so
// the caller falls back to killing).
func sourceCmdSignal(cmd *exec.Cmd, kill bool) error {
	if kill {
		return cmd.Process.Kill()
	}
	return cmd.Process.Signal(os.Interrupt)
}
