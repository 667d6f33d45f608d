package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/spec"
)

// The verdicts every report states, in these words.
const (
	Conformant    = "conformant"
	NotConformant = "not conformant"
	// Incomplete means harness errors kept cases from running and nothing failed: the run
	// cannot vouch for the server either way.
	Incomplete = "incomplete"
	// KnownFailures means every failure was one the expectations file lists: the run passes,
	// but the server does not meet the whole contract, so it is not called conformant.
	KnownFailures = "known failures"
	// OutdatedExpectations means the server failed nothing unexpected, but the expectations file
	// lists a failure that did not happen, or an entry past its expiry date: the file, not the
	// server, needs an edit, and the run fails until it gets one.
	OutdatedExpectations = "expectations out of date"
)

// Verdicts are every verdict a run can come to.
var Verdicts = []string{Conformant, KnownFailures, NotConformant, OutdatedExpectations, Incomplete}

// Verdict is what the run comes to: a conformance failure is a verdict even when some cases
// could not run; an out-of-date expectations file is a fact too; harness errors alone leave the
// run incomplete; failures that were all expected make known failures.
func (run *Run) Verdict() string {
	switch {
	case run.Preflight.Failed():
		return Incomplete
	case run.Summary.Fail > 0:
		return NotConformant
	case len(run.Expectations.Outdated()) > 0:
		return OutdatedExpectations
	case run.Summary.Error > 0:
		return Incomplete
	case run.Summary.XFail > 0:
		return KnownFailures
	default:
		return Conformant
	}
}

// VerdictReason says in a sentence why the run comes to its verdict, for the reader who stops at
// the first line of a report.
func (run *Run) VerdictReason() string {
	s := run.Summary
	if run.Preflight.NeverStarted() {
		return fmt.Sprintf("The run could not be made, so no case was judged: %s.", strings.TrimSuffix(run.Preflight.Failure, "."))
	}
	if run.Preflight.Failed() {
		return fmt.Sprintf("The preflight failed, so no case was judged: %s.", strings.TrimSuffix(run.Preflight.Failure, "."))
	}
	var reason string
	switch run.Verdict() {
	case NotConformant:
		reason = fmt.Sprintf("%s of %d failed: the server broke %s.", cases(s.Fail), s.Total, strings.Join(run.brokenRequirements(engine.Fail), ", "))
		if s.Error > 0 {
			reason += fmt.Sprintf(" %s could not be run.", cases(s.Error))
		}
		return reason + run.expectationsReason()
	case OutdatedExpectations:
		reason = fmt.Sprintf("The server failed no case unexpectedly, but %s is out of date: %s.", run.Expectations.File, outdatedCounts(run.Expectations.Outdated()))
		if s.Error > 0 {
			reason += fmt.Sprintf(" %s could not be run.", cases(s.Error))
		}
		if s.XFail > 0 {
			reason += fmt.Sprintf(" %s failed as expected.", cases(s.XFail))
		}
		return reason
	case Incomplete:
		return fmt.Sprintf("%s of %d could not be run (harness errors) and none failed: the run vouches for the server neither way.", cases(s.Error), s.Total) + run.expectationsReason()
	case KnownFailures:
		reason = fmt.Sprintf("%s failed as expected (listed in %s until their entries expire): the server breaks %s. The other %s run met every MUST requirement.",
			cases(s.XFail), run.Expectations.File, strings.Join(run.brokenRequirements(engine.ExpectedFail), ", "), cases(s.Pass+s.Warn))
	default:
		if s.Pass+s.Warn == 0 {
			return "No case was run, so nothing was checked."
		}
		reason = fmt.Sprintf("The %s run met every MUST requirement.", cases(s.Pass+s.Warn))
	}
	if s.Warn > 0 {
		reason += fmt.Sprintf(" %s missed a SHOULD-level requirement (warnings; --strict makes them fail).", cases(s.Warn))
	}
	if s.Skip > 0 {
		reason += fmt.Sprintf(" %s skipped for want of configuration.", cases(s.Skip))
	}
	return reason
}

// brokenRequirements are the requirements with findings in the cases of the outcome, sorted.
func (run *Run) brokenRequirements(outcome engine.Outcome) []string {
	var ids []string
	for _, r := range run.Results {
		if r.Outcome != outcome {
			continue
		}
		for _, f := range r.Findings {
			if !slices.Contains(ids, f.RequirementID) {
				ids = append(ids, f.RequirementID)
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// expectationsReason adds what a verdict that outranks them leaves unsaid about the expectations.
func (run *Run) expectationsReason() string {
	var reason string
	if n := run.Summary.XFail; n > 0 {
		reason += fmt.Sprintf(" %s failed as expected.", cases(n))
	}
	if outdated := run.Expectations.Outdated(); len(outdated) > 0 {
		reason += fmt.Sprintf(" %s is out of date too: %s.", run.Expectations.File, outdatedCounts(outdated))
	}
	return reason
}

// outdatedCounts says what makes an expectations file out of date.
func outdatedCounts(entries []ExpectEntry) string {
	var passed, expired int
	for _, e := range entries {
		if e.Status == EntryExpired {
			expired++
		} else {
			passed++
		}
	}
	var parts []string
	switch {
	case passed == 1:
		parts = append(parts, "1 entry lists a failure that did not happen (an unexpected pass: remove its line)")
	case passed > 1:
		parts = append(parts, fmt.Sprintf("%d entries list failures that did not happen (unexpected passes: remove their lines)", passed))
	}
	switch {
	case expired == 1:
		parts = append(parts, "1 entry is past its expiry date and excuses nothing")
	case expired > 1:
		parts = append(parts, fmt.Sprintf("%d entries are past their expiry dates and excuse nothing", expired))
	}
	return strings.Join(parts, "; ")
}

// cases is "1 case" or "n cases".
func cases(n int) string {
	if n == 1 {
		return "1 case"
	}
	return fmt.Sprintf("%d cases", n)
}

// Endpoint is one documented operation.
type Endpoint struct {
	Operation string `json:"operation"`
	Method    string `json:"method"`
	Path      string `json:"path"`
}

// EndpointsOf lists the contract's operations, in the contract's order.
func EndpointsOf(c *spec.Contract) []Endpoint {
	eps := make([]Endpoint, len(c.Operations))
	for i, op := range c.Operations {
		eps[i] = Endpoint{Operation: op.ID, Method: op.Method, Path: op.Path}
	}
	return eps
}

// EndpointTally is the outcomes of the cases that exercise one endpoint.
type EndpointTally struct {
	Endpoint
	engine.Summary
}

// ByEndpoint counts the outcomes per endpoint, in the order of Endpoints; cases of an operation
// the list does not name come last, under their operation id.
func (run *Run) ByEndpoint() []EndpointTally {
	byOp := map[string][]*engine.Result{}
	for _, r := range run.Results {
		byOp[r.Operation] = append(byOp[r.Operation], r)
	}
	var tallies []EndpointTally
	for _, ep := range run.Endpoints {
		if rs, ok := byOp[ep.Operation]; ok {
			tallies = append(tallies, EndpointTally{ep, engine.Summarize(rs)})
			delete(byOp, ep.Operation)
		}
	}
	var rest []string
	for op := range byOp {
		rest = append(rest, op)
	}
	sort.Strings(rest)
	for _, op := range rest {
		tallies = append(tallies, EndpointTally{Endpoint{Operation: op}, engine.Summarize(byOp[op])})
	}
	return tallies
}

// problemOutcomes are the outcomes a reader must look at, the most serious first.
var problemOutcomes = []engine.Outcome{engine.Fail, engine.Warn, engine.Error}

func isProblem(r *engine.Result) bool { return slices.Contains(problemOutcomes, r.Outcome) }

// Problems are the failures, then the warnings, then the harness errors, each in the cases' order.
func (run *Run) Problems() []*engine.Result {
	var out []*engine.Result
	for _, o := range problemOutcomes {
		for _, r := range run.Results {
			if r.Outcome == o {
				out = append(out, r)
			}
		}
	}
	return out
}

// Missed is a requirement some cases did not meet.
type Missed struct {
	ID, Level, Text, Anchor string
	Cases                   []string
}

// MissedRequirements lists the requirements with findings, by id, each with the cases that found
// them.
func (run *Run) MissedRequirements() []Missed {
	byID := map[string]*Missed{}
	for _, r := range run.Results {
		for _, f := range r.Findings {
			m := byID[f.RequirementID]
			if m == nil {
				m = &Missed{ID: f.RequirementID, Level: string(f.Level), Text: f.Requirement, Anchor: f.Anchor}
				byID[f.RequirementID] = m
			}
			if n := len(m.Cases); n == 0 || m.Cases[n-1] != r.ID {
				m.Cases = append(m.Cases, r.ID)
			}
		}
	}
	out := make([]Missed, 0, len(byID))
	for _, m := range byID {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ExplorationLine sums the generative phase up in a sentence, or "" when it did not run.
func (run *Run) ExplorationLine() string {
	x := run.Exploration
	if x == nil || x.Inputs+x.Errors == 0 {
		return ""
	}
	total := 0
	var parts []string
	for _, id := range slices.Sorted(maps.Keys(x.Findings)) {
		total += x.Findings[id]
		parts = append(parts, fmt.Sprintf("%s: %d", id, x.Findings[id]))
	}
	line := fmt.Sprintf("Generated inputs: %d, seed %d (--explore; repeat with --seed %d)", x.Inputs, x.Seed, x.Seed)
	if x.Errors > 0 {
		line += fmt.Sprintf("; %d more could not be run, and say nothing", x.Errors)
	}
	switch {
	case x.Inputs == 0:
		return line + "."
	case total == 0 && x.Errors > 0:
		return line + "; the ones that ran held every invariant."
	case total == 0:
		return line + "; every invariant held."
	case total == 1:
		line += "; 1 distinct finding"
	default:
		line += fmt.Sprintf("; %d distinct findings", total)
	}
	line += " (" + strings.Join(parts, ", ") + ")"
	if x.ShrinkRequests > 0 {
		line += fmt.Sprintf(", shrunk with %d more requests", x.ShrinkRequests)
	}
	return line + "."
}

// Duration is how long the run took.
func (run *Run) Duration() time.Duration { return run.Finished.Sub(run.Started) }

// ConfigKeys are the configuration's keys, sorted, so every report lists them alike.
func (run *Run) ConfigKeys() []string { return slices.Sorted(maps.Keys(run.Config)) }

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
