package expect

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/suites"
)

var cat = Catalogue{
	Cases: map[string]bool{
		"ok/known/getContactById": true, "auth/missing-header/getContactById": true, "auth/basic-scheme/getContactById": true,
		"unknown-id/foreign/getContactById": true, "methods/post/listPhoneNumbers": true, "list/limit-1/listCampaigns": true,
	},
	Requirements: map[string]bool{"AUTH-002": true, "OK-002": true, "SPEC-001": true, "ENV-002": true},
}

var today = time.Date(2025, 6, 10, 15, 4, 5, 0, time.UTC)

func parse(t *testing.T, text string) *File {
	t.Helper()
	f, err := Parse("conformance.expect", []byte(text), cat)
	require.NoError(t, err)
	return f
}

func TestParse(t *testing.T) {
	f := parse(t, "# known failures\n\n  ok/known/getContactById   2025-07-01   PLAT-12: the cache serves   another contact #2  \nAUTH-002 2025-06-30 no challenge yet\n")
	require.Len(t, f.Entries, 2)
	assert.Equal(t, Entry{Line: 3, ID: "ok/known/getContactById", Expires: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC),
		Reason: "PLAT-12: the cache serves another contact #2"}, f.Entries[0], "a # inside a reason is text, and runs of spaces are one")
	assert.Equal(t, Entry{Line: 4, ID: "AUTH-002", Requirement: true, Expires: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), Reason: "no challenge yet"}, f.Entries[1])
	assert.Len(t, f.SHA256, 64)
}

// Every malformed line is refused with the file and the line number, whatever is wrong with it.
func TestParseRefusesMalformedLines(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"no reason", "ok/known/getContactById 2025-07-01\n", "conformance.expect line 1: an entry is a case or requirement id, an expiry date (YYYY-MM-DD) and a reason; this line has 2 of the 3"},
		{"an id alone", "# c\nAUTH-002\n", "conformance.expect line 2: an entry is"},
		{"a date that is not one", "ok/known/getContactById 2025-13-01 x\n", `conformance.expect line 1: "2025-13-01" is not an expiry date (YYYY-MM-DD)`},
		{"a date in another layout", "ok/known/getContactById 01/07/2025 x\n", `"01/07/2025" is not an expiry date`},
		{"the reason before the date", "ok/known/getContactById PLAT-12 2025-07-01\n", `"PLAT-12" is not an expiry date`},
		{"a case the suite does not have", "\n\nok/known/getContact 2025-07-01 x\n", `conformance.expect line 3: "ok/known/getContact" is neither a case id nor a requirement id of this suite`},
		{"a requirement the suite does not have", "AUTH-009 2025-07-01 x\n", `"AUTH-009" is neither a case id nor a requirement id`},
		{"an id listed twice", "AUTH-002 2025-07-01 x\n# again\nAUTH-002 2025-08-01 y\n", "conformance.expect line 3: AUTH-002 is already listed on line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("conformance.expect", []byte(tt.text), cat)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// What Write writes, Parse reads back as the same entries, and writing those again gives the same
// bytes: `expect --from` and `--expect` speak one format.
func TestWriteAndParseRoundTrip(t *testing.T) {
	entries := []Entry{
		{ID: "ok/known/getContactById", Expires: time.Date(2025, 7, 10, 0, 0, 0, 0, time.UTC), Reason: Placeholder},
		{ID: "AUTH-002", Requirement: true, Expires: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), Reason: "PLAT-7 challenge header, see #ops"},
	}
	var first strings.Builder
	require.NoError(t, Write(&first, Header, entries))
	parsed := parse(t, first.String())
	for i := range parsed.Entries {
		parsed.Entries[i].Line = 0
	}
	assert.Equal(t, entries, parsed.Entries)
	var second strings.Builder
	require.NoError(t, Write(&second, Header, parse(t, first.String()).Entries))
	assert.Equal(t, first.String(), second.String())
	assert.Contains(t, first.String(), "\nok/known/getContactById  2025-07-10  "+Placeholder+"\nAUTH-002                 2026-01-31  PLAT-7")
}

func TestExpiryIsADay(t *testing.T) {
	e := Entry{Expires: time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC)}
	assert.True(t, e.Expired(today), "on its expiry date an entry excuses nothing")
	assert.False(t, e.Expired(today.AddDate(0, 0, -1)))
	assert.False(t, e.Expired(time.Date(2025, 6, 10, 1, 0, 0, 0, time.FixedZone("UTC+2", 2*3600))),
		"01:00 at UTC+2 is still the 9th in UTC, the zone expiry dates count in")
}

func finding(id string, level suites.Level) engine.Finding {
	return engine.Finding{RequirementID: id, Level: level, Expected: "x", Actual: "y"}
}

func failing(id string, findings ...engine.Finding) *engine.Result {
	return &engine.Result{ID: id, Outcome: engine.Fail, Findings: findings}
}

// judged applies the file to the results as the runner does: each case as it ends, then the
// entries once all have.
func judged(f *File, strict bool, results ...*engine.Result) *report.Expectations {
	for _, r := range results {
		f.Judge(r, strict, today)
	}
	checks := map[string][]string{}
	for _, r := range results {
		checks[r.ID] = []string{"AUTH-002", "ENV-002", "SPEC-001"}
		if r.ID == "ok/known/getContactById" {
			checks[r.ID] = []string{"OK-002", "SPEC-001"}
		}
	}
	return f.Settle(results, checks, today)
}

func TestACaseEntryExcusesItsFailure(t *testing.T) {
	f := parse(t, "ok/known/getContactById 2025-07-01 PLAT-12\n")
	r := failing("ok/known/getContactById", finding("OK-002", suites.Must), finding("SPEC-001", suites.Must))
	e := judged(f, false, r)
	assert.Equal(t, engine.ExpectedFail, r.Outcome)
	assert.Equal(t, "expected failure: conformance.expect line 1 (expires 2025-07-01): PLAT-12", r.Reason)
	assert.Len(t, r.Findings, 2, "the findings stay, for the reports")
	assert.Equal(t, report.EntryMatched, e.Entries[0].Status)
	assert.Equal(t, []string{"ok/known/getContactById"}, e.Entries[0].Cases)
	assert.Empty(t, e.Outdated())
	assert.Equal(t, "2025-06-10", e.EvaluatedOn)
}

func TestAListedCaseThatPassesIsAnUnexpectedPass(t *testing.T) {
	f := parse(t, "# one\nok/known/getContactById 2025-07-01 PLAT-12\n")
	r := &engine.Result{ID: "ok/known/getContactById", Outcome: engine.Pass}
	e := judged(f, false, r)
	assert.Equal(t, engine.Pass, r.Outcome, "the server passed: no accusation")
	require.Len(t, r.Notes, 1)
	assert.Contains(t, r.Notes[0], "unexpected pass: conformance.expect line 2 expects this case to fail")
	assert.Equal(t, report.EntryUnexpectedPass, e.Entries[0].Status)
	assert.Equal(t, "unexpected pass: the case passed; the failure this entry expects is gone and the expectations file is out of date: remove line 2 of conformance.expect", e.Entries[0].Message)
	assert.Len(t, e.Outdated(), 1)
}

func TestAnExpiredEntryExcusesNothing(t *testing.T) {
	f := parse(t, "ok/known/getContactById 2025-06-10 PLAT-12\nAUTH-002 2025-01-01 old\n")
	r := failing("ok/known/getContactById", finding("OK-002", suites.Must))
	auth := failing("auth/missing-header/getContactById", finding("AUTH-002", suites.Must))
	e := judged(f, false, r, auth)
	assert.Equal(t, engine.Fail, r.Outcome)
	assert.Equal(t, engine.Fail, auth.Outcome)
	assert.Contains(t, r.Notes, "conformance.expect line 1 expired on 2025-06-10 and excuses nothing: fix the failure, or give the entry a later date")
	assert.Contains(t, auth.Notes, "conformance.expect line 2 expired on 2025-01-01 and excuses nothing: fix the failure, or give the entry a later date")
	for _, entry := range e.Entries {
		assert.Equal(t, report.EntryExpired, entry.Status)
		assert.Contains(t, entry.Message, "still fails")
	}
}

func TestAnExpiredEntryWhoseFailureIsGoneIsOutdated(t *testing.T) {
	f := parse(t, "ok/known/getContactById 2025-01-01 PLAT-12\n")
	r := &engine.Result{ID: "ok/known/getContactById", Outcome: engine.Pass}
	e := judged(f, false, r)
	assert.Equal(t, report.EntryExpired, e.Entries[0].Status)
	assert.Contains(t, e.Entries[0].Message, "remove line 1 of conformance.expect")
	assert.Contains(t, r.Notes[0], "expired on 2025-01-01, and the case passes: remove the line")
}

// A requirement entry excuses that requirement's findings wherever they are; a case that also
// fails another requirement still fails, saying which part was excused.
func TestARequirementEntryExcusesItsFindingsInEveryCase(t *testing.T) {
	f := parse(t, "AUTH-002 2025-07-01 PLAT-7\n")
	only := failing("auth/missing-header/getContactById", finding("AUTH-002", suites.Must))
	both := failing("auth/basic-scheme/getContactById", finding("AUTH-002", suites.Must), finding("ENV-002", suites.Must))
	other := failing("unknown-id/foreign/getContactById", finding("ENV-002", suites.Must))
	e := judged(f, false, only, both, other)
	assert.Equal(t, engine.ExpectedFail, only.Outcome)
	assert.Equal(t, "expected failure of AUTH-002, conformance.expect line 1 (expires 2025-07-01): PLAT-7", only.Reason)
	assert.Equal(t, engine.Fail, both.Outcome)
	assert.Contains(t, both.Notes, "the findings of AUTH-002 are expected (AUTH-002, conformance.expect line 1 (expires 2025-07-01): PLAT-7), but the case also fails ENV-002, which no entry excuses")
	assert.Equal(t, engine.Fail, other.Outcome)
	assert.Empty(t, other.Notes)
	assert.Equal(t, report.EntryMatched, e.Entries[0].Status)
	assert.Equal(t, []string{"auth/missing-header/getContactById", "auth/basic-scheme/getContactById"}, e.Entries[0].Cases)
	assert.Contains(t, e.Entries[0].Message, "1 case of them still fails")
}

func TestARequirementEntryWithNoFindingIsAnUnexpectedPass(t *testing.T) {
	f := parse(t, "AUTH-002 2025-07-01 PLAT-7\n")
	e := judged(f, false, &engine.Result{ID: "auth/missing-header/getContactById", Outcome: engine.Pass},
		&engine.Result{ID: "auth/basic-scheme/getContactById", Outcome: engine.Pass}, &engine.Result{ID: "methods/post/listPhoneNumbers", Outcome: engine.Disabled})
	assert.Equal(t, report.EntryUnexpectedPass, e.Entries[0].Status)
	assert.Equal(t, "unexpected pass: no case checking AUTH-002 failed it (2 cases run); the failure this entry expects is gone and the expectations file is out of date: remove line 1 of conformance.expect", e.Entries[0].Message)
}

// A case that did not run says nothing about the failure: neither excused nor an unexpected pass.
func TestAnEntryForACaseThatDidNotRunIsNeither(t *testing.T) {
	for outcome, words := range map[engine.Outcome]string{engine.Skip: "was skipped", engine.Disabled: "was not selected", engine.Error: "ended in an error"} {
		f := parse(t, "unknown-id/foreign/getContactById 2025-07-01 x\nAUTH-002 2025-07-01 y\n")
		r := &engine.Result{ID: "unknown-id/foreign/getContactById", Outcome: outcome, Reason: "why"}
		e := judged(f, false, r)
		assert.Equal(t, outcome, r.Outcome)
		assert.Equal(t, []string{"conformance.expect line 1 lists this case, but it " + words + ": neither excused nor an unexpected pass"}, r.Notes)
		assert.Equal(t, report.EntryNotRun, e.Entries[0].Status, outcome)
		assert.Equal(t, report.EntryNotRun, e.Entries[1].Status, "no case checking AUTH-002 ran (%s)", outcome)
		assert.Empty(t, e.Outdated(), outcome)
	}
	f := parse(t, "list/limit-1/listCampaigns 2025-07-01 x\n")
	assert.Equal(t, report.EntryNotRun, judged(f, false).Entries[0].Status, "a case this run did not build")
}

// An error in a case checking the requirement leaves a requirement entry undecided: the case that
// would have failed may be the one that could not run.
func TestARequirementEntryIsUndecidedWhenACaseErred(t *testing.T) {
	f := parse(t, "AUTH-002 2025-07-01 y\n")
	e := judged(f, false, &engine.Result{ID: "auth/missing-header/getContactById", Outcome: engine.Pass},
		&engine.Result{ID: "auth/basic-scheme/getContactById", Outcome: engine.Error, Reason: "timeout"})
	assert.Equal(t, report.EntryNotRun, e.Entries[0].Status)
	assert.Contains(t, e.Entries[0].Message, "1 case checking AUTH-002 ended in errors")
}

// A SHOULD-level finding fails only under --strict, and only then needs an excuse.
func TestStrictnessDecidesWhichFindingsNeedAnExcuse(t *testing.T) {
	lenient := failing("auth/basic-scheme/getContactById", finding("ENV-002", suites.Must), finding("AUTH-002", suites.Should))
	judged(parse(t, "ENV-002 2025-07-01 x\n"), false, lenient)
	assert.Equal(t, engine.ExpectedFail, lenient.Outcome, "the SHOULD finding is a warning inside the case")

	strict := failing("auth/basic-scheme/getContactById", finding("ENV-002", suites.Must), finding("AUTH-002", suites.Should))
	judged(parse(t, "ENV-002 2025-07-01 x\n"), true, strict)
	assert.Equal(t, engine.Fail, strict.Outcome, "under --strict the SHOULD finding fails too")

	warn := &engine.Result{ID: "auth/missing-header/getContactById", Outcome: engine.Warn, Findings: []engine.Finding{finding("AUTH-002", suites.Should)}}
	e := judged(parse(t, "auth/missing-header/getContactById 2025-07-01 x\n"), false, warn)
	assert.Equal(t, engine.Warn, warn.Outcome)
	assert.Equal(t, report.EntryMatched, e.Entries[0].Status, "the finding is there: the entry is not stale")
}

func TestFromRunListsTheFailures(t *testing.T) {
	run := &report.Run{Results: []*engine.Result{
		failing("ok/known/getContactById", finding("OK-002", suites.Must)),
		{ID: "auth/missing-header/getContactById", Outcome: engine.Warn},
		{ID: "auth/basic-scheme/getContactById", Outcome: engine.ExpectedFail},
		failing("auth/gone/getContactById"),
		{ID: "list/limit-1/listCampaigns", Outcome: engine.Error},
	}}
	entries, unknown := FromRun(run, today.AddDate(0, 0, 30), cat)
	assert.Equal(t, []Entry{{ID: "ok/known/getContactById", Expires: time.Date(2025, 7, 10, 0, 0, 0, 0, time.UTC), Reason: Placeholder}}, entries)
	assert.Equal(t, []string{"auth/gone/getContactById"}, unknown)
}
