package runner

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/report"
)

// reportPaths lists the reports to write, by path, and makes sure they can be written before
// anything is sent: a run of minutes must not end in "cannot write".
func reportPaths(cfg *config.Config) (map[string]func(io.Writer, *report.Run) error, error) {
	paths := map[string]func(io.Writer, *report.Run) error{}
	if cfg.OutDir != "" {
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) && pe.Path == cfg.OutDir {
				return nil, fmt.Errorf("--out %s: %v", cfg.OutDir, pe.Err)
			}
			return nil, fmt.Errorf("--out %s: %s", cfg.OutDir, oneLine(unwrapPathError(err)))
		}
		for _, f := range report.Files {
			paths[filepath.Join(cfg.OutDir, f.Name)] = f.Write
		}
	}
	for _, f := range []struct {
		flag, path string
		write      func(io.Writer, *report.Run) error
	}{{"--json", cfg.JSONFile, report.JSON}, {"--junit", cfg.JUnitFile, report.JUnit}} {
		if f.path == "" {
			continue
		}
		if info, err := os.Stat(filepath.Dir(f.path)); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("%s %s: the directory %s does not exist", f.flag, f.path, filepath.Dir(f.path))
		}
		paths[f.path] = f.write
	}
	return paths, nil
}

// unwrapPathError drops the operation from a path error ("mkdir x: not a directory" reads as
// "x: not a directory"), since the flag already says what was attempted.
func unwrapPathError(err error) error {
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

// transportWarnings are what a reader must know about how the run reached the server before
// trusting its verdict: certificates not verified, or the token sent in clear text to a host
// that is not this machine.
func transportWarnings(cfg *config.Config, target string) []string {
	var warnings []string
	if cfg.Insecure {
		warnings = append(warnings, config.InsecureWarning)
	}
	if u, err := url.Parse(target); err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()) {
		warnings = append(warnings, fmt.Sprintf("WARNING: %s is plain http:// to a host that is not a loopback address: the token travels in clear text, readable by anyone on the way. Use https://.", u.Redacted()))
	}
	return warnings
}

// isLoopback reports whether a host names this machine: localhost, or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
