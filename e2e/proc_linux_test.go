package e2e

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel kill the child if this test process dies
// (a panic, a -timeout): a test must never leave a server or gate behind.
// Cleanup stops children in the ordinary case. (Strictly the signal
// follows the OS thread that started the child; the Go runtime does not
// end its threads while the program runs.)
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
