package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/contacts-conformance/suite/runner/engine"
)

// Expectations record what the team's expectations file (--expect) made of a run: every entry,
// and what became of it. runner/expect fills them in after the cases have ended; the reports show
// them beside the cases.
type Expectations struct {
	// File is the path as given to --expect; SHA256 pins its content.
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// EvaluatedOn is the day (UTC) the expiry dates were compared with.
	EvaluatedOn string        `json:"evaluated_on"`
	Entries     []ExpectEntry `json:"entries"`
}

// ExpectEntry is one line of the expectations file with its status in this run.
type ExpectEntry struct {
	Line int `json:"line"`
	// ID is a case id or, for every case checking it, a requirement id (Kind says which).
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Expires string `json:"expires"`
	Reason  string `json:"reason"`
	Status  string `json:"status"`
	// Cases are the cases that showed the failure the entry lists.
	Cases []string `json:"cases,omitempty"`
	// Message says in a sentence what the status means for this entry and what to do.
	Message string `json:"message"`
}

// The kinds of entry.
const (
	KindCase        = "case"
	KindRequirement = "requirement"
)

// The statuses of an entry. Only Matched keeps the file honest: an unexpected pass or an expired
// entry means the file is out of date, and the run fails until it is edited.
const (
	// EntryMatched: the failure the entry lists happened (excused, or a warning anyway).
	EntryMatched = "matched"
	// EntryUnexpectedPass: the cases ran and the failure did not happen.
	EntryUnexpectedPass = "unexpected-pass"
	// EntryExpired: the expiry date has come; the entry excuses nothing.
	EntryExpired = "expired"
	// EntryNotRun: the case was skipped, not selected or ended in an error, so the run cannot
	// tell; the entry is neither used nor stale.
	EntryNotRun = "not-run"
)

// Outdated are the entries that make the file out of date: unexpected passes and expired ones.
func (e *Expectations) Outdated() []ExpectEntry {
	if e == nil {
		return nil
	}
	var out []ExpectEntry
	for _, entry := range e.Entries {
		if entry.Status == EntryUnexpectedPass || entry.Status == EntryExpired {
			out = append(out, entry)
		}
	}
	return out
}

// Where names the entry's line for a reader: "conformance.expect line 3".
func (e *Expectations) Where(entry ExpectEntry) string {
	return fmt.Sprintf("%s line %d", e.File, entry.Line)
}

// ExpectedFailures are the cases the expectations file excused, in the cases' order.
func (run *Run) ExpectedFailures() []*engine.Result {
	var out []*engine.Result
	for _, r := range run.Results {
		if r.Outcome == engine.ExpectedFail {
			out = append(out, r)
		}
	}
	return out
}

// requirementIDs lists a result's requirements with findings, once each, in the findings' order.
func requirementIDs(r *engine.Result) []string {
	var ids []string
	for _, f := range r.Findings {
		if !slices.Contains(ids, f.RequirementID) {
			ids = append(ids, f.RequirementID)
		}
	}
	return ids
}

// RequirementList is a result's requirements with findings, comma-separated.
func RequirementList(r *engine.Result) string { return strings.Join(requirementIDs(r), ", ") }
