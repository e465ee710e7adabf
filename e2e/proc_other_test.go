//go:build !linux

package e2e

import "os/exec"

// setDeathSignal does nothing outside Linux: there, only Cleanup stops
// the children.
func setDeathSignal(*exec.Cmd) {}
