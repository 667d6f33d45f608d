// Package engine executes cases: it builds each request, sends it with a bounded client, runs the
// case's checks on the answer and records a result whose every string is redacted.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// Outcome is what a case came to. They are kept apart in every report: a failure is the server's,
// a skip the configuration's, an error the harness's.
type Outcome string

const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	// Warn means only SHOULD-level requirements were missed (and the run is not strict).
	Warn  Outcome = "warn"
	Skip  Outcome = "skip"
	Error Outcome = "error"
	// ExpectedFail is a failure the team's expectations file lists (--expect): the engine never
	// gives it; runner/expect turns a Fail into it once the case has ended, keeping the findings.
	ExpectedFail Outcome = "xfail"
)

// Options configure how cases are sent.
type Options struct {
	BaseURL string
	Token   string
	// Redact lists further values that must never appear in any output.
	Redact []string
	// Timeout bounds each request, from dialling to the last byte of the body.
	Timeout time.Duration
	// MaxBody caps a response body, after decompression.
	MaxBody int64
	// Concurrency is how many cases are in flight at once.
	Concurrency int
	// Strict turns SHOULD findings into failures.
	Strict    bool
	UserAgent string
	// Client replaces the default client (tests); CACerts and Insecure then do not apply.
	Client *http.Client

	// Selection leaves cases out (--run, --skip); they end as Disabled, unsent.
	Selection Selection
	// Tokens, when set, supplies the token instead of Token, renewing it when it expires.
	Tokens *TokenSource
	// TokenRenewal names how the user gives a token that can be renewed, for the error of a token
	// that expired unrenewed: --token-command when empty.
	TokenRenewal string
	// Redactor, when set, is shared with the caller, so tokens renewed during the run are
	// redacted from the caller's output too.
	Redactor *Redactor

	// Deadline bounds a whole Run: cases not finished by then end as errors. Zero means
	// DefaultDeadline.
	Deadline time.Duration
	// RateLimit caps the requests per second across the run; zero means no cap.
	RateLimit float64
	// CACerts is PEM of CAs to trust besides the system's; Insecure skips certificate
	// verification altogether.
	CACerts  []byte
	Insecure bool
	// Protected are the ids the user gave: only safe methods may reach a path, query or body
	// holding one.
	Protected []string
}

// Defaults for the options left at zero.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxBody     = 4 << 20
	DefaultConcurrency = 8
	// DefaultDeadline is long enough for a full run against a slow staging server (a few hundred
	// requests at the default timeout and concurrency), short enough that a hung CI job ends.
	DefaultDeadline = 10 * time.Minute
)

// Engine sends cases against one server.
type Engine struct {
	opts     Options
	base     *url.URL
	client   *http.Client
	contract *spec.Contract
	redactor *Redactor
	tokens   *TokenSource
	limiter  *limiter
	clock    clock
	probes   probeCache
	breaker  *breaker
	// largeBodies lets one answer larger than LargeBody be judged at a time.
	largeBodies chan struct{}
	// warm holds the connections opened ahead of the requests (by Reachable, or beside the first
	// dial); nil with a client of the caller's.
	warm  *warmConns
	kept  kept
	watch tokenWatch
	// sent counts the requests that went out, for messages that say when something happened.
	sent atomic.Int64
	// deadline is when the run must end, fixed by its first step (the preflight, or the cases),
	// so that --deadline bounds them together.
	deadline     time.Time
	deadlineOnce sync.Once
}

// withinDeadline bounds ctx by the run's deadline.
func (e *Engine) withinDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	e.deadlineOnce.Do(func() { e.deadline = time.Now().Add(e.opts.Deadline) })
	return context.WithDeadlineCause(ctx, e.deadline, runDeadline{e.opts.Deadline})
}

// New validates the options; an error here means the run cannot be made.
func New(contract *spec.Contract, opts Options) (*Engine, error) {
	base, err := ParseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Deadline <= 0 {
		opts.Deadline = DefaultDeadline
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "contacts-conformance"
	}
	if opts.TokenRenewal == "" {
		opts.TokenRenewal = "--token-command"
	}
	client := opts.Client
	var warm *warmConns
	if client == nil {
		transport, w, err := newTransport(opts)
		if err != nil {
			return nil, err
		}
		client, warm = NewClient(transport), w
	}
	e := &Engine{
		opts: opts, base: base, client: client, contract: contract, redactor: opts.Redactor, tokens: opts.Tokens,
		limiter: newLimiter(opts.RateLimit, realClock), clock: realClock, breaker: newBreaker(opts), warm: warm,
		largeBodies: make(chan struct{}, 1),
	}
	if e.redactor == nil {
		e.redactor = NewRedactor(opts.Token, opts.Redact...)
	}
	e.redactor.AddPublic(opts.BaseURL, base.String())
	if e.tokens == nil {
		e.tokens = StaticToken(opts.Token)
	}
	return e, nil
}

// ParseBaseURL accepts an http(s) URL, with or without a path prefix.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an http:// or https:// URL with a host", raw)
	}
	if u.User != nil {
		return nil, errors.New("base URL must not carry credentials; use --token")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, fmt.Errorf("base URL %q must not have a query or a fragment", u.Redacted())
	}
	// A hurried copy and paste leaves these; a server may even answer such a path, but not with
	// the API the user meant.
	if strings.IndexFunc(strings.TrimSpace(raw), unicode.IsSpace) >= 0 {
		return nil, fmt.Errorf("base URL %q holds white space; remove it (a space in a path is written %%20)", u.Redacted())
	}
	if strings.Contains(u.EscapedPath(), "//") {
		return nil, fmt.Errorf("base URL %q has an empty path segment (//); remove the extra slash", u.Redacted())
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("base URL %q has port %s, outside 1 to 65535", u.Redacted(), port)
		}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	return u, nil
}

// Requests is how many requests the engine has sent so far: the preflight's, the cases', their
// retries and the checks' probes.
func (e *Engine) Requests() int64 { return e.sent.Load() }

// Redactor returns the engine's redactor, for reporters.
func (e *Engine) Redactor() *Redactor { return e.redactor }

// Run executes the cases with a bounded number in flight and returns their results in the cases'
// order, whatever the timing. When ctx ends or the run's deadline passes, the cases not yet
// finished end as errors, and Run returns.
func (e *Engine) Run(ctx context.Context, cases []*suites.Case, progress func(index int, r *Result)) []*Result {
	ctx, cancel := e.withinDeadline(ctx)
	defer cancel()
	results := make([]*Result, len(cases))
	// Workers take the cases in order, so they start in the catalogue's order and a deadline
	// cuts the same tail of it on every run; a case that starts after the deadline ends at once.
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range cases {
			next <- i
		}
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := 0; w < min(e.opts.Concurrency, len(cases)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := e.Execute(ctx, cases[i])
				results[i] = r
				if progress != nil {
					mu.Lock()
					progress(i, r)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	e.warm.discard()
	return results
}

// VariantIsTheToken is the reason of a case that sends a case variant of the token the token
// itself has no letters for (an upper-case variant of a token in upper case): the case has nothing
// to reject, so it is skipped, and it leaves no gap in what a run claims.
const VariantIsTheToken = "with this token the variant is the valid credential itself (the token has no letters of the other case, or already has the x where the variant puts one), so there is nothing to reject"

// Execute runs one case.
func (e *Engine) Execute(ctx context.Context, c *suites.Case) *Result {
	r := &Result{ID: c.ID, Area: c.Area, Title: c.Title, Operation: c.Operation.ID}
	switch {
	case c.Unclaimed != "":
		r.Outcome, r.Reason = NotClaimed, c.Unclaimed
		return r
	case !e.opts.Selection.Selects(c):
		r.Outcome, r.Reason = Disabled, e.opts.Selection.reason()
		return r
	}
	r.Started = time.Now()
	defer func() { r.Duration = time.Since(r.Started) }()
	if c.Skip != "" {
		r.Outcome, r.Reason = Skip, c.Skip
		return r
	}
	if ctx.Err() != nil {
		r.Outcome, r.Reason = Error, notRun(ctx)
		return r
	}
	if err := e.breaker.refusal(); err != nil {
		r.Outcome, r.Reason = Error, err.Error()
		return r
	}
	token, _ := e.tokens.current()
	req, err := e.request(ctx, c, token)
	if err != nil {
		r.Outcome, r.Reason = Error, e.redactor.String(err.Error())
		return r
	}
	r.Request = e.requestView(c, req)
	if c.Expect == http.StatusUnauthorized && c.Request.Auth.UsesToken() {
		if sent, _ := c.Request.Auth.Header(token); sent == "Bearer "+token {
			r.Outcome, r.Reason = Skip, VariantIsTheToken
			return r
		}
	}
	if reason := e.refuse(c, req); reason != "" {
		// No curl line either: a report must not hand anyone the command the suite refused.
		r.Outcome, r.Reason = Error, reason
		return r
	}
	r.Curl = e.curl(c, req)
	var ex *suites.Exchange
	// A kept refusal of the valid credentials is sent again instead: exchange tells a token that
	// expired since from a server that refuses it.
	if held := e.take(c); held != nil && !(held.Status == http.StatusUnauthorized && sendsValidCredentials(c.Request.Auth)) {
		ex = e.exchangeOf(c, held.Request, held.Status, held.Header, held.Body, ctx)
	} else {
		ex, err = e.exchange(ctx, c, r)
	}
	if err != nil {
		r.Outcome, r.Reason = Error, e.redactor.String(err.Error())
		return r
	}
	r.Response = e.responseView(ex)
	e.judgeHeld(r, c, ex)
	for _, n := range ex.Notes {
		r.Notes = append(r.Notes, e.redactor.String(n))
	}
	return r
}

// Unjudged ends every case without sending anything, for a run that cannot be judged (its
// preflight failed): the cases left out by the selection and the ones lacking an input keep those
// outcomes, and the rest end as errors with the reason.
func (e *Engine) Unjudged(cases []*suites.Case, reason string) []*Result {
	return Unjudged(cases, e.opts.Selection, e.redactor, reason)
}

// Unjudged is Engine.Unjudged for a run that never had an engine: one that could not be made.
func Unjudged(cases []*suites.Case, selection Selection, redactor *Redactor, reason string) []*Result {
	results := make([]*Result, len(cases))
	for i, c := range cases {
		r := &Result{ID: c.ID, Area: c.Area, Title: c.Title, Operation: c.Operation.ID}
		switch {
		case c.Unclaimed != "":
			r.Outcome, r.Reason = NotClaimed, c.Unclaimed
		case !selection.Selects(c):
			r.Outcome, r.Reason = Disabled, selection.reason()
		case c.Skip != "":
			r.Outcome, r.Reason = Skip, c.Skip
		default:
			r.Outcome, r.Reason = Error, redactor.String(reason)
		}
		results[i] = r
	}
	return results
}

func notRun(ctx context.Context) string {
	var d runDeadline
	if errors.As(context.Cause(ctx), &d) {
		return fmt.Sprintf("not run: the run's deadline (%s, --deadline) passed first", d.d)
	}
	return "not run: the run was interrupted first"
}

// refuse keeps every method that could change data away from the ids the user gave: such
// requests only ever target ids generated to be unknown. The suites build them so; this is the
// engine's own guarantee, whatever case reaches it.
func (e *Engine) refuse(c *suites.Case, req *http.Request) string {
	if !c.Request.Unsafe && safeMethod(req.Method) {
		return ""
	}
	sent := strings.ToLower(req.URL.Path + "?" + req.URL.RawQuery + "\n" + c.Request.Body)
	if unescaped, err := url.QueryUnescape(req.URL.RawQuery); err == nil {
		sent += "\n" + strings.ToLower(unescaped)
	}
	for _, id := range e.opts.Protected {
		if id != "" && strings.Contains(sent, strings.ToLower(id)) {
			return fmt.Sprintf("refused to send %s %s: it holds the id %s, which the suite only ever reads with GET", req.Method, e.redactor.String(req.URL.Path), id)
		}
	}
	return ""
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (e *Engine) request(ctx context.Context, c *suites.Case, token string) (*http.Request, error) {
	target := e.base.String() + c.Request.Path
	if c.Request.RawQuery != "" {
		target += "?" + c.Request.RawQuery
	} else if len(c.Request.Query) > 0 {
		target += "?" + c.Request.Query.Encode()
	}
	var body io.Reader
	if c.Request.Body != "" {
		body = strings.NewReader(c.Request.Body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Request.Method, target, body)
	if err != nil {
		return nil, fmt.Errorf("cannot build the request: %v", err)
	}
	if c.Request.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", e.opts.UserAgent)
	for k, v := range c.Request.Header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	if v, ok := c.Request.Auth.Header(token); ok {
		// Assigned under the exact name, so the auth cases send the header byte for byte as
		// written, the empty value included.
		req.Header["Authorization"] = []string{v}
	}
	return req, nil
}

// send sends the case's request, honouring 429 Too Many Requests within the retry budget, and
// returns the exchange with the document's verdict on the final answer.
func (e *Engine) send(ctx context.Context, c *suites.Case, r *Result, token string) (*suites.Exchange, error) {
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		if err := e.limiter.wait(ctx); err != nil {
			return nil, errors.New(explain(ctx, err, false))
		}
		// A retry, a probe or a renewed token's second try is a request like any other.
		if err := e.breaker.refusal(); err != nil {
			return nil, err
		}
		req, err := e.request(ctx, c, token)
		if err != nil {
			return nil, err
		}
		resp, body, err := e.fetch(req)
		if err != nil {
			return nil, err
		}
		if unavailable(resp.StatusCode) {
			return nil, unavailableError{resp.StatusCode, resp.Header.Get("Retry-After")}
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			if attempt == MaxRetries429 {
				return nil, errors.New(e.rateLimited(attempt, waited))
			}
			wait, given := retryAfter(resp.Header, e.clock.now(), attempt)
			if wait > MaxRetryWait {
				return nil, errors.New(e.tooLongWait(resp.StatusCode, wait, given))
			}
			if err := e.clock.sleep(ctx, wait); err != nil {
				return nil, errors.New(explain(ctx, err, false))
			}
			waited += wait
			r.Retries = attempt + 1
			continue
		}
		if r.Retries > 0 {
			r.Notes = append(r.Notes, retryNote(r.Retries, waited))
		}
		return e.exchangeOf(c, req, resp.StatusCode, resp.Header, body, ctx), nil
	}
}

// exchangeOf is an answer as the case's checks see it.
func (e *Engine) exchangeOf(c *suites.Case, req *http.Request, status int, header http.Header, body []byte, ctx context.Context) *suites.Exchange {
	ex := &suites.Exchange{Contract: e.contract, Case: c, Request: req, Status: status, Header: header, Body: body}
	ex.Probe = func(path string, query url.Values) (*suites.Probed, error) { return e.probe(ctx, path, query) }
	ex.Fresh = func(path string) (*suites.Probed, error) { return e.sendProbe(ctx, path, nil) }
	return ex
}

// LargeBody is the size above which an answer is decoded and judged by one case at a time.
// Decoding and validating a body holds about seven times its size: eight workers doing so at once
// with the whole of a 10,000-item list each would hold some 600 MB, one at a time about 80 MB.
// The bodies are still read as they arrive, within each request's timeout; only the judging waits.
const LargeBody = 1 << 20

// judgeHeld gives the document's verdict on the answer, then the checks', one large answer at a
// time.
func (e *Engine) judgeHeld(r *Result, c *suites.Case, ex *suites.Exchange) {
	if len(ex.Body) > LargeBody {
		e.largeBodies <- struct{}{}
		defer func() { <-e.largeBodies }()
	}
	if c.Operation != nil {
		ex.Violations = e.contract.ValidateDecoded(c.Operation, ex.Request, ex.Status, ex.Header, ex.Body, ex.JSON)
	}
	e.judge(r, c, ex)
}

// fetch sends one request and reads the whole answer within the per-request timeout, the body
// capped after decompression. The response's body is read and closed. Every request of the run
// passes here, so here the breaker learns whether the server still answers.
func (e *Engine) fetch(req *http.Request) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeoutCause(req.Context(), e.opts.Timeout, requestTimeout{e.opts.Timeout})
	defer cancel()
	e.sent.Add(1)
	resp, err := e.client.Do(req.WithContext(ctx))
	if err != nil {
		e.breaker.record(fateOf(ctx, err))
		if ctx.Err() == nil && (notHTTP(err) || headersTooLarge(err)) {
			return nil, nil, unusableAnswer(explain(ctx, err, false))
		}
		return nil, nil, errors.New(explain(ctx, err, false))
	}
	defer resp.Body.Close()
	// Only an uncompressed length is known in advance: the transport clears it when it
	// decompresses, and the cap below still holds.
	if resp.ContentLength > e.opts.MaxBody {
		e.breaker.record(answered)
		return nil, nil, e.tooLarge()
	}
	body, err := readBody(resp, e.opts.MaxBody)
	if err != nil {
		e.breaker.record(fateOf(ctx, err))
		return nil, nil, unusableAnswer(explain(ctx, err, true))
	}
	// A server, or a gateway in front of it, that says it is unavailable has not answered the
	// request: a run of them trips the breaker like a run of timeouts.
	if unavailable(resp.StatusCode) {
		e.breaker.record(unanswered)
	} else {
		e.breaker.record(answered)
	}
	if int64(len(body)) > e.opts.MaxBody {
		return nil, nil, e.tooLarge()
	}
	return resp, body, nil
}

// readBody reads at most max+1 bytes. When the length is announced, the buffer is allocated once
// at that size rather than grown by doubling, which would hold several copies of a large list.
func readBody(resp *http.Response, max int64) ([]byte, error) {
	var buf bytes.Buffer
	if resp.ContentLength > 0 && resp.ContentLength <= max {
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, max+1))
	return buf.Bytes(), err
}

func (e *Engine) tooLarge() error {
	return unusableAnswer(fmt.Sprintf("the response body exceeds %d bytes (after decompression); raise --max-body if this is legitimate", e.opts.MaxBody))
}

// unusableAnswer is the reason a server that did answer gave an answer no check can read: a body
// too large or broken off, headers too large, bytes that are not HTTP. The preflight tells it from
// a server it cannot reach.
type unusableAnswer string

func (u unusableAnswer) Error() string { return string(u) }

func (e *Engine) judge(r *Result, c *suites.Case, ex *suites.Exchange) {
	for _, check := range c.Checks {
		if f := check.Verify(ex); f != nil {
			r.Findings = append(r.Findings, e.findingView(check.Req, f))
		}
	}
	r.Outcome = OutcomeOf(r.Findings, e.opts.Strict || c.Strict)
}

// OutcomeOf is what a case that was answered comes to by its findings: a MUST finding (or any,
// when strict) fails it, SHOULD findings alone make a warning, none a pass. A published result is
// checked with the same rule (contacts-conformance verify).
func OutcomeOf(findings []Finding, strict bool) Outcome {
	outcome := Pass
	for _, f := range findings {
		switch {
		case f.Level == suites.Must || strict:
			return Fail
		default:
			outcome = Warn
		}
	}
	return outcome
}

// Summary counts outcomes.
type Summary struct {
	Total    int `json:"total"`
	Pass     int `json:"pass"`
	Fail     int `json:"fail"`
	Warn     int `json:"warn"`
	Skip     int `json:"skip"`
	Error    int `json:"error"`
	Disabled int `json:"disabled"`
	// XFail counts expected failures (--expect): failures the team accepted for a while.
	XFail int `json:"xfail"`
	// NotClaimed counts the cases outside the claimed profiles (--profile).
	NotClaimed int `json:"not_claimed"`
}

// Summarize counts the results.
func Summarize(results []*Result) Summary {
	var s Summary
	for _, r := range results {
		s.Total++
		switch r.Outcome {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case Warn:
			s.Warn++
		case Skip:
			s.Skip++
		case Error:
			s.Error++
		case Disabled:
			s.Disabled++
		case ExpectedFail:
			s.XFail++
		case NotClaimed:
			s.NotClaimed++
		}
	}
	return s
}

// String is the summary line; expected failures and cases not claimed are named only when there
// are some, so a run without --expect or --profile reads as it always has.
func (s Summary) String() string {
	expected, unclaimed := "", ""
	if s.XFail > 0 {
		expected = fmt.Sprintf(", %d expected failures", s.XFail)
	}
	if s.NotClaimed > 0 {
		unclaimed = fmt.Sprintf(", %d not claimed", s.NotClaimed)
	}
	return fmt.Sprintf("%d cases: %d passed, %d failed%s, %d warnings, %d skipped, %d errors, %d not selected%s", s.Total, s.Pass, s.Fail, expected, s.Warn, s.Skip, s.Error, s.Disabled, unclaimed)
}

func truncate(b []byte, n int) (string, bool) {
	if len(b) <= n {
		return string(b), false
	}
	return string(bytes.ToValidUTF8(b[:n], nil)), true
}
