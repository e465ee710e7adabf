//go:build unix

package source

import (
	"os/exec"
	"syscall"
)

// cmdSetup puts the command in a process group of its own, so signals reach its children.
func cmdSetup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// cmdSignal interrupts, or kills, the command's process group. The group keeps the child's
// pid as its id, which the kernel does not reuse while any member is alive.
func cmdSignal(cmd *exec.Cmd, kill bool) error {
	sig := syscall.SIGINT
	if kill {
		sig = syscall.SIGKILL
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}
