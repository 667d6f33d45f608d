package engine

import (
	"context"
	"net/http"
	"net/url"
	"sync"

	"github.com/contacts-conformance/suite/suites"
)

// probeCache holds the answers to the checks' probes for the run: many cases compare with the
// same answer (every list with the configured contact's company), and each is asked for once.
type probeCache struct {
	mu      sync.Mutex
	answers map[string]*probeAnswer
}

type probeAnswer struct {
	once   sync.Once
	probed *suites.Probed
	err    error
}

// probe sends a GET with the valid credentials: probes only read, like every request that may
// reach an id the user gave.
func (e *Engine) probe(ctx context.Context, path string, query url.Values) (*suites.Probed, error) {
	key := path + "?" + query.Encode()
	e.probes.mu.Lock()
	if e.probes.answers == nil {
		e.probes.answers = map[string]*probeAnswer{}
	}
	a := e.probes.answers[key]
	if a == nil {
		a = &probeAnswer{}
		e.probes.answers[key] = a
	}
	e.probes.mu.Unlock()
	a.once.Do(func() { a.probed, a.err = e.sendProbe(ctx, path, query) })
	return a.probed, a.err
}

// sendProbe goes through the same path as a case's request: the rate limit, 429 retries and the
// renewal of an expired token, so that a probe's answer is what a case would have received.
func (e *Engine) sendProbe(ctx context.Context, path string, query url.Values) (*suites.Probed, error) {
	c := &suites.Case{Request: suites.Request{Method: http.MethodGet, Path: path, Query: query, Auth: suites.Bearer}}
	ex, err := e.exchange(ctx, c, &Result{})
	if err != nil {
		return nil, err
	}
	value, err := ex.JSON()
	if err != nil {
		value = nil
	}
	return &suites.Probed{Status: ex.Status, Body: value}, nil
}
