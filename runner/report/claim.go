package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// The states of a claim, beside the verdict: complete when every case of the claimed profiles ran
// and was judged, partial otherwise, whatever the verdict.
const (
	ClaimComplete = "complete"
	ClaimPartial  = "partial"
)

// Claim is what the run claims (--profile) and whether its results bear the whole claim out. State
// and Reason follow from the profiles and the results (NewClaim); `contacts-conformance verify`
// computes them again.
type Claim struct {
	Profiles []suites.ClaimedProfile `json:"profiles"`
	State    string                  `json:"state"`
	// Reason says in a sentence why the claim is complete or partial, naming the cases that did
	// not run: every report's banner carries it.
	Reason string `json:"reason"`
}

// gapOutcomes are the outcomes that leave a claimed case unjudged, or excused, and so the claim
// partial, in the order the reason names them.
var gapOutcomes = []engine.Outcome{engine.Skip, engine.Disabled, engine.Error, engine.ExpectedFail}

var gapWords = map[engine.Outcome][2]string{
	engine.Skip:         {"skipped", "skipped"},
	engine.Disabled:     {"not selected", "not selected"},
	engine.Error:        {"ended in an error", "ended in errors"},
	engine.ExpectedFail: {"failed as expected", "failed as expected"},
}

// claimExamples is how many cases the reason names for each outcome.
const claimExamples = 3

// NewClaim states the claim of the profiles on the results: partial when a case of a claimed
// profile was skipped, not selected, ended in an error or failed as expected. A case that does not
// apply (a variant of the token that is the token itself, as a token without letters of the other
// case makes it) leaves no gap: there is nothing it could have checked.
func NewClaim(profiles []suites.ClaimedProfile, results []*engine.Result) *Claim {
	claim := &suites.Claim{Profiles: profiles}
	gaps := map[engine.Outcome][]string{}
	byProfile := map[string]int{}
	claimed, judged, inapplicable := 0, 0, 0
	for _, r := range results {
		profile := claim.ProfileOf(r.Operation)
		switch {
		case profile == "":
			continue
		case r.Outcome == engine.Skip && r.Reason == engine.VariantIsTheToken:
			inapplicable++
			continue
		}
		claimed++
		if slices.Contains(gapOutcomes, r.Outcome) {
			gaps[r.Outcome] = append(gaps[r.Outcome], r.ID)
			byProfile[profile]++
		} else {
			judged++
		}
	}
	c := &Claim{Profiles: profiles, State: ClaimComplete}
	if len(byProfile) == 0 && judged > 0 {
		c.Reason = fmt.Sprintf("complete claim: %s of %s ran and was judged", every(claimed), profileText(claim))
		if inapplicable > 0 {
			c.Reason += fmt.Sprintf(" (%d more did not apply: %s)", inapplicable, engine.VariantIsTheToken)
		}
		return c
	}
	c.State = ClaimPartial
	if claimed == 0 {
		c.Reason = fmt.Sprintf("partial claim: no case of %s is among the results", profileText(claim))
		return c
	}
	var counts []string
	for _, p := range profiles {
		if n := byProfile[p.Name]; n > 0 {
			if len(counts) == 0 {
				counts = append(counts, fmt.Sprintf("%s of the %s profile", cases(n), p.Name))
			} else {
				counts = append(counts, fmt.Sprintf("%d of the %s profile", n, p.Name))
			}
		}
	}
	verb := "did not run"
	switch {
	case len(gaps[engine.ExpectedFail]) == 0:
	case len(gaps) == 1:
		verb = "failed as expected"
	default:
		verb = "did not run or failed as expected"
	}
	var parts []string
	for _, o := range gapOutcomes {
		ids := gaps[o]
		if len(ids) == 0 {
			continue
		}
		named := strings.Join(ids[:min(len(ids), claimExamples)], ", ")
		if len(ids) > claimExamples {
			named += fmt.Sprintf(" and %d more", len(ids)-claimExamples)
		}
		parts = append(parts, fmt.Sprintf("%d %s (%s)", len(ids), gapWords[o][min(len(ids)-1, 1)], named))
	}
	c.Reason = fmt.Sprintf("partial claim: %s %s: %s", joinAnd(counts), verb, strings.Join(parts, ", "))
	return c
}

// every is "the 1 case" or "every one of the n cases".
func every(n int) string {
	if n == 1 {
		return "the 1 case"
	}
	return fmt.Sprintf("every one of the %d cases", n)
}

// profileText names the claimed profiles in a sentence: "the contacts (strict) and campaigns
// profiles".
func profileText(claim *suites.Claim) string {
	names := make([]string, len(claim.Profiles))
	for i, p := range claim.Profiles {
		names[i] = p.Name
		if p.Strict {
			names[i] += " (strict)"
		}
	}
	if len(names) == 1 {
		return "the " + names[0] + " profile"
	}
	return "the " + joinAnd(names) + " profiles"
}

func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// Claimed is the claim the run was made with, as suites know it; the full profile when the run
// records none (an earlier version's).
func (run *Run) Claimed() *suites.Claim {
	if run.Claim == nil {
		return nil
	}
	return &suites.Claim{Profiles: run.Claim.Profiles}
}

// ClaimedProfiles names the claimed profiles in a sentence: "the contacts (strict) and campaigns
// profiles".
func (run *Run) ClaimedProfiles() string {
	if run.Claim == nil {
		return "the " + spec.FullProfile + " profile"
	}
	return profileText(run.Claimed())
}

// ClaimName names the claimed profiles: "contacts (strict), campaigns".
func (run *Run) ClaimName() string {
	if run.Claim == nil {
		return spec.FullProfile
	}
	return run.Claimed().String()
}

// ClaimIsComplete reports whether the run bears its whole claim out.
func (run *Run) ClaimIsComplete() bool { return run.Claim != nil && run.Claim.State == ClaimComplete }

// StrictText says where SHOULD-level findings fail: "yes" (--strict, or every claimed profile
// strict), "no", or "in the profiles claimed strict".
func (run *Run) StrictText() string {
	claim := run.Claimed()
	strict := 0
	if claim != nil {
		for _, p := range claim.Profiles {
			if p.Strict {
				strict++
			}
		}
	}
	switch {
	case run.Strict || claim != nil && strict == len(claim.Profiles):
		return "yes"
	case strict > 0:
		return "in the profiles claimed strict"
	}
	return "no"
}
