package report

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/xeipuuv/gojsonschema"

	"github.com/contacts-conformance/suite/runner/engine"
)

// A published results.json is checked with the code that wrote it: the schema it is written to,
// the counts and the verdict computed again from its results, each result's outcome from its
// findings, the claim's state from the results. contacts-conformance verify runs these checks.

// maxProblemsOfAKind is how many problems of one kind are named one by one; the rest are counted.
const maxProblemsOfAKind = 5

// SchemaProblems validates a results.json against the schema, one problem a line.
func SchemaProblems(data []byte) []string {
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(resultsSchema), gojsonschema.NewBytesLoader(data))
	if err != nil {
		return []string{"it is not JSON the schema can be checked on: " + oneLine(err.Error())}
	}
	var problems []string
	for _, e := range result.Errors() {
		problems = append(problems, fmt.Sprintf("it departs from its schema at %s: %s", e.Field(), e.Description()))
	}
	return capped(problems, "departures from the schema")
}

// Recorded is a results.json read back with the verdict it states.
type Recorded struct {
	*Run
	Stated string
}

// ParseRecorded reads a results.json's run and its stated verdict.
func ParseRecorded(data []byte) (*Recorded, error) {
	run, err := parseRun(data)
	if err != nil {
		return nil, err
	}
	var stated struct {
		Verdict string `json:"verdict"`
	}
	if err := json.Unmarshal(data, &stated); err != nil {
		return nil, err
	}
	return &Recorded{run, stated.Verdict}, nil
}

// ConsistencyProblems are what a results file states that its own results do not give: a count,
// an outcome its findings do not make, the verdict, the claim's state and reason.
func (rec *Recorded) ConsistencyProblems() []string {
	run := rec.Run
	var problems []string
	counted := engine.Summarize(run.Results)
	for _, c := range []struct {
		name          string
		stated, count int
	}{
		{"total", run.Summary.Total, counted.Total}, {"pass", run.Summary.Pass, counted.Pass}, {"fail", run.Summary.Fail, counted.Fail},
		{"warn", run.Summary.Warn, counted.Warn}, {"skip", run.Summary.Skip, counted.Skip}, {"error", run.Summary.Error, counted.Error},
		{"disabled", run.Summary.Disabled, counted.Disabled}, {"xfail", run.Summary.XFail, counted.XFail}, {"not_claimed", run.Summary.NotClaimed, counted.NotClaimed},
	} {
		if c.stated != c.count {
			what := "results have the outcome " + c.name
			if c.name == "total" {
				what = "results are recorded"
			}
			problems = append(problems, fmt.Sprintf("its summary says %s is %d, but %d %s", c.name, c.stated, c.count, what))
		}
	}
	var judged []string
	claim := run.Claimed()
	for _, r := range run.Results {
		if want, ok := judgedOutcome(r, run.Strict || claim.StrictFor(r.Operation)); ok && want != r.Outcome {
			judged = append(judged, fmt.Sprintf("the case %s is %s, but its findings make it %s", r.ID, r.Outcome, want))
		}
	}
	problems = append(problems, capped(judged, "cases whose findings make another outcome")...)
	// The verdict is computed on the counts the results give, not on the ones stated.
	recounted := *run
	recounted.Summary = counted
	if verdict := recounted.Verdict(); verdict != rec.Stated {
		problems = append(problems, fmt.Sprintf("it states the verdict %q, but its results come to %q", rec.Stated, verdict))
	}
	if run.Claim != nil {
		want := NewClaim(run.Claim.Profiles, run.Results)
		switch {
		case want.State != run.Claim.State:
			problems = append(problems, fmt.Sprintf("it states a %s claim, but its results make it %s: %s", run.Claim.State, want.State, want.Reason))
		case want.Reason != run.Claim.Reason:
			problems = append(problems, fmt.Sprintf("its claim says %q, but its results say %q", run.Claim.Reason, want.Reason))
		}
	}
	return problems
}

// judgedOutcome is the outcome a judged result's findings give it; ok is false for a result the
// findings do not decide (skipped, not run, not claimed, an error). An expected failure is a
// failure the expectations file excused.
func judgedOutcome(r *engine.Result, strict bool) (engine.Outcome, bool) {
	switch r.Outcome {
	case engine.Pass, engine.Warn, engine.Fail:
		return engine.OutcomeOf(r.Findings, strict), true
	case engine.ExpectedFail:
		if engine.OutcomeOf(r.Findings, strict) == engine.Fail {
			return engine.ExpectedFail, true
		}
		return engine.OutcomeOf(r.Findings, strict), true
	}
	return "", false
}

// capped keeps the first problems of a kind and counts the rest in one more line.
func capped(problems []string, kind string) []string {
	if len(problems) <= maxProblemsOfAKind {
		return problems
	}
	return append(problems[:maxProblemsOfAKind:maxProblemsOfAKind], fmt.Sprintf("and %d more %s", len(problems)-maxProblemsOfAKind, kind))
}

func oneLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
