package engine

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/contacts-conformance/suite/suites"
)

// Result is the record of one case, ready for any report: every string in it is redacted.
type Result struct {
	ID        string        `json:"id"`
	Area      string        `json:"area"`
	Title     string        `json:"title"`
	Operation string        `json:"operation"`
	Outcome   Outcome       `json:"outcome"`
	Reason    string        `json:"reason,omitempty"`
	Findings  []Finding     `json:"findings,omitempty"`
	Request   *RequestView  `json:"request,omitempty"`
	Response  *ResponseView `json:"response,omitempty"`
	Curl      string        `json:"curl,omitempty"`
	Started   time.Time     `json:"started,omitzero"`
	Duration  time.Duration `json:"duration_ns"`
}

// Finding is a missed requirement with what was expected and what came back.
type Finding struct {
	RequirementID string       `json:"requirement"`
	Level         suites.Level `json:"level"`
	Requirement   string       `json:"text"`
	Anchor        string       `json:"anchor"`
	Expected      string       `json:"expected"`
	Actual        string       `json:"actual"`
	Details       []string     `json:"details,omitempty"`
}

// RequestView is the request as it may be shown: the credential spelled as a shell variable.
type RequestView struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body,omitempty"`
}

// ResponseView is the answer as it may be shown: redacted, the body cut to a readable size.
type ResponseView struct {
	Status        int               `json:"status"`
	Headers       map[string]string `json:"headers"`
	Body          string            `json:"body"`
	BodyTruncated bool              `json:"body_truncated,omitempty"`
	BodyBytes     int               `json:"body_bytes"`
}

// shownBody is how much of a body a report keeps: enough to see what is wrong.
const shownBody = 4096

func (e *Engine) findingView(req *suites.Requirement, f *suites.Finding) Finding {
	details := make([]string, len(f.Details))
	for i, d := range f.Details {
		details[i] = e.redactor.String(d)
	}
	return Finding{
		RequirementID: req.ID, Level: req.Level, Requirement: req.Text, Anchor: req.Anchor,
		Expected: e.redactor.String(f.Expected), Actual: e.redactor.String(f.Actual), Details: details,
	}
}

func (e *Engine) requestView(c *suites.Case, req *http.Request) *RequestView {
	v := &RequestView{Method: req.Method, URL: e.redactor.String(req.URL.String()), Headers: map[string]string{}, Body: c.Request.Body}
	for k := range req.Header {
		v.Headers[k] = e.redactor.String(req.Header.Get(k))
	}
	if shown, ok := c.Request.Auth.Display(); ok {
		v.Headers["Authorization"] = shown
	}
	return v
}

func (e *Engine) responseView(ex *suites.Exchange) *ResponseView {
	body, cut := truncate(ex.Body, shownBody)
	v := &ResponseView{Status: ex.Status, Headers: map[string]string{}, Body: e.redactor.String(body), BodyTruncated: cut, BodyBytes: len(ex.Body)}
	for k, vs := range ex.Header {
		v.Headers[k] = e.redactor.String(strings.Join(vs, ", "))
	}
	return v
}

// curl builds a command that sends the same request; the credential is read from the
// environment, so the line can be pasted into a ticket.
func (e *Engine) curl(c *suites.Case, req *http.Request) string {
	parts := []string{"curl", "-sS", "-i"}
	if req.Method != http.MethodGet {
		parts = append(parts, "-X", req.Method)
	}
	parts = append(parts, shellQuote(e.redactor.String(req.URL.String())))
	var names []string
	for k := range req.Header {
		if k != "Authorization" && k != "User-Agent" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	if shown, ok := c.Request.Auth.Display(); ok {
		parts = append(parts, "-H", shellQuoteKeepingToken("Authorization: "+shown))
	}
	for _, k := range names {
		parts = append(parts, "-H", shellQuote(k+": "+e.redactor.String(req.Header.Get(k))))
	}
	if c.Request.Body != "" {
		parts = append(parts, "--data-raw", shellQuote(c.Request.Body))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellQuoteKeepingToken single-quotes everything but the token's expansions, which go in double
// quotes so the shell substitutes them.
func shellQuoteKeepingToken(s string) string {
	var b strings.Builder
	for s != "" {
		i := strings.Index(s, "${CONFORMANCE_TOKEN")
		if i < 0 {
			b.WriteString(shellQuote(s))
			break
		}
		if i > 0 {
			b.WriteString(shellQuote(s[:i]))
		}
		end := strings.Index(s[i:], "}") + i + 1
		b.WriteString(`"` + s[i:end] + `"`)
		s = s[end:]
	}
	return b.String()
}

// Redactor replaces secrets in any string with [REDACTED]. Tokens renewed during a run are added
// to it while other goroutines redact, hence the lock.
type Redactor struct {
	mu       sync.RWMutex
	secrets  []string
	replacer *strings.Replacer
}

// NewRedactor redacts the token, what the suites derive from it, and the extra values.
func NewRedactor(token string, extra ...string) *Redactor {
	r := &Redactor{}
	r.add(extra...)
	r.AddToken(token)
	return r
}

// AddToken redacts a token and what the suites derive from it.
func (r *Redactor) AddToken(token string) {
	if len(token) > 4 {
		// The suites send the token minus its last character; a server may echo it back.
		r.add(token, token[:len(token)-1])
	} else {
		r.add(token)
	}
}

func (r *Redactor) add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range values {
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	// Longest first, so that a secret containing another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, s := range r.secrets {
		pairs = append(pairs, s, "[REDACTED]")
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// String redacts s.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.replacer == nil {
		return s
	}
	return r.replacer.Replace(s)
}

// Describe is a finding as a few lines of text: requirement, expected, actual, details.
func (f Finding) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) %s\n", f.RequirementID, f.Level, f.Requirement)
	fmt.Fprintf(&b, "  expected: %s\n", f.Expected)
	fmt.Fprintf(&b, "  actual:   %s\n", f.Actual)
	for _, d := range f.Details {
		fmt.Fprintf(&b, "    - %s\n", d)
	}
	return b.String()
}
