//go:build unix

package engine

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts the command in a process group of its own, and makes the cancellation
// of its context kill that whole group: the shell and whatever it started.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// killProcessGroup kills what is left of the command's group, such as a background process
// holding its output after the shell exited.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
