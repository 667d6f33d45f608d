package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/engine"
)

// expectedRun is the sample run as an expectations file leaves it: the failure excused, an entry
// for a requirement whose failure is gone, and one for a case that was skipped.
func expectedRun() *Run {
	run := sampleRun()
	xfail := run.Results[1]
	xfail.Outcome, xfail.Reason = engine.ExpectedFail, "expected failure: ci/conformance.expect line 3 (expires 2025-04-01): PLAT-12 <b>cache</b>"
	run.Summary = engine.Summarize(run.Results)
	run.Expectations = &Expectations{File: "ci/conformance.expect", SHA256: strings.Repeat("cd", 32), EvaluatedOn: "2025-03-01", Entries: []ExpectEntry{
		{Line: 3, ID: "ok/known/getContactById", Kind: KindCase, Expires: "2025-04-01", Reason: "PLAT-12 <b>cache</b>", Status: EntryMatched,
			Cases: []string{"ok/known/getContactById"}, Message: "the case failed as listed, and is excused"},
		{Line: 4, ID: "ENV-002", Kind: KindRequirement, Expires: "2025-04-01", Reason: "PLAT-9", Status: EntryUnexpectedPass,
			Message: "unexpected pass: no case checking ENV-002 failed it (3 cases run); the failure this entry expects is gone and the expectations file is out of date: remove line 4 of ci/conformance.expect"},
		{Line: 5, ID: "unknown-id/foreign/getContactById", Kind: KindCase, Expires: "2025-04-01", Reason: "PLAT-10", Status: EntryNotRun,
			Message: "the case was skipped: neither excused nor an unexpected pass"},
	}}
	return run
}

func TestVerdictWithExpectations(t *testing.T) {
	outdated := &Expectations{File: "e", Entries: []ExpectEntry{{Status: EntryUnexpectedPass}, {Status: EntryExpired}}}
	current := &Expectations{File: "e", Entries: []ExpectEntry{{Status: EntryMatched}, {Status: EntryNotRun}}}
	tests := []struct {
		summary      engine.Summary
		expectations *Expectations
		want         string
	}{
		{engine.Summary{Total: 2, Pass: 1, XFail: 1}, current, KnownFailures},
		{engine.Summary{Total: 2, Pass: 1, XFail: 1, Warn: 1}, current, KnownFailures},
		{engine.Summary{Total: 2, Pass: 2}, current, Conformant},
		{engine.Summary{Total: 2, Pass: 2}, outdated, OutdatedExpectations},
		{engine.Summary{Total: 2, Pass: 1, Error: 1}, outdated, OutdatedExpectations},
		{engine.Summary{Total: 2, Pass: 1, Error: 1, XFail: 1}, current, Incomplete},
		{engine.Summary{Total: 2, Fail: 1, XFail: 1}, outdated, NotConformant},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, (&Run{Summary: tt.summary, Expectations: tt.expectations}).Verdict(), "%+v", tt.summary)
	}
}

func TestVerdictReasonWithExpectations(t *testing.T) {
	run := expectedRun()
	assert.Equal(t, OutdatedExpectations, run.Verdict())
	assert.Equal(t, "The server failed no case unexpectedly, but ci/conformance.expect is out of date: 1 entry lists a failure that did not happen (an unexpected pass: remove its line). 1 case could not be run. 1 case failed as expected.", run.VerdictReason())
	run.Expectations.Entries = run.Expectations.Entries[:1]
	run.Results[4].Outcome = engine.Pass
	run.Summary = engine.Summarize(run.Results)
	assert.Equal(t, KnownFailures, run.Verdict())
	assert.Equal(t, "1 case failed as expected (listed in ci/conformance.expect until their entries expire): the server breaks OK-002. The other 3 cases run met every MUST requirement. 1 case missed a SHOULD-level requirement (warnings; --strict makes them fail). 1 case skipped for want of configuration.", run.VerdictReason())
}

// Every report shows the expected failure apart from passes and failures, with its reason, and
// the entries of the file with their status.
func TestExpectedFailuresReachEveryReport(t *testing.T) {
	run := expectedRun()
	doc := []byte(render(t, func(b *bytes.Buffer, r *Run) error { return JSON(b, r) }, run))
	res := validate(t, doc)
	require.True(t, res.Valid(), "%v", res.Errors())
	var parsed struct {
		Verdict string
		Summary engine.Summary
		Results []struct{ Outcome, Reason string }
	}
	require.NoError(t, json.Unmarshal(doc, &parsed))
	assert.Equal(t, OutdatedExpectations, parsed.Verdict)
	assert.Equal(t, 1, parsed.Summary.XFail)
	assert.Equal(t, 0, parsed.Summary.Fail)
	assert.Equal(t, "xfail", parsed.Results[1].Outcome)

	var junit junitSuites
	require.NoError(t, xml.Unmarshal([]byte(render(t, func(b *bytes.Buffer, r *Run) error { return JUnit(b, r) }, run)), &junit))
	byName := map[string]junitCase{}
	for _, s := range junit.Suites {
		for _, c := range s.Cases {
			byName[c.Name] = c
		}
	}
	xfail := byName["ok/known/getContactById"]
	require.NotNil(t, xfail.Skipped)
	assert.Nil(t, xfail.Failure)
	assert.Equal(t, "expected-failure", xfail.Skipped.Type)
	assert.Contains(t, xfail.Skipped.Message, "ci/conformance.expect line 3 (expires 2025-04-01): PLAT-12")
	assert.Contains(t, xfail.SystemOut, "OK-002 (MUST)")
	stale := byName["ci/conformance.expect line 4: ENV-002"]
	require.NotNil(t, stale.Failure, "the out-of-date entry fails in the expectations suite")
	assert.Equal(t, "unexpected-pass", stale.Failure.Type)
	assert.Contains(t, stale.Failure.Message, "remove line 4 of ci/conformance.expect")
	assert.NotNil(t, byName["ci/conformance.expect line 5: unknown-id/foreign/getContactById"].Skipped)
	assert.Equal(t, 1, junit.Failures, "the stale entry, and not the expected failure")

	html := render(t, func(b *bytes.Buffer, r *Run) error { return HTML(b, r) }, run)
	for _, want := range []string{
		`class="banner v-expectations-out-of-date"`, `<h2 id="expected">Expected failures</h2>`,
		`<td class="o o-xfail">expected failure</td><td class="n">1</td>`,
		`<a href="#case-ok-known-getContactById"><code>ok/known/getContactById</code></a></td><td class="id">OK-002</td><td>expected failure: ci/conformance.expect line 3 (expires 2025-04-01): PLAT-12 &lt;b&gt;cache&lt;/b&gt;</td>`,
		`<article id="case-ok-known-getContactById" class="a-xfail">`,
		`<td class="id s-unexpected-pass">unexpected-pass</td>`, "Out of date: 1 entry lists a failure that did not happen",
		`<a href="#expectations">The expectations file below.</a>`,
	} {
		assert.Contains(t, html, want)
	}
	problems := html[strings.Index(html, `<h2 id="problems">`):strings.Index(html, `<h2 id="expected">`)]
	assert.NotContains(t, problems, "ok/known/getContactById", "an expected failure is not listed among the failures")

	md := render(t, func(b *bytes.Buffer, r *Run) error { return Markdown(b, r) }, run)
	for _, want := range []string{
		"## Contacts API conformance: expectations out of date\n",
		"### Expected failures\n", "| `ok/known/getContactById` | OK-002 | expected failure: ci/conformance.expect line 3 (expires 2025-04-01): PLAT-12 \\<b\\>cache\\</b\\> |",
		"### Expectations file `ci/conformance.expect`\n\n**Out of date: 1 entry lists a failure that did not happen",
		"| 4 | `ENV-002` | 2025-04-01 | unexpected-pass | unexpected pass: no case checking ENV-002 failed it",
		"| `GET /contact/{id}` getContactById | 4 | 1 | 0 | 1 | 1 | 1 | 0 | 0 |",
	} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "#### FAIL `ok/known/getContactById`")
}

func TestCompare(t *testing.T) {
	old := sampleRun()
	new := sampleRun()
	new.Started = old.Started.Add(24 * time.Hour)
	new.Config = map[string]string{}
	for k, v := range old.Config {
		new.Config[k] = v
	}
	new.Config["seed"] = "43"
	new.Build.Revision = strings.Repeat("e", 40)
	at := func(run *Run, id string) *engine.Result {
		for _, r := range run.Results {
			if r.ID == id {
				return r
			}
		}
		t.Fatalf("no %s", id)
		return nil
	}
	// auth/missing-header: pass -> fail; ok/known: fail -> pass; unknown-id/foreign: skip ->
	// absent; a new case fails; the list error -> fail (new failure).
	at(new, "auth/missing-header/getContactById").Outcome = engine.Fail
	at(new, "auth/missing-header/getContactById").Findings = []engine.Finding{{RequirementID: "AUTH-001"}}
	known := at(new, "ok/known/getContactById")
	known.Outcome, known.Findings = engine.Pass, nil
	var kept []*engine.Result
	for _, r := range new.Results {
		if r.ID != "unknown-id/foreign/getContactById" {
			kept = append(kept, r)
		}
	}
	new.Results = append(kept, &engine.Result{ID: "auth/brand-new/getContactById", Outcome: engine.Fail, Findings: []engine.Finding{{RequirementID: "AUTH-001"}}})
	old.Results = append(old.Results, &engine.Result{ID: "ok/both/getContactById", Outcome: engine.Fail, Findings: []engine.Finding{{RequirementID: "SPEC-001"}}})
	new.Results = append(new.Results, &engine.Result{ID: "ok/both/getContactById", Outcome: engine.Fail, Findings: []engine.Finding{{RequirementID: "SPEC-001"}, {RequirementID: "OK-001"}}})

	d := Compare(old, new, "old.json", "new.json")
	ids := func(cs []CaseChange) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID+" "+c.Transition())
		}
		return out
	}
	assert.Equal(t, []string{"auth/missing-header/getContactById pass -> fail (AUTH-001)", "auth/brand-new/getContactById (absent) -> fail (AUTH-001)"}, ids(d.NewFailures))
	assert.Equal(t, []string{"ok/known/getContactById fail -> pass (was OK-002)"}, ids(d.Fixed))
	assert.Equal(t, []string{"ok/both/getContactById fail -> fail (SPEC-001, OK-001), before: SPEC-001"}, ids(d.StillFailing))
	assert.Equal(t, []string{"unknown-id/foreign/getContactById skip -> (absent)"}, ids(d.Changed))
	assert.Equal(t, []SettingChange{{"build.vcs_revision", "", strings.Repeat("e", 40)}, {"config.seed", "42", "43"}}, d.Settings)
	assert.True(t, d.HasNewFailures())
	assert.Equal(t, "2 new failures, 1 fixed, 1 still failing, 1 other change", d.Counts())

	var b strings.Builder
	require.NoError(t, WriteDiffText(&b, d))
	for _, want := range []string{
		"old  old.json: 2025-03-01T02:00:00Z, not conformant, suite " + Version,
		"\nchanged settings (2):\n  build.vcs_revision: (unset) -> eeee", "\n  config.seed: 42 -> 43\n",
		"\nnew failures (2):\n  auth/missing-header/getContactById  pass -> fail (AUTH-001)\n",
		"\nfixed (1):\n  ok/known/getContactById  fail -> pass (was OK-002)\n",
		"\n2 new failures, 1 fixed, 1 still failing, 1 other change\n",
	} {
		assert.Contains(t, b.String(), want)
	}

	assert.False(t, Compare(old, old, "a", "b").HasNewFailures(), "a run compared with itself changed nothing")
	assert.Empty(t, Compare(old, old, "a", "b").Settings)
}

// With --baseline the diff comes first in summary.md and report.html, right under the verdict.
func TestBaselineIsAtTheTop(t *testing.T) {
	run := sampleRun()
	lastNight := sampleRun()
	lastNight.Results[1].Outcome, lastNight.Results[1].Findings = engine.Pass, nil
	run.Baseline = Compare(lastNight, run, "last-night/results.json", "")
	md := render(t, func(b *bytes.Buffer, r *Run) error { return Markdown(b, r) }, run)
	diff := strings.Index(md, "### Since the baseline\n\nCompared with `last-night/results.json` (2025-03-01T02:00:00Z, not conformant): **1 new failure, 0 fixed, 0 still failing, 0 other changes**.")
	require.Positive(t, diff, md)
	assert.Less(t, diff, strings.Index(md, "6 cases: "), "before the counts")
	assert.Less(t, strings.Index(md, "\n**1 case of 6 failed"), diff, "after the verdict")
	assert.Contains(t, md, "| new failures | `ok/known/getContactById` | pass -\\> fail (OK-002) |")

	html := render(t, func(b *bytes.Buffer, r *Run) error { return HTML(b, r) }, run)
	section := strings.Index(html, `<section id="baseline">`)
	require.Positive(t, section)
	assert.Less(t, strings.Index(html, `id="verdict"`), section)
	assert.Less(t, section, strings.Index(html, `<dl class="meta">`))
	assert.Contains(t, html, `<td class="id o-fail">new failures</td><td class="id"><code>ok/known/getContactById</code></td><td>pass -&gt; fail (OK-002)</td>`)
	run.Baseline.Settings = []SettingChange{{"config.expect", "", "ci/conformance.expect"}}
	html = render(t, func(b *bytes.Buffer, r *Run) error { return HTML(b, r) }, run)
	assert.Contains(t, html, "<tr><td>config.expect</td><td><code>(unset)</code></td><td><code>ci/conformance.expect</code></td></tr>")

	doc := []byte(render(t, func(b *bytes.Buffer, r *Run) error { return JSON(b, r) }, run))
	res := validate(t, doc)
	require.True(t, res.Valid(), "%v", res.Errors())
}

// Reading a results file back refuses, in one line, anything that is not one.
func TestReadRun(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "results.json")
	require.NoError(t, os.WriteFile(good, []byte(render(t, func(b *bytes.Buffer, r *Run) error { return JSON(b, r) }, expectedRun())), 0o600))
	run, err := ReadRun(good)
	require.NoError(t, err)
	assert.Equal(t, expectedRun().Summary, run.Summary)
	assert.Equal(t, engine.ExpectedFail, run.Results[1].Outcome)
	assert.Equal(t, OutdatedExpectations, run.Verdict(), "the expectations are read back too")

	tests := []struct{ name, content, want string }{
		{"not JSON", "# a file\n", "is not a results file of contacts-conformance (results.json): not JSON (invalid character '#' looking for beginning of value at byte 1)"},
		{"an array", "[]", "not a JSON object"},
		{"another JSON document", `{"name": "package.json"}`, `it has no "suite_version"`},
		{"no results", `{"suite_version":"0.1.0","spec_sha256":"x","started":"2025-03-01T02:00:00Z","summary":{},"verdict":"conformant"}`, `it has no "results"`},
		{"a result of the wrong type", `{"suite_version":"0.1.0","spec_sha256":"x","started":"2025-03-01T02:00:00Z","summary":{},"verdict":"conformant","results":[{"id":1}]}`, `"results.id" holds a JSON number where string belongs`},
		{"an unknown outcome", `{"suite_version":"0.1.0","spec_sha256":"x","started":"2025-03-01T02:00:00Z","summary":{},"verdict":"conformant","results":[{"id":"a/b/c","outcome":"maybe"}]}`, `the case a/b/c has the unknown outcome "maybe"`},
		{"a case twice", `{"suite_version":"0.1.0","spec_sha256":"x","started":"2025-03-01T02:00:00Z","summary":{},"verdict":"conformant","results":[{"id":"a/b/c","outcome":"pass"},{"id":"a/b/c","outcome":"pass"}]}`, "the case a/b/c is recorded twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			_, err := ReadRun(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), path+" "), err.Error())
			assert.NotContains(t, err.Error(), "\n")
		})
	}
	_, err = ReadRun(filepath.Join(dir, "missing.json"))
	assert.EqualError(t, err, "cannot read "+filepath.Join(dir, "missing.json")+": no such file or directory")
}
