package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/contacts-conformance/suite/suites"
)

// The generative phase runs the generated cases like any others, then reports each distinct
// finding once, shrunk to the smallest input that still fails the same way, and a line for each
// operation whose generated inputs all held.

// Shrinking bounds: a finding is shrunk with at most ShrinkBudget requests, and at most
// ShrunkPerOperation findings of an operation are shrunk (the others are reported as found).
const (
	ShrinkBudget       = 64
	ShrunkPerOperation = 5
)

// Exploration sums the generative phase up for the run record.
type Exploration struct {
	Seed int64 `json:"seed"`
	// Inputs is how many generated inputs were sent; ShrinkRequests how many requests shrinking
	// the findings took besides.
	Inputs         int `json:"inputs"`
	ShrinkRequests int `json:"shrink_requests"`
	// Errors is how many generated inputs could not be run (no answer, 429, an unavailable
	// server): the invariants say nothing of them.
	Errors int `json:"errors"`
	// Findings counts the distinct findings by the requirement they missed first, the invariant
	// they are grouped under.
	Findings map[string]int `json:"findings_by_requirement"`
}

// Explore runs the generated cases and returns one result per distinct finding, shrunk, and one per
// operation whose inputs all held, were all skipped, or could not all be run.
func (e *Engine) Explore(ctx context.Context, cases []*suites.Case, seed int64) ([]*Result, *Exploration) {
	return e.Fold(ctx, cases, e.Run(ctx, cases, nil), seed)
}

// Fold turns the results of generated cases, run already (alongside the fixed cases, so that no
// worker waits between the two), into the results a report shows: each distinct finding once,
// shrunk, and a line for each operation whose inputs all held, were all skipped, or could not all
// be run.
func (e *Engine) Fold(ctx context.Context, cases []*suites.Case, results []*Result, seed int64) ([]*Result, *Exploration) {
	x := &Exploration{Seed: seed, Findings: map[string]int{}}
	if len(cases) == 0 {
		return nil, x
	}
	ctx, cancel := e.withinDeadline(ctx)
	defer cancel()
	type group struct {
		first  int
		others []string
	}
	var ops []string
	byOp := map[string][]int{}
	for i, c := range cases {
		if _, ok := byOp[c.Operation.ID]; !ok {
			ops = append(ops, c.Operation.ID)
		}
		byOp[c.Operation.ID] = append(byOp[c.Operation.ID], i)
	}
	var out []*Result
	for _, op := range ops {
		var order []string
		groups := map[string]*group{}
		var errored, skipped, sent []int
		for _, i := range byOp[op] {
			r := results[i]
			switch r.Outcome {
			case Fail, Warn:
				x.Inputs++
				sig := signature(r)
				if g := groups[sig]; g != nil {
					g.others = append(g.others, cases[i].Title)
				} else {
					groups[sig] = &group{first: i}
					order = append(order, sig)
				}
			case Error:
				x.Errors++
				errored = append(errored, i)
			case Pass:
				x.Inputs++
				sent = append(sent, i)
			default:
				skipped = append(skipped, i)
			}
		}
		for k, sig := range order {
			g := groups[sig]
			r := results[g.first]
			if k < ShrunkPerOperation {
				var spent int
				r, spent = e.shrink(ctx, cases[g.first], r, sig)
				x.ShrinkRequests += spent
			}
			status := 0
			if r.Response != nil {
				status = r.Response.Status
			}
			r.ID = suites.ExploreFindingID(op, invariant(r), status)
			r.Notes = append(r.Notes, fmt.Sprintf("generated input %d of seed %d: %s", inputNumber(cases[g.first]), seed, strings.TrimPrefix(cases[g.first].Title, "generated: ")))
			if len(g.others) > 0 {
				r.Notes = append(r.Notes, fmt.Sprintf("%d other generated inputs failed the same way, first %s", len(g.others), strings.TrimPrefix(g.others[0], "generated: ")))
			}
			x.Findings[invariant(r)]++
			out = append(out, r)
		}
		switch {
		case len(errored) > 0:
			r := results[errored[0]]
			out = append(out, &Result{ID: suites.ExploreSummaryID(op, "errors"), Area: suites.ExploreArea, Operation: op, Outcome: Error,
				Title:  fmt.Sprintf("%d of %d generated inputs could not be run", len(errored), len(byOp[op])),
				Reason: r.Reason, Request: r.Request, Curl: r.Curl, Started: r.Started, Duration: r.Duration})
		case len(order) == 0 && len(sent) > 0:
			// The summary shows the first input's exchange, as a passing case shows its own.
			first := results[sent[0]]
			out = append(out, &Result{ID: suites.ExploreSummaryID(op, "all-held"), Area: suites.ExploreArea, Operation: op, Outcome: Pass,
				Title:   fmt.Sprintf("%d generated inputs, every invariant held", len(sent)),
				Request: first.Request, Response: first.Response, Curl: first.Curl, Started: first.Started, Duration: first.Duration})
		case len(order) == 0 && len(skipped) > 0:
			r := results[skipped[0]]
			out = append(out, &Result{ID: suites.ExploreSummaryID(op, "not-run"), Area: suites.ExploreArea, Operation: op, Outcome: r.Outcome,
				Title: fmt.Sprintf("%d generated inputs", len(byOp[op])), Reason: r.Reason})
		}
	}
	return out, x
}

// invariant is the requirement a finding is grouped under.
func invariant(r *Result) string {
	var missed []string
	for _, f := range r.Findings {
		missed = append(missed, f.RequirementID)
	}
	return suites.Invariant(missed)
}

// signature is how a result failed, for telling findings apart.
func signature(r *Result) string {
	var missed []string
	for _, f := range r.Findings {
		missed = append(missed, f.RequirementID)
	}
	status := 0
	if r.Response != nil {
		status = r.Response.Status
	}
	return suites.ExploreSignature(missed, status)
}

func inputNumber(c *suites.Case) int {
	var n int
	fmt.Sscanf(strings.Split(c.ID, "/")[1], "input-%d", &n)
	return n
}

// shrink runs the case's shrinker with an oracle that sends each smaller candidate, within the
// budget, and keeps the result of the last one that failed the same way.
func (e *Engine) shrink(ctx context.Context, c *suites.Case, r *Result, sig string) (*Result, int) {
	if c.Shrink == nil {
		return r, 0
	}
	best, spent := r, 0
	shrunk := c.Shrink(func(candidate *suites.Case) bool {
		if spent >= ShrinkBudget || ctx.Err() != nil {
			return false
		}
		spent++
		got := e.Execute(ctx, candidate)
		if (got.Outcome == Fail || got.Outcome == Warn) && signature(got) == sig {
			best = got
			return true
		}
		return false
	})
	if shrunk != nil && best != r {
		requests := "requests"
		if spent == 1 {
			requests = "request"
		}
		best.Notes = append(best.Notes, fmt.Sprintf("shrunk in %d %s to %s", spent, requests, strings.TrimPrefix(shrunk.Title, "generated: ")))
		best.Title = shrunk.Title
	}
	return best, spent
}
