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
	mu     sync.Mutex
	probed *suites.Probed
}

// put holds an answer the run already has, such as the preflight's, for the probes that ask it.
func (pc *probeCache) put(path string, query url.Values, probed *suites.Probed) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.answers == nil {
		pc.answers = map[string]*probeAnswer{}
	}
	pc.answers[path+"?"+query.Encode()] = &probeAnswer{probed: probed}
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
	// Callers wait for the one request under way; an error is not kept, so a passing timeout
	// does not turn a comparison off for the rest of the run.
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.probed == nil {
		probed, err := e.sendProbe(ctx, path, query)
		if err != nil {
			return nil, err
		}
		a.probed = probed
	}
	return a.probed, nil
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
