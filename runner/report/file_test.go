//go:build unix

package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// A regular file is replaced atomically: a new inode, never a half-written file.
func TestWriteFileReplacesARegularFileAtomically(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	require.NoError(t, os.WriteFile(path, []byte("an earlier, longer report"), 0o600))
	before, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, WriteFile(path, writeString("new")))
	after, err := os.Stat(path)
	require.NoError(t, err)
	assert.False(t, os.SameFile(before, after), "renamed over, not written in place")
	assert.Equal(t, os.FileMode(0o644), after.Mode().Perm())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new", string(b))
}

// A symbolic link stays a link, and its target receives the report, whole (an earlier, longer
// report is truncated); a link to a file not there yet creates it.
func TestWriteFileWritesThroughASymbolicLink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "nightly-42.json"), filepath.Join(dir, "latest.json")
	require.NoError(t, os.WriteFile(target, []byte("an earlier, longer report"), 0o600))
	require.NoError(t, os.Symlink("nightly-42.json", link))
	require.NoError(t, WriteFile(link, writeString("new")))
	info, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, info.Mode().Type(), "the link is still a link")
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "new", string(b))

	dangling := filepath.Join(dir, "next.json")
	require.NoError(t, os.Symlink("nightly-43.json", dangling))
	require.NoError(t, CheckWritable(dangling))
	require.NoError(t, WriteFile(dangling, writeString("created")))
	b, err = os.ReadFile(filepath.Join(dir, "nightly-43.json"))
	require.NoError(t, err)
	assert.Equal(t, "created", string(b))
}

// A FIFO receives the report as a stream and stays a FIFO; checking it beforehand opens nothing,
// so the reader waiting on it does not see an early end of file.
func TestWriteFileWritesThroughAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "reports.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	received := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			received <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		received <- string(b)
	}()
	require.NoError(t, CheckWritable(fifo))
	require.NoError(t, WriteFile(fifo, writeString("<testsuites/>")))
	assert.Equal(t, "<testsuites/>", <-received, "the reader got the whole report, in one stream")
	info, err := os.Lstat(fifo)
	require.NoError(t, err)
	assert.Equal(t, os.ModeNamedPipe, info.Mode().Type())
}

// /dev/fd/N (as /dev/stdout) names a descriptor of this process: a pipe receives the report, and
// a file the shell redirected output to keeps what was written before, the report after it.
func TestWriteFileAppendsToTheProcesssDescriptors(t *testing.T) {
	if _, err := os.Stat("/dev/fd/0"); err != nil {
		t.Skip("no /dev/fd on this system")
	}
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, WriteFile(fmt.Sprintf("/dev/fd/%d", w.Fd()), writeString("through the pipe")))
	require.NoError(t, w.Close())
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "through the pipe", string(b))

	out, err := os.Create(filepath.Join(t.TempDir(), "stdout.txt"))
	require.NoError(t, err)
	defer out.Close()
	_, err = io.WriteString(out, "the text output\n")
	require.NoError(t, err)
	before, err := out.Stat()
	require.NoError(t, err)
	path := fmt.Sprintf("/dev/fd/%d", out.Fd())
	require.NoError(t, CheckWritable(path))
	require.NoError(t, WriteFile(path, writeString("<testsuites/>\n")))
	after, err := os.Stat(out.Name())
	require.NoError(t, err)
	assert.True(t, os.SameFile(before, after), "the file is written in place, not replaced")
	b, err = os.ReadFile(out.Name())
	require.NoError(t, err)
	assert.Equal(t, "the text output\n<testsuites/>\n", string(b))
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	require.NoError(t, os.Symlink(sub, filepath.Join(dir, "to-sub")))
	require.NoError(t, os.Symlink(filepath.Join(dir, "missing", "r.json"), filepath.Join(dir, "to-missing")))
	tests := []struct {
		name, path, wantErr string
	}{
		{"a new file in a writable directory", filepath.Join(dir, "r.json"), ""},
		{"a directory", sub, "it is a directory; name a file to write the report to"},
		{"a link to a directory", filepath.Join(dir, "to-sub"), "it is a link to a directory; name a file to write the report to"},
		{"a missing directory", filepath.Join(dir, "missing", "r.json"), "the directory " + filepath.Join(dir, "missing") + " does not exist"},
		{"a link into a missing directory", filepath.Join(dir, "to-missing"), "the directory " + filepath.Join(dir, "missing") + " does not exist"},
		{"a device", os.DevNull, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckWritable(tt.path)
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tt.wantErr)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3, "the check leaves nothing behind")
}
