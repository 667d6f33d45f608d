package engine

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/internal/fronts"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// counted serves the reference server (with opts) behind a counter of the requests it receives.
func counted(t *testing.T, opts refserver.Options, front func(http.Handler) http.Handler) (string, *atomic.Int64) {
	t.Helper()
	h, err := refserver.NewHandler(opts)
	require.NoError(t, err)
	var next http.Handler = h
	if front != nil {
		next = front(h)
	}
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

func (f *fixture) config() suites.Config {
	return suites.Config{ContactID: f.contact, ForeignContactID: f.foreign, HaveToken: true, Seed: 1}
}

// The preflight's reads are the same requests as some cases', and the probes': a run with the
// preflight sends no more requests than one without.
func TestPreflightCostsNoRequest(t *testing.T) {
	f := newFixture(t)
	url, n := counted(t, refserver.Options{}, nil)
	without, _ := f.engine(t, url, nil)
	requireAllPassed(t, without.Run(context.Background(), f.cases(), nil))
	alone := n.Swap(0)

	with, _ := f.engine(t, url, nil)
	p := with.Preflight(context.Background(), suites.PreflightReads(f.contract, f.config()))
	require.False(t, p.Failed(), p.Failure)
	requireAllPassed(t, with.Run(context.Background(), f.cases(), nil))
	assert.LessOrEqual(t, n.Load(), alone, "requests with the preflight, against %d without", alone)
	assert.Equal(t, n.Load(), with.sent.Load(), "the engine counts what the server receives")
}

func requireAllPassed(t *testing.T, results []*Result) {
	t.Helper()
	s := Summarize(results)
	require.Equal(t, s.Total, s.Pass, "%s\n%s", s, outcomes(results))
}

// What the preflight makes of servers that are wrong in ways the cases must judge: none of them is
// a configuration mistake.
func TestPreflightLeavesTheServersFaultsToTheCases(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		opts  refserver.Options
		front func(http.Handler) http.Handler
		check string
		want  string
	}{
		{"only the lower-case scheme accepted", refserver.Options{Fault: "auth-lower-case-scheme-only"}, nil, "token",
			`the token is accepted as "bearer <token>" on GET /campaign/list (200), but refused as "Bearer <token>" (401): the cases judge the server's handling of the scheme`},
		{"another company's contact served", refserver.Options{Fault: "foreign-id-served"}, nil, "foreign-contact-id",
			"--foreign-contact-id " + f.foreign + ": GET /contact/" + f.foreign + " was answered 200 OK with company"},
		{"the contact answered 500", refserver.Options{}, func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/contact/"+f.contact {
					http.Error(w, "boom", http.StatusInternalServerError)
					return
				}
				next.ServeHTTP(w, r)
			})
		}, "contact-id", "--contact-id " + f.contact + ": GET /contact/" + f.contact + ` was answered 500 Internal Server Error, text/plain; charset=utf-8 "boom"; the cases judge it`},
		{"the contact unwrapped", refserver.Options{Fault: "contact-unwrapped"}, nil, "contact-id", "--contact-id " + f.contact + " is readable"},
		{"every JSON answer labelled text/plain", refserver.Options{Fault: "content-type-text-plain"}, nil, "base-url", "serves this API"},
		{"every body after a byte-order mark", refserver.Options{}, wrapBodies("\ufeff", ""), "base-url",
			`serves this API: GET /campaign/list answers with the contract's JSON envelope, in a body that is not valid JSON (the body is not JSON: it starts with a byte-order mark`},
		{"every body followed by stray bytes", refserver.Options{}, wrapBodies("", "<!-- 0.02s -->"), "base-url",
			"serves this API: GET /campaign/list answers with the contract's JSON envelope, in a body that is not valid JSON ("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, _ := counted(t, tt.opts, tt.front)
			e, _ := f.engine(t, url, nil)
			p := e.Preflight(context.Background(), suites.PreflightReads(f.contract, f.config()))
			require.False(t, p.Failed(), p.Failure)
			var found bool
			for _, fact := range p.Facts {
				if fact.Check == tt.check {
					found = true
					assert.Contains(t, fact.Detail, tt.want)
				}
			}
			assert.True(t, found, "no %s fact in %+v", tt.check, p.Facts)
		})
	}
}

// wrapBodies puts before and after around every body the server writes, as a server that adds a
// byte-order mark or a footer of its own does.
func wrapBodies(before, after string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return fronts.RewriteBodies(next, func(_ int, body []byte) []byte { return []byte(before + string(body) + after) })
	}
}

// A token refused with 403 everywhere is refused all the same, and the message says which status.
func TestPreflightNamesTheRefusal(t *testing.T) {
	f := newFixture(t)
	url, _ := counted(t, refserver.Options{}, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"status":"error","message":"forbidden","data":null}`))
		})
	})
	e, _ := f.engine(t, url, nil)
	p := e.Preflight(context.Background(), suites.PreflightReads(f.contract, f.config()))
	require.True(t, p.Failed())
	assert.Equal(t, "the server refused the token (403) on GET /campaign/list: it is wrong, expired, or for another environment", p.Failure)
}

// A server that answered, but with nothing a check can read, is told apart from one that cannot be
// reached: the preflight says it answered, and what was wrong with the answer.
func TestPreflightTellsAnUnusableAnswerFromNone(t *testing.T) {
	f := newFixture(t)
	oversized := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(2*smallBody))
		_, _ = w.Write(make([]byte, 2*smallBody))
	}))
	t.Cleanup(oversized.Close)
	ssh := rawServer(t, func(conn net.Conn) {
		readRequest(conn)
		_, _ = io.WriteString(conn, "SSH-2.0-OpenSSH_9.6\r\n")
	})
	closed := rawServer(t, readRequest)
	for name, tt := range map[string]struct{ url, want string }{
		"a body over the cap":            {oversized.URL, oversized.URL + " answered GET /campaign/list with nothing the suite can judge: the response body exceeds 1048576 bytes (after decompression); raise --max-body if this is legitimate (the token was not sent)"},
		"bytes that are not HTTP":        {ssh, ssh + ` answered GET /campaign/list with nothing the suite can judge: the server answered with bytes that are not HTTP (malformed response "SSH-2.0-OpenSSH_9.6") (the token was not sent)`},
		"a connection closed unanswered": {closed, "cannot reach " + closed + ": the server closed the connection without answering; if that port serves TLS, use https:// (the token was not sent)"},
	} {
		t.Run(name, func(t *testing.T) {
			e, _ := f.engine(t, tt.url, nil)
			p := e.Preflight(context.Background(), suites.PreflightReads(f.contract, f.config()))
			require.True(t, p.Failed())
			assert.Equal(t, tt.want, p.Failure)
		})
	}
}
