package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/suites"
)

var (
	contactsProfile  = suites.ClaimedProfile{Name: "contacts", Strict: true, Operations: []string{"getContactById"}}
	campaignsProfile = suites.ClaimedProfile{Name: "campaigns", Operations: []string{"listCampaigns"}}
)

// written is what a report writer makes of the run.
func written(t *testing.T, write func(io.Writer, *Run) error, run *Run) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b, run))
	return b.String()
}

func result(id, op string, o engine.Outcome) *engine.Result {
	return &engine.Result{ID: id, Operation: op, Outcome: o}
}

func TestClaimStates(t *testing.T) {
	tests := []struct {
		name     string
		profiles []suites.ClaimedProfile
		results  []*engine.Result
		state    string
		reason   string
	}{
		{"every claimed case judged, failures included", []suites.ClaimedProfile{contactsProfile}, []*engine.Result{
			result("a/1/getContactById", "getContactById", engine.Pass), result("a/2/getContactById", "getContactById", engine.Fail),
			result("a/3/getContactById", "getContactById", engine.Warn), result("a/1/listCampaigns", "listCampaigns", engine.NotClaimed),
		}, ClaimComplete, "complete claim: every one of the 3 cases of the contacts (strict) profile ran and was judged"},
		{"cases that did not run", []suites.ClaimedProfile{contactsProfile}, []*engine.Result{
			result("a/1/getContactById", "getContactById", engine.Skip), result("a/2/getContactById", "getContactById", engine.Skip),
			result("a/3/getContactById", "getContactById", engine.Disabled), result("a/4/getContactById", "getContactById", engine.Pass),
		}, ClaimPartial, "partial claim: 3 cases of the contacts profile did not run: 2 skipped (a/1/getContactById, a/2/getContactById), 1 not selected (a/3/getContactById)"},
		{"two profiles, errors and an expected failure", []suites.ClaimedProfile{contactsProfile, campaignsProfile}, []*engine.Result{
			result("e/1/getContactById", "getContactById", engine.Error), result("e/2/getContactById", "getContactById", engine.Error),
			result("e/3/getContactById", "getContactById", engine.Error), result("e/4/getContactById", "getContactById", engine.Error),
			result("x/1/listCampaigns", "listCampaigns", engine.ExpectedFail), result("p/1/listCampaigns", "listCampaigns", engine.Pass),
		}, ClaimPartial, "partial claim: 4 cases of the contacts profile and 1 of the campaigns profile did not run or failed as expected: " +
			"4 ended in errors (e/1/getContactById, e/2/getContactById, e/3/getContactById and 1 more), 1 failed as expected (x/1/listCampaigns)"},
		{"excused failures alone", []suites.ClaimedProfile{campaignsProfile}, []*engine.Result{
			result("x/1/listCampaigns", "listCampaigns", engine.ExpectedFail), result("p/1/listCampaigns", "listCampaigns", engine.Pass),
		}, ClaimPartial, "partial claim: 1 case of the campaigns profile failed as expected: 1 failed as expected (x/1/listCampaigns)"},
		{"a variant of the token that is the token itself", []suites.ClaimedProfile{campaignsProfile}, []*engine.Result{
			result("auth/token-lower-case/listCampaigns", "listCampaigns", engine.Skip), result("p/1/listCampaigns", "listCampaigns", engine.Pass),
		}, ClaimComplete, "complete claim: the 1 case of the campaigns profile ran and was judged (1 more did not apply: " + engine.VariantIsTheToken + ")"},
		{"no case of the claim", []suites.ClaimedProfile{campaignsProfile}, []*engine.Result{
			result("a/1/getContactById", "getContactById", engine.NotClaimed),
		}, ClaimPartial, "partial claim: no case of the campaigns profile is among the results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range tt.results {
				if strings.HasPrefix(r.ID, "auth/token-lower-case/") {
					r.Reason = engine.VariantIsTheToken
				}
			}
			c := NewClaim(tt.profiles, tt.results)
			assert.Equal(t, tt.state, c.State)
			assert.Equal(t, tt.reason, c.Reason)
		})
	}
}

// A claimed run carries its claim beside the verdict in every report; the cases outside it are
// kept apart as not claimed, JUnit skipping them with a type of their own.
func TestTheClaimReachesEveryReport(t *testing.T) {
	run := sampleRun()
	run.Results = append(run.Results, &engine.Result{ID: "ok/list/listOutboundWebhookFlows", Area: "ok", Title: "the list is answered 200", Operation: "listOutboundWebhookFlows",
		Outcome: engine.NotClaimed, Reason: "not claimed: listOutboundWebhookFlows is in the webhook-flows profile, which the claim (contacts (strict)) leaves out; nothing was sent"})
	run.Summary = engine.Summarize(run.Results)
	run.Claim = NewClaim([]suites.ClaimedProfile{contactsProfile, campaignsProfile, {Name: "phone-numbers", Operations: []string{"listPhoneNumbers"}}}, run.Results)
	require.Equal(t, ClaimPartial, run.Claim.State)
	reason := run.Claim.Reason
	assert.Equal(t, "partial claim: 1 case of the contacts profile, 1 of the campaigns profile and 1 of the phone-numbers profile did not run: "+
		"1 skipped (unknown-id/foreign/getContactById), 1 not selected (methods/post/listPhoneNumbers), 1 ended in an error (list/limit-1/listCampaigns)", reason)

	doc := []byte(render(t, func(b *bytes.Buffer, r *Run) error { return JSON(b, r) }, run))
	res := validate(t, doc)
	require.True(t, res.Valid(), "%v", res.Errors())
	var parsed struct {
		Claim   Claim
		Summary engine.Summary
	}
	require.NoError(t, json.Unmarshal(doc, &parsed))
	assert.Equal(t, *run.Claim, parsed.Claim)
	assert.Equal(t, 1, parsed.Summary.NotClaimed)

	html := written(t, HTML, run)
	assert.Contains(t, html, `<p class="claim claim-partial" id="claim">`+strings.ReplaceAll(reason, "'", "&#39;")+`</p>`)
	assert.Contains(t, html, `<td class="o o-not-claimed">not claimed</td>`)
	md := written(t, Markdown, run)
	assert.Contains(t, md, "\n**"+text(reason)+"**\n")
	assert.Contains(t, md, "7 cases: 1 passed, 1 failed, 1 warnings, 1 skipped, 1 errors, 1 not selected, 1 not claimed against")

	var junit junitSuites
	require.NoError(t, xml.Unmarshal([]byte(written(t, JUnit, run)), &junit))
	assert.Equal(t, 3, junit.Skipped, "the skip, the case not selected and the one not claimed")
	assert.Equal(t, 1, junit.Disabled, "not claimed is not disabled")
	var skipped *junitMessage
	for _, s := range junit.Suites {
		for _, c := range s.Cases {
			if c.Name == "ok/list/listOutboundWebhookFlows" {
				skipped = c.Skipped
			}
		}
	}
	require.NotNil(t, skipped)
	assert.Equal(t, "not-claimed", skipped.Type)
	state, _ := property(junit, "claim.state")
	assert.Equal(t, ClaimPartial, state)
	name, _ := property(junit, "claim")
	assert.Equal(t, "contacts (strict), campaigns, phone-numbers", name)

	for _, o := range []engine.Outcome{engine.NotClaimed} {
		_, err := parseRun([]byte(fmt.Sprintf(`{"suite_version":"0.2.0","spec_sha256":"x","started":"2025-03-01T02:00:00Z","summary":{},"verdict":"conformant","results":[{"id":"a/b/c","outcome":%q}]}`, o)))
		assert.NoError(t, err, "a results file with %s reads back", o)
	}
}

// The badge states the verdict, the claim and the suite version, escapes what it shows, is green
// only for a complete conformant claim, and loads nothing.
func TestBadge(t *testing.T) {
	run := sampleRun()
	run.Results = run.Results[:1]
	run.Summary = engine.Summarize(run.Results)
	run.Claim = NewClaim([]suites.ClaimedProfile{{Name: "contacts", Strict: true, Operations: []string{"getContactById"}}}, run.Results)
	svg := written(t, Badge, run)
	assert.Contains(t, svg, "<title>Contacts API conformance: conformant, contacts (strict), complete claim, contacts-conformance "+Version+"</title>")
	assert.Contains(t, svg, `fill="`+verdictColours[Conformant]+`"`)
	assert.Contains(t, svg, ">conformant</text>")
	require.NoError(t, xml.Unmarshal([]byte(svg), new(struct{})), "well-formed XML")
	for _, s := range badgeLoads {
		assert.NotContains(t, strings.ToLower(svg), s)
	}

	run.Results = append(run.Results, result("ok/known/getContactById", "getContactById", engine.Skip))
	run.Summary = engine.Summarize(run.Results)
	run.Claim = NewClaim(run.Claim.Profiles, run.Results)
	svg = written(t, Badge, run)
	assert.Contains(t, svg, ">conformant, partial claim</text>")
	assert.Contains(t, svg, `fill="`+partialColour+`"`)
	assert.NotContains(t, svg, verdictColours[Conformant], "a partial claim is never green")

	run.SuiteVersion = `9.9.9 <script>&"`
	svg = written(t, Badge, run)
	assert.NotContains(t, svg, "<script")
	assert.Contains(t, svg, "9.9.9 &lt;script&gt;&amp;&#34;")
	require.NoError(t, xml.Unmarshal([]byte(svg), new(struct{})))
}

// recorded is the sample run written as results.json and read back, as verify reads it.
func recorded(t *testing.T, run *Run) (*Recorded, []byte) {
	t.Helper()
	doc := []byte(written(t, JSON, run))
	rec, err := ParseRecorded(doc)
	require.NoError(t, err)
	return rec, doc
}

func edited(t *testing.T, doc []byte, edit func(d map[string]any)) *Recorded {
	t.Helper()
	var d map[string]any
	require.NoError(t, json.Unmarshal(doc, &d))
	edit(d)
	b, err := json.Marshal(d)
	require.NoError(t, err)
	rec, err := ParseRecorded(b)
	require.NoError(t, err)
	return rec
}

// Every count, outcome, verdict and claim a results file states is computed again from its
// results: a file that states what its results do not give is caught, each way at its line.
func TestConsistencyProblems(t *testing.T) {
	rec, doc := recorded(t, sampleRun())
	require.Empty(t, rec.ConsistencyProblems(), "a file as written is consistent")
	res := func(d map[string]any, i int) map[string]any { return d["results"].([]any)[i].(map[string]any) }
	tests := []struct {
		name string
		edit func(d map[string]any)
		want []string
	}{
		{"a count", func(d map[string]any) { d["summary"].(map[string]any)["fail"] = 0.0 },
			[]string{"its summary says fail is 0, but 1 results have the outcome fail"}},
		{"a failure turned into a pass, counts and verdict too", func(d map[string]any) {
			res(d, 1)["outcome"] = "pass"
			s := d["summary"].(map[string]any)
			s["fail"], s["pass"] = 0.0, 2.0
			d["verdict"] = "conformant"
		}, []string{"the case ok/known/getContactById is pass, but its findings make it fail", `it states the verdict "conformant", but its results come to "incomplete"`}},
		{"a warning where strict makes a failure", func(d map[string]any) { d["strict"] = true },
			[]string{"the case auth/missing-header-unknown-id/getContactById is warn, but its findings make it fail"}},
		{"a verdict", func(d map[string]any) { d["verdict"] = "conformant" },
			[]string{`it states the verdict "conformant", but its results come to "not conformant"`}},
		{"a claim's state", func(d map[string]any) { d["claim"].(map[string]any)["state"] = "complete" },
			[]string{"it states a complete claim, but its results make it partial: partial claim: 3 cases of the full profile did not run"}},
		{"a claim's reason", func(d map[string]any) { d["claim"].(map[string]any)["reason"] = "partial claim: never mind" },
			[]string{`its claim says "partial claim: never mind", but its results say "partial claim: 3 cases`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(edited(t, doc, tt.edit).ConsistencyProblems(), "\n")
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
		})
	}
}

// The other reports are held to results.json: a verdict, a claim or a count that differs in any of
// them is named with its file.
func TestAgreementProblems(t *testing.T) {
	run := sampleRun()
	reports := map[string][]byte{}
	for _, f := range Files {
		reports[f.Name] = []byte(written(t, f.Write, run))
	}
	require.Empty(t, AgreementProblems(run, reports), "the reports as written agree")
	swap := func(name, old, new string) map[string][]byte {
		out := map[string][]byte{}
		for k, v := range reports {
			out[k] = v
		}
		require.Contains(t, string(reports[name]), old, name)
		out[name] = []byte(strings.Replace(string(reports[name]), old, new, 1))
		return out
	}
	tests := []struct {
		name    string
		reports map[string][]byte
		want    string
	}{
		{"junit counts", swap("junit.xml", `failures="1"`, `failures="0"`), `junit.xml: it counts 0 failures, results.json's results 1`},
		{"junit verdict", swap("junit.xml", `name="verdict" value="not conformant"`, `name="verdict" value="conformant"`), `junit.xml: its verdict property is "conformant", results.json's "not conformant"`},
		{"html banner", swap("report.html", `<div class="word">not conformant</div>`, `<div class="word">conformant</div>`), `report.html: its banner says "conformant", results.json "not conformant"`},
		{"html claim", swap("report.html", "partial claim: 3 cases", "complete claim: 3 cases"), "report.html: its banner's claim says"},
		{"summary verdict", swap("summary.md", "## Contacts API conformance: not conformant", "## Contacts API conformance: conformant"), `summary.md: its first line is "## Contacts API conformance: conformant"`},
		{"summary claim", swap("summary.md", "**partial claim", "**complete claim"), "summary.md: it does not state the claim of results.json"},
		{"badge words", swap("badge.svg", "not conformant, partial claim</text>", "conformant</text>"), "badge.svg: it is not the badge results.json's run makes"},
		{"badge colour", swap("badge.svg", partialColour, verdictColours[Conformant]), "badge.svg: it is not the badge results.json's run makes"},
		{"badge loading a font", swap("badge.svg", "<g fill", `<style>@import url(https://fonts.example/x.css);</style><g fill`), `badge.svg: it holds "url("`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, strings.Join(AgreementProblems(run, tt.reports), "\n"), tt.want)
		})
	}
	delete(reports, "summary.md")
	assert.Equal(t, []string{"summary.md: missing; the runner writes it with every --out"}, AgreementProblems(run, reports))
}

// The schema check is the file's own: an edit outside what the suite writes is named at its field.
func TestSchemaProblems(t *testing.T) {
	_, doc := recorded(t, sampleRun())
	assert.Empty(t, SchemaProblems(doc))
	var d map[string]any
	require.NoError(t, json.Unmarshal(doc, &d))
	d["results"].([]any)[0].(map[string]any)["outcome"] = "passed"
	b, err := json.Marshal(d)
	require.NoError(t, err)
	assert.Contains(t, strings.Join(SchemaProblems(b), "\n"), "it departs from its schema at results.0.outcome")
	assert.Equal(t, []string{"it is not JSON the schema can be checked on: invalid character 'o' in literal null (expecting 'u')"}, SchemaProblems([]byte("no")))
}
