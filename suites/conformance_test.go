package suites_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// TestConformance is the `go test` driver of the suites: configured from the same environment
// variables as the runner (CONFORMANCE_BASE_URL, CONFORMANCE_TOKEN, ...), and against the
// embedded reference server when no base URL is set. Each case is a subtest named by its id, so
// `go test ./suites -run 'TestConformance/auth/'` selects an area; CONFORMANCE_RUN and
// CONFORMANCE_SKIP select as --run and --skip do, CONFORMANCE_PROFILE claims profiles as --profile
// does (a case outside the claim is a skipped subtest), and CONFORMANCE_TOKEN_COMMAND renews an
// expiring token as --token-command does.
func TestConformance(t *testing.T) {
	cfg, err := config.FromEnv()
	require.NoError(t, err, "configuration from the environment")
	contract, err := spec.Load()
	require.NoError(t, err)
	claim, err := suites.ParseClaim(contract, cfg.Profile, cfg.Strict)
	require.NoError(t, err, "CONFORMANCE_PROFILE")

	if cfg.BaseURL == "" {
		srv, err := refserver.Start(refserver.Options{})
		require.NoError(t, err)
		t.Cleanup(srv.Close)
		cfg.BaseURL, cfg.Token = srv.URL, srv.Token
		if claim.ReadsContacts(contract) {
			cfg.ContactID, cfg.ForeignContactID = srv.ContactID, srv.ForeignContactID
		}
		cfg.TokenCommand = ""
	}
	redactor := engine.NewRedactor(cfg.Token, cfg.Redact...)
	tokens := engine.StaticToken(cfg.Token)
	if cfg.TokenCommand != "" {
		tokens, err = engine.CommandToken(context.Background(), cfg.TokenCommand, redactor)
		require.NoError(t, err)
	}
	opts := cfg.EngineOptions()
	opts.Tokens, opts.Redactor = tokens, redactor
	eng, err := engine.New(contract, opts)
	require.NoError(t, err)
	t.Logf("target %s, seed %d (repeat with CONFORMANCE_SEED=%d)", eng.Redactor().String(cfg.BaseURL), cfg.Seed, cfg.Seed)

	built := suites.Config{ContactID: cfg.ContactID, ForeignContactID: cfg.ForeignContactID, HaveToken: tokens.Token() != "", Seed: cfg.Seed, Claim: claim}
	if err := built.Validate(contract); err != nil {
		t.Fatal(err)
	}
	cases := suites.Build(contract, built)
	require.NotEmpty(t, cases)
	// No case is judged on a run that was not set up right: a rotated token or a missing path
	// prefix is one fatal line, not a page of failures.
	preflight := eng.Preflight(context.Background(), suites.PreflightReads(contract, built))
	for _, f := range preflight.Facts {
		t.Logf("preflight %s: %s", f.Outcome, f.Detail)
	}
	if preflight.Failed() {
		t.Fatalf("preflight: %s", preflight.Failure)
	}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) { report(t, eng.Execute(context.Background(), c)) })
	}
	// The generative phase: each distinct finding, shrunk, is a subtest, and so is each operation
	// whose generated inputs all held.
	explored, _ := eng.Explore(context.Background(), suites.Explore(contract, built, cfg.Explore), cfg.Seed)
	for _, r := range explored {
		t.Run(r.ID, func(t *testing.T) { report(t, r) })
	}
}

// report turns a result into the subtest's outcome.
func report(t *testing.T, r *engine.Result) {
	for _, n := range r.Notes {
		t.Logf("note: %s", n)
	}
	switch r.Outcome {
	case engine.Skip, engine.Disabled, engine.NotClaimed:
		t.Skip(r.Reason)
	case engine.Error:
		t.Fatalf("the case could not run: %s", r.Reason)
	case engine.Warn:
		for _, f := range r.Findings {
			t.Logf("warning (SHOULD):\n%s", f.Describe())
		}
	case engine.Fail:
		for _, f := range r.Findings {
			t.Errorf("\n%s", f.Describe())
		}
		t.Logf("reproduce: %s", r.Curl)
	}
}
