package engine

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

func buildCases(t *testing.T) (*spec.Contract, []*suites.Case) {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	return contract, suites.Build(contract, suites.Config{
		ContactID: "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40", ForeignContactID: "f0e1d2c3-b4a5-4968-8776-655443322110", HaveToken: true, Seed: 1,
	})
}

func TestSelectionSelectsByIDTitleOrRequirement(t *testing.T) {
	_, cases := buildCases(t)
	tests := []struct {
		name      string
		run, skip string
		// want is true of every selected case, and false of every case left out.
		want func(c *suites.Case) bool
	}{
		{"nothing given selects all", "", "", func(*suites.Case) bool { return true }},
		{"run by area prefix", "^auth/", "", func(c *suites.Case) bool { return c.Area == "auth" }},
		{"run by operation suffix", "/listCampaigns$", "", func(c *suites.Case) bool { return c.Operation.ID == "listCampaigns" }},
		{"run by requirement id", "^AUTH-003$", "", func(c *suites.Case) bool { return strings.HasPrefix(c.ID, "auth/lowercase-scheme/") }},
		{"run by title", "more than any fixture holds", "", func(c *suites.Case) bool { return strings.HasPrefix(c.ID, "list/limit-above-collection/") }},
		{"skip by area", "", "^(auth|methods)/", func(c *suites.Case) bool { return c.Area != "auth" && c.Area != "methods" }},
		{"run and skip together", "^unknown-id/", "random", func(c *suites.Case) bool {
			return c.Area == "unknown-id" && !strings.Contains(c.ID, "random")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := Selection{Run: compile(tt.run), Skip: compile(tt.skip)}
			n := 0
			for _, c := range cases {
				assert.Equal(t, tt.want(c), sel.Selects(c), c.ID)
				if tt.want(c) {
					n++
				}
			}
			assert.Positive(t, n, "the selection must keep some case for the test to mean anything")
			assert.Equal(t, n, sel.Count(cases))
		})
	}
}

func compile(expr string) *regexp.Regexp {
	if expr == "" {
		return nil
	}
	return regexp.MustCompile(expr)
}

// A case left out is reported as disabled, with the selection that left it out, and nothing is
// sent for it.
func TestDisabledCaseSendsNothing(t *testing.T) {
	contract, cases := buildCases(t)
	var requests atomic.Int32
	srv, err := refserver.Start(refserver.Options{Observe: func(*http.Request) { requests.Add(1) }})
	require.NoError(t, err)
	defer srv.Close()
	tests := []struct {
		name, run, skip, reason string
		names                   [2]string
	}{
		{"run", "^nothing$", "", "not selected by --run ^nothing$", [2]string{}},
		{"skip", "", ".", "not selected by --skip .", [2]string{}},
		{"both", "^auth/", "^auth/", "not selected by --run ^auth/ --skip ^auth/", [2]string{}},
		{"named as given", "^auth/", "^auth/", "not selected by CONFORMANCE_RUN ^auth/ CONFORMANCE_SKIP ^auth/", [2]string{"CONFORMANCE_RUN", "CONFORMANCE_SKIP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := Selection{Run: compile(tt.run), Skip: compile(tt.skip), RunName: tt.names[0], SkipName: tt.names[1]}
			eng, err := New(contract, Options{BaseURL: srv.URL, Token: srv.Token, Selection: sel})
			require.NoError(t, err)
			results := eng.Run(context.Background(), cases[:5], nil)
			for _, r := range results {
				assert.Equal(t, Disabled, r.Outcome)
				assert.Equal(t, tt.reason, r.Reason)
				assert.Nil(t, r.Request)
				assert.True(t, r.Started.IsZero())
			}
			assert.Equal(t, Summary{Total: 5, Disabled: 5}, Summarize(results))
		})
	}
	assert.Zero(t, requests.Load())
}
