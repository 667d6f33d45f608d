package suites_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// make test runs the suites against the embedded reference server whatever the shell exports:
// here make runs with a base URL, a token and a selection exported (and one more given to make
// itself), and a stand-in for go records the environment of every go command the recipe runs.
// None may see a CONFORMANCE_ variable.
func TestMakeTestIgnoresTheShellsConformanceVariables(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "go-commands")
	fakeGo := filepath.Join(dir, "go")
	require.NoError(t, os.WriteFile(fakeGo, []byte(`#!/bin/sh
{ printf 'go %s |' "$*"; env | grep '^CONFORMANCE_' | tr '\n' ' '; echo; } >> "`+log+`"
`), 0o700))
	cmd := exec.Command("make", "--no-print-directory", "-s", "test", "GO="+fakeGo, "CONFORMANCE_SKIP=x")
	cmd.Dir = ".."
	// Under make test itself, the outer make's own variables stay out of this one.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "MAKEFLAGS=") || strings.HasPrefix(kv, "MFLAGS=") || strings.HasPrefix(kv, "MAKELEVEL=")
	})
	cmd.Env = append(env, "CONFORMANCE_BASE_URL=http://127.0.0.1:1", "CONFORMANCE_TOKEN=shell-token-1234", "CONFORMANCE_RUN=^auth/")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	b, err := os.ReadFile(log)
	require.NoError(t, err)
	commands := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Contains(t, commands, "go test -count=1 ./... |", "the recipe ran go test without the shell's variables:\n%s", b)
	for _, c := range commands {
		if strings.HasPrefix(c, "go test") {
			assert.True(t, strings.HasSuffix(c, "|"), "a go test command saw the suite's variables: %s", c)
		}
	}
}
