package engine

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// contactsOnly is a server that implements the contacts profile alone: in front of the reference
// server, every other path gets a router's plain-text 404. It records the paths it was asked.
func contactsOnly(paths *[]string, mu *sync.Mutex) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			*paths = append(*paths, r.URL.Path)
			mu.Unlock()
			if !strings.HasPrefix(r.URL.Path, "/contact/") {
				http.NotFound(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// patient gives each request the default timeout: these runs send a whole suite, on a machine
// whose CPU other tests share, and judge answers, not how fast they come.
func patient(o *Options) { o.Timeout = DefaultTimeout }

func (f *fixture) claimed(t *testing.T, profile string, withIDs bool) suites.Config {
	t.Helper()
	claim, err := suites.ParseClaim(f.contract, profile, false)
	require.NoError(t, err)
	cfg := suites.Config{HaveToken: true, Seed: 1, Claim: claim}
	if withIDs {
		cfg.ContactID, cfg.ForeignContactID = f.contact, f.foreign
	}
	return cfg
}

// A contacts-only server claims the contacts profile cleanly with a configured contact: the
// preflight reads only what is claimed, the cases outside the claim send nothing, and every
// claimed case passes. Without one, nothing the preflight may read shows the API is there (an
// unknown id's 404 is a missing path's too), and it asks for one. Claimed in full, its preflight
// fails, before the token is sent anywhere.
func TestAContactsOnlyServerClaimsContacts(t *testing.T) {
	f := newFixture(t)
	for _, withIDs := range []bool{true, false} {
		var paths []string
		var mu sync.Mutex
		url, n := counted(t, refserver.Options{}, contactsOnly(&paths, &mu))
		e, _ := f.engine(t, url, patient)
		cfg := f.claimed(t, "contacts", withIDs)
		p := e.Preflight(context.Background(), suites.PreflightReads(f.contract, cfg))
		if !withIDs {
			require.True(t, p.Failed())
			assert.Contains(t, p.Failure, "only a contact answered 200 shows the API is there")
			assert.Contains(t, p.Failure, "give --contact-id (a contact the token can read)")
			continue
		}
		require.False(t, p.Failed(), "with ids %v: %s", withIDs, p.Failure)
		assert.Contains(t, p.Facts[0].Detail, "serves this API: GET /contact/")
		assert.Equal(t, FactOK, p.Facts[1].Outcome, "the token: %+v", p.Facts[1])
		cases := suites.Build(f.contract, cfg)
		others := 0
		for _, c := range cases {
			if c.Operation.ID != "getContactById" {
				others++
			}
		}
		results := e.Run(context.Background(), cases, nil)
		explored, _ := e.Explore(context.Background(), suites.Explore(f.contract, cfg, 40), 1)
		s := Summarize(append(results, explored...))
		assert.Zero(t, s.Fail+s.Error+s.Warn, "%s\n%s", s, outcomes(results))
		assert.Positive(t, s.Pass)
		assert.Equal(t, others, s.NotClaimed, "every case of the other operations")
		for _, r := range results {
			if r.Operation != "getContactById" {
				assert.Equal(t, NotClaimed, r.Outcome, r.ID)
				assert.Nil(t, r.Request, "%s: nothing is sent", r.ID)
			}
		}
		for _, path := range paths {
			assert.True(t, strings.HasPrefix(path, "/contact/"), "a request outside the claim: %s", path)
		}
		assert.Equal(t, n.Load(), e.sent.Load())
	}

	var paths []string
	var mu sync.Mutex
	url, _ := counted(t, refserver.Options{}, contactsOnly(&paths, &mu))
	e, _ := f.engine(t, url, patient)
	p := e.Preflight(context.Background(), suites.PreflightReads(f.contract, f.claimed(t, "full", true)))
	require.True(t, p.Failed())
	assert.Contains(t, p.Failure, "GET /campaign/list was answered 404 Not Found")
	assert.Contains(t, p.Failure, "or the server does not implement listCampaigns (then claim only the profiles it does, with --profile) (the token was not sent)")
	assert.Equal(t, []string{"/campaign/list"}, paths)
}

// With only an id's read claimed, a 404 cannot tell an unknown id from a path that is not there:
// a wrong path prefix fails the preflight unless a contact answered 200 shows the API is there,
// and a server that looks ids up before the credentials
// is left to the cases once the configured contact shows the API.
func TestAnIdReadAloneStillTellsAWrongBaseURL(t *testing.T) {
	f := newFixture(t)
	prefixed, _ := counted(t, refserver.Options{Prefix: "/v1"}, nil)
	for _, withIDs := range []bool{true, false} {
		e, _ := f.engine(t, prefixed, patient) // the prefix left out
		p := e.Preflight(context.Background(), suites.PreflightReads(f.contract, f.claimed(t, "contacts", withIDs)))
		require.True(t, p.Failed(), "with ids %v: %+v", withIDs, p.Facts)
		assert.Contains(t, p.Failure, "does not serve this API: GET /contact/")
		assert.Contains(t, p.Failure, "with no collection claimed, only a contact answered 200 shows the API is there")
		if withIDs {
			assert.True(t, strings.HasSuffix(p.Failure, ": --contact-id is no contact the token can read, or the base URL's path prefix is missing, extra or doubled"), p.Failure)
		} else {
			assert.True(t, strings.HasSuffix(p.Failure, ": give --contact-id (a contact the token can read), or check the base URL's path prefix"), p.Failure)
		}
	}

	url, _ := counted(t, refserver.Options{Fault: "auth-after-id"}, nil)
	e, _ := f.engine(t, url, patient)
	cfg := f.claimed(t, "contacts", true)
	p := e.Preflight(context.Background(), suites.PreflightReads(f.contract, cfg))
	require.False(t, p.Failed(), p.Failure)
	results := e.Run(context.Background(), suites.Build(f.contract, cfg), nil)
	assert.Positive(t, Summarize(results).Fail, "the cases catch the lookup before the credentials")
}

// A case's outcome follows from its findings by one rule, which verify applies to published results.
func TestOutcomeOf(t *testing.T) {
	must := Finding{RequirementID: "OK-001", Level: suites.Must}
	should := Finding{RequirementID: "AUTH-002", Level: suites.Should}
	assert.Equal(t, Pass, OutcomeOf(nil, false))
	assert.Equal(t, Warn, OutcomeOf([]Finding{should}, false))
	assert.Equal(t, Fail, OutcomeOf([]Finding{should}, true))
	assert.Equal(t, Fail, OutcomeOf([]Finding{should, must}, false))
}

// A profile claimed strictly fails its own SHOULD-level findings and no other profile's.
func TestAStrictProfileIsStrictAlone(t *testing.T) {
	f := newFixture(t)
	url, _ := counted(t, refserver.Options{Fault: "auth-no-challenge"}, nil)
	e, _ := f.engine(t, url, patient)
	claim, err := suites.ParseClaim(f.contract, "contacts:strict,campaigns", false)
	require.NoError(t, err)
	results := e.Run(context.Background(), suites.Build(f.contract, suites.Config{ContactID: f.contact, ForeignContactID: f.foreign, HaveToken: true, Seed: 1, Claim: claim}), nil)
	byOp := map[string]Summary{}
	for _, r := range results {
		s := byOp[r.Operation]
		s.Total++
		switch r.Outcome {
		case Fail:
			s.Fail++
		case Warn:
			s.Warn++
		}
		byOp[r.Operation] = s
	}
	assert.Positive(t, byOp["getContactById"].Fail)
	assert.Zero(t, byOp["getContactById"].Warn)
	assert.Positive(t, byOp["listCampaigns"].Warn)
	assert.Zero(t, byOp["listCampaigns"].Fail)
}
