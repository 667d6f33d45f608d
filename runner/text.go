package runner

import (
	"fmt"
	"io"
	"strings"
	"time"
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
	// progress is set when a person watches a terminal: one line there, rewritten as each case
	// ends, counts the outcomes, and passing cases get no line of their own.
	progress io.Writer
	total    int
	ended    []*engine.Result
	// Cases end in any order; lines are printed in the cases' order, as soon as every case
	// before them has ended, so two runs print the same text.
	pending map[int]*engine.Result
	next    int
}

func (t *textReporter) header(c *spec.Contract, target string, cfg *config.Config, build report.Build, claim *suites.Claim) {
	fmt.Fprintf(t.w, "%s, spec sha256 %s\n", versionLine(build), c.Hash[:12])
	fmt.Fprintf(t.w, "target %s, seed %d (repeat this run's generated ids with --seed %d)\n", target, cfg.Seed, cfg.Seed)
	var unclaimed []string
	for _, op := range c.Operations {
		if !claim.Covers(op.ID) {
			unclaimed = append(unclaimed, op.ID)
		}
	}
	line := "claim: " + claim.String()
	if len(unclaimed) > 0 {
		line += "; not claimed, so not sent: " + strings.Join(unclaimed, ", ")
	}
	fmt.Fprintln(t.w, line)
	if cfg.Strict {
		fmt.Fprintln(t.w, "strict: SHOULD-level findings fail the run")
	}
}

// preflight prints what the preflight established, before any case: the facts a verdict rests on,
// or why there is none. --quiet keeps the facts that need a look.
func (t *textReporter) preflight(p *engine.Preflight) {
	for _, f := range p.Facts {
		if t.quiet && f.Outcome == engine.FactOK {
			continue
		}
		fmt.Fprintf(t.w, "preflight %-6s %s\n", preflightLabel[f.Outcome], f.Detail)
	}
}

var preflightLabel = map[string]string{engine.FactOK: "ok", engine.FactFailed: "FAILED", engine.FactNoted: "note"}

var outcomeLabel = map[engine.Outcome]string{
	engine.Pass: "PASS ", engine.Fail: "FAIL ", engine.Warn: "WARN ", engine.Skip: "SKIP ", engine.Error: "ERROR",
	engine.ExpectedFail: "XFAIL",
}

func (t *textReporter) result(i int, r *engine.Result) {
	if t.pending == nil {
		t.pending = map[int]*engine.Result{}
	}
	t.pending[i] = r
	t.ended = append(t.ended, r)
	t.clearProgress()
	for t.pending[t.next] != nil {
		t.print(t.pending[t.next])
		delete(t.pending, t.next)
		t.next++
	}
	if t.progress != nil {
		c := engine.Summarize(t.ended)
		expected := ""
		if c.XFail > 0 {
			expected = fmt.Sprintf(", %d expected failures", c.XFail)
		}
		fmt.Fprintf(t.progress, "[%d/%d] %d passed, %d failed%s, %d warnings, %d skipped, %d errors",
			c.Total, t.total, c.Pass, c.Fail, expected, c.Warn, c.Skip, c.Error)
	}
}

// clearProgress erases the progress line, so the next line starts on a clean row.
func (t *textReporter) clearProgress() {
	if t.progress != nil {
		fmt.Fprint(t.progress, "\r\033[K")
	}
}

// shows reports whether a case gets a line of its own: failures and errors always; warnings and
// skips unless --quiet; passes unless --quiet or a progress line counts them; cases left out by
// --run/--skip or outside the claim never (the summary counts them, --list names them).
func (t *textReporter) shows(o engine.Outcome) bool {
	switch {
	case o == engine.Fail || o == engine.Error:
		return true
	case o == engine.Disabled || o == engine.NotClaimed || t.quiet:
		return false
	case t.verbose:
		return true
	default:
		return o != engine.Pass || t.progress == nil
	}
}

func (t *textReporter) print(r *engine.Result) {
	if !t.shows(r.Outcome) {
		return
	}
	line := fmt.Sprintf("%s %s  %s", outcomeLabel[r.Outcome], r.ID, r.Title)
	if r.Outcome == engine.Skip || r.Outcome == engine.Error || r.Outcome == engine.ExpectedFail {
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
	return spec.Shorten(s, 120)
}

func (t *textReporter) summary(run *report.Run, renewals int) {
	t.clearProgress()
	var failed, errored []*engine.Result
	for _, r := range run.Results {
		switch r.Outcome {
		case engine.Fail, engine.Warn:
			failed = append(failed, r)
		case engine.Error:
			errored = append(errored, r)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintln(t.w, "\nFindings:")
	}
	// A broken behaviour shows in many cases at once (a missing header on every 401): its
	// findings are printed in full once, and the cases after name the first one.
	firstWith := map[string]string{}
	for _, r := range failed {
		fmt.Fprintf(t.w, "\n%s %s\n  %s\n", outcomeLabel[r.Outcome], r.ID, r.Title)
		var findings strings.Builder
		var ids []string
		for _, f := range r.Findings {
			findings.WriteString(f.Describe())
			ids = append(ids, fmt.Sprintf("%s (%s)", f.RequirementID, f.Level))
		}
		if first, ok := firstWith[findings.String()]; ok {
			fmt.Fprintf(t.w, "  %s: the same findings as %s\n", strings.Join(ids, ", "), first)
		} else {
			firstWith[findings.String()] = r.ID
			for _, line := range strings.Split(strings.TrimRight(findings.String(), "\n"), "\n") {
				fmt.Fprintf(t.w, "  %s\n", line)
			}
		}
		if r.Curl != "" {
			fmt.Fprintf(t.w, "  reproduce: %s\n", r.Curl)
		}
	}
	if run.Preflight.Failed() {
		fmt.Fprintf(t.w, "\nNo case was judged: the preflight failed (above).\n")
	} else {
		t.printErrors(errored)
	}
	if line := run.ExplorationLine(); line != "" {
		fmt.Fprintf(t.w, "\n%s\n", line)
	}
	t.printExpectations(run)
	t.printBaseline(run.Baseline)
	if renewals > 0 {
		fmt.Fprintf(t.w, "\nthe token expired during the run and --token-command renewed it %d time(s)\n", renewals)
	}
	if run.Claim != nil {
		fmt.Fprintf(t.w, "\n%s\n", run.Claim.Reason)
	}
	fmt.Fprintf(t.w, "\n%s: %s\n", run.Summary, run.Verdict())
}

// errorExamples is how many cases the error summary names for each reason.
const errorExamples = 3

// printErrors gathers the harness errors by reason just above the verdict, so a run left
// incomplete ends by saying why, once for each cause, however many cases it hit.
func (t *textReporter) printErrors(errored []*engine.Result) {
	if len(errored) == 0 {
		return
	}
	var reasons []string
	byReason := map[string][]string{}
	for _, r := range errored {
		if byReason[r.Reason] == nil {
			reasons = append(reasons, r.Reason)
		}
		byReason[r.Reason] = append(byReason[r.Reason], r.ID)
	}
	fmt.Fprintln(t.w, "\nErrors (the suite could not run these cases):")
	for _, reason := range reasons {
		ids := byReason[reason]
		n := "1 case"
		if len(ids) > 1 {
			n = fmt.Sprintf("%d cases", len(ids))
		}
		named := strings.Join(ids[:min(len(ids), errorExamples)], ", ")
		if len(ids) > errorExamples {
			named += fmt.Sprintf(" and %d more", len(ids)-errorExamples)
		}
		fmt.Fprintf(t.w, "  %s: %s\n    %s\n", n, reason, named)
	}
}

// printExpectations lists the expected failures apart from the failures, one line each (the
// reports hold their findings), then every entry of the file that did not simply match.
func (t *textReporter) printExpectations(run *report.Run) {
	e := run.Expectations
	if e == nil {
		return
	}
	if xfail := run.ExpectedFailures(); len(xfail) > 0 {
		fmt.Fprintf(t.w, "\nExpected failures (listed in %s; they do not fail the run):\n", e.File)
		for _, r := range xfail {
			fmt.Fprintf(t.w, "  XFAIL %s  %s\n    %s\n", r.ID, report.RequirementList(r), r.Reason)
		}
	}
	if outdated := e.Outdated(); len(outdated) > 0 {
		fmt.Fprintf(t.w, "\nThe expectations file %s is out of date:\n", e.File)
		for _, entry := range outdated {
			fmt.Fprintf(t.w, "  %s: %s %s\n", e.Where(entry), entry.ID, entry.Message)
		}
	}
	var undecided []report.ExpectEntry
	for _, entry := range e.Entries {
		if entry.Status == report.EntryNotRun {
			undecided = append(undecided, entry)
		}
	}
	if len(undecided) > 0 {
		fmt.Fprintf(t.w, "\nEntries of %s this run could not decide:\n", e.File)
		for _, entry := range undecided {
			fmt.Fprintf(t.w, "  %s: %s %s\n", e.Where(entry), entry.ID, entry.Message)
		}
	}
}

// printBaseline says what changed since the baseline, naming the new failures and the fixed
// cases; the reports list every change.
func (t *textReporter) printBaseline(d *report.Diff) {
	if d == nil {
		return
	}
	fmt.Fprintf(t.w, "\nSince the baseline %s (%s, %s): %s\n", d.Old.File, d.Old.Started.UTC().Format(time.RFC3339), d.Old.Verdict, d.Counts())
	for _, s := range d.Sections()[:2] {
		for _, c := range s.Cases {
			fmt.Fprintf(t.w, "  %s: %s  %s\n", s.Title, c.ID, c.Transition())
		}
	}
}

// printExplorePlan says what the generative phase of a run with this budget sends.
func printExplorePlan(w io.Writer, c *spec.Contract, cfg suites.Config, budget int) {
	if budget == 0 {
		fmt.Fprintln(w, "\nGenerated inputs: none (--explore 0)")
		return
	}
	ops, share, classes := suites.ExploreShares(c, cfg, budget)
	fmt.Fprintf(w, "\nGenerated inputs (--explore %d, drawn with the seed; each distinct finding is shrunk and reported as explore/<invariant>-<status class>/<operation>):\n", budget)
	for _, op := range ops {
		fmt.Fprintf(w, "  %-40s %4d inputs, first one of each of its %d classes of value, then at random\n", op, share[op], classes[op])
	}
}

// regenerateDocs is how docs/requirements.md is regenerated; the file and the test name it.
const regenerateDocs = "`make docs` (that is, `bin/contacts-conformance --list-markdown > docs/requirements.md`)"

// printMarkdownCatalogue prints docs/requirements.md.
func printMarkdownCatalogue(stdout, stderr io.Writer, c *spec.Contract) int {
	if err := report.Catalogue(stdout, suites.Requirements(), suites.Build(c, suites.CatalogueConfig), suites.Profiles(c), regenerateDocs); err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", err)
		return exitNoRun
	}
	ops, share, classes := suites.ExploreShares(c, suites.CatalogueConfig, suites.DefaultExplore)
	fmt.Fprintf(stdout, "\n## Generated inputs\n\nAfter these cases, a run sends %d generated inputs (`--explore`, drawn with the seed; see [checks](checks.md#generated-inputs)), shared among the reads by their classes of value:\n\n| operation | inputs | classes |\n|---|---:|---:|\n", suites.DefaultExplore)
	for _, op := range ops {
		fmt.Fprintf(stdout, "| %s | %d | %d |\n", op, share[op], classes[op])
	}
	return exitConformant
}

// printCatalogue prints the requirements, the profiles and the selected cases that check them,
// sending nothing; it returns how many cases the selection keeps. The cases are those of a run with
// this configuration and claim: a case outside the claim is not listed, only counted.
func printCatalogue(w io.Writer, c *spec.Contract, cfg *config.Config, sel engine.Selection, claim *suites.Claim) int {
	fmt.Fprintln(w, "Requirements:")
	for _, r := range suites.Requirements() {
		fmt.Fprintf(w, "  %-10s %-6s %s\n             anchor: %s\n", r.ID, r.Level, r.Text, r.Anchor)
	}
	fmt.Fprintf(w, "\nProfiles (--profile NAME[:strict][,NAME...]; this run claims %s):\n", claim)
	for _, p := range suites.Profiles(c) {
		fmt.Fprintf(w, "  %-15s %s\n", p.Name, strings.Join(p.Operations, ", "))
	}
	cases := suites.Build(c, suites.Config{ContactID: cfg.ContactID, ForeignContactID: cfg.ForeignContactID, HaveToken: true, Seed: cfg.Seed, Claim: claim})
	selected := sel.Count(cases)
	fmt.Fprintf(w, "\nCases (%d of %d selected):\n", selected, len(cases))
	if n := len(cases) - claimedCases(cases); n > 0 {
		fmt.Fprintf(w, "  (%d cases are outside the claim: not claimed, never sent)\n", n)
	}
	for _, cs := range cases {
		if !sel.Selects(cs) {
			continue
		}
		var ids []string
		for _, r := range cs.Requirements() {
			ids = append(ids, r.ID)
		}
		fmt.Fprintf(w, "  %-55s %s\n  %55s %s\n", cs.ID, strings.Join(ids, " "), "", cs.Title)
	}
	printExplorePlan(w, c, suites.Config{ContactID: cfg.ContactID, Seed: cfg.Seed, HaveToken: true, Claim: claim}, cfg.Explore)
	return selected
}

// claimedCases counts the cases the claim holds.
func claimedCases(cases []*suites.Case) int {
	n := 0
	for _, c := range cases {
		if c.Unclaimed == "" {
			n++
		}
	}
	return n
}
