package report

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/contacts-conformance/suite/runner/internal/oserr"
)

// WriteFile writes a report. A regular file (or one not there yet) is written atomically, to a
// temporary file renamed over it, so a crashed run never leaves half a file for CI to read.
// Anything else is written through, by opening the path itself: a symbolic link keeps being a
// link and its target receives the report, and a device or a FIFO (/dev/stdout, a pipe) receives
// it as a stream. The descriptors of this process (/dev/stdout, /dev/stderr, /dev/fd/N) are
// appended to, never truncated: the shell may have redirected them to a file that holds the text
// output already.
func WriteFile(path string, write func(io.Writer) error) error {
	if info, err := os.Lstat(path); err == nil && !info.Mode().IsRegular() {
		return writeThrough(path, write)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".report-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	// A temporary file is private; a report is meant to be published.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	return nil
}

func writeThrough(path string, write func(io.Writer) error) error {
	flags := os.O_WRONLY | os.O_CREATE
	if OwnDescriptor(path) {
		flags |= os.O_APPEND
	} else if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
		flags |= os.O_TRUNC // a link to an earlier report, replaced by this one
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, oserr.Cause(err))
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	return nil
}

// OwnDescriptor reports whether path names one of this process's open descriptors, which
// WriteFile appends to.
func OwnDescriptor(path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	return abs == "/dev/stdout" || abs == "/dev/stderr" || strings.HasPrefix(abs, "/dev/fd/") || strings.HasPrefix(abs, "/proc/self/fd/")
}

// CheckWritable makes sure WriteFile will be able to write path, before a run of minutes ends in
// "cannot write". It writes nothing there: a file is created and removed in the directory of a
// report written atomically; a link's regular target is opened without being truncated; a device
// or a FIFO is only checked for permission, since opening a FIFO would wait for a reader, or
// hand the one waiting an early end of file.
func CheckWritable(path string) error {
	info, err := os.Lstat(path)
	switch {
	case err == nil && info.IsDir():
		return errors.New("it is a directory; name a file to write the report to")
	case err == nil && !info.Mode().IsRegular():
		return checkThrough(path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return oserr.Cause(err)
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("the directory %s does not exist", dir)
	}
	f, err := os.CreateTemp(dir, ".report-*")
	if err != nil {
		return fmt.Errorf("cannot create a file in the directory %s: %v", dir, oserr.Cause(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

func checkThrough(path string) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A link to a file not there yet: writing through it creates its target.
		target, err := os.Readlink(path)
		if err != nil {
			return oserr.Cause(err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		return CheckWritable(target)
	case err != nil:
		return oserr.Cause(err)
	case info.IsDir():
		return errors.New("it is a link to a directory; name a file to write the report to")
	case info.Mode().IsRegular():
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("cannot open it for writing: %v", oserr.Cause(err))
		}
		return f.Close()
	}
	if err := mayWrite(path); err != nil {
		return fmt.Errorf("cannot open it for writing: %v", err)
	}
	return nil
}
