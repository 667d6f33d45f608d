//go:build !unix

package engine

import "os/exec"

// Without process groups, the command's context kills the shell alone.
func ownProcessGroup(*exec.Cmd) {}

func killProcessGroup(*exec.Cmd) {}
