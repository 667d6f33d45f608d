package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/report"
)

// reportPaths lists the reports to write, by path, and makes sure they can be written before
// anything is sent: a run of minutes must not end in "cannot write". Each path must be writable
// (report.CheckWritable), and no two reports may name the same file, whatever the spelling.
func reportPaths(cfg *config.Config) (map[string]func(io.Writer, *report.Run) error, error) {
	type wanted struct {
		flag, path string
		write      func(io.Writer, *report.Run) error
	}
	var reports []wanted
	if cfg.OutDir != "" {
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) && pe.Path == cfg.OutDir {
				return nil, fmt.Errorf("--out %s: %v", cfg.OutDir, pe.Err)
			}
			return nil, fmt.Errorf("--out %s: %s", cfg.OutDir, oneLine(withoutOperation(err)))
		}
		for _, f := range report.Files {
			reports = append(reports, wanted{"--out", filepath.Join(cfg.OutDir, f.Name), f.Write})
		}
	}
	for _, f := range []wanted{{"--json", cfg.JSONFile, report.JSON}, {"--junit", cfg.JUnitFile, report.JUnit}} {
		if f.path != "" {
			reports = append(reports, f)
		}
	}
	paths := map[string]func(io.Writer, *report.Run) error{}
	files := make([]reportFile, len(reports))
	for i, r := range reports {
		if err := report.CheckWritable(r.path); err != nil {
			return nil, fmt.Errorf("%s %s: %v", r.flag, r.path, err)
		}
		files[i] = identify(r.path)
		for j := range i {
			if files[i].same(files[j]) {
				return nil, fmt.Errorf("%s %s and %s %s are the same file; give each report a path of its own", reports[j].flag, reports[j].path, r.flag, r.path)
			}
		}
		paths[r.path] = r.write
	}
	return paths, nil
}

// reportFile identifies the file a report path names: two spellings (x and ./x, a symbolic link
// and its target, two hard links) of one file are the same report. Two of this process's
// descriptors (/dev/stdout and /dev/stderr after 2>&1) may share a file: each report is appended.
type reportFile struct {
	path     string
	info     os.FileInfo
	appended bool
}

func identify(path string) reportFile {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	f := reportFile{path: abs, appended: report.OwnDescriptor(abs)}
	info, err := os.Stat(abs)
	if err == nil && !info.Mode().IsRegular() {
		// A device or a FIFO takes one report after the other; only its own spelling is compared,
		// since /dev/stdout and /dev/stderr may well be one terminal.
		return f
	}
	if err == nil {
		f.info = info
	}
	if f.appended {
		return f // its spelling, and the file it is compared by info
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		f.path = filepath.Join(dir, filepath.Base(abs))
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		f.path = resolved
	}
	return f
}

func (f reportFile) same(o reportFile) bool {
	return f.path == o.path || f.info != nil && o.info != nil && os.SameFile(f.info, o.info) && !(f.appended && o.appended)
}

// withoutOperation drops the operation from a path error ("mkdir x: not a directory" reads as
// "x: not a directory"), since the flag already says what was attempted.
func withoutOperation(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}

// isTerminal reports whether w is a character device, the sign of a person watching: progress
// then updates one line instead of printing one per case.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
