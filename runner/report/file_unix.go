//go:build unix

package report

import "syscall"

// mayWrite asks the kernel whether this process may open path for writing, without opening it.
func mayWrite(path string) error {
	const writable = 2 // W_OK
	return syscall.Access(path, writable)
}
