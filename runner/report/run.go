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
)

// Verdict is what the run comes to: a conformance failure is a verdict even when some cases
// could not run; harness errors alone leave it incomplete.
func (run *Run) Verdict() string {
	switch {
	case run.Preflight.Failed():
		return Incomplete
	case run.Summary.Fail > 0:
		return NotConformant
	case run.Summary.Error > 0:
		return Incomplete
	default:
		return Conformant
	}
}

// VerdictReason says in a sentence why the run comes to its verdict, for the reader who stops at
// the first line of a report.
func (run *Run) VerdictReason() string {
	s := run.Summary
	if run.Preflight.Failed() {
		return fmt.Sprintf("The preflight failed, so no case was judged: %s.", strings.TrimSuffix(run.Preflight.Failure, "."))
	}
	switch run.Verdict() {
	case NotConformant:
		var ids []string
		for _, r := range run.Results {
			for _, f := range r.Findings {
				if r.Outcome == engine.Fail && !slices.Contains(ids, f.RequirementID) {
					ids = append(ids, f.RequirementID)
				}
			}
		}
		sort.Strings(ids)
		reason := fmt.Sprintf("%s of %d failed: the server broke %s.", cases(s.Fail), s.Total, strings.Join(ids, ", "))
		if s.Error > 0 {
			reason += fmt.Sprintf(" %s could not be run.", cases(s.Error))
		}
		return reason
	case Incomplete:
		return fmt.Sprintf("%s of %d could not be run (harness errors) and none failed: the run vouches for the server neither way.", cases(s.Error), s.Total)
	}
	if s.Pass+s.Warn == 0 {
		return "No case was run, so nothing was checked."
	}
	reason := fmt.Sprintf("The %s run met every MUST requirement.", cases(s.Pass+s.Warn))
	if s.Warn > 0 {
		reason += fmt.Sprintf(" %s missed a SHOULD-level requirement (warnings; --strict makes them fail).", cases(s.Warn))
	}
	if s.Skip > 0 {
		reason += fmt.Sprintf(" %s skipped for want of configuration.", cases(s.Skip))
	}
	return reason
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

// Duration is how long the run took.
func (run *Run) Duration() time.Duration { return run.Finished.Sub(run.Started) }

// ConfigKeys are the configuration's keys, sorted, so every report lists them alike.
func (run *Run) ConfigKeys() []string { return slices.Sorted(maps.Keys(run.Config)) }

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
