package engine

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/contacts-conformance/suite/suites"
)

// kept are answers the run already holds, by request: the preflight's reads are the same requests
// as some cases', and a case that finds its answer here is judged on it rather than sent again.
type kept struct {
	mu      sync.Mutex
	answers map[string]*suites.Exchange
}

// requestKey identifies what a case sends: method, path, query and credential.
func requestKey(r suites.Request) string {
	auth := "-"
	if !r.Auth.Omit {
		auth = "auth:" + r.Auth.Template
	}
	query := r.RawQuery
	if query == "" {
		query = r.Query.Encode()
	}
	var headers []string
	for k, v := range r.Header {
		headers = append(headers, k+"="+v)
	}
	sort.Strings(headers)
	return r.Method + " " + r.Path + "?" + query + " " + auth + " " + strings.Join(headers, ",") + " " + r.Body
}

// keep holds an answer for the case that sends the same request, and for the checks' probes.
func (e *Engine) keep(c *suites.Case, ex *suites.Exchange) {
	e.kept.mu.Lock()
	if e.kept.answers == nil {
		e.kept.answers = map[string]*suites.Exchange{}
	}
	e.kept.answers[requestKey(c.Request)] = ex
	e.kept.mu.Unlock()
	if c.Request.Method == http.MethodGet && c.Request.Auth == suites.Bearer {
		value, _ := ex.JSON()
		e.probes.put(c.Request.Path, c.Request.Query, &suites.Probed{Status: ex.Status, Body: value})
	}
}

// take returns the answer kept for the case's request, once.
func (e *Engine) take(c *suites.Case) *suites.Exchange {
	e.kept.mu.Lock()
	defer e.kept.mu.Unlock()
	key := requestKey(c.Request)
	ex := e.kept.answers[key]
	delete(e.kept.answers, key)
	return ex
}

// tokenWatch tells a token that expired in the middle of a run from a server that refuses a valid
// one: when valid credentials are refused after the token was accepted, the read that accepted it
// is sent again; refused there too, the token has expired.
type tokenWatch struct {
	mu sync.Mutex
	// reference is a read that accepted the token, with the credential it accepted.
	reference *suites.Case
	// confirmed is how many requests had been sent when the reference was last sent and found
	// still accepted: a refusal answered by then was of a request sent before, when the token
	// was still good, since a token that expired does not come back.
	confirmed int64
	// expired is the generation of the token found expired, and after how many requests.
	expired      bool
	expiredGen   int
	expiredAfter int64
}

// setReference remembers the first read answered 2xx with valid credentials: an answer that only
// an accepted token gets (a 400 or 404 may come before the credentials are looked at).
func (w *tokenWatch) setReference(c *suites.Case, status int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.reference == nil && status/100 == 2 {
		w.reference = c
	}
}

// tokenExpired reports whether the token of the generation has stopped being accepted, for a
// refusal that came back by request number answeredBy: it asks the reference read again, unless
// that was already found, or the reference was accepted after the refusal. Without a reference
// (the token was never accepted) it is false: a refusal is then the server's answer to judge.
func (e *Engine) tokenExpired(ctx context.Context, generation int, answeredBy int64) (bool, error) {
	w := &e.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.reference == nil || w.confirmed >= answeredBy {
		return false, nil
	}
	if w.expired && w.expiredGen == generation {
		return true, nil
	}
	token, current := e.tokens.current()
	if current != generation {
		return true, nil // renewed meanwhile: the case is sent again with the new token
	}
	sentBefore := e.sent.Load()
	ex, err := e.send(ctx, w.reference, &Result{}, token)
	if err != nil {
		return false, err
	}
	if ex.Status != http.StatusUnauthorized {
		w.confirmed = sentBefore
		return false, nil
	}
	w.expired, w.expiredGen, w.expiredAfter = true, generation, sentBefore-1
	return true, nil
}

// TokenRenewal names how the user gives a token that can be renewed (Options.TokenRenewal).
func (e *Engine) TokenRenewal() string { return e.opts.TokenRenewal }

// TokenExpiredAfter is how many requests had been sent when the token was found to have stopped
// being accepted, or 0 when it never was.
func (e *Engine) TokenExpiredAfter() int64 {
	e.watch.mu.Lock()
	defer e.watch.mu.Unlock()
	if !e.watch.expired {
		return 0
	}
	return e.watch.expiredAfter
}

// tokenExpiredError is the error of a case refused after the token expired; renewal names how the
// token could have been renewed (--token-command, or a driver's own way).
type tokenExpiredError struct {
	after   int64
	renewal string
}

func (e tokenExpiredError) Error() string {
	return fmt.Sprintf("the token stopped being accepted after %d requests: it expired mid-run; use %s to renew it", e.after, e.renewal)
}

func (e *Engine) expiredError() error {
	return tokenExpiredError{e.TokenExpiredAfter(), e.opts.TokenRenewal}
}
