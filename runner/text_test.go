package runner

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/suites"
)

// A behaviour broken on every endpoint shows in dozens of cases: the findings are printed in
// full once, each later case names the first and keeps its own reproduction.
func TestSummaryPrintsRepeatedFindingsOnce(t *testing.T) {
	challenge := engine.Finding{RequirementID: "AUTH-002", Level: suites.Should, Requirement: "A 401 answer carries a WWW-Authenticate header.",
		Expected: `WWW-Authenticate: Bearer realm="..."`, Actual: "no WWW-Authenticate header"}
	other := challenge
	other.Actual = "WWW-Authenticate: Basic"
	results := []*engine.Result{
		{ID: "auth/a", Title: "first", Outcome: engine.Warn, Findings: []engine.Finding{challenge}, Curl: "curl a"},
		{ID: "auth/b", Title: "second", Outcome: engine.Warn, Findings: []engine.Finding{challenge}, Curl: "curl b"},
		{ID: "auth/c", Title: "third", Outcome: engine.Warn, Findings: []engine.Finding{other}, Curl: "curl c"},
	}
	var out bytes.Buffer
	(&textReporter{w: &out, quiet: true}).summary(&report.Run{Results: results, Summary: engine.Summarize(results)}, 0)

	assert.Equal(t, 1, strings.Count(out.String(), "actual:   no WWW-Authenticate header"))
	assert.Contains(t, out.String(), "WARN  auth/b\n  second\n  AUTH-002 (SHOULD): the same findings as auth/a\n  reproduce: curl b\n")
	assert.Contains(t, out.String(), "actual:   WWW-Authenticate: Basic", "a different finding is printed in full")
	assert.Contains(t, out.String(), "reproduce: curl c")
}

// A run left incomplete ends by saying why: each cause once, with how many cases it hit.
func TestSummaryGathersHarnessErrorsByReason(t *testing.T) {
	var results []*engine.Result
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		results = append(results, &engine.Result{ID: id, Outcome: engine.Error, Reason: "no status line and headers within 1ms"})
	}
	results = append(results, &engine.Result{ID: "f", Outcome: engine.Error, Reason: "body larger than --max-body"}, &engine.Result{ID: "g", Outcome: engine.Pass})
	var out bytes.Buffer
	(&textReporter{w: &out, quiet: true}).summary(&report.Run{Results: results, Summary: engine.Summarize(results)}, 0)

	assert.Equal(t, "\nErrors (the suite could not run these cases):\n"+
		"  5 cases: no status line and headers within 1ms\n    a, b, c and 2 more\n"+
		"  1 case: body larger than --max-body\n    f\n"+
		"\n7 cases: 1 passed, 0 failed, 0 warnings, 0 skipped, 6 errors, 0 not selected: incomplete\n", out.String())
}
