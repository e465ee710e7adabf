//go:build unix

package hook

import (
	"os/exec"
	"syscall"
)

// setGroup starts the command as the leader of a process group of its
// own, so a timeout can kill what it started too.
func setGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills the command's whole process group.
func killGroup(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
