package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"regexp"
	"strings"
)

// AgreementProblems are the ways the other reports of a published folder depart from its
// results.json, each as "file: problem": junit.xml's counts and verdict, the verdict and the claim
// in report.html's banner and summary.md, the badge's words. reports holds each report's bytes by
// file name; a name it lacks is a report missing from the folder.
func AgreementProblems(run *Run, reports map[string][]byte) []string {
	checks := map[string]func(*Run, []byte) []string{
		"junit.xml": junitAgrees, "report.html": htmlAgrees, "summary.md": markdownAgrees, "badge.svg": badgeAgrees,
	}
	var problems []string
	for _, f := range Files {
		check := checks[f.Name]
		if check == nil {
			continue // results.json itself
		}
		data, ok := reports[f.Name]
		if !ok {
			problems = append(problems, f.Name+": missing; the runner writes it with every --out")
			continue
		}
		for _, p := range check(run, data) {
			problems = append(problems, f.Name+": "+p)
		}
	}
	return problems
}

func junitAgrees(run *Run, data []byte) []string {
	var got junitSuites
	if err := xml.Unmarshal(data, &got); err != nil {
		return []string{"it is not JUnit XML: " + oneLine(err.Error())}
	}
	want := junitReport(run)
	var problems []string
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"tests", got.Tests, want.Tests}, {"failures", got.Failures, want.Failures}, {"errors", got.Errors, want.Errors},
		{"skipped", got.Skipped, want.Skipped}, {"disabled", got.Disabled, want.Disabled},
	} {
		if c.got != c.want {
			problems = append(problems, fmt.Sprintf("it counts %d %s, results.json's results %d", c.got, c.name, c.want))
		}
	}
	for _, name := range []string{"verdict", "claim.state", "claim"} {
		wantValue, _ := property(want, name)
		gotValue, found := property(got, name)
		switch {
		case !found:
			problems = append(problems, fmt.Sprintf("it has no %s property", name))
		case gotValue != wantValue:
			problems = append(problems, fmt.Sprintf("its %s property is %q, results.json's %q", name, gotValue, wantValue))
		}
	}
	return problems
}

var (
	htmlVerdict = regexp.MustCompile(`<div class="word">([^<]*)</div>`)
	htmlClaim   = regexp.MustCompile(`<p class="claim[^"]*" id="claim">([^<]*)</p>`)
	badgeTitle  = regexp.MustCompile(`<title>([^<]*)</title>`)
)

func htmlAgrees(run *Run, data []byte) []string {
	var problems []string
	if got := firstMatch(htmlVerdict, data); got != run.Verdict() {
		problems = append(problems, fmt.Sprintf("its banner says %q, results.json %q", got, run.Verdict()))
	}
	if run.Claim != nil {
		if got := firstMatch(htmlClaim, data); got != run.Claim.Reason {
			problems = append(problems, fmt.Sprintf("its banner's claim says %q, results.json %q", got, run.Claim.Reason))
		}
	}
	return problems
}

func firstMatch(re *regexp.Regexp, data []byte) string {
	m := re.FindSubmatch(data)
	if m == nil {
		return "(nothing)"
	}
	return html.UnescapeString(string(m[1]))
}

func markdownAgrees(run *Run, data []byte) []string {
	var problems []string
	first, _, _ := strings.Cut(string(data), "\n")
	if want := "## Contacts API conformance: " + run.Verdict(); first != want {
		problems = append(problems, fmt.Sprintf("its first line is %q, not %q", first, want))
	}
	if run.Claim != nil && !bytes.Contains(data, []byte("\n"+markdownClaim(run.Claim)+"\n")) {
		problems = append(problems, fmt.Sprintf("it does not state the claim of results.json, %q", run.Claim.Reason))
	}
	return problems
}

func badgeAgrees(run *Run, data []byte) []string {
	var problems []string
	var want bytes.Buffer
	if err := Badge(&want, run); err != nil {
		return []string{err.Error()}
	}
	switch got, title := firstMatch(badgeTitle, data), BadgeTitle(run); {
	case got != title:
		problems = append(problems, fmt.Sprintf("it says %q, results.json %q", got, title))
	case !bytes.Equal(data, want.Bytes()):
		problems = append(problems, "it is not the badge results.json's run makes: its colours, layout or text differ")
	}
	lower := strings.ToLower(string(data))
	for _, s := range badgeLoads {
		if strings.Contains(lower, s) {
			problems = append(problems, fmt.Sprintf("it holds %q, which loads or runs something; the suite's badge holds nothing of the kind", s))
		}
	}
	return problems
}
