package report

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/suites"
)

// MaxMarkdownProblems caps the problems the Markdown summary details: a CI step summary has a
// size limit (1 MiB on GitHub), and the HTML report holds them all.
const MaxMarkdownProblems = 40

// Markdown writes a summary fit for a CI step summary ($GITHUB_STEP_SUMMARY): the verdict, the
// counts, the endpoints, the requirements not met, each problem with its reproduction, and the
// run's provenance. Whatever the server sent is shown as code, so it cannot inject markup.
func Markdown(w io.Writer, run *Run) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Contacts API conformance: %s\n\n**%s**\n\n", run.Verdict(), text(run.VerdictReason()))
	if run.Claim != nil {
		fmt.Fprintf(&b, "%s\n\n", markdownClaim(run.Claim))
	}
	for _, w := range run.Warnings {
		fmt.Fprintf(&b, "> **%s**\n\n", text(w))
	}
	if run.Baseline != nil {
		markdownDiff(&b, run.Baseline)
	}
	fmt.Fprintf(&b, "%s against %s, %s (%s s). Suite %s (%s), spec sha256 %s, seed %d, claim: %s, strict: %s.\n\n",
		run.Summary, code(run.Target), timestamp(run.Started), seconds(run.Duration()),
		run.SuiteVersion, text(run.Build.String()), code(run.SpecSHA256), run.Seed, text(run.ClaimName()), text(run.StrictText()))

	b.WriteString("| endpoint | cases | pass | fail | expected fail | warn | skip | error | not selected | not claimed |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range run.ByEndpoint() {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n",
			cell(code(strings.TrimSpace(t.Method+" "+t.Path))+" "+t.Operation), t.Total, t.Pass, t.Fail, t.XFail, t.Warn, t.Skip, t.Error, t.Disabled, t.NotClaimed)
	}

	if run.Preflight != nil && len(run.Preflight.Facts) > 0 {
		b.WriteString("\n### Preflight\n\n| outcome | check | what was found |\n|---|---|---|\n")
		for _, f := range run.Preflight.Facts {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", f.Outcome, f.Check, cell(text(f.Detail)))
		}
	}

	if line := run.ExplorationLine(); line != "" {
		fmt.Fprintf(&b, "\n%s\n", text(line))
	}

	if missed := run.MissedRequirements(); len(missed) > 0 {
		b.WriteString("\n### Requirements not met\n\n| requirement | level | sentence | cases |\n|---|---|---|---:|\n")
		for _, m := range missed {
			fmt.Fprintf(&b, "| %s | %s | %s | %d |\n", m.ID, m.Level, cell(text(m.Text)), len(m.Cases))
		}
	}

	markdownExpectations(&b, run)

	problems := run.Problems()
	if len(problems) > 0 {
		b.WriteString("\n### Failures, warnings and errors\n\nEach reproduction reads the token from `$CONFORMANCE_TOKEN`.\n")
	}
	for i, r := range problems {
		if i == MaxMarkdownProblems {
			fmt.Fprintf(&b, "\n%d more in report.html and results.json.\n", len(problems)-i)
			break
		}
		fmt.Fprintf(&b, "\n#### %s %s\n\n%s\n\n", strings.ToUpper(string(r.Outcome)), code(r.ID), text(r.Title))
		if r.Reason != "" {
			fmt.Fprintf(&b, "- reason: %s\n", code(r.Reason))
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- note: %s\n", code(n))
		}
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "- **%s (%s)** %s\n  - expected: %s\n  - actual: %s\n", f.RequirementID, f.Level, text(f.Requirement), code(f.Expected), code(f.Actual))
			for _, d := range f.Details {
				fmt.Fprintf(&b, "    - %s\n", code(d))
			}
		}
		if r.Curl != "" {
			fmt.Fprintf(&b, "\n%s", fence(r.Curl, "sh"))
		}
	}

	var noted []string
	for _, r := range run.Results {
		if r.Outcome == engine.Pass {
			for _, n := range r.Notes {
				noted = append(noted, fmt.Sprintf("- %s: %s\n", code(r.ID), code(n)))
			}
		}
	}
	if len(noted) > 0 {
		b.WriteString("\n### Notes on passing cases\n\n" + strings.Join(noted, ""))
	}

	b.WriteString("\n<details><summary>Configuration (secrets redacted)</summary>\n\n| setting | value |\n|---|---|\n")
	for _, k := range run.ConfigKeys() {
		fmt.Fprintf(&b, "| %s | %s |\n", k, cell(code(run.Config[k])))
	}
	fmt.Fprintf(&b, "\nFinished %s.\n\n</details>\n", timestamp(run.Finished))
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownClaim is the claim's line in the summary: its reason, in bold when the claim is partial.
func markdownClaim(c *Claim) string {
	if c.State == ClaimPartial {
		return "**" + text(c.Reason) + "**"
	}
	return text(c.Reason)
}

// markdownExpectations lists the expected failures apart from the failures, then every entry of
// the expectations file with what became of it.
func markdownExpectations(b *strings.Builder, run *Run) {
	e := run.Expectations
	if e == nil {
		return
	}
	if xfail := run.ExpectedFailures(); len(xfail) > 0 {
		fmt.Fprintf(b, "\n### Expected failures\n\nListed in %s: they do not fail the run, and report.html has their findings.\n\n| case | requirements | expected because |\n|---|---|---|\n", code(e.File))
		for i, r := range xfail {
			if i == MaxMarkdownProblems {
				fmt.Fprintf(b, "\n%d more in report.html and results.json.\n", len(xfail)-i)
				break
			}
			fmt.Fprintf(b, "| %s | %s | %s |\n", cell(code(r.ID)), RequirementList(r), cell(text(r.Reason)))
		}
	}
	fmt.Fprintf(b, "\n### Expectations file %s\n\n", code(e.File))
	if outdated := e.Outdated(); len(outdated) > 0 {
		fmt.Fprintf(b, "**Out of date: %s.**\n\n", text(outdatedCounts(outdated)))
	}
	b.WriteString("| line | case or requirement | expires | status | what it means |\n|---:|---|---|---|---|\n")
	for i, entry := range e.Entries {
		if i == MaxMarkdownProblems {
			fmt.Fprintf(b, "\n%d more in report.html and results.json.\n", len(e.Entries)-i)
			break
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s |\n", entry.Line, cell(code(entry.ID)), entry.Expires, entry.Status, cell(text(entry.Message)))
	}
}

// Catalogue writes the requirement catalogue as Markdown: every requirement with the number of
// cases checking it, then every case with the requirements it checks. docs/requirements.md is
// this output, and a test keeps it current; regenerate says how to regenerate it. profiles are
// what a vendor can claim, with the operations and the number of cases each holds.
func Catalogue(w io.Writer, reqs []*suites.Requirement, cases []*suites.Case, profiles []suites.Profile, regenerate string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Requirement catalogue\n\nGenerated by %s; do not edit it by hand: a test fails when it is stale.\n\n", regenerate)
	b.WriteString("Every check of the suite: a stable id (published reports name it, so it is never reused), a level " +
		"(RFC 2119: a MUST finding fails the run, a SHOULD finding is a warning unless `--strict`), the requirement " +
		"and the sentence of [the contract](contract.md) it enforces. `--run` and `--skip` select cases by case id, title or requirement id.\n\n")
	count := map[*suites.Requirement]int{}
	for _, c := range cases {
		for _, r := range c.Requirements() {
			count[r]++
		}
	}
	b.WriteString("## Requirements\n\n| id | level | requirement | anchor | cases |\n|---|---|---|---|---:|\n")
	var everywhere []*suites.Requirement
	for _, r := range reqs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d |\n", r.ID, r.Level, cell(text(r.Text)), cell(docLink(r.Anchor)), count[r])
		if count[r] == len(cases) && len(cases) > 0 {
			everywhere = append(everywhere, r)
		}
	}
	b.WriteString("\n## Profiles\n\nWhat a vendor claims with `--profile NAME[,NAME]` (each strictly with `NAME:strict`, SHOULD-level requirements included); " +
		"every operation names its profile in the document (`x-conformance-profile`). A case belongs to its operation's profile; the cases outside the claim are reported as not claimed and never sent.\n\n")
	b.WriteString("| profile | operations | cases |\n|---|---|---:|\n")
	for _, p := range profiles {
		n := 0
		for _, c := range cases {
			if slices.Contains(p.Operations, c.Operation.ID) {
				n++
			}
		}
		ops := make([]string, len(p.Operations))
		for i, op := range p.Operations {
			ops[i] = code(op)
		}
		fmt.Fprintf(&b, "| %s | %s | %d |\n", code(p.Name), strings.Join(ops, ", "), n)
	}
	fmt.Fprintf(&b, "\n## Cases\n\n%d cases, derived from `spec/openapi.yaml`. Every case also checks %s.\n\n", len(cases), idList(everywhere))
	b.WriteString("| case | title | requirements |\n|---|---|---|\n")
	for _, c := range cases {
		var own []*suites.Requirement
		for _, r := range c.Requirements() {
			if count[r] != len(cases) {
				own = append(own, r)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(code(c.ID)), cell(text(c.Title)), idList(own))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// docLink is a requirement's anchor as a link from docs/, where the catalogue lives, to the sentence
// of the contract it names.
func docLink(anchor string) string {
	target, ok := strings.CutPrefix(anchor, "docs/")
	if !ok {
		return text(anchor)
	}
	return "[" + target + "](" + target + ")"
}

func idList(reqs []*suites.Requirement) string {
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		ids[i] = r.ID
	}
	return strings.Join(ids, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

var backtickRun = regexp.MustCompile("`+")

// longestBackticks is the longest run of backticks in s, so a code span or fence can be longer.
func longestBackticks(s string) int {
	n := 0
	for _, run := range backtickRun.FindAllString(s, -1) {
		n = max(n, len(run))
	}
	return n
}

// code is s as an inline code span: nothing in it is markup, whatever it holds.
func code(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	delim := strings.Repeat("`", longestBackticks(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return delim + s + delim
}

// fence is s as a fenced code block.
func fence(s, lang string) string {
	delim := strings.Repeat("`", max(3, longestBackticks(s)+1))
	return delim + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + delim + "\n"
}

var markdownSpecial = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "&", `\&`, "~", `\~`, "#", `\#`,
)

// text is plain prose with the characters Markdown would read as markup escaped.
func text(s string) string { return markdownSpecial.Replace(strings.Join(strings.Fields(s), " ")) }

// cell makes a value safe inside a table row, where a pipe ends the cell even in a code span.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
