//go:build !unix

package hook

import "os/exec"

// setGroup does nothing where there are no process groups.
func setGroup(*exec.Cmd) {}

// killGroup kills the command itself.
func killGroup(cmd *exec.Cmd) error { return cmd.Process.Kill() }
