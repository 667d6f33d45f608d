// Package oserr words the errors of the file system for messages that name the file already.
package oserr

import (
	"errors"
	"io/fs"
)

// Cause is the error without the operation and the path a *fs.PathError adds: "permission
// denied", not "open /a/b: permission denied", for a message that names the path itself.
func Cause(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}
