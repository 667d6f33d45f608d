package suites_test

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// The suite proves its own teeth: against the clean reference server every case passes, and
// against each injected fault at least one case fails on exactly the requirement the fault
// breaks.

func loadContract(t *testing.T) *spec.Contract {
	t.Helper()
	c, err := spec.Load()
	require.NoError(t, err)
	return c
}

// preflighted starts a reference server with opts and an engine against it, and runs the preflight,
// as both drivers do: a fault that the preflight took for a configuration mistake would end the
// run incomplete, which is no catch. The server and the client are closed with the test.
func preflighted(t *testing.T, contract *spec.Contract, opts refserver.Options, strict bool, seed int64) (*engine.Engine, suites.Config) {
	t.Helper()
	srv, err := refserver.Start(opts)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	// Connections the transport dialled but never used would hold the server's graceful
	// shutdown for its whole grace period; they are closed first.
	client := engine.NewClient(nil)
	t.Cleanup(client.CloseIdleConnections)
	eng, err := engine.New(contract, engine.Options{BaseURL: srv.URL, Token: srv.Token, Strict: strict, Client: client})
	require.NoError(t, err)
	cfg := suites.Config{ContactID: srv.ContactID, ForeignContactID: srv.ForeignContactID, HaveToken: true, Seed: seed}
	preflight := eng.Preflight(context.Background(), suites.PreflightReads(contract, cfg))
	require.False(t, preflight.Failed(), "the preflight failed: %s", preflight.Failure)
	return eng, cfg
}

// runSuite runs every case, as the runner does, against a reference server started with opts.
func runSuite(t *testing.T, contract *spec.Contract, opts refserver.Options, strict bool) []*engine.Result {
	t.Helper()
	eng, cfg := preflighted(t, contract, opts, strict, 1)
	cases := suites.Build(contract, cfg)
	require.NotEmpty(t, cases)
	return eng.Run(context.Background(), cases, nil)
}

// naming returns the results with the outcome that carry a finding on the requirement.
func naming(results []*engine.Result, outcome engine.Outcome, requirement string) []*engine.Result {
	var out []*engine.Result
	for _, r := range results {
		if r.Outcome != outcome {
			continue
		}
		for _, f := range r.Findings {
			if f.RequirementID == requirement {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// missed lists, for a failure message, the results that did not pass and what they named.
func missed(results []*engine.Result) string {
	var lines []string
	for _, r := range results {
		if r.Outcome == engine.Pass {
			continue
		}
		var ids []string
		for _, f := range r.Findings {
			ids = append(ids, f.RequirementID+": "+f.Actual)
		}
		lines = append(lines, fmt.Sprintf("%s %s %s %s", r.Outcome, r.ID, r.Reason, strings.Join(ids, "; ")))
	}
	if len(lines) == 0 {
		return "every case passed"
	}
	return strings.Join(lines, "\n")
}

func requireAllPass(t *testing.T, results []*engine.Result) {
	t.Helper()
	s := engine.Summarize(results)
	require.Equal(t, s.Total, s.Pass, "%s\n%s", s, missed(results))
}

func TestCleanServerPassesEveryCaseStrictly(t *testing.T) {
	requireAllPass(t, runSuite(t, loadContract(t), refserver.Options{}, true))
}

// TestEveryFaultIsCaught is the detection figure docs/teeth.md reports: every fault of the corpus
// must make at least one case fail on the requirement it names. A fault against a SHOULD-level
// requirement is run in strict mode, and must stay a mere warning without it.
func TestEveryFaultIsCaught(t *testing.T) {
	contract := loadContract(t)
	faults := refserver.Faults()
	require.GreaterOrEqual(t, len(faults), 30, "the corpus has shrunk")
	caught := 0
	for _, f := range faults {
		t.Run(f.Name, func(t *testing.T) {
			req := suites.RequirementByID(f.Catches)
			require.NotNil(t, req, "the fault names an unknown requirement %q", f.Catches)
			require.Equal(t, req.Level == suites.Should, f.Strict,
				"%s is %s-level: a fault is marked Strict exactly when its requirement is SHOULD-level", req.ID, req.Level)
			results := runSuite(t, contract, refserver.Options{Fault: f.Name}, f.Strict)
			hits := naming(results, engine.Fail, f.Catches)
			if len(hits) == 0 {
				t.Errorf("fault %s (%s) went uncaught: no failure names %s\n%s", f.Name, f.Description, f.Catches, missed(results))
				return
			}
			if f.Strict {
				lenient := runSuite(t, contract, refserver.Options{Fault: f.Name}, false)
				assert.Empty(t, naming(lenient, engine.Fail, f.Catches), "outside strict mode a SHOULD-level finding is no failure")
				assert.Equal(t, 0, engine.Summarize(lenient).Fail, "the fault breaks a SHOULD-level requirement only:\n%s", missed(lenient))
				assert.NotEmpty(t, naming(lenient, engine.Warn, f.Catches), "outside strict mode the finding is a warning")
			}
			caught++
			t.Logf("caught by %d case(s), first %s", len(hits), hits[0].ID)
		})
	}
	t.Logf("detection: %d of %d faults caught", caught, len(faults))
	assert.Equal(t, len(faults), caught, "the suite must catch every fault of the corpus")
}

// Every requirement of the catalogue has a fault that proves its check can fail.
func TestEveryRequirementHasAFault(t *testing.T) {
	covered := map[string][]string{}
	for _, f := range refserver.Faults() {
		covered[f.Catches] = append(covered[f.Catches], f.Name)
	}
	var uncovered []string
	for _, r := range suites.Requirements() {
		if len(covered[r.ID]) == 0 {
			uncovered = append(uncovered, r.ID)
		}
	}
	sort.Strings(uncovered)
	assert.Empty(t, uncovered, "requirements no fault proves")
}

// runExplore runs the preflight and the generative phase alone, with the default budget, as both
// drivers do after the fixed cases.
func runExplore(t *testing.T, contract *spec.Contract, opts refserver.Options, seed int64) ([]*engine.Result, *engine.Exploration) {
	t.Helper()
	eng, cfg := preflighted(t, contract, opts, false, seed)
	return eng.Explore(context.Background(), suites.Explore(contract, cfg, suites.DefaultExplore), seed)
}

// The faults only an input beyond the fixed table finds are found by the generative phase alone,
// with the default budget, for every seed of the range: detection does not depend on luck.
func TestGeneratedInputsFindTheInputFaults(t *testing.T) {
	contract := loadContract(t)
	for _, f := range refserver.Faults() {
		if f.Area != "input" {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			for seed := int64(1); seed <= 20; seed++ {
				results, x := runExplore(t, contract, refserver.Options{Fault: f.Name}, seed)
				if !assert.NotEmpty(t, naming(results, engine.Fail, f.Catches), "seed %d: no generated input found %s\n%s", seed, f.Catches, missed(results)) {
					return
				}
				assert.Positive(t, x.Findings[f.Catches]+x.Findings[suites.ReqNoServerError.ID], "seed %d: the finding is counted under its invariant: %v", seed, x.Findings)
			}
		})
	}
}

// A failing generated input is shrunk to the smallest that still fails the same way: the boundary
// of a fault on magnitudes, the one byte a fault trips on.
func TestFindingsAreShrunk(t *testing.T) {
	contract := loadContract(t)
	for _, tt := range []struct{ fault, title string }{
		{"limit-large-500", `generated: limit "1001" (valid), Accept: application/json`},
		{"id-nul-500", `generated: id "\x00" (invalid), Accept: application/json`},
		{"limit-sign-500", `generated: limit "+1" (open), Accept: application/json`},
	} {
		t.Run(tt.fault, func(t *testing.T) {
			results, x := runExplore(t, contract, refserver.Options{Fault: tt.fault}, 7)
			found := naming(results, engine.Fail, suites.ReqNoServerError.ID)
			require.Len(t, found, 1, "one finding, however many inputs failed the same way:\n%s", missed(results))
			assert.Equal(t, tt.title, found[0].Title)
			assert.Contains(t, found[0].Curl, "-H 'Accept: application/json'")
			assert.Positive(t, x.ShrinkRequests)
			assert.LessOrEqual(t, x.ShrinkRequests, engine.ShrinkBudget)
			assert.Regexp(t, `^shrunk in \d+ requests? to `, strings.Join(found[0].Notes, "\n"))
		})
	}
}

// The generative phase raises no false alarm on a conformant server, for every seed of the range.
func TestGeneratedInputsRaiseNoFalseAlarm(t *testing.T) {
	contract := loadContract(t)
	for seed := int64(1); seed <= 20; seed++ {
		results, x := runExplore(t, contract, refserver.Options{}, seed)
		requireAllPass(t, results)
		assert.Equal(t, suites.DefaultExplore, x.Inputs, "seed %d: every generated input sent", seed)
		assert.Zero(t, x.ShrinkRequests)
	}
}

// The tenant invariants hold of every answer the suite receives, not only of the ok cases': every
// case of a read of one record checks the record is the one its path names (OK-002), every case of
// a list that the list is the token's company's (LIST-003), the generated inputs included.
func TestTenantInvariantsAreCheckedOnEveryCase(t *testing.T) {
	contract := loadContract(t)
	cfg := suites.CatalogueConfig
	cases := append(suites.Build(contract, cfg), suites.Explore(contract, cfg, suites.DefaultExplore)...)
	for _, c := range cases {
		if c.Operation.IDParam == "" {
			assert.Contains(t, c.Requirements(), suites.ReqListOneCompany, c.ID)
			continue
		}
		id, err := url.PathUnescape(strings.TrimPrefix(c.Request.Path, "/contact/"))
		require.NoError(t, err, c.ID)
		if spec.IsUUID(id) {
			assert.Contains(t, c.Requirements(), suites.ReqSameRecord, c.ID)
		} else {
			// An id that is no UUID names no record: a catalogue listing OK-002 there would
			// claim a check that cannot fail.
			assert.NotContains(t, c.Requirements(), suites.ReqSameRecord, c.ID)
		}
	}
}

// A leak on an Accept header the ok cases do not send is found by the generated inputs alone,
// whatever the seed: LIST-003 judges their answers as it judges the fixed cases'.
func TestGeneratedInputsFindALeakUnderAnotherAccept(t *testing.T) {
	contract := loadContract(t)
	for seed := int64(1); seed <= 5; seed++ {
		results, _ := runExplore(t, contract, refserver.Options{Fault: "accept-other-company-phone-numbers"}, seed)
		found := naming(results, engine.Fail, suites.ReqListOneCompany.ID)
		if assert.NotEmpty(t, found, "seed %d: no generated input found the leak\n%s", seed, missed(results)) {
			assert.Equal(t, "explore/list-003-2xx/listPhoneNumbers", found[0].ID)
		}
	}
}
