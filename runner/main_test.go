package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec/refserver"
)

type outcome struct {
	code           int
	stdout, stderr string
}

func runWith(t *testing.T, env map[string]string, args ...string) outcome {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, func(k string) string { return env[k] })
	return outcome{code, stdout.String(), stderr.String()}
}

func TestDefaultRunAgainstEmbeddedServerPasses(t *testing.T) {
	o := runWith(t, nil, "--seed", "42")
	require.Equal(t, exitConformant, o.code, "stdout:\n%s\nstderr:\n%s", o.stdout, o.stderr)
	assert.Contains(t, o.stdout, "embedded reference server")
	assert.Contains(t, o.stdout, "seed 42")
	assert.Regexp(t, `\n\d+ cases: \d+ passed, 0 failed, 0 warnings, 0 skipped, 0 errors, 0 not selected: conformant\n$`, o.stdout)
}

// Bad input is one line on stderr and exit 2, never a panic or a usage dump.
func TestRunCannotBeMade(t *testing.T) {
	srv, err := refserver.Start(refserver.Options{})
	require.NoError(t, err)
	defer srv.Close()
	aFile := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(aFile, nil, 0o600))
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"unknown flag", nil, []string{"--colour"}, "flag provided but not defined: -colour"},
		{"stray argument", nil, []string{"now"}, `unexpected argument "now"`},
		{"bad timeout", nil, []string{"--timeout", "soon"}, `--timeout "soon" is not a positive duration`},
		{"bad concurrency", nil, []string{"--concurrency", "0"}, `--concurrency "0" is not a positive integer`},
		{"bad seed from env", map[string]string{"CONFORMANCE_SEED": "x"}, nil, `CONFORMANCE_SEED="x" is not an integer`},
		{"token too short", nil, []string{"--token", "abc"}, "the token is 3 characters long"},
		{"base url without token", nil, []string{"--base-url", "http://127.0.0.1:1"}, "needs a token"},
		{"base url not http", nil, []string{"--base-url", "ftp://example.com", "--token", "token-0123"}, "not an http:// or https:// URL"},
		{"base url with credentials", nil, []string{"--base-url", "https://u:p@example.com", "--token", "token-0123"}, "must not carry credentials"},
		{"bad --run", nil, []string{"--run", "auth/("}, `--run "auth/(" is not a valid regular expression: missing closing )`},
		{"bad --skip from env", map[string]string{"CONFORMANCE_SKIP": "*x"}, nil, `CONFORMANCE_SKIP="*x" is not a valid regular expression: missing argument to repetition operator`},
		{"selection of no case", nil, []string{"--base-url", srv.URL, "--token", srv.Token, "--run", "^no-such-case$"}, "--run/--skip select none of the"},
		{"token and token command", nil, []string{"--token", "token-0123", "--token-command", "echo x"}, "give one of --token and --token-command"},
		{"verbose and quiet", nil, []string{"-v", "--quiet"}, "-v and --quiet contradict each other"},
		{"failing token command", nil, []string{"--base-url", srv.URL, "--token-command", "echo leaked-output-1234; exit 4"}, "--token-command failed (exit status 4); its output is not shown"},
		{"token command printing nothing", nil, []string{"--base-url", srv.URL, "--token-command", "true"}, "--token-command printed no token"},
		{"token command printing a control character", nil, []string{"--base-url", srv.URL, "--token-command", `printf 'CI-Token\001abcdef'`},
			"runner: the token from --token-command holds whitespace or a control character; a bearer token is one word of visible characters (RFC 6750 section 2.1)"},
		{"token command printing 1 MB", nil, []string{"--base-url", srv.URL, "--token-command", `head -c 1000000 /dev/zero | tr '\0' a`},
			"runner: --token-command printed more than 64 KiB; a token is one short word, so its output is refused"},
		{"--out under a file", nil, []string{"--out", filepath.Join(aFile, "reports")}, "--out " + filepath.Join(aFile, "reports") + ": " + aFile + ": not a directory"},
		{"--json in a missing directory", nil, []string{"--json", filepath.Join(aFile+"-missing", "r.json")}, "the directory " + aFile + "-missing does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runWith(t, tt.env, tt.args...)
			assert.Equal(t, exitNoRun, o.code)
			assert.Contains(t, o.stderr, tt.wantErr)
			assert.Equal(t, 1, strings.Count(o.stderr, "\n"), "one line: %q", o.stderr)
			assert.NotContains(t, o.stderr, "goroutine")
			assert.NotContains(t, o.stderr, "leaked-output")
			assert.Empty(t, o.stdout, "a run that cannot be made prints its one line and nothing else")
		})
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	o := runWith(t, map[string]string{"CONFORMANCE_SEED": "1"}, "--seed", "7", "--list")
	require.Equal(t, exitConformant, o.code, o.stderr)
	o2 := runWith(t, map[string]string{"CONFORMANCE_SEED": "7"}, "--list")
	assert.Equal(t, o.stdout, o2.stdout, "the same seed gives the same generated ids")
	o3 := runWith(t, map[string]string{"CONFORMANCE_SEED": "8"}, "--list")
	assert.NotEqual(t, o.stdout, o3.stdout)
}

// A server with a fault, a path prefix in the base URL, reports on disk, and a token that must
// never be printed: the failure is named, reproducible, and the exit code is 1.
func TestFailureIsNamedReproducibleAndRedacted(t *testing.T) {
	const token = "s3cr3t-token-value-0042"
	srv, err := refserver.Start(refserver.Options{Token: token, Prefix: "/v1", Fault: firstFaultCatching(t, "OK-002")})
	require.NoError(t, err)
	defer srv.Close()
	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "junit.xml")
	o := runWith(t, map[string]string{"CONFORMANCE_TOKEN": token},
		"--base-url", srv.URL, "--contact-id", srv.ContactID, "--foreign-contact-id", srv.ForeignContactID,
		"--json", jsonPath, "--junit", junitPath)
	require.Equal(t, exitFailures, o.code, o.stdout+o.stderr)
	assert.Contains(t, o.stdout, "OK-002 (MUST)")
	assert.Contains(t, o.stdout, "a different record than the one asked for")
	assert.Contains(t, o.stdout, `reproduce: curl -sS -i '`+srv.URL+"/contact/"+srv.ContactID+`' -H 'Authorization: Bearer '"${CONFORMANCE_TOKEN}"`)

	jsonBytes, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var parsed map[string]any
	require.NoError(t, json.Unmarshal(jsonBytes, &parsed))
	junitBytes, err := os.ReadFile(junitPath)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(junitBytes, new(struct{})))
	assert.Contains(t, string(junitBytes), "<failure")
	for name, text := range map[string]string{"stdout": o.stdout, "stderr": o.stderr, "json": string(jsonBytes), "junit": string(junitBytes)} {
		assert.NotContains(t, text, token[:len(token)-1], "the token leaked into %s", name)
	}
}

func firstFaultCatching(t *testing.T, requirement string) string {
	for _, f := range refserver.Faults() {
		if f.Catches == requirement {
			return f.Name
		}
	}
	t.Skipf("no fault catching %s registered yet", requirement)
	return ""
}

func TestMissingInputsSkipNamingTheFlag(t *testing.T) {
	srv, err := refserver.Start(refserver.Options{})
	require.NoError(t, err)
	defer srv.Close()
	o := runWith(t, nil, "--base-url", srv.URL, "--token", srv.Token, "--explore", "0")
	require.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
	assert.Contains(t, o.stdout, "SKIP  ok/known/getContactById")
	assert.Contains(t, o.stdout, "set --contact-id or CONFORMANCE_CONTACT_ID")
	assert.Contains(t, o.stdout, "set --foreign-contact-id or CONFORMANCE_FOREIGN_CONTACT_ID")
	// The case built from the known id exists without it too, so that a run, --list and a report
	// all show the check that did not run.
	assert.Contains(t, o.stdout, "SKIP  malformed-id/known-id-sql-suffix/getContactById  the known contact's id with an SQL-injection suffix is rejected with 400 (404 tolerated), never 2xx or 5xx (needs a contact the token can see: set --contact-id or CONFORMANCE_CONTACT_ID)")
	ran := regexp.MustCompile(`\n(\d+) cases: `).FindStringSubmatch(o.stdout)
	require.NotNil(t, ran)
	listed := runWith(t, nil, "--list")
	assert.Contains(t, listed.stdout, "\nCases ("+ran[1]+" of "+ran[1]+" selected):\n", "--list and a run build the same cases")
	assert.Contains(t, listed.stdout, "malformed-id/known-id-sql-suffix/getContactById")
}

// unwritableDir is a directory this process cannot create files in: one without write
// permission, or, for root, whom permissions do not stop, a directory of sysfs.
func unwritableDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		dir := t.TempDir()
		require.NoError(t, os.Chmod(dir, 0o500))
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		return dir
	}
	if f, err := os.CreateTemp("/sys", "x"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("running as root with a writable /sys: no directory here refuses a file")
	}
	return "/sys"
}

// Every report path is checked before anything is sent, each refusal one line naming the flag:
// a directory, a directory that cannot be written to, two reports at one file however spelt.
func TestReportPathsAreCheckedBeforeAnythingIsSent(t *testing.T) {
	var requests atomic.Int32
	h, err := refserver.NewHandler(refserver.Options{})
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1); h.ServeHTTP(w, r) }))
	defer srv.Close()
	dir, locked := t.TempDir(), unwritableDir(t)
	redirected, err := os.Create(filepath.Join(dir, "stdout.txt")) // as the shell's 1>stdout.txt
	require.NoError(t, err)
	defer redirected.Close()
	descriptor := fmt.Sprintf("/dev/fd/%d", redirected.Fd())
	out := filepath.Join(dir, "out")
	require.NoError(t, os.MkdirAll(filepath.Join(out, "results.json"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "r.json"), nil, 0o600))
	require.NoError(t, os.Symlink("r.json", filepath.Join(dir, "latest.json")))
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"--json naming a directory", []string{"--json", dir},
			"--json " + dir + ": it is a directory; name a file to write the report to"},
		{"a report of --out that is a directory", []string{"--out", out},
			"--out " + filepath.Join(out, "results.json") + ": it is a directory; name a file to write the report to"},
		{"--junit in a directory that cannot be written to", []string{"--junit", filepath.Join(locked, "junit.xml")},
			"--junit " + filepath.Join(locked, "junit.xml") + ": cannot create a file in the directory " + locked + ": permission denied"},
		{"--out a directory that cannot be written to", []string{"--out", locked},
			"--out " + filepath.Join(locked, "junit.xml") + ": cannot create a file in the directory " + locked + ": permission denied"},
		{"--json and --junit at one path", []string{"--json", filepath.Join(dir, "r.json"), "--junit", filepath.Join(dir, "r.json")},
			"--json " + filepath.Join(dir, "r.json") + " and --junit " + filepath.Join(dir, "r.json") + " are the same file; give each report a path of its own"},
		{"x and ./x", []string{"--json", filepath.Join(dir, "new.json"), "--junit", dir + "/./new.json"},
			"--json " + filepath.Join(dir, "new.json") + " and --junit " + dir + "/./new.json are the same file; give each report a path of its own"},
		{"a link and its target", []string{"--json", filepath.Join(dir, "latest.json"), "--junit", filepath.Join(dir, "r.json")},
			"--json " + filepath.Join(dir, "latest.json") + " and --junit " + filepath.Join(dir, "r.json") + " are the same file; give each report a path of its own"},
		{"--json at --out's results.json", []string{"--out", filepath.Join(dir, "fresh"), "--json", filepath.Join(dir, "fresh", "results.json")},
			"--out " + filepath.Join(dir, "fresh", "results.json") + " and --json " + filepath.Join(dir, "fresh", "results.json") + " are the same file; give each report a path of its own"},
		{"one device twice", []string{"--json", "/dev/stdout", "--junit", "/dev/stdout"},
			"--json /dev/stdout and --junit /dev/stdout are the same file; give each report a path of its own"},
		{"a descriptor and the file it was redirected to", []string{"--json", descriptor, "--junit", redirected.Name()},
			"--json " + descriptor + " and --junit " + redirected.Name() + " are the same file; give each report a path of its own"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runWith(t, nil, append([]string{"--base-url", srv.URL, "--token", "token-0123"}, tt.args...)...)
			assert.Equal(t, exitNoRun, o.code)
			assert.Equal(t, "runner: "+tt.wantErr+"\n", o.stderr)
			assert.Empty(t, o.stdout)
		})
	}
	assert.Zero(t, requests.Load(), "nothing is sent before the reports are known to be writable")
}

// The generated inputs are cases of the run like the others: a selection of them alone runs the
// generative phase alone, and is not refused as selecting nothing.
func TestSelectionOfTheGeneratedInputsAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	o := runWith(t, nil, "--run", "^explore/", "--explore", "12", "--json", path)
	require.Equal(t, exitConformant, o.code, "stdout:\n%s\nstderr:\n%s", o.stdout, o.stderr)
	var results struct {
		Results []struct {
			ID      string `json:"id"`
			Outcome string `json:"outcome"`
		} `json:"results"`
		Exploration struct {
			Inputs int `json:"inputs"`
		} `json:"exploration"`
	}
	body, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(body, &results))
	assert.Equal(t, 12, results.Exploration.Inputs)
	explored := 0
	for _, r := range results.Results {
		if strings.HasPrefix(r.ID, "explore/") {
			explored++
			assert.Equal(t, "pass", r.Outcome, r.ID)
		} else {
			assert.Equal(t, "disabled", r.Outcome, r.ID)
		}
	}
	assert.NotZero(t, explored)

	o = runWith(t, nil, "--run", "^explore/", "--explore", "0")
	assert.Equal(t, exitNoRun, o.code)
	assert.Contains(t, o.stderr, "--run/--skip select none of the")
}

// A run that cannot be made once its reports are known still writes them, saying why: the
// reports of an earlier run at the same paths must not pass for this one.
func TestRunNotMadeReplacesEarlierReports(t *testing.T) {
	dir := t.TempDir()
	o := runWith(t, nil, "--out", dir)
	require.Equal(t, exitConformant, o.code, o.stderr)
	for name, args := range map[string][]string{
		"token command fails":           {"--base-url", "http://127.0.0.1:1", "--token-command", "exit 3"},
		"token command prints no token": {"--base-url", "http://127.0.0.1:1", "--token-command", "true"},
	} {
		t.Run(name, func(t *testing.T) {
			o := runWith(t, nil, append([]string{"--out", dir}, args...)...)
			require.Equal(t, exitNoRun, o.code, o.stdout)
			require.Equal(t, 1, strings.Count(o.stderr, "\n"), o.stderr)
			body, err := os.ReadFile(filepath.Join(dir, "results.json"))
			require.NoError(t, err)
			var results struct {
				Verdict   string `json:"verdict"`
				Preflight struct {
					Failure string `json:"failure"`
				} `json:"preflight"`
			}
			require.NoError(t, json.Unmarshal(body, &results))
			assert.Equal(t, "incomplete", results.Verdict)
			assert.Equal(t, strings.TrimPrefix(strings.TrimSpace(o.stderr), "runner: "), results.Preflight.Failure)
			summary, err := os.ReadFile(filepath.Join(dir, "summary.md"))
			require.NoError(t, err)
			assert.Contains(t, string(summary), "The run could not be made, so no case was judged: "+results.Preflight.Failure)
			assert.NotContains(t, string(summary), "The preflight failed", "the preflight never started")
			badge, err := os.ReadFile(filepath.Join(dir, "badge.svg"))
			require.NoError(t, err)
			assert.NotContains(t, string(badge), ">conformant<")
		})
	}
}
