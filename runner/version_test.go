package runner

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec/refserver"
)

func TestBuildOf(t *testing.T) {
	rev := strings.Repeat("a1", 20)
	yes, no := true, false
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: modulePath, Version: "v0.2.1-0.20250301020000-a1a1a1a1a1a1+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2025-03-01T02:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: modulePath, Version: "v0.2.0"}}
	tests := []struct {
		name               string
		info               *debug.BuildInfo
		revision, modified string
		want               report.Build
		line               string
	}{
		{"a clone Go stamped", stamped, "", "", report.Build{Module: modulePath, Version: stamped.Main.Version, Revision: rev, Time: "2025-03-01T02:00:00Z", Modified: &yes, Go: "go1.26.8"},
			"contacts-conformance " + report.Version + " (module v0.2.1-0.20250301020000-a1a1a1a1a1a1+dirty, revision " + rev + ", modified: yes, go1.26.8)"},
		{"Go's stamp wins over the link-time one", stamped, strings.Repeat("b", 40), "false", report.Build{Module: modulePath, Version: stamped.Main.Version, Revision: rev, Time: "2025-03-01T02:00:00Z", Modified: &yes, Go: "go1.26.8"}, ""},
		{"go install of a release", installed, "", "", report.Build{Module: modulePath, Version: "v0.2.0", Go: "go1.26.8"},
			"contacts-conformance " + report.Version + " (module v0.2.0, revision unknown, modified: unknown, go1.26.8)"},
		{"make build in a worktree", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: modulePath, Version: "(devel)"}}, rev, "false",
			report.Build{Module: modulePath, Version: "(devel)", Revision: rev, Modified: &no, Go: "go1.26.8"}, ""},
		{"a link-time revision that is not one", installed, "HEAD", "true", report.Build{Module: modulePath, Version: "v0.2.0", Go: "go1.26.8"}, ""},
		{"no build information at all", nil, "", "", report.Build{Module: modulePath, Version: "(devel)", Go: runtime.Version()}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := buildOf(tt.info, tt.revision, tt.modified)
			assert.Equal(t, tt.want, got)
			if tt.line != "" {
				assert.Equal(t, tt.line, versionLine(got))
			}
		})
	}
}

// repoRoot is the checkout the tests run in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// execute runs name in dir within a bound, returning its exit code and output.
func execute(t *testing.T, dir string, env []string, name string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env, cmd.WaitDelay = dir, env, 5*time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !assert.ErrorAs(t, err, &exit, "%s %v: %v\n%s", name, args, err, errOut.String()) {
		return -1, out.String(), errOut.String()
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

// make build stamps the commit and whether the tree was modified, even where Go stamps nothing
// (a git worktree, GOFLAGS=-buildvcs=false): --version says which code it is.
func TestMakeBuildStampsTheRevision(t *testing.T) {
	needTools(t, "make", "git")
	root := repoRoot(t)
	code, head, _ := execute(t, root, os.Environ(), "git", "rev-parse", "HEAD")
	if code != 0 {
		t.Skip("not a git checkout")
	}
	bin := filepath.Join(t.TempDir(), "contacts-conformance")
	code, _, errOut := execute(t, root, os.Environ(), "make", "-s", "build", "BIN="+bin)
	require.Equal(t, 0, code, errOut)
	_, status, _ := execute(t, root, os.Environ(), "git", "status", "--porcelain")
	modified := "no"
	if strings.TrimSpace(status) != "" {
		modified = "yes"
	}
	code, out, _ := execute(t, root, os.Environ(), bin, "--version")
	require.Equal(t, 0, code)
	assert.Regexp(t, "^contacts-conformance "+regexp.QuoteMeta(report.Version)+` \(module \S+, revision `+strings.TrimSpace(head)+", modified: "+modified+`, go1\.\d+`, out)
}

// make run says the binary's own exit code and its meaning: GNU make itself exits 2 whatever the
// recipe's code was.
func TestMakeRunStatesTheExitCode(t *testing.T) {
	needTools(t, "make")
	srv, err := refserver.Start(refserver.Options{Fault: "wrong-record"})
	require.NoError(t, err)
	defer srv.Close()
	bin := filepath.Join(t.TempDir(), "contacts-conformance")
	env := append(os.Environ(), "CONFORMANCE_TOKEN="+srv.Token)
	for args, want := range map[string]string{
		"--run ^no-such-case$": "make run: contacts-conformance exited 2: the run could not be made\n",
		"--base-url " + srv.URL + " --contact-id " + srv.ContactID + " --run ^ok/known/": "make run: contacts-conformance exited 1: at least one conformance failure\n",
	} {
		code, _, errOut := execute(t, repoRoot(t), env, "make", "-s", "run", "BIN="+bin, "ARGS="+args)
		assert.Equal(t, 2, code, "GNU make's own code")
		assert.Contains(t, errOut, want)
	}
	code, out, _ := execute(t, repoRoot(t), env, "make", "-s", "run", "BIN="+bin, "ARGS=--run ^auth/lowercase")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, ": conformant\n")
}
