// Package session is one run of the suite against one server, as both drivers make it: the
// command line (package runner) and runner/conformancetest. It checks the configured ids, runs
// the preflight first, then the cases and the generated inputs on the same workers, holds each
// result to the expectations file as it ends, and sums the run up in a report.Run. Printing,
// reporting and exit codes are the drivers' own.
package session

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/expect"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// Target is the server a session runs against, and how it is reached.
type Target struct {
	// URL is the base URL the cases are sent to, a path prefix included.
	URL string
	// Tokens supplies the token, renewing it when it can; Redactor knows every secret of the run
	// and is shared with the driver's output.
	Tokens   *engine.TokenSource
	Redactor *engine.Redactor
	// UserAgent identifies the driver.
	UserAgent string
	// Names name the settings in messages and skip reasons; TokenRenewal names how a renewable
	// token is given. Both name the runner's flags when empty.
	Names        suites.Inputs
	TokenRenewal string
	// Expectations is the team's expectations file, or nil.
	Expectations *expect.File
	// Claim is what the run claims (--profile), read from the configuration when nil.
	Claim *suites.Claim
}

// Session is one run. Its steps go in order: Preflight, then Run (or Unjudged when the preflight
// failed), then Record.
type Session struct {
	Contract *spec.Contract
	Config   *config.Config
	Engine   *engine.Engine
	// Inputs is what the cases know of the server: the ids, whether there is a token, the seed,
	// the claim.
	Inputs suites.Config
	// Claim is what the run claims: the cases outside it are not sent.
	Claim *suites.Claim
	// Cases are the fixed cases, in the catalogue's order.
	Cases []*suites.Case
	// Warnings are what a reader must know about how the run reached the server before trusting
	// its verdict; Record adds what the run itself found (a token that expired).
	Warnings []string

	target      Target
	started     time.Time
	preflight   *engine.Preflight
	exploration *engine.Exploration
}

// Open builds the engine and the cases for the configuration and the target; an error means the
// run cannot be made. Nothing is sent.
func Open(contract *spec.Contract, cfg *config.Config, target Target) (*Session, error) {
	claim := target.Claim
	if claim == nil {
		var err error
		if claim, err = suites.ParseClaim(contract, cfg.Profile, cfg.Strict); err != nil {
			return nil, err
		}
	}
	opts := cfg.EngineOptions()
	opts.BaseURL, opts.UserAgent = target.URL, target.UserAgent
	opts.Tokens, opts.Redactor, opts.TokenRenewal = target.Tokens, target.Redactor, target.TokenRenewal
	eng, err := engine.New(contract, opts)
	if err != nil {
		return nil, err
	}
	inputs := suites.Config{
		ContactID: cfg.ContactID, ForeignContactID: cfg.ForeignContactID, HaveToken: target.Tokens.Token() != "", Seed: cfg.Seed,
		Names: target.Names, Claim: claim,
	}
	return &Session{
		Contract: contract, Config: cfg, Engine: eng, Inputs: inputs, Claim: claim, Cases: suites.Build(contract, inputs),
		Warnings: transportWarnings(cfg, target.URL), target: target,
	}, nil
}

// NotMade is the record of a run that could not be made once its reports were asked for (the
// token command failed): every case ends unsent with the reason, as after a failed preflight, so
// that no report an earlier run left at those paths passes for this one.
func NotMade(contract *spec.Contract, cfg *config.Config, target Target, reason string) *report.Run {
	claim := target.Claim
	if claim == nil {
		claim, _ = suites.ParseClaim(contract, cfg.Profile, cfg.Strict) // Open has the error
	}
	inputs := suites.Config{ContactID: cfg.ContactID, ForeignContactID: cfg.ForeignContactID, HaveToken: true, Seed: cfg.Seed, Names: target.Names, Claim: claim}
	s := &Session{
		Contract: contract, Config: cfg, Inputs: inputs, Claim: claim, Cases: suites.Build(contract, inputs),
		Warnings: transportWarnings(cfg, target.URL), target: target, started: time.Now(),
		preflight: engine.RefusedPreflight(engine.CheckRun, reason),
	}
	return s.Record(engine.Unjudged(s.Cases, cfg.EngineOptions().Selection, target.Redactor, "not run: "+reason))
}

// Preflight checks the configured ids, then sends the preflight's reads. When either fails, the
// second result is the run's one-line reason ("preflight: the server refused the token ..."),
// and no case may be judged.
func (s *Session) Preflight(ctx context.Context) (*engine.Preflight, string) {
	s.started = time.Now()
	if err := s.Inputs.Validate(s.Contract); err != nil {
		s.preflight = engine.RefusedPreflight(err.Check, err.Error())
		return s.preflight, err.Error()
	}
	s.preflight = s.Engine.Preflight(ctx, suites.PreflightReads(s.Contract, s.Inputs))
	if s.preflight.Failed() {
		return s.preflight, "preflight: " + s.preflight.Failure
	}
	return s.preflight, ""
}

// Unjudged ends every case unsent, for a run whose preflight failed.
func (s *Session) Unjudged() []*engine.Result {
	return s.Engine.Unjudged(s.Cases, "not run: the preflight failed: "+s.preflight.Failure)
}

// Run sends the cases and, when explore is set, the generated inputs, on the same workers, so that
// none waits between the two. Each case's result is held to the expectations file and passed to
// each (with the case's index) as it ends, in any order; each may be nil. The generated inputs'
// results are then folded, each distinct finding shrunk and reported once, and held to the file
// too: explored are those, after everything the catalogue names.
func (s *Session) Run(ctx context.Context, cases []*suites.Case, explore bool, each func(i int, r *engine.Result)) (results, explored []*engine.Result) {
	var generated []*suites.Case
	if explore {
		generated = suites.Explore(s.Contract, s.Inputs, s.Config.Explore)
	}
	all := s.Engine.Run(ctx, append(slices.Clip(cases), generated...), func(i int, r *engine.Result) {
		if i < len(cases) {
			s.judge(r)
			if each != nil {
				each(i, r)
			}
		}
	})
	results = all[:len(cases)]
	if explore {
		explored, s.exploration = s.Engine.Fold(ctx, generated, all[len(cases):], s.Config.Seed)
		for _, r := range explored {
			s.judge(r)
		}
	}
	return results, explored
}

// judge applies the expectations file to a result as it ends, so that what prints it already
// says "expected failure"; the engine never sees them.
func (s *Session) judge(r *engine.Result) {
	if s.target.Expectations != nil {
		s.target.Expectations.Judge(r, s.Claim.StrictFor(r.Operation), s.started)
	}
}

// Record sums the run up from all its results, in the order they are to be reported: the
// verdict's counts, the preflight, the generative phase, what became of every expectation, and
// every warning.
func (s *Session) Record(results []*engine.Result) *report.Run {
	warnings := slices.Clone(s.Warnings)
	// A token that expired during the preflight is its failure already, said once.
	if s.Engine != nil && !s.preflight.Failed() {
		if after := s.Engine.TokenExpiredAfter(); after > 0 {
			warnings = append(warnings, fmt.Sprintf("WARNING: the token stopped being accepted after %d requests (it expired mid-run); the cases refused from then on ended as errors; use %s to renew it", after, s.Engine.TokenRenewal()))
		}
	}
	redactor := s.target.Redactor
	if s.Engine != nil {
		redactor = s.Engine.Redactor()
	}
	run := &report.Run{
		SuiteVersion: report.Version, SpecSHA256: s.Contract.Hash, Target: redactor.String(s.target.URL),
		Started: s.started, Finished: time.Now(), Seed: s.Config.Seed, Strict: s.Config.Strict,
		Config: s.Config.Redacted(), Endpoints: report.EndpointsOf(s.Contract),
		Summary: engine.Summarize(results), Results: results, Preflight: s.preflight, Exploration: s.exploration,
		InsecureTLS: s.Config.Insecure, Warnings: warnings,
	}
	run.Config["base_url"] = run.Target
	if s.target.Expectations != nil {
		run.Expectations = s.target.Expectations.Settle(results, checksOf(s.Cases), s.started)
	}
	run.Claim = report.NewClaim(s.Claim.Profiles, results)
	return run
}

// checksOf maps each case to the requirements it checks.
func checksOf(cases []*suites.Case) map[string][]string {
	checks := make(map[string][]string, len(cases))
	for _, c := range cases {
		for _, r := range c.Requirements() {
			checks[c.ID] = append(checks[c.ID], r.ID)
		}
	}
	return checks
}

// transportWarnings are what a reader must know about how the run reached the server before
// trusting its verdict: certificates not verified, or the token sent in clear text to a host
// that is not this machine.
func transportWarnings(cfg *config.Config, target string) []string {
	var warnings []string
	if cfg.Insecure {
		warnings = append(warnings, config.InsecureWarning)
	}
	if u, err := url.Parse(target); err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()) {
		warnings = append(warnings, fmt.Sprintf("WARNING: %s is plain http:// to a host that is not a loopback address: the token travels in clear text, readable by anyone on the way. Use https://.", u.Redacted()))
	}
	return warnings
}

// isLoopback reports whether a host names this machine: localhost, or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
