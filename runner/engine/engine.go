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
	"strings"
	"sync"
	"time"

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
	// Client replaces the default client (tests, TLS settings).
	Client *http.Client

	// Selection leaves cases out (--run, --skip); they end as Disabled, unsent.
	Selection Selection
	// Tokens, when set, supplies the token instead of Token, renewing it when it expires.
	Tokens *TokenSource
	// Redactor, when set, is shared with the caller, so tokens renewed during the run are
	// redacted from the caller's output too.
	Redactor *Redactor
}

// Defaults for the options left at zero.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxBody     = 4 << 20
	DefaultConcurrency = 8
)

// Engine sends cases against one server.
type Engine struct {
	opts     Options
	base     *url.URL
	client   *http.Client
	contract *spec.Contract
	redactor *Redactor
	tokens   *TokenSource
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
	if opts.UserAgent == "" {
		opts.UserAgent = "contacts-conformance"
	}
	client := opts.Client
	if client == nil {
		client = NewClient(nil)
	}
	e := &Engine{opts: opts, base: base, client: client, contract: contract, redactor: opts.Redactor, tokens: opts.Tokens}
	if e.redactor == nil {
		e.redactor = NewRedactor(opts.Token, opts.Redact...)
	}
	if e.tokens == nil {
		e.tokens = StaticToken(opts.Token)
	}
	return e, nil
}

// NewClient returns a client that never follows a redirect: a redirect is a finding to report, and
// following one could carry the credentials to another origin.
func NewClient(transport http.RoundTripper) *http.Client {
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = DefaultTimeout
		transport = t
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
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
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base URL %q must not have a query or a fragment", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	return u, nil
}

// Redactor returns the engine's redactor, for reporters.
func (e *Engine) Redactor() *Redactor { return e.redactor }

// Run executes the cases with a bounded number in flight and returns their results in the cases'
// order, whatever the timing. When ctx ends, the cases not yet finished end as errors.
func (e *Engine) Run(ctx context.Context, cases []*suites.Case, progress func(index int, r *Result)) []*Result {
	results := make([]*Result, len(cases))
	sem := make(chan struct{}, e.opts.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, c := range cases {
		wg.Add(1)
		go func(i int, c *suites.Case) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			r := e.Execute(ctx, c)
			results[i] = r
			if progress != nil {
				mu.Lock()
				progress(i, r)
				mu.Unlock()
			}
		}(i, c)
	}
	wg.Wait()
	return results
}

// Execute runs one case.
func (e *Engine) Execute(ctx context.Context, c *suites.Case) *Result {
	r := &Result{ID: c.ID, Area: c.Area, Title: c.Title, Operation: c.Operation.ID}
	if !e.opts.Selection.Selects(c) {
		r.Outcome, r.Reason = Disabled, e.opts.Selection.reason()
		return r
	}
	r.Started = time.Now()
	defer func() { r.Duration = time.Since(r.Started) }()
	if c.Skip != "" {
		r.Outcome, r.Reason = Skip, c.Skip
		return r
	}
	if err := ctx.Err(); err != nil {
		r.Outcome, r.Reason = Error, "not run: the run's deadline passed first"
		return r
	}
	req, ex, err := e.exchange(ctx, c)
	if req != nil {
		r.Request = e.requestView(c, req)
		r.Curl = e.curl(c, req)
	}
	if err != nil {
		r.Outcome, r.Reason = Error, e.redactor.String(explain(err, e.opts))
		return r
	}
	r.Response = e.responseView(ex)
	e.judge(r, c, ex)
	return r
}

func (e *Engine) request(ctx context.Context, c *suites.Case, token string) (*http.Request, error) {
	target := e.base.String() + c.Request.Path
	if len(c.Request.Query) > 0 {
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
	if v, ok := c.Request.Auth.Header(token); ok {
		// Set directly: Header.Set would drop nothing here, but an empty value must still be sent.
		req.Header["Authorization"] = []string{v}
	}
	return req, nil
}

func (e *Engine) send(req *http.Request, c *suites.Case) (*suites.Exchange, error) {
	ctx, cancel := context.WithTimeout(req.Context(), e.opts.Timeout)
	defer cancel()
	req = req.WithContext(ctx)
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, e.opts.MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response body: %w", err)
	}
	if int64(len(body)) > e.opts.MaxBody {
		return nil, fmt.Errorf("the response body exceeds %d bytes (after decompression); raise --max-body if this is legitimate", e.opts.MaxBody)
	}
	ex := &suites.Exchange{Contract: e.contract, Case: c, Request: req, Status: resp.StatusCode, Header: resp.Header, Body: body}
	ex.Violations = e.contract.ValidateDecoded(c.Operation, req, resp.StatusCode, resp.Header, body, ex.JSON)
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
		ex.Violations = append(ex.Violations, spec.Violation{Message: fmt.Sprintf("redirect to %q was not followed: the contract answers in place, and credentials are never sent on", loc)})
	}
	return ex, nil
}

func (e *Engine) judge(r *Result, c *suites.Case, ex *suites.Exchange) {
	r.Outcome = Pass
	for _, check := range c.Checks {
		f := check.Verify(ex)
		if f == nil {
			continue
		}
		r.Findings = append(r.Findings, e.findingView(check.Req, f))
		switch {
		case check.Req.Level == suites.Must || e.opts.Strict:
			r.Outcome = Fail
		case r.Outcome == Pass:
			r.Outcome = Warn
		}
	}
}

func explain(err error, opts Options) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no complete answer within %s (per-request timeout, --timeout)", opts.Timeout)
	case errors.Is(err, context.Canceled):
		return "the run was stopped before the answer arrived"
	}
	return err.Error()
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
		}
	}
	return s
}

func (s Summary) String() string {
	return fmt.Sprintf("%d cases: %d passed, %d failed, %d warnings, %d skipped, %d errors, %d not selected", s.Total, s.Pass, s.Fail, s.Warn, s.Skip, s.Error, s.Disabled)
}

func truncate(b []byte, n int) (string, bool) {
	if len(b) <= n {
		return string(b), false
	}
	return string(bytes.ToValidUTF8(b[:n], nil)), true
}
