package runner

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec/refserver"
)

// countedServer is a reference server that counts the requests it receives.
func countedServer(t *testing.T, fault string) (*refserver.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv, err := refserver.Start(refserver.Options{Fault: fault, Observe: func(*http.Request) { n.Add(1) }})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv, &n
}

func runArgs(srv *refserver.Server, out string, extra ...string) []string {
	return append([]string{"--base-url", srv.URL, "--token", srv.Token, "--contact-id", srv.ContactID,
		"--foreign-contact-id", srv.ForeignContactID, "--seed", "3", "--explore", "0", "--out", out}, extra...)
}

type resultsFile struct {
	Verdict      string
	Summary      struct{ Fail, XFail int }
	Expectations *report.Expectations
	Baseline     *report.Diff
}

func readResults(t *testing.T, dir string) resultsFile {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	validateResults(t, doc)
	var r resultsFile
	require.NoError(t, json.Unmarshal(doc, &r))
	return r
}

// entryLine is the line number of the entry for id in an expectations file.
func entryLine(t *testing.T, file, id string) int {
	t.Helper()
	for i, line := range strings.Split(file, "\n") {
		if strings.HasPrefix(line, id+" ") {
			return i + 1
		}
	}
	t.Fatalf("no entry for %s in:\n%s", id, file)
	return 0
}

// The whole loop a team goes through: a failing run, a starting file generated from it, the same
// run passing with that file, the fix making the entry an unexpected pass, an entry left to
// expire failing again, and a typo refused before anything is sent.
func TestExpectationsEndToEnd(t *testing.T) {
	faulty, _ := countedServer(t, "wrong-record-upper-case")
	clean, cleanRequests := countedServer(t, "")
	dir := t.TempDir()

	o := runWith(t, nil, runArgs(faulty, filepath.Join(dir, "failing"))...)
	require.Equal(t, exitFailures, o.code, o.stdout+o.stderr)

	gen := runWith(t, nil, "expect", "--from", filepath.Join(dir, "failing", "results.json"))
	require.Equal(t, exitConformant, gen.code, gen.stderr)
	assert.Empty(t, gen.stderr)
	line := entryLine(t, gen.stdout, "ok/known-upper-case/getContactById")
	assert.Equal(t, 1, strings.Count(gen.stdout, "\nok/"), "one entry, for the one failing case:\n%s", gen.stdout)
	in30 := time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02")
	assert.Contains(t, gen.stdout, "ok/known-upper-case/getContactById  "+in30+"  TODO: a ticket, or why this failure is accepted\n")
	expectFile := filepath.Join(dir, "conformance.expect")
	require.NoError(t, os.WriteFile(expectFile, []byte(gen.stdout), 0o600))
	where := fmt.Sprintf("%s line %d", expectFile, line)

	t.Run("the generated file makes the same run pass", func(t *testing.T) {
		out := filepath.Join(dir, "expected")
		o := runWith(t, nil, runArgs(faulty, out, "--expect", expectFile)...)
		require.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
		assert.Contains(t, o.stdout, "XFAIL ok/known-upper-case/getContactById  the known contact's id in upper case is answered 200 with the same contact (404 tolerated: ids kept as text) (expected failure: "+where+" (expires "+in30+")")
		assert.Contains(t, o.stdout, "\nExpected failures (listed in "+expectFile+"; they do not fail the run):\n  XFAIL ok/known-upper-case/getContactById  OK-002\n")
		assert.Regexp(t, `\n\d+ cases: \d+ passed, 0 failed, 1 expected failures, 0 warnings, 0 skipped, 0 errors, 0 not selected: known failures\n$`, o.stdout)
		assert.NotContains(t, o.stdout, "\nFindings:", "an expected failure is not printed as a failure")
		r := readResults(t, out)
		assert.Equal(t, report.KnownFailures, r.Verdict)
		assert.Equal(t, 1, r.Summary.XFail)
		require.NotNil(t, r.Expectations)
		assert.Equal(t, report.EntryMatched, r.Expectations.Entries[0].Status)
		for name, want := range map[string]string{
			"summary.md": "### Expected failures", "report.html": `class="a-xfail"`, "junit.xml": `type="expected-failure"`,
		} {
			b, err := os.ReadFile(filepath.Join(out, name))
			require.NoError(t, err)
			assert.Contains(t, string(b), want, name)
			assert.Contains(t, string(b), "known failures", name)
		}
	})

	t.Run("the fixed server makes the entry an unexpected pass", func(t *testing.T) {
		out := filepath.Join(dir, "fixed")
		o := runWith(t, nil, runArgs(clean, out, "--expect", expectFile)...)
		require.Equal(t, exitFailures, o.code, o.stdout+o.stderr)
		assert.Contains(t, o.stdout, "\nThe expectations file "+expectFile+" is out of date:\n  "+where+
			fmt.Sprintf(": ok/known-upper-case/getContactById unexpected pass: the case passed; the failure this entry expects is gone and the expectations file is out of date: remove line %d of %s\n", line, expectFile))
		assert.Contains(t, o.stdout, ": expectations out of date\n")
		assert.NotContains(t, o.stdout, "FAIL ", "nothing accuses the server")
		r := readResults(t, out)
		assert.Equal(t, report.OutdatedExpectations, r.Verdict)
		assert.Equal(t, 0, r.Summary.Fail)
		md, err := os.ReadFile(filepath.Join(out, "summary.md"))
		require.NoError(t, err)
		assert.Contains(t, string(md), "is out of date: 1 entry lists a failure that did not happen (an unexpected pass: remove its line)")
	})

	t.Run("an expired entry excuses nothing", func(t *testing.T) {
		expired := filepath.Join(dir, "expired.expect")
		require.NoError(t, os.WriteFile(expired, []byte(strings.Replace(gen.stdout, in30, "2000-01-01", 1)), 0o600))
		out := filepath.Join(dir, "expired")
		o := runWith(t, nil, runArgs(faulty, out, "--expect", expired)...)
		require.Equal(t, exitFailures, o.code, o.stdout+o.stderr)
		assert.Contains(t, o.stdout, "FAIL  ok/known-upper-case/getContactById")
		assert.Contains(t, o.stdout, fmt.Sprintf("[%s line %d expired on 2000-01-01 and excuses nothing: fix the failure, or give the entry a later date]", expired, line))
		assert.Contains(t, o.stdout, ": not conformant\n")
		r := readResults(t, out)
		assert.Equal(t, report.NotConformant, r.Verdict)
		assert.Equal(t, report.EntryExpired, r.Expectations.Entries[0].Status)
	})

	t.Run("an entry for a case that did not run is neither excused nor stale", func(t *testing.T) {
		out := filepath.Join(dir, "not-selected")
		o := runWith(t, nil, runArgs(faulty, out, "--expect", expectFile, "--skip", "^ok/known-upper-case/")...)
		require.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
		assert.Contains(t, o.stdout, "\nEntries of "+expectFile+" this run could not decide:\n  "+where+": ok/known-upper-case/getContactById the case was not selected: neither excused nor an unexpected pass\n")
		assert.Contains(t, o.stdout, ": conformant\n")
		assert.Equal(t, report.EntryNotRun, readResults(t, out).Expectations.Entries[0].Status)
	})

	t.Run("a malformed line is exit 2 before anything is sent", func(t *testing.T) {
		before := cleanRequests.Load()
		for text, want := range map[string]string{
			gen.stdout + "AUTH-002 2025-02-30 PLAT-2\n":                          fmt.Sprintf(`line %d: "2025-02-30" is not an expiry date (YYYY-MM-DD)`, line+1),
			gen.stdout + "ok/known-upper-case/getContactById 2030-01-01 again\n": fmt.Sprintf("line %d: ok/known-upper-case/getContactById is already listed on line %d", line+1, line),
			"# typo\nok/known/getContactByID 2030-01-01 PLAT-1\n":                `line 2: "ok/known/getContactByID" is neither a case id nor a requirement id of this suite (contacts-conformance --list shows them)`,
			"AUTH-002 2030-01-01\n":                                              "line 1: an entry is a case or requirement id, an expiry date (YYYY-MM-DD) and a reason; this line has 2 of the 3",
		} {
			bad := filepath.Join(dir, "bad.expect")
			require.NoError(t, os.WriteFile(bad, []byte(text), 0o600))
			o := runWith(t, nil, runArgs(clean, filepath.Join(dir, "bad"), "--expect", bad)...)
			assert.Equal(t, exitNoRun, o.code)
			assert.Equal(t, "runner: --expect "+bad+" "+want+"\n", o.stderr)
			assert.Empty(t, o.stdout)
		}
		o := runWith(t, nil, runArgs(clean, filepath.Join(dir, "bad"), "--expect", filepath.Join(dir, "missing.expect"))...)
		assert.Equal(t, exitNoRun, o.code)
		assert.Equal(t, "runner: --expect cannot read "+filepath.Join(dir, "missing.expect")+": no such file or directory\n", o.stderr)
		assert.Equal(t, before, cleanRequests.Load(), "nothing reached the server")
	})
}

func TestExpectCommandRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	notResults := filepath.Join(dir, "junit.xml")
	require.NoError(t, os.WriteFile(notResults, []byte("<testsuites/>"), 0o600))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"expect"}, "runner expect: give the run's results with --from results.json"},
		{[]string{"expect", "--from", notResults}, "runner expect: --from " + notResults + " is not a results file of contacts-conformance (results.json): not JSON"},
		{[]string{"expect", "--from", "r.json", "--days", "0"}, "runner expect: --days 0 is not between 1 and 365"},
		{[]string{"expect", "--form", "r.json"}, "runner expect: flag provided but not defined: -form (see expect --help)"},
		{[]string{"diff", "a.json"}, "runner diff: give two results files, OLD.json NEW.json (got 1)"},
		{[]string{"diff", notResults, notResults}, "runner diff: " + notResults + " is not a results file of contacts-conformance (results.json): not JSON"},
		{[]string{"diff", filepath.Join(dir, "none.json"), notResults}, "runner diff: cannot read " + filepath.Join(dir, "none.json") + ": no such file or directory"},
		{[]string{"--baseline", notResults}, "runner: --baseline " + notResults + " is not a results file"},
	}
	for _, tt := range tests {
		o := runWith(t, nil, tt.args...)
		assert.Equal(t, exitNoRun, o.code, tt.args)
		assert.Contains(t, o.stderr, tt.want)
		assert.Equal(t, 1, strings.Count(o.stderr, "\n"), "one line: %q", o.stderr)
		assert.Empty(t, o.stdout)
	}
}

// Every command has its own --help, on stdout, exit 0; the main --help lists the commands.
func TestCommandsHaveHelp(t *testing.T) {
	for _, c := range commands {
		o := runWith(t, nil, c.name, "--help")
		assert.Equal(t, exitConformant, o.code, c.name)
		assert.Contains(t, o.stdout, "usage: contacts-conformance ", c.name)
		assert.Empty(t, o.stderr, c.name)
	}
	o := runWith(t, nil, "--help")
	assert.Equal(t, exitConformant, o.code)
	for _, c := range commands {
		assert.Regexp(t, "\n  "+c.name+" +"+regexp.QuoteMeta(c.summary)+"\n", o.stdout)
	}
}

// diff of a clean and a faulty run names the new failure and exits 1; the other way round the
// case is fixed and the exit is 0. --baseline puts the same diff at the top of the reports.
func TestDiffBetweenRuns(t *testing.T) {
	faulty, _ := countedServer(t, "wrong-record-upper-case")
	clean, cleanRequests := countedServer(t, "")
	dir := t.TempDir()
	cleanDir, faultyDir := filepath.Join(dir, "clean"), filepath.Join(dir, "faulty")
	require.Equal(t, exitConformant, runWith(t, nil, runArgs(clean, cleanDir)...).code)
	baseline := filepath.Join(cleanDir, "results.json")
	o := runWith(t, nil, runArgs(faulty, faultyDir, "--baseline", baseline)...)
	require.Equal(t, exitFailures, o.code, o.stdout+o.stderr)
	assert.Contains(t, o.stdout, "\nSince the baseline "+baseline+" (")
	assert.Contains(t, o.stdout, "conformant): 1 new failure, 0 fixed, 0 still failing, 0 other changes\n  new failures: ok/known-upper-case/getContactById  pass -> fail (OK-002)\n")

	d := runWith(t, nil, "diff", baseline, filepath.Join(faultyDir, "results.json"))
	assert.Equal(t, exitFailures, d.code, d.stdout+d.stderr)
	assert.Contains(t, d.stdout, "\nnew failures (1):\n  ok/known-upper-case/getContactById  pass -> fail (OK-002)\n")
	assert.Contains(t, d.stdout, "\n  config.baseline: (unset) -> "+baseline+"\n", "what changed in the configuration")
	assert.Contains(t, d.stdout, "\n1 new failure, 0 fixed, 0 still failing, 0 other changes\n")

	back := runWith(t, nil, "diff", filepath.Join(faultyDir, "results.json"), baseline)
	assert.Equal(t, exitConformant, back.code, back.stdout+back.stderr)
	assert.Contains(t, back.stdout, "\nfixed (1):\n  ok/known-upper-case/getContactById  fail -> pass (was OK-002)\n")
	assert.Contains(t, back.stdout, "\nnew failures: none\n")

	md, err := os.ReadFile(filepath.Join(faultyDir, "summary.md"))
	require.NoError(t, err)
	top := strings.SplitN(string(md), "\n\n", 5)
	require.Len(t, top, 5)
	assert.Equal(t, "## Contacts API conformance: not conformant", top[0])
	assert.True(t, strings.HasPrefix(top[2], "complete claim: "), "the claim beside the verdict: %s", top[2])
	assert.Equal(t, "### Since the baseline", top[3], "the diff comes right after the verdict and its claim")
	assert.Contains(t, top[4], "**1 new failure, 0 fixed, 0 still failing, 0 other changes**")
	html, err := os.ReadFile(filepath.Join(faultyDir, "report.html"))
	require.NoError(t, err)
	assert.Less(t, strings.Index(string(html), `<section id="baseline">`), strings.Index(string(html), `<dl class="meta">`))
	r := readResults(t, faultyDir)
	require.NotNil(t, r.Baseline)
	assert.Equal(t, "ok/known-upper-case/getContactById", r.Baseline.NewFailures[0].ID)

	before := cleanRequests.Load()
	missing := filepath.Join(dir, "last-night", "results.json")
	o = runWith(t, nil, runArgs(clean, filepath.Join(dir, "x"), "--baseline", missing)...)
	assert.Equal(t, exitNoRun, o.code)
	assert.Equal(t, "runner: --baseline cannot read "+missing+": no such file or directory\n", o.stderr)
	assert.Equal(t, before, cleanRequests.Load(), "a baseline path is checked before anything is sent")
}

// A verdict without an exit code would exit 0, the code of success.
func TestEveryVerdictHasAnExitCode(t *testing.T) {
	for _, v := range report.Verdicts {
		_, ok := exitCodes[v]
		assert.True(t, ok, v)
	}
	assert.Len(t, exitCodes, len(report.Verdicts))
}
