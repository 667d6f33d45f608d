package engine

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// The hostile-server table: servers that are broken, slow, overloaded or malicious. Each row ends
// as one precise outcome with one precise message for its case, never a hang, a crash or a retry
// that hides a finding.

const (
	okCase       = "ok/known/getContactById"
	hostileLimit = 200 * time.Millisecond
	smallBody    = 1 << 20
)

// fixture is the reference server's data, for the rows that answer correctly at some point.
type fixture struct {
	contract *spec.Contract
	handler  http.Handler
	token    string
	contact  string
	foreign  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	fx, err := refserver.EmbeddedFixtures()
	require.NoError(t, err)
	h, err := refserver.NewHandler(refserver.Options{Fixtures: fx})
	require.NoError(t, err)
	srv, err := refserver.Start(refserver.Options{})
	require.NoError(t, err)
	srv.Close() // only its ids are needed
	return &fixture{contract: contract, handler: h, token: fx.Token, contact: srv.ContactID, foreign: srv.ForeignContactID}
}

func (f *fixture) cases() []*suites.Case {
	return suites.Build(f.contract, suites.Config{ContactID: f.contact, ForeignContactID: f.foreign, HaveToken: true, Seed: 1})
}

func (f *fixture) caseByID(t *testing.T, id string) *suites.Case {
	t.Helper()
	for _, c := range f.cases() {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no case %s", id)
	return nil
}

// recorded is what a fake clock saw: every wait the engine asked for, none of them slept.
type recorded struct {
	mu    sync.Mutex
	waits []time.Duration
}

var fakeNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func (r *recorded) clock() clock {
	return clock{now: func() time.Time { return fakeNow }, sleep: func(ctx context.Context, d time.Duration) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.waits = append(r.waits, d)
		return ctx.Err()
	}}
}

func (f *fixture) engine(t *testing.T, baseURL string, tweak func(*Options)) (*Engine, *recorded) {
	t.Helper()
	opts := Options{BaseURL: baseURL, Token: f.token, Timeout: hostileLimit, MaxBody: smallBody, Protected: []string{f.contact, f.foreign}}
	if tweak != nil {
		tweak(&opts)
	}
	e, err := New(f.contract, opts)
	require.NoError(t, err)
	rec := &recorded{}
	e.clock = rec.clock()
	return e, rec
}

// rawServer accepts TCP connections and hands each to serve, for behaviour net/http cannot produce.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				serve(conn)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readRequest consumes the request's head, so that what the server does next is an answer.
func readRequest(conn net.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = http.ReadRequest(bufio.NewReader(conn))
}

// hold keeps a connection open, saying nothing, until the client gives up.
func hold(conn net.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.Copy(io.Discard, conn)
}

func resetConn(conn net.Conn) {
	_ = conn.(*net.TCPConn).SetLinger(0)
	_ = conn.Close()
}

// breakOff answers a 200 promising 1000 bytes of body, sends 100, and ends the connection.
func breakOff(end func(net.Conn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(bytes.Repeat([]byte(" "), 100))
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			end(conn)
		}
	}
}

func jsonBody(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func gzipBomb() []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = io.CopyN(zw, zeros{}, 64<<20)
	_ = zw.Close()
	return b.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// answerAfter429 answers 429 with the given Retry-After the first n times, then correctly.
func answerAfter429(f *fixture, n int, retryAfter string) http.HandlerFunc {
	var seen atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if int(seen.Add(1)) <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			jsonBody(http.StatusTooManyRequests, `{"status":"error","message":"slow down","data":null}`)(w, r)
			return
		}
		f.handler.ServeHTTP(w, r)
	}
}

func TestHostileServers(t *testing.T) {
	f := newFixture(t)
	limit := hostileLimit.String()
	bomb := gzipBomb() // compressed before the server starts, not within its timeout
	tests := []struct {
		name string
		// Exactly one of handler and raw is the server.
		handler http.HandlerFunc
		raw     func(net.Conn)
		tweak   func(*Options)
		caseID  string
		// For an error, reason is its exact message; for a failure, finding is the exact Actual
		// of the first finding of requirement.
		outcome     Outcome
		reason      string
		requirement string
		finding     string
		// requests is how many requests the server must have received (handler rows).
		requests int32
		// waits are the retry waits the engine must have asked for.
		waits []time.Duration
		notes []string
		// stopped marks a server that has stopped answering: a whole run against it must trip
		// the breaker (see assertBreakerTrips).
		stopped bool
	}{
		{
			name: "accepts and never answers", raw: hold, outcome: Error, stopped: true,
			reason: "no status line and headers within " + limit + " (per-request timeout, --timeout): the server did not answer, or not in full",
		},
		{
			name: "trickles headers forever",
			raw: func(conn net.Conn) {
				readRequest(conn)
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\n")
				for i := 0; i < 500; i++ {
					if _, err := fmt.Fprintf(conn, "X-Slow-%d: x\r\n", i); err != nil {
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			},
			outcome: Error, stopped: true,
			reason: "no status line and headers within " + limit + " (per-request timeout, --timeout): the server did not answer, or not in full",
		},
		{
			name: "trickles the body forever",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				for r.Context().Err() == nil {
					_, _ = io.WriteString(w, " ")
					w.(http.Flusher).Flush()
					time.Sleep(10 * time.Millisecond)
				}
			},
			outcome: Error, requests: 1, stopped: true,
			reason: "the response body was still incomplete after " + limit + " (per-request timeout, --timeout): the server stalled or trickles it",
		},
		{
			name: "sends headers without end",
			raw: func(conn net.Conn) {
				readRequest(conn)
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\n")
				line := "X-Padding: " + strings.Repeat("x", 1000) + "\r\n"
				for i := 0; i < 2000; i++ {
					if _, err := io.WriteString(conn, line); err != nil {
						return
					}
				}
			},
			outcome: Error, reason: "the response headers exceed 1048576 bytes; the suite reads no further",
		},
		{
			name: "gzip bomb: 64 MiB of zeros in 64 KiB",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				_, _ = w.Write(bomb)
			},
			outcome: Error, requests: 1,
			reason: "the response body exceeds 1048576 bytes (after decompression); raise --max-body if this is legitimate",
		},
		{
			name: "announces a body over the cap",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", fmt.Sprint(2*smallBody))
				_, _ = w.Write(make([]byte, 2*smallBody))
			},
			outcome: Error, requests: 1,
			reason: "the response body exceeds 1048576 bytes (after decompression); raise --max-body if this is legitimate",
		},
		{
			name: "resets the connection half-way through the body", handler: breakOff(resetConn),
			outcome: Error, requests: 1, reason: "the connection broke before the response body was complete",
		},
		{
			name: "closes the connection half-way through the body", handler: breakOff(func(c net.Conn) { c.Close() }),
			outcome: Error, requests: 1, reason: "the connection broke before the response body was complete",
		},
		{
			name: "closes the connection without answering", raw: func(conn net.Conn) { readRequest(conn) },
			outcome: Error, reason: "the server closed the connection without answering",
		},
		{
			name: "resets the connection without answering", raw: func(conn net.Conn) { readRequest(conn); resetConn(conn) },
			outcome: Error, reason: "the server reset the connection without answering",
		},
		{
			name: "JSON nested 400,000 levels deep", handler: jsonBody(http.StatusOK, strings.Repeat("[", 400_000)+strings.Repeat("]", 400_000)),
			outcome: Fail, requests: 1, requirement: "OK-001",
			finding: "the body nests JSON more than 64 levels deep; the suite does not decode it further",
		},
		{
			name: "invalid JSON", handler: jsonBody(http.StatusOK, `{"status": "ok", "data": `),
			outcome: Fail, requests: 1, requirement: "OK-001",
			finding: `the body is not JSON: unexpected EOF (starts with "{\"status\": \"ok\", \"data\": ")`,
		},
		{
			name: "invalid UTF-8", handler: jsonBody(http.StatusOK, "{\"status\": \"ok\", \"message\": \"caf\xe9\", \"data\": {}}"),
			outcome: Fail, requests: 1, requirement: "OK-001",
			finding: "the body is not valid UTF-8 (first invalid byte at offset 32); JSON text must be UTF-8 (RFC 8259 section 8.1)",
		},
		{
			name: "a 500 is a finding, never retried",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "1")
				jsonBody(http.StatusInternalServerError, `{"status":"error","message":"boom","data":null}`)(w, r)
			},
			outcome: Fail, requests: 1, requirement: "OK-001", finding: "500 Internal Server Error",
		},
		{
			name:    "a 503 without Retry-After is no verdict: the server is unavailable",
			handler: jsonBody(http.StatusServiceUnavailable, `<html>maintenance</html>`),
			outcome: Error, requests: 1,
			reason: "the server, or a gateway in front of it, was unavailable: 503 Service Unavailable; a run against an unavailable server is no verdict",
		},
		{
			name:    "a 502 from a gateway is no verdict either",
			handler: jsonBody(http.StatusBadGateway, `bad gateway`),
			outcome: Error, requests: 1,
			reason: "the server, or a gateway in front of it, was unavailable: 502 Bad Gateway; a run against an unavailable server is no verdict",
		},
		{
			name: "a 503 with Retry-After is not waited for: the case ends as an error that names it",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "120")
				jsonBody(http.StatusServiceUnavailable, `{"status":"error","message":"down","data":null}`)(w, r)
			},
			outcome: Error, requests: 1,
			reason: "the server, or a gateway in front of it, was unavailable: 503 Service Unavailable (Retry-After: 120); a run against an unavailable server is no verdict",
		},
		{
			name: "429 with Retry-After in seconds, then the answer", handler: answerAfter429(f, 1, "2"),
			outcome: Pass, requests: 2, waits: []time.Duration{2 * time.Second},
			notes: []string{"retried after 429 Too Many Requests 1 time (waited 2s in all)"},
		},
		{
			name: "429 with Retry-After as an HTTP date, then the answer", handler: answerAfter429(f, 2, fakeNow.Add(5*time.Second).Format(http.TimeFormat)),
			outcome: Pass, requests: 3, waits: []time.Duration{5 * time.Second, 5 * time.Second},
			notes: []string{"retried after 429 Too Many Requests 2 times (waited 10s in all)"},
		},
		{
			name: "429 for ever, without Retry-After", handler: answerAfter429(f, 1000, ""),
			outcome: Error, requests: 4, waits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
			reason: "still 429 Too Many Requests after 3 retries (waited 7s in all); set --rate-limit (requests per second) or lower --concurrency",
		},
		{
			name: "429 asking for a wait beyond the cap", handler: answerAfter429(f, 1000, "120"),
			outcome: Error, requests: 1,
			reason: "the server answered 429 Too Many Requests and asked to wait 2m0s (Retry-After: 120), more than the 30s the suite waits; set --rate-limit (requests per second) or lower --concurrency",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			var url string
			if tt.raw != nil {
				// A request that gets no answer holds its connection: connections count requests.
				url = rawServer(t, func(conn net.Conn) { requests.Add(1); tt.raw(conn) })
			} else {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					tt.handler(w, r)
				}))
				t.Cleanup(srv.Close)
				url = srv.URL
			}
			e, rec := f.engine(t, url, tt.tweak)
			caseID := tt.caseID
			if caseID == "" {
				caseID = okCase
			}
			r := e.Execute(context.Background(), f.caseByID(t, caseID))

			require.Equal(t, tt.outcome, r.Outcome, "reason %q, findings %+v", r.Reason, r.Findings)
			assert.Equal(t, tt.reason, r.Reason)
			if tt.requirement != "" {
				assert.Equal(t, tt.finding, findingOf(r, tt.requirement), "findings %+v", r.Findings)
			}
			if tt.raw == nil {
				assert.Equal(t, tt.requests, requests.Load(), "requests received")
			}
			assert.Equal(t, tt.waits, rec.waits)
			assert.Equal(t, tt.notes, r.Notes)
			assert.Equal(t, len(tt.waits), r.Retries)
			if tt.stopped {
				assertBreakerTrips(t, f, url, &requests, tt.reason)
			}
		})
	}
}

// assertBreakerTrips runs the whole catalogue against a server that has stopped answering: the
// cases sent end with the server's own error, every other case ends at once, unsent, saying why,
// and the server receives at most the breaker's threshold of requests plus those in flight.
func assertBreakerTrips(t *testing.T, f *fixture, url string, requests *atomic.Int32, reason string) {
	t.Helper()
	const concurrency = 4
	e, _ := f.engine(t, url, func(o *Options) { o.Concurrency = concurrency })
	threshold := max(concurrency, minBreakerThreshold)
	notSent := fmt.Sprintf("not sent: the server stopped answering (%d requests in a row got no complete answer within %s)", threshold, hostileLimit)
	before := requests.Load()
	cases := f.cases()
	results := e.Run(context.Background(), cases, nil)
	sent := int(requests.Load() - before)
	reasons := map[string]int{}
	for _, r := range results {
		require.Equal(t, Error, r.Outcome, "%s: %s", r.ID, r.Reason)
		reasons[r.Reason]++
	}
	assert.Len(t, reasons, 2, "the server's error and the breaker's, nothing else: %v", reasons)
	assert.GreaterOrEqual(t, reasons[reason], threshold, "the breaker trips after %d misses in a row", threshold)
	assert.LessOrEqual(t, reasons[reason], threshold+concurrency)
	assert.Equal(t, len(cases)-reasons[reason], reasons[notSent])
	assert.LessOrEqual(t, sent, threshold+concurrency, "requests the server received")
	assert.Positive(t, sent)
	t.Logf("%d cases: %d sent, %d not sent", len(cases), sent, reasons[notSent])
}

func TestBreakerCountsMissesInARow(t *testing.T) {
	u, a, i := unanswered, answered, inconclusive
	tests := []struct {
		name  string
		fates []fate
		open  bool
	}{
		{"threshold misses in a row", []fate{u, u, u}, true},
		{"one short", []fate{u, u}, false},
		{"a complete answer resets the count", []fate{u, u, a, u, u}, false},
		{"an interruption neither counts nor resets", []fate{u, i, u, i, u}, true},
		{"a late answer does not close it again", []fate{u, u, u, a}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBreaker(Options{Concurrency: 3, Timeout: time.Second})
			for _, f := range tt.fates {
				b.record(f)
			}
			err := b.refusal()
			if !tt.open {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, "not sent: the server stopped answering (3 requests in a row got no complete answer within 1s)")
		})
	}
	assert.Equal(t, minBreakerThreshold, newBreaker(Options{Concurrency: 1}).threshold, "one stalled request alone never trips it")
}

// What each kind of failed request tells the breaker: the rows' errors are those the transport
// returns (the hostile table has the real ones).
func TestBreakerReadsEachFailure(t *testing.T) {
	timedOut, cancel := context.WithTimeoutCause(context.Background(), 0, requestTimeout{time.Second})
	defer cancel()
	interrupted, stop := context.WithCancel(context.Background())
	stop()
	live := context.Background()
	refused := &url.Error{Op: "Get", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want fate
	}{
		{"the per-request timeout", timedOut, context.DeadlineExceeded, unanswered},
		{"an interruption", interrupted, context.Canceled, inconclusive},
		{"a refused connection", live, refused, unanswered},
		{"a connection closed before the answer", live, &url.Error{Op: "Get", URL: "http://x", Err: io.EOF}, unanswered},
		{"a certificate", live, &url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}}, inconclusive},
		{"headers over the cap", live, errors.New("net/http: server response headers exceeded 1048576 bytes; aborted"), answered},
		{"something else", live, errors.New("malformed HTTP response"), inconclusive},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, fateOf(tt.ctx, tt.err), tt.name)
	}
}

// A server that stalls now and then, between answers of every kind (a 5xx, a body over the cap),
// runs to the end: each complete answer resets the count, so only the stalled cases are errors.
func TestBreakerLetsAServerThatStallsOnceRunOn(t *testing.T) {
	f := newFixture(t)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch requests.Add(1) % 3 {
		case 1:
			<-r.Context().Done() // until the client gives up
		case 2:
			jsonBody(http.StatusInternalServerError, `{"status":"error","message":"down","data":null}`)(w, r)
		default:
			w.Header().Set("Content-Length", fmt.Sprint(2*smallBody))
			_, _ = w.Write(make([]byte, 2*smallBody))
		}
	}))
	t.Cleanup(srv.Close)
	// One case in flight: the threshold is then its minimum, the strictest test of a stall.
	e, _ := f.engine(t, srv.URL, func(o *Options) { o.Concurrency = 1 })
	var cases []*suites.Case
	for _, c := range f.cases() {
		if c.Skip == "" && len(cases) < 9 {
			cases = append(cases, c)
		}
	}
	results := e.Run(context.Background(), cases, nil)
	reasons := map[string]int{}
	for _, r := range results {
		reasons[r.Reason]++
	}
	assert.Equal(t, map[string]int{
		"no status line and headers within " + hostileLimit.String() + " (per-request timeout, --timeout): the server did not answer, or not in full": 3,
		"the response body exceeds 1048576 bytes (after decompression); raise --max-body if this is legitimate":                                       3,
		"": 3, // the 503s are findings
	}, reasons)
	assert.EqualValues(t, len(cases), requests.Load(), "every case was sent")
}

func findingOf(r *Result, requirement string) string {
	for _, f := range r.Findings {
		if f.RequirementID == requirement {
			return f.Actual
		}
	}
	return ""
}

// A redirect is reported, never followed: the second origin receives nothing, so it cannot
// receive the credentials either, whatever the redirect's code.
func TestRedirectIsReportedAndCredentialsStayHome(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var reached []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached = append(reached, r.Method+" "+r.URL.Path+" Authorization="+r.Header.Get("Authorization"))
		mu.Unlock()
		f.handler.ServeHTTP(w, r)
	}))
	defer elsewhere.Close()
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, elsewhere.URL+r.URL.Path, code)
			}))
			defer first.Close()
			e, _ := f.engine(t, first.URL, nil)
			r := e.Execute(context.Background(), f.caseByID(t, okCase))
			require.Equal(t, Fail, r.Outcome)
			want := fmt.Sprintf(`%d %s, a redirect to %q (not followed: the contract answers in place, and the credentials are never sent on)`,
				code, http.StatusText(code), elsewhere.URL+"/contact/"+f.contact)
			assert.Equal(t, want, findingOf(r, "OK-001"))
			assert.Equal(t, fmt.Sprint(code), fmt.Sprint(r.Response.Status))
		})
	}
	assert.Empty(t, reached, "the second origin must receive nothing")
}

// The engine refuses, on its own, any request that could change data on an id the user gave,
// whatever the case says: the server receives nothing.
func TestUnsafeRequestToAProtectedIDIsRefused(t *testing.T) {
	f := newFixture(t)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		f.handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	e, _ := f.engine(t, srv.URL, nil)
	base := f.caseByID(t, "methods/delete/getContactById")
	require.True(t, base.Request.Unsafe)
	upper := strings.ToUpper(f.foreign)
	tests := []struct {
		name   string
		change func(*suites.Request)
		reason string
	}{
		{"DELETE on the user's contact", func(r *suites.Request) { r.Path = "/contact/" + f.contact },
			"refused to send DELETE /contact/" + f.contact + ": it holds the id " + f.contact + ", which the suite only ever reads with GET"},
		{"the foreign contact in upper case", func(r *suites.Request) { r.Path = "/contact/" + upper },
			"refused to send DELETE /contact/" + upper + ": it holds the id " + f.foreign + ", which the suite only ever reads with GET"},
		{"the id in the query", func(r *suites.Request) { r.Query = map[string][]string{"id": {f.contact}} },
			"refused to send DELETE " + base.Request.Path + ": it holds the id " + f.contact + ", which the suite only ever reads with GET"},
		{"a POST not marked unsafe", func(r *suites.Request) { r.Method, r.Unsafe, r.Path = http.MethodPost, false, "/contact/"+f.contact },
			"refused to send POST /contact/" + f.contact + ": it holds the id " + f.contact + ", which the suite only ever reads with GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *base
			tt.change(&c.Request)
			r := e.Execute(context.Background(), &c)
			assert.Equal(t, Error, r.Outcome)
			assert.Equal(t, tt.reason, r.Reason)
			assert.Empty(t, r.Curl, "no reproduction of a refused request")
		})
	}
	assert.Zero(t, requests.Load())
	// The generated unknown id the case really targets goes out.
	r := e.Execute(context.Background(), base)
	assert.Equal(t, Pass, r.Outcome, r.Reason)
	assert.EqualValues(t, 1, requests.Load())
}

// A whole run ends by its deadline however the server behaves: the case in flight and the cases
// still waiting end as errors naming the deadline, each in its place.
func TestRunDeadlineEndsEveryCase(t *testing.T) {
	f := newFixture(t)
	url := rawServer(t, hold)
	e, _ := f.engine(t, url, func(o *Options) {
		o.Deadline, o.Timeout, o.Concurrency = 300*time.Millisecond, time.Minute, 2
	})
	var cases []*suites.Case
	for _, c := range f.cases() {
		if c.Skip == "" && len(cases) < 6 {
			cases = append(cases, c)
		}
	}
	results := e.Run(context.Background(), cases, nil)
	require.Len(t, results, len(cases))
	var inFlight, notRun int
	for i, r := range results {
		assert.Equal(t, cases[i].ID, r.ID)
		assert.Equal(t, Error, r.Outcome)
		switch r.Reason {
		case "the run's deadline (300ms, --deadline) passed before the answer arrived":
			inFlight++
		case "not run: the run's deadline (300ms, --deadline) passed first":
			notRun++
		default:
			t.Errorf("%s: unexpected reason %q", r.ID, r.Reason)
		}
	}
	assert.Equal(t, 2, inFlight, "the cases in flight (--concurrency 2)")
	assert.Equal(t, len(cases)-2, notRun)
}

func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestTLS(t *testing.T) {
	f := newFixture(t)
	tlsSrv := httptest.NewUnstartedServer(f.handler)
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused below are the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plain := httptest.NewServer(f.handler)
	defer plain.Close()
	port := tlsSrv.URL[strings.LastIndex(tlsSrv.URL, ":")+1:]
	// A TLS handshake on a loaded machine can outlast the hostile rows' tight timeout; these rows
	// are about certificates, not time.
	roomy := func(o *Options) { o.Timeout = 5 * time.Second }
	trust := func(o *Options) { roomy(o); o.CACerts = certPEM(tlsSrv) }
	tests := []struct {
		name    string
		url     string
		tweak   func(*Options)
		outcome Outcome
		reason  string
	}{
		{"a private CA not given", tlsSrv.URL, roomy, Error,
			"the server's certificate is signed by an unknown authority; pass --ca-cert FILE with the CA that signed it"},
		{"the private CA given with --ca-cert", tlsSrv.URL, trust, Pass, ""},
		{"a host the certificate does not name", "https://localhost:" + port, trust, Error,
			`the server's certificate is not valid for "localhost" (it names example.com, *.example.com, 127.0.0.1, ::1); use the host name the certificate names`},
		{"--insecure", tlsSrv.URL, func(o *Options) { roomy(o); o.Insecure = true }, Pass, ""},
		{"https:// to a server without TLS", strings.Replace(plain.URL, "http://", "https://", 1), roomy, Error,
			"the server did not answer in TLS; is the base URL http:// rather than https://?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := f.engine(t, tt.url, tt.tweak)
			r := e.Execute(context.Background(), f.caseByID(t, okCase))
			assert.Equal(t, tt.outcome, r.Outcome)
			assert.Equal(t, tt.reason, r.Reason)
			err := e.Reachable(context.Background())
			if tt.reason == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, "cannot reach "+tt.url+": "+tt.reason, "the probe before the run says the same in one line")
			}
		})
	}
}

// BenchmarkGzipBomb measures what a 64 MiB gzip bomb costs the engine under the default 4 MiB
// cap: the allocations per case stay near the cap, not the bomb's size.
//
//	go test -run='^$' -bench=GzipBomb -benchmem ./runner/engine
func BenchmarkGzipBomb(b *testing.B) {
	contract, err := spec.Load()
	require.NoError(b, err)
	bomb := gzipBomb()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(bomb)
	}))
	defer srv.Close()
	e, err := New(contract, Options{BaseURL: srv.URL, Token: "bench-token-0001"})
	require.NoError(b, err)
	c := suites.Build(contract, suites.Config{HaveToken: true, Seed: 1})[0]
	for b.Loop() {
		r := e.Execute(context.Background(), c)
		if r.Outcome != Error {
			b.Fatalf("outcome %s: %s", r.Outcome, r.Reason)
		}
	}
}
