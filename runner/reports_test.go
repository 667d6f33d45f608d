package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xeipuuv/gojsonschema"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec/refserver"
)

func TestRequirementsDocIsCurrent(t *testing.T) {
	o := runWith(t, nil, "--list-markdown")
	require.Equal(t, exitConformant, o.code, o.stderr)
	committed, err := os.ReadFile(filepath.Join("..", "docs", "requirements.md"))
	require.NoError(t, err, "docs/requirements.md is missing: generate it with `make docs`")
	if o.stdout != string(committed) {
		t.Fatal("docs/requirements.md is stale: regenerate it with `make docs` " +
			"(bin/contacts-conformance --list-markdown > docs/requirements.md) and commit it")
	}
}

func validateResults(t *testing.T, doc []byte) {
	t.Helper()
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(report.ResultsSchema()), gojsonschema.NewBytesLoader(doc))
	require.NoError(t, err)
	require.True(t, result.Valid(), "results.json departs from runner/report/results.schema.json: %v", result.Errors())
}

// One run with --out leaves the four reports, each stating the suite version, the spec's hash, the
// redacted configuration and the time of the run, each showing the failure's reproduction, none
// holding the token; --json and --junit still write their own files beside them.
func TestOutWritesEveryReport(t *testing.T) {
	const token = "s3cr3t-token-value-0042"
	srv, err := refserver.Start(refserver.Options{Token: token, Fault: "wrong-record"})
	require.NoError(t, err)
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "nightly", "reports")
	extra := t.TempDir()
	o := runWith(t, map[string]string{"CONFORMANCE_TOKEN": token},
		"--base-url", srv.URL, "--contact-id", srv.ContactID, "--seed", "9", "--skip", "^malformed-id/", "--out", dir,
		"--json", filepath.Join(extra, "r.json"), "--junit", filepath.Join(extra, "j.xml"))
	require.Equal(t, exitFailures, o.code, o.stdout+o.stderr)

	jsonBytes, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	validateResults(t, jsonBytes)
	var run struct {
		SpecSHA256 string `json:"spec_sha256"`
		Started    string `json:"started"`
		Summary    engine.Summary
		Verdict    string
	}
	require.NoError(t, json.Unmarshal(jsonBytes, &run))
	assert.Equal(t, report.NotConformant, run.Verdict)
	assert.Positive(t, run.Summary.Fail, "the wrong record fails every read of the contact")
	assert.Positive(t, run.Summary.Skip, "no --foreign-contact-id: the foreign case skips")
	assert.Positive(t, run.Summary.Disabled, "--skip leaves the malformed-id cases out")
	started, err := time.Parse(time.RFC3339Nano, run.Started)
	require.NoError(t, err)

	build := buildInfo()
	curl := `curl -sS -i '` + srv.URL + "/contact/" + srv.ContactID + `' -H 'Authorization: Bearer '"${CONFORMANCE_TOKEN}"`
	for _, name := range []string{"junit.xml", "results.json", "report.html", "summary.md"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, name)
		info, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "%s is meant to be published", name)
		text := string(b)
		if name == "report.html" {
			text = strings.NewReplacer("&#39;", "'", "&#34;", `"`).Replace(text)
		}
		if name == "junit.xml" {
			text = strings.NewReplacer("&#39;", "'", "&#34;", `"`, "&#xA;", "\n").Replace(text)
		}
		if name == "results.json" {
			text = strings.ReplaceAll(text, `\"`, `"`)
		}
		assert.Contains(t, text, report.Version, name)
		assert.Contains(t, text, build.Version, "%s: the module version beside the suite's", name)
		assert.Contains(t, text, build.Go, "%s: the toolchain", name)
		assert.Contains(t, text, run.SpecSHA256, name)
		assert.Contains(t, text, started.UTC().Format("2006-01-02T15:04:05"), "%s: the time of the run", name)
		assert.Contains(t, text, "^malformed-id/", "%s: the configuration", name)
		assert.Contains(t, text, "[REDACTED]", "%s: the token, redacted", name)
		assert.Contains(t, text, curl, "%s: the reproduction", name)
		assert.NotContains(t, text, token[:len(token)-1], "the token leaked into %s", name)
	}
	for _, name := range []string{"r.json", "j.xml"} {
		_, err := os.Stat(filepath.Join(extra, name))
		assert.NoError(t, err, name)
	}
}

// A run whose cases all time out is incomplete: exit 2, and reports that say so.
func TestHarnessErrorsAreReportedApart(t *testing.T) {
	h, err := refserver.NewHandler(refserver.Options{})
	require.NoError(t, err)
	ref, err := refserver.Start(refserver.Options{})
	require.NoError(t, err)
	ref.Close() // only its token is needed
	// Only the case's own request is slow; the preflight's reads are answered at once.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("limit") == "1" {
			select {
			case <-time.After(500 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	o := runWith(t, nil, "--base-url", srv.URL, "--token", ref.Token, "--timeout", "100ms",
		"--run", "^list/limit-1/listCampaigns$", "--out", dir)
	require.Equal(t, exitNoRun, o.code, o.stdout+o.stderr)
	assert.Contains(t, o.stdout, "ERROR list/limit-1/listCampaigns")
	assert.Contains(t, o.stdout, "0 failed, 0 warnings, 0 skipped, 1 errors")
	doc, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	validateResults(t, doc)
	assert.Contains(t, string(doc), `"verdict": "incomplete"`)
	junit, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	require.NoError(t, err)
	assert.Contains(t, string(junit), `<error message="no status line and headers within 100ms`)
	assert.NotContains(t, string(junit), "<failure")
}

func TestSelection(t *testing.T) {
	// --list is given the ids the embedded server supplies to a run, so both build the same cases.
	srv, err := refserver.Start(refserver.Options{})
	require.NoError(t, err)
	srv.Close()
	ids := []string{"--seed", "1", "--contact-id", srv.ContactID, "--foreign-contact-id", srv.ForeignContactID}
	all := countCases(t, ids)
	tests := []struct {
		name     string
		args     []string
		selected *regexp.Regexp
	}{
		{"run an area", []string{"--run", "^auth/"}, regexp.MustCompile(`^auth/`)},
		{"run by requirement id", []string{"--run", "^AUTH-003$"}, regexp.MustCompile(`^auth/lowercase-scheme/`)},
		{"skip areas", []string{"--skip", "^(auth|methods|malformed-id)/"}, regexp.MustCompile(`^(ok|unknown-id|list|accept)/`)},
		{"run and skip", []string{"--run", "^unknown-id/", "--skip", "random|variant"}, regexp.MustCompile(`^unknown-id/(nil-uuid|max-uuid|uuid-v\d|foreign|foreign-upper-case|foreign-lowercase-scheme)/`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runWith(t, nil, append([]string{"--seed", "1", "--explore", "0"}, tt.args...)...)
			require.Equal(t, exitConformant, o.code, o.stderr)
			ran := regexp.MustCompile(`(?m)^PASS  (\S+)`).FindAllStringSubmatch(o.stdout, -1)
			require.NotEmpty(t, ran)
			for _, m := range ran {
				assert.Regexp(t, tt.selected, m[1])
			}
			assert.True(t, strings.HasSuffix(o.stdout, fmt.Sprintf("\n%d cases: %d passed, 0 failed, 0 warnings, 0 skipped, 0 errors, %d not selected: conformant\n", all, len(ran), all-len(ran))),
				"the summary counts the cases left out apart: %s", o.stdout[strings.LastIndex(o.stdout[:len(o.stdout)-1], "\n")+1:])

			listed := runWith(t, nil, append(append([]string{"--list"}, ids...), tt.args...)...)
			assert.Contains(t, listed.stdout, fmt.Sprintf("Cases (%d of %d selected):", len(ran), all), "--list shows the same selection")
		})
	}
}

// countCases is the number of cases, as --list tells it.
func countCases(t *testing.T, args []string) int {
	t.Helper()
	o := runWith(t, nil, append([]string{"--list"}, args...)...)
	m := regexp.MustCompile(`Cases \((\d+) of (\d+) selected\)`).FindStringSubmatch(o.stdout)
	require.Len(t, m, 3, o.stdout)
	require.Equal(t, m[1], m[2], "with no --run/--skip every case is selected")
	n, err := strconv.Atoi(m[2])
	require.NoError(t, err)
	return n
}

// The token command's output is the token: used, never shown.
func TestTokenCommand(t *testing.T) {
	const token = "Command-Token-0042-value"
	srv, err := refserver.Start(refserver.Options{Token: token})
	require.NoError(t, err)
	defer srv.Close()
	dir := t.TempDir()
	o := runWith(t, nil, "--base-url", srv.URL, "--token-command", "printf '%s\\n' "+token, "--contact-id", srv.ContactID,
		"--foreign-contact-id", srv.ForeignContactID, "--run", "^(ok|auth)/", "--out", dir)
	require.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
	assert.Contains(t, o.stdout, " 0 failed, 0 warnings, 0 skipped, 0 errors")
	doc, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	assert.Contains(t, string(doc), `"token_command": "[REDACTED]"`)
	for name, text := range map[string]string{"stdout": o.stdout, "stderr": o.stderr, "results.json": string(doc)} {
		assert.NotContains(t, text, token[:len(token)-1], "the token leaked into %s", name)
		assert.NotContains(t, text, "printf", "the command leaked into %s", name)
	}
}

func TestVerbosity(t *testing.T) {
	srv, err := refserver.Start(refserver.Options{Fault: "wrong-record"})
	require.NoError(t, err)
	defer srv.Close()
	args := []string{"--base-url", srv.URL, "--token", srv.Token, "--contact-id", srv.ContactID, "--seed", "1",
		"--run", "^(ok/known|auth/missing-header|unknown-id/foreign)/getContactById$"}
	tests := []struct {
		name           string
		flags          []string
		want, wantNone []string
	}{
		{"default: a line a case", nil,
			[]string{"PASS  auth/missing-header/getContactById", "SKIP  unknown-id/foreign/getContactById", "FAIL  ok/known/getContactById", "reproduce: curl"},
			[]string{"      > GET"}},
		{"-v: requests and responses too", []string{"-v"},
			[]string{"PASS  auth/missing-header/getContactById", "      > GET " + srv.URL + "/contact/", "      < 401 ", "      < 200 ", "FAIL  ok/known/getContactById"},
			nil},
		{"--quiet: failures and the summary", []string{"--quiet"},
			[]string{"FAIL  ok/known/getContactById", "reproduce: curl", "1 failed"},
			[]string{"PASS ", "SKIP ", "      > GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runWith(t, nil, append(args, tt.flags...)...)
			require.Equal(t, exitFailures, o.code, o.stdout+o.stderr)
			for _, w := range tt.want {
				assert.Contains(t, o.stdout, w)
			}
			for _, w := range tt.wantNone {
				assert.NotContains(t, o.stdout, w)
			}
			assert.Empty(t, o.stderr, "no progress line when stdout is not a terminal")
		})
	}
}

// On a terminal one line, rewritten in place on stderr, counts the cases as they end; only the
// cases worth reading get a line of their own, in the cases' order whatever order they end in.
func TestProgressOnATerminal(t *testing.T) {
	var stdout, progress bytes.Buffer
	tr := &textReporter{w: &stdout, progress: &progress, total: 3}
	tr.result(2, &engine.Result{ID: "c", Title: "third", Outcome: engine.Fail})
	tr.result(0, &engine.Result{ID: "a", Title: "first", Outcome: engine.Pass})
	tr.result(1, &engine.Result{ID: "b", Title: "second", Outcome: engine.Skip, Reason: "needs a token"})
	tr.summary(&report.Run{Summary: engine.Summary{Total: 3, Pass: 1, Fail: 1, Skip: 1}}, 0)

	assert.Equal(t, "SKIP  b  second (needs a token)\nFAIL  c  third\n\n3 cases: 1 passed, 1 failed, 0 warnings, 1 skipped, 0 errors, 0 not selected: not conformant\n", stdout.String())
	clear := "\r\033[K"
	assert.Equal(t,
		clear+"[1/3] 0 passed, 1 failed, 0 warnings, 0 skipped, 0 errors"+
			clear+"[2/3] 1 passed, 1 failed, 0 warnings, 0 skipped, 0 errors"+
			clear+"[3/3] 1 passed, 1 failed, 0 warnings, 1 skipped, 0 errors"+clear,
		progress.String())
}

func TestIsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	require.NoError(t, err)
	defer file.Close()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer devNull.Close()
	tests := []struct {
		name string
		w    any
		want bool
	}{
		{"a pipe, as in CI", w, false},
		{"a file", file, false},
		{"a buffer", &bytes.Buffer{}, false},
		{"a character device", devNull, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, isTerminal(tt.w.(io.Writer)))
		})
	}
}

// The flag table of docs/running.md names every flag the runner accepts.
func TestRunningPageListsEveryFlag(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "docs", "running.md"))
	require.NoError(t, err)
	flags := []string{"--list", "--list-markdown", "-v", "--quiet"}
	for _, s := range config.Settings {
		flags = append(flags, s.Flag)
	}
	for _, f := range flags {
		row := regexp.MustCompile("\n\\| `" + regexp.QuoteMeta(f) + "[` ]")
		assert.True(t, row.Match(page), "the flag table of docs/running.md lacks %s", f)
	}
}

// `--junit /dev/stdout > file`: the report lands after the text output in the file the shell
// redirected stdout to, and /dev/stdout stays the link it is (as root, replacing it would break
// the system). The run is a child process, so that its stdout is a real file.
func TestJUnitToDevStdout(t *testing.T) {
	if args := os.Getenv("RUNNER_TEST_CHILD_ARGS"); args != "" {
		os.Exit(run(context.Background(), strings.Fields(args), os.Stdout, os.Stderr, func(string) string { return "" }))
	}
	before, err := os.Lstat("/dev/stdout")
	if err != nil || before.Mode().Type() != os.ModeSymlink {
		t.Skip("/dev/stdout is not a symbolic link here")
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "stdout.txt"))
	require.NoError(t, err)
	defer out.Close()
	child := exec.Command(os.Args[0], "-test.run=^TestJUnitToDevStdout$")
	child.Env = append(os.Environ(), "RUNNER_TEST_CHILD_ARGS=--seed 1 --run ^ok/known/ --junit /dev/stdout")
	child.Stdout = out
	var stderr bytes.Buffer
	child.Stderr = &stderr
	require.NoError(t, child.Run(), stderr.String())
	b, err := os.ReadFile(out.Name())
	require.NoError(t, err)
	text, junit, found := strings.Cut(string(b), xml.Header)
	require.True(t, found, "the JUnit report is in the file: %s", b)
	assert.Contains(t, text, "contacts-conformance "+report.Version, "the text output comes first, kept whole")
	assert.Contains(t, text, ": conformant\n")
	require.NoError(t, xml.Unmarshal([]byte(junit), new(struct{})))
	after, err := os.Lstat("/dev/stdout")
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, after.Mode().Type(), "/dev/stdout is still a link")
}

// Two descriptors of one file (as 1>out.txt 2>&1 gives) each take their report, one after the
// other: they append, so neither replaces the other.
func TestReportsToTwoDescriptorsOfOneFile(t *testing.T) {
	if _, err := os.Stat("/dev/fd/0"); err != nil {
		t.Skip("no /dev/fd on this system")
	}
	path := filepath.Join(t.TempDir(), "out.txt")
	first, err := os.Create(path)
	require.NoError(t, err)
	defer first.Close()
	second, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	defer second.Close()
	o := runWith(t, nil, "--seed", "1", "--run", "^ok/known/",
		"--json", fmt.Sprintf("/dev/fd/%d", first.Fd()), "--junit", fmt.Sprintf("/dev/fd/%d", second.Fd()))
	require.Equal(t, exitConformant, o.code, o.stderr)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	// The reports are written in the order of their paths: either may come first.
	jsonAt, junitAt := bytes.Index(b, []byte("{\n  \"suite_version\"")), bytes.Index(b, []byte(xml.Header))
	require.True(t, jsonAt >= 0 && junitAt >= 0, "both reports are in the file: %s", b)
	jsonPart, junit := b[jsonAt:], b[junitAt:]
	if jsonAt < junitAt {
		jsonPart = b[jsonAt:junitAt]
	} else {
		junit = b[junitAt:jsonAt]
	}
	assert.True(t, json.Valid(jsonPart), "the JSON report is whole")
	require.NoError(t, xml.Unmarshal(junit, new(struct{})))
}
