package main

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// textReporter prints each case as it ends, then the failures in full and the summary line.
type textReporter struct {
	w              io.Writer
	verbose, quiet bool
	// Cases end in any order; lines are printed in the cases' order, as soon as every case
	// before them has ended, so two runs print the same text.
	pending map[int]*engine.Result
	next    int
}

func (t *textReporter) header(c *spec.Contract, target string, cfg *config.Config) {
	fmt.Fprintf(t.w, "contacts-conformance %s, spec sha256 %s\n", report.Version, c.Hash[:12])
	fmt.Fprintf(t.w, "target %s, seed %d (repeat this run's generated ids with --seed %d)\n", target, cfg.Seed, cfg.Seed)
	if cfg.Strict {
		fmt.Fprintln(t.w, "strict: SHOULD-level findings fail the run")
	}
}

var outcomeLabel = map[engine.Outcome]string{
	engine.Pass: "PASS ", engine.Fail: "FAIL ", engine.Warn: "WARN ", engine.Skip: "SKIP ", engine.Error: "ERROR",
}

func (t *textReporter) result(i int, r *engine.Result) {
	if t.pending == nil {
		t.pending = map[int]*engine.Result{}
	}
	t.pending[i] = r
	for t.pending[t.next] != nil {
		t.print(t.pending[t.next])
		delete(t.pending, t.next)
		t.next++
	}
}

func (t *textReporter) print(r *engine.Result) {
	if t.quiet && r.Outcome != engine.Fail && r.Outcome != engine.Error {
		return
	}
	line := fmt.Sprintf("%s %s  %s", outcomeLabel[r.Outcome], r.ID, r.Title)
	if r.Outcome == engine.Skip || r.Outcome == engine.Error {
		line += " (" + r.Reason + ")"
	}
	for _, n := range r.Notes {
		line += " [" + n + "]"
	}
	fmt.Fprintln(t.w, line)
	if t.verbose && r.Request != nil {
		fmt.Fprintf(t.w, "      > %s %s\n", r.Request.Method, r.Request.URL)
		if r.Response != nil {
			fmt.Fprintf(t.w, "      < %d %s\n", r.Response.Status, oneLineBody(r.Response.Body))
		}
	}
}

// oneLineBody shows a body on one line. A hostile server's control characters (terminal escape
// sequences among them) are dropped, so that a body cannot rewrite what the user sees.
func oneLineBody(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

func (t *textReporter) summary(run *report.Run) {
	var failed []*engine.Result
	for _, r := range run.Results {
		if r.Outcome == engine.Fail || r.Outcome == engine.Warn {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintln(t.w, "\nFindings:")
	}
	for _, r := range failed {
		fmt.Fprintf(t.w, "\n%s %s\n  %s\n", outcomeLabel[r.Outcome], r.ID, r.Title)
		for _, f := range r.Findings {
			for _, line := range strings.Split(strings.TrimRight(f.Describe(), "\n"), "\n") {
				fmt.Fprintf(t.w, "  %s\n", line)
			}
		}
		if r.Curl != "" {
			fmt.Fprintf(t.w, "  reproduce: %s\n", r.Curl)
		}
	}
	fmt.Fprintf(t.w, "\n%s\n", run.Summary)
}

// printCatalogue prints the requirements and the cases that check them, sending nothing.
func printCatalogue(w io.Writer, c *spec.Contract, cfg *config.Config) {
	fmt.Fprintln(w, "Requirements:")
	for _, r := range suites.Requirements() {
		fmt.Fprintf(w, "  %-10s %-6s %s\n             anchor: %s\n", r.ID, r.Level, r.Text, r.Anchor)
	}
	fmt.Fprintln(w, "\nCases:")
	cases := suites.Build(c, suites.Config{ContactID: cfg.ContactID, ForeignContactID: cfg.ForeignContactID, HaveToken: true, Seed: cfg.Seed})
	for _, cs := range cases {
		var ids []string
		seen := map[string]bool{}
		for _, ch := range cs.Checks {
			if !seen[ch.Req.ID] {
				seen[ch.Req.ID] = true
				ids = append(ids, ch.Req.ID)
			}
		}
		fmt.Fprintf(w, "  %-55s %s\n  %55s %s\n", cs.ID, strings.Join(ids, " "), "", cs.Title)
	}
}
