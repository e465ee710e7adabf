//go:build unix

package scanner

import (
	"os/exec"
	"syscall"
)

// sourceCmdSetup puts the command in a process group of its own, so signals reach its children.
func sourceCmdSetup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// sourceCmdSignal interrupts, or kills, the command's process group. The group keeps the child's
// pid as its id, which the kernel does not reuse while any member is alive.
func sourceCmdSignal(cmd *exec.Cmd, kill bool) error {
	sig := syscall.SIGINT
	if kill {
		sig = syscall.SIGKILL
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}
