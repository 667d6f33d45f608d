// Package conformancetest runs the Contacts API conformance suite inside an API team's own go
// test, against its router in-process or a running server:
//
//	func TestConformance(t *testing.T) {
//		conformancetest.Run(t, conformancetest.Target{
//			Handler:          api.NewRouter(),
//			Token:            "a-test-token",
//			ContactID:        "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40",
//			ForeignContactID: "f0e1d2c3-b4a5-4968-8776-655443322110",
//		})
//	}
//
// Each case is a subtest named by its case id (TestConformance/auth/missing-header/getContactById),
// and so is each result of the generative phase (TestConformance/explore/all-held/getContactById):
// go test -run 'Conformance/auth/' selects an area, and a case whose subtest go test filters out
// is never sent. A failure prints the requirement, what was expected, what came back and a curl
// line that reproduces it; a case the target lacks an input for is skipped, saying which; a case
// the suite could not run (a timeout, a server that stopped answering) fails as an error.
//
// The cases run in parallel, at most Concurrency at a time (8 by default) whatever go test's
// -parallel, on one engine: one preflight first, one rate limit, one token renewal, shared probes.
// Run checks the configuration and runs the preflight before it returns; a mistake there (no
// token, an id that is not a UUID, a base URL that does not serve the API, a token the server
// refuses) is one fatal line, and no case is judged. The subtests are parallel subtests: they
// report after the calling test function returns, and the test ends when the last has. Call Run
// last in the test function, or in a t.Run of its own to wait for it; a test that calls
// t.Setenv cannot call Run, as it cannot have parallel subtests.
//
// Everything printed passes through the run's redactor: the token, every token TokenFunc
// returns and every Redact value are never shown, and the curl lines read the token from
// $CONFORMANCE_TOKEN.
package conformancetest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/expect"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/runner/session"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// Target is the server under test: a running server at BaseURL, or a Handler, served on a
// loopback listener for the test's duration, so that every bound of the suite (timeouts, body
// caps, the connection pool) applies as it does over a network. Give exactly one of the two, and
// exactly one of Token and TokenFunc.
type Target struct {
	// BaseURL is the base URL of a running server, a path prefix included
	// (https://staging.example.com/v1).
	BaseURL string
	// Handler is the API's router, served in-process.
	Handler http.Handler
	// Token is a bearer token the server accepts, at least 8 visible characters.
	Token string
	// TokenFunc obtains the token instead of Token: once before the first request, and again
	// each time the server stops accepting it (it expired), for all the cases refused at that
	// moment. Each call has 30 seconds. Its tokens are redacted from every output and obey
	// Token's rules.
	TokenFunc func(ctx context.Context) (string, error)
	// ContactID is a contact the token can see; ForeignContactID a contact of another company.
	// They are only ever read, with GET; the cases that need one are skipped without it.
	ContactID, ForeignContactID string

	// tokenCommand is CONFORMANCE_TOKEN_COMMAND (FromEnv), renewed as the runner renews it.
	tokenCommand string
	// fromEnv says the target came from FromEnv: messages name its fields by their variables.
	fromEnv bool
}

// Run runs the suite against the target, each case a subtest of t (see the package's doc).
func Run(t *testing.T, target Target, opts ...Option) {
	t.Helper()
	var s settings
	for _, o := range opts {
		o.apply(&s)
	}
	names := target.names(&s)
	cfg, err := config.ParseOptions(s.args, s.getenv, labels)
	if err != nil {
		t.Fatalf("conformancetest: %s", err)
	}
	if err := target.check(names); err != nil {
		t.Fatalf("conformancetest: %s", err)
	}
	cfg.BaseURL, cfg.Token, cfg.TokenCommand = target.BaseURL, target.Token, target.tokenCommand
	cfg.ContactID, cfg.ForeignContactID = target.ContactID, target.ForeignContactID
	contract, err := spec.Load()
	if err != nil {
		t.Fatalf("conformancetest: %s", err)
	}
	var expectations *expect.File
	if cfg.ExpectFile != "" {
		if expectations, err = expect.Load(cfg.ExpectFile, expect.CatalogueOf(contract)); err != nil {
			t.Fatalf("conformancetest: %s: %s", names.setting("expect"), err)
		}
	}
	out := &output{redactor: engine.NewRedactor(cfg.Token, cfg.Redact...)}
	url := target.BaseURL
	if target.Handler != nil {
		srv := httptest.NewServer(target.Handler)
		t.Cleanup(srv.Close)
		url = srv.URL
	}
	ctx := t.Context()
	if out.tokens, err = target.tokens(ctx, out.redactor); err != nil {
		t.Fatalf("conformancetest: %s", out.redactor.String(err.Error()))
	}
	sess, err := session.Open(contract, cfg, session.Target{
		URL: url, Tokens: out.tokens, Redactor: out.redactor, UserAgent: "contacts-conformance/" + report.Version + " (conformancetest)",
		Names: names.inputs, TokenRenewal: names.renewal, Expectations: expectations,
	})
	if err != nil {
		t.Fatalf("conformancetest: %s", out.redactor.String(err.Error()))
	}
	served := ""
	if target.Handler != nil {
		served = " (Target.Handler, on a loopback listener)"
	}
	out.log(t, "target %s%s, seed %d (repeat with %s)", url, served, cfg.Seed, names.seed(cfg.Seed))
	for _, w := range sess.Warnings {
		out.log(t, "%s", w)
	}
	preflight, failure := sess.Preflight(ctx)
	for _, f := range preflight.Facts {
		if f.Outcome != engine.FactFailed { // the fatal line below says it
			out.log(t, "preflight %s: %s", f.Outcome, f.Detail)
		}
	}
	if preflight.Failed() {
		t.Fatalf("conformancetest: %s", out.redactor.String(failure))
	}
	out.cases(t, sess, ctx)
}

// output writes everything the run prints through its redactor, as the runner's output is.
type output struct {
	redactor *engine.Redactor
	tokens   *engine.TokenSource
}

func (o *output) log(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Log(o.redactor.String(fmt.Sprintf(format, args...)))
}

// awaited is one subtest's result, delivered by the engine when its case ends.
type awaited struct {
	// wanted is set by the subtest when go test runs it, before it waits.
	wanted bool
	done   chan struct{}
	result *engine.Result
}

// cases declares a subtest for each case, and one for the generative phase. Each subtest says it
// is wanted and pauses as a parallel subtest, so that once every t.Run has returned, the cases
// go test filtered out are known and are never sent. The engine then runs the wanted ones at its
// own concurrency, and each subtest, released when the calling test function returns, waits for
// its own result and reports it.
func (o *output) cases(t *testing.T, sess *session.Session, ctx context.Context) {
	awaiting := make([]*awaited, len(sess.Cases))
	for i, c := range sess.Cases {
		a := &awaited{done: make(chan struct{})}
		awaiting[i] = a
		t.Run(c.ID, func(t *testing.T) {
			a.wanted = true
			t.Parallel()
			<-a.done
			o.report(t, a.result)
		})
	}
	explore := &awaited{done: make(chan struct{})}
	var explored []*engine.Result
	if sess.Config.Explore > 0 {
		t.Run(suites.ExploreArea, func(t *testing.T) {
			explore.wanted = true
			t.Parallel()
			<-explore.done
			for _, r := range explored {
				t.Run(strings.TrimPrefix(r.ID, suites.ExploreArea+"/"), func(t *testing.T) { o.report(t, r) })
			}
		})
	}
	var wanted []*suites.Case
	var index []int
	for i, a := range awaiting {
		if a.wanted {
			wanted = append(wanted, sess.Cases[i])
			index = append(index, i)
		}
	}
	var run *report.Run
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var results []*engine.Result
		results, explored = sess.Run(ctx, wanted, explore.wanted, func(i int, r *engine.Result) {
			a := awaiting[index[i]]
			a.result = r
			close(a.done)
		})
		close(explore.done)
		run = sess.Record(append(results, explored...))
	}()
	// Cleanups run once every subtest has reported; the handler's listener, registered before,
	// is closed after this one.
	t.Cleanup(func() {
		<-finished
		o.summary(t, sess, run)
	})
}

// summary logs the run's counts and verdict, any warning the run itself found, and fails the
// test for an expectations file out of date: that is the file's fault, not a case's.
func (o *output) summary(t *testing.T, sess *session.Session, run *report.Run) {
	for _, w := range run.Warnings[len(sess.Warnings):] {
		o.log(t, "%s", w)
	}
	if renewals := o.tokens.Renewals(); renewals > 0 {
		o.log(t, "the token expired during the run and was renewed %d time(s)", renewals)
	}
	o.log(t, "%s: %s; %d requests sent", run.Summary, run.Verdict(), sess.Engine.Requests())
	if e := run.Expectations; e != nil {
		for _, entry := range e.Outdated() {
			t.Error(o.redactor.String(fmt.Sprintf("the expectations file is out of date: %s: %s %s", e.Where(entry), entry.ID, entry.Message)))
		}
	}
}

// report turns a case's result into its subtest's outcome.
func (o *output) report(t *testing.T, r *engine.Result) {
	t.Helper()
	for _, n := range r.Notes {
		o.log(t, "note: %s", n)
	}
	switch r.Outcome {
	case engine.Skip, engine.Disabled:
		t.Skip(o.redactor.String(r.Reason))
	case engine.ExpectedFail:
		for _, f := range r.Findings {
			o.log(t, "expected finding:\n%s", f.Describe())
		}
		t.Skip(o.redactor.String(r.Reason))
	case engine.Error:
		t.Fatal(o.redactor.String("the case could not run: " + r.Reason))
	case engine.Warn:
		for _, f := range r.Findings {
			o.log(t, "warning (SHOULD):\n%s", f.Describe())
		}
	case engine.Fail:
		for _, f := range r.Findings {
			t.Error(o.redactor.String("\n" + f.Describe()))
		}
		o.log(t, "reproduce: %s", r.Curl)
	}
}

// naming says how messages name the settings: by the Target's fields and the options, or by the
// environment variables under FromEnv.
type naming struct {
	inputs  suites.Inputs
	renewal string
	token   string
	s       *settings
}

func (t Target) names(s *settings) naming {
	n := naming{
		inputs:  suites.Inputs{Token: "Target.Token", ContactID: "Target.ContactID", ForeignContactID: "Target.ForeignContactID"},
		renewal: "Target.TokenFunc", token: "Target.Token or Target.TokenFunc", s: s,
	}
	if t.fromEnv {
		n.inputs = suites.Inputs{Token: "CONFORMANCE_TOKEN", ContactID: "CONFORMANCE_CONTACT_ID", ForeignContactID: "CONFORMANCE_FOREIGN_CONTACT_ID"}
		n.renewal, n.token = "CONFORMANCE_TOKEN_COMMAND", "CONFORMANCE_TOKEN or CONFORMANCE_TOKEN_COMMAND"
	}
	return n
}

// setting names a setting by its option when one gave it, or by its variable under FromEnv.
func (n naming) setting(flag string) string {
	if n.s.getenv != nil && !n.s.given[flag] {
		return "CONFORMANCE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
	}
	label, _, _ := strings.Cut(labels[flag], "(")
	return label
}

// seed says how to repeat the run's seed.
func (n naming) seed(seed int64) string {
	if name := n.setting("seed"); name != "Seed" {
		return fmt.Sprintf("%s=%d", name, seed)
	}
	return fmt.Sprintf("conformancetest.Seed(%d)", seed)
}

// check refuses a target that names no server, two, or no token.
func (t Target) check(n naming) error {
	switch {
	case t.BaseURL != "" && t.Handler != nil:
		return fmt.Errorf("the Target has both a BaseURL and a Handler; give one")
	case t.BaseURL == "" && t.Handler == nil:
		return fmt.Errorf("the Target has neither a BaseURL nor a Handler; give the server under test")
	}
	given := 0
	for _, set := range []bool{t.Token != "", t.TokenFunc != nil, t.tokenCommand != ""} {
		if set {
			given++
		}
	}
	switch {
	case given == 0:
		return fmt.Errorf("the Target has no token: set %s", n.token)
	case given > 1:
		return fmt.Errorf("the Target has more than one token: give one of %s", n.token)
	case t.Token != "":
		return engine.CheckToken(n.inputs.Token, t.Token)
	}
	return nil
}

// tokens is the run's token source: the token, or the function (or command) that renews it.
func (t Target) tokens(ctx context.Context, redactor *engine.Redactor) (*engine.TokenSource, error) {
	switch {
	case t.TokenFunc != nil:
		return engine.FuncToken(ctx, "Target.TokenFunc", t.TokenFunc, redactor)
	case t.tokenCommand != "":
		return engine.CommandToken(ctx, t.tokenCommand, redactor)
	}
	return engine.StaticToken(t.Token), nil
}
