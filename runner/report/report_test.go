package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xeipuuv/gojsonschema"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// hostile is what a broken or malicious server might answer: markup, a Markdown fence, a table
// pipe, a CDATA end and a control character. Every report must keep it inert.
const hostile = "<script>alert(1)</script> ``` | ]]> \x01 [x](javascript:alert(1))"

const curlLine = `curl -sS -i 'https://staging.example.com/v1/contact/6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40' -H 'Authorization: Bearer '"${CONFORMANCE_TOKEN}" -H 'Accept: application/json'`

// sampleRun has one result of each outcome, the way the engine records them.
func sampleRun() *Run {
	started := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	request := &engine.RequestView{Method: "GET", URL: "https://staging.example.com/v1/contact/6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40",
		Headers: map[string]string{"Authorization": "Bearer ${CONFORMANCE_TOKEN}", "Accept": "application/json"}}
	response := &engine.ResponseView{Status: 200, Headers: map[string]string{"Content-Type": "application/json"},
		Body: `{"status":"ok","message":"` + hostile + `","data":{"id":"a4b1c9d2-7e3f-4a6b-8c0d-5e2f1a9b7c31"}}`, BodyBytes: 120}
	at := func(i int) time.Time { return started.Add(time.Duration(i) * time.Millisecond) }
	results := []*engine.Result{
		{ID: "auth/missing-header/getContactById", Area: "auth", Title: "no Authorization header is rejected with 401", Operation: "getContactById",
			Outcome: engine.Pass, Request: request, Response: &engine.ResponseView{Status: 401, Headers: map[string]string{}, Body: "{}", BodyBytes: 2},
			Curl: curlLine, Started: at(1), Duration: 3 * time.Millisecond},
		{ID: "ok/known/getContactById", Area: "ok", Title: "a valid request is answered 200 with the record(s) of the token's company", Operation: "getContactById",
			Outcome: engine.Fail, Request: request, Response: response, Curl: curlLine, Started: at(2), Duration: 4 * time.Millisecond,
			Findings: []engine.Finding{{RequirementID: "OK-002", Level: suites.Must, Requirement: suites.ReqSameRecord.Text, Anchor: suites.ReqSameRecord.Anchor,
				Expected: `data.id "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40"`, Actual: "data.id " + hostile, Details: []string{"/data/id: " + hostile}}}},
		{ID: "auth/missing-header-unknown-id/getContactById", Area: "auth", Title: "no Authorization header on an unknown id is rejected with 401", Operation: "getContactById",
			Outcome: engine.Warn, Request: request, Response: &engine.ResponseView{Status: 401, Headers: map[string]string{}, Body: "{}", BodyBytes: 2},
			Curl: curlLine, Started: at(3), Duration: time.Millisecond,
			Findings: []engine.Finding{{RequirementID: "AUTH-002", Level: suites.Should, Requirement: suites.ReqAuthChallenge.Text, Anchor: suites.ReqAuthChallenge.Anchor,
				Expected: `WWW-Authenticate: Bearer realm="..."`, Actual: "no WWW-Authenticate header"}}},
		{ID: "unknown-id/foreign/getContactById", Area: "unknown-id", Title: "a contact of another company is answered 404", Operation: "getContactById",
			Outcome: engine.Skip, Reason: "needs a contact of another company: set --foreign-contact-id or CONFORMANCE_FOREIGN_CONTACT_ID", Started: at(4)},
		{ID: "list/limit-1/listCampaigns", Area: "list", Title: "limit=1 gives at most 1 items", Operation: "listCampaigns",
			Outcome: engine.Error, Reason: "no complete answer within 10s (per-request timeout, --timeout)", Request: request,
			Curl: "curl -sS -i 'https://staging.example.com/v1/campaign/list?limit=1'", Started: at(5), Duration: 10 * time.Second},
		{ID: "methods/post/listPhoneNumbers", Area: "methods", Title: "POST on the path is answered 405 with an Allow header", Operation: "listPhoneNumbers",
			Outcome: engine.Disabled, Reason: "not selected by --skip methods|auth"},
	}
	return &Run{
		SuiteVersion: Version, SpecSHA256: strings.Repeat("ab", 32), Target: "https://staging.example.com/v1",
		Build:   Build{Module: "github.com/contacts-conformance/suite", Version: "v" + Version, Go: "go1.26.0"},
		Started: started, Finished: started.Add(12 * time.Second), Seed: 42,
		Config: map[string]string{"base_url": "https://staging.example.com/v1", "token": "[REDACTED]", "token_command": "(none)",
			"timeout": "10s", "seed": "42", "concurrency": "8", "strict": "false", "run": "", "skip": "methods|auth"},
		Endpoints: []Endpoint{{"getContactById", "GET", "/contact/{id}"}, {"listCampaigns", "GET", "/campaign/list"}, {"listPhoneNumbers", "GET", "/phone_number"}},
		Summary:   engine.Summarize(results), Results: results,
		Claim: NewClaim([]suites.ClaimedProfile{{Name: "full", Operations: []string{"getContactById", "listCampaigns", "listPhoneNumbers"}}}, results),
	}
}

func render(t *testing.T, write func(*bytes.Buffer, *Run) error, run *Run) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b, run))
	return b.String()
}

var schema = gojsonschema.NewBytesLoader(ResultsSchema())

func validate(t *testing.T, doc []byte) *gojsonschema.Result {
	t.Helper()
	result, err := gojsonschema.Validate(schema, gojsonschema.NewBytesLoader(doc))
	require.NoError(t, err)
	return result
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		summary engine.Summary
		want    string
	}{
		{engine.Summary{Total: 3, Pass: 2, Skip: 1}, Conformant},
		{engine.Summary{Total: 2, Pass: 1, Warn: 1}, Conformant},
		{engine.Summary{Total: 2, Pass: 1, Disabled: 1}, Conformant},
		{engine.Summary{Total: 2, Pass: 1, Error: 1}, Incomplete},
		{engine.Summary{Total: 3, Fail: 1, Error: 1, Pass: 1}, NotConformant},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, (&Run{Summary: tt.summary}).Verdict(), "%+v", tt.summary)
	}
}

func TestJSONMatchesItsSchema(t *testing.T) {
	doc := []byte(render(t, func(b *bytes.Buffer, r *Run) error { return JSON(b, r) }, sampleRun()))
	result := validate(t, doc)
	require.True(t, result.Valid(), "%v", result.Errors())
	var parsed map[string]any
	require.NoError(t, json.Unmarshal(doc, &parsed))
	assert.Equal(t, NotConformant, parsed["verdict"])
}

// The schema has teeth: each departure from the documented format is rejected, at its field.
func TestSchemaRejectsDepartures(t *testing.T) {
	doc := []byte(render(t, func(b *bytes.Buffer, r *Run) error { return JSON(b, r) }, sampleRun()))
	result := func(d map[string]any, i int) map[string]any { return d["results"].([]any)[i].(map[string]any) }
	tests := []struct {
		name   string
		mutate func(d map[string]any)
		field  string
	}{
		{"an unknown outcome", func(d map[string]any) { result(d, 0)["outcome"] = "maybe" }, "results.0.outcome"},
		{"a failure without findings", func(d map[string]any) { delete(result(d, 1), "findings") }, "results.1"},
		{"a failure without reproduction", func(d map[string]any) { delete(result(d, 1), "curl") }, "results.1"},
		{"a skip without its reason", func(d map[string]any) { delete(result(d, 3), "reason") }, "results.3"},
		{"a disabled case that was sent", func(d map[string]any) { result(d, 5)["request"] = result(d, 0)["request"] }, "results.5"},
		{"a token in the configuration", func(d map[string]any) { d["config"].(map[string]any)["token"] = "s3cr3t-token" }, "config.token"},
		{"no verdict", func(d map[string]any) { delete(d, "verdict") }, "(root)"},
		{"a negative count", func(d map[string]any) { d["summary"].(map[string]any)["fail"] = -1 }, "summary.fail"},
		{"an undocumented field", func(d map[string]any) { result(d, 0)["attempts"] = 2 }, "results.0"},
		{"a spec hash that is not SHA-256", func(d map[string]any) { d["spec_sha256"] = "abc" }, "spec_sha256"},
		{"a time that is not RFC 3339", func(d map[string]any) { d["started"] = "yesterday" }, "started"},
		{"a finding of an unknown level", func(d map[string]any) {
			result(d, 1)["findings"].([]any)[0].(map[string]any)["level"] = "MAY"
		}, "results.1.findings.0.level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d map[string]any
			require.NoError(t, json.Unmarshal(doc, &d))
			tt.mutate(d)
			mutated, err := json.Marshal(d)
			require.NoError(t, err)
			res := validate(t, mutated)
			require.False(t, res.Valid())
			var fields []string
			for _, e := range res.Errors() {
				fields = append(fields, e.Field())
			}
			assert.Contains(t, fields, tt.field)
		})
	}
}

func TestJUnit(t *testing.T) {
	out := render(t, func(b *bytes.Buffer, r *Run) error { return JUnit(b, r) }, sampleRun())
	var doc junitSuites
	require.NoError(t, xml.Unmarshal([]byte(out), &doc), "the hostile body must not break the XML")
	assert.Equal(t, []int{6, 1, 1, 2, 1}, []int{doc.Tests, doc.Failures, doc.Errors, doc.Skipped, doc.Disabled})

	var areas []string
	for _, s := range doc.Suites {
		areas = append(areas, s.Name)
		assert.Regexp(t, `^2025-03-01T02:00:00Z$`, s.Timestamp, s.Name)
		props := map[string]string{}
		for _, p := range s.Properties {
			props[p.Name] = p.Value
		}
		assert.Equal(t, Version, props["suite_version"])
		assert.Equal(t, strings.Repeat("ab", 32), props["spec_sha256"])
		assert.Equal(t, "2025-03-01T02:00:00Z", props["started"])
		assert.Equal(t, "[REDACTED]", props["config.token"])
		assert.Equal(t, NotConformant, props["verdict"])
	}
	assert.Equal(t, []string{"auth", "list", "methods", "ok", "unknown-id"}, areas, "one suite per area")

	cases := map[string]int{}
	for i, s := range doc.Suites {
		for j, c := range s.Cases {
			cases[c.Name] = i*100 + j
		}
	}
	get := func(name string) (string, *junitMessage, *junitMessage, *junitMessage, string) {
		k, ok := cases[name]
		require.True(t, ok, name)
		c := doc.Suites[k/100].Cases[k%100]
		return c.Time, c.Failure, c.Error, c.Skipped, c.SystemOut
	}
	tm, failure, _, _, out2 := get("ok/known/getContactById")
	assert.Equal(t, "0.004", tm)
	require.NotNil(t, failure)
	assert.Equal(t, "conformance", failure.Type)
	assert.Contains(t, failure.Message, "OK-002: expected")
	assert.Contains(t, failure.Text, "reproduce: "+curlLine)
	assert.Contains(t, out2, "Authorization: Bearer ${CONFORMANCE_TOKEN}", "the redacted request")
	assert.Contains(t, out2, "200 OK", "the redacted response")

	_, failure, harness, _, _ := get("list/limit-1/listCampaigns")
	assert.Nil(t, failure, "a harness error is not the server's failure")
	require.NotNil(t, harness)
	assert.Equal(t, "harness", harness.Type)
	assert.Contains(t, harness.Message, "no complete answer within 10s")
	assert.Contains(t, harness.Text, "reproduce: curl")

	_, _, _, skipped, _ := get("unknown-id/foreign/getContactById")
	require.NotNil(t, skipped)
	assert.Equal(t, "skip", skipped.Type)
	assert.Contains(t, skipped.Message, "set --foreign-contact-id")

	_, _, _, disabled, _ := get("methods/post/listPhoneNumbers")
	require.NotNil(t, disabled)
	assert.Equal(t, "disabled", disabled.Type)
	assert.Equal(t, "not selected by --skip methods|auth", disabled.Message)

	_, failure, _, _, warn := get("auth/missing-header-unknown-id/getContactById")
	assert.Nil(t, failure, "a SHOULD-level warning passes without --strict")
	assert.Contains(t, warn, "AUTH-002 (SHOULD)")
}

// externalReference finds anything a browser would fetch: a src or href to another origin, a CSS
// import or url(), a script.
var externalReference = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:|//)|@import|url\(|<script|<link|<img|<iframe`)

func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	out := render(t, func(b *bytes.Buffer, r *Run) error { return HTML(b, r) }, sampleRun())
	assert.False(t, externalReference.MatchString(out), "the report must load nothing: %q", externalReference.FindString(out))
	assert.Contains(t, out, "&lt;script&gt;alert(1)&lt;/script&gt;", "the hostile body is shown as text")
	for _, want := range []string{
		"not conformant", Version, strings.Repeat("ab", 32), "2025-03-01T02:00:00Z", "--seed 42",
		"<code>GET /contact/{id}</code></td><td>getContactById</td><td class=\"n\">4</td><td class=\"n\">1</td><td class=\"n hot o-fail\">1</td><td class=\"n zero\">0</td><td class=\"n hot o-warn\">1</td><td class=\"n\">1</td><td class=\"n zero\">0</td><td class=\"n zero\">0</td>",
		"<code>GET /phone_number</code></td><td>listPhoneNumbers</td><td class=\"n\">1</td>",
		"<td>token</td><td><code>[REDACTED]</code></td>",
		"<td>skip</td><td><code>methods|auth</code></td>",
	} {
		assert.Contains(t, out, want)
	}
	// Every failure, warning and error has its findings, reproduction, request and response.
	for _, id := range []string{"ok/known/getContactById", "auth/missing-header-unknown-id/getContactById", "list/limit-1/listCampaigns"} {
		start := strings.Index(out, `<article id="case-`+strings.ReplaceAll(id, "/", "-")+`"`)
		require.GreaterOrEqual(t, start, 0, id)
		article := out[start : start+strings.Index(out[start:], "</article>")]
		assert.Contains(t, article, `<p class="label">reproduce</p>`, id)
		assert.Contains(t, article, "Authorization: Bearer ${CONFORMANCE_TOKEN}", id)
		if id != "list/limit-1/listCampaigns" {
			assert.Contains(t, article, `<p class="label">response`, id)
		}
	}
	assert.Contains(t, out, "OK-002 (MUST)")
	assert.Contains(t, out, "no complete answer within 10s")
}

// unescapedPipes counts the cell separators of a Markdown table row.
var unescapedPipes = regexp.MustCompile(`(^|[^\\])\|`)

func TestMarkdownSummary(t *testing.T) {
	out := render(t, func(b *bytes.Buffer, r *Run) error { return Markdown(b, r) }, sampleRun())
	assert.True(t, strings.HasPrefix(out, "## Contacts API conformance: not conformant\n"))
	for _, want := range []string{
		"6 cases: 1 passed, 1 failed, 1 warnings, 1 skipped, 1 errors, 1 not selected",
		"Suite " + Version + " (module v" + Version + ", revision unknown, modified: unknown, go1.26.0)", strings.Repeat("ab", 32), "2025-03-01T02:00:00Z", "seed 42",
		"| `GET /contact/{id}` getContactById | 4 | 1 | 1 | 0 | 1 | 1 | 0 | 0 |",
		"| OK-002 | MUST |", "| AUTH-002 | SHOULD |",
		"#### FAIL `ok/known/getContactById`", "#### WARN `auth/missing-header-unknown-id/getContactById`", "#### ERROR `list/limit-1/listCampaigns`",
		"```sh\n" + curlLine + "\n```", "| token | `[REDACTED]` |",
		"\n\n**1 case of 6 failed: the server broke OK-002. 1 case could not be run.**\n\n",
		"\n  - actual: ````data.id <script>", "\n    - ````/data/id: <script>",
	} {
		assert.Contains(t, out, want)
	}
	// The hostile text stays inside code spans longer than its own backtick runs, where Markdown
	// reads neither tags nor links; and no fence ends early.
	assert.NotContains(t, out, "\n```\n```")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, hostile[:8]) {
			assert.Regexp(t, "(````|`` )", line, "the hostile text needs a longer code span: %s", line)
		}
		if strings.HasPrefix(line, "| skip |") {
			assert.Len(t, unescapedPipes.FindAllString(line, -1), 3, "a pipe in a value must not split the cell: %s", line)
		}
	}
}

func TestMarkdownSummaryCapsProblems(t *testing.T) {
	run := sampleRun()
	fail := run.Results[1]
	for i := 0; i < MaxMarkdownProblems+5; i++ {
		run.Results = append(run.Results, fail)
	}
	run.Summary = engine.Summarize(run.Results)
	out := render(t, func(b *bytes.Buffer, r *Run) error { return Markdown(b, r) }, run)
	assert.Equal(t, MaxMarkdownProblems, strings.Count(out, "\n#### "))
	problems := run.Summary.Fail + run.Summary.Warn + run.Summary.Error
	assert.Contains(t, out, fmt.Sprintf("%d more in report.html and results.json.", problems-MaxMarkdownProblems))
}

func TestCatalogue(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	cases := suites.Build(contract, suites.Config{ContactID: "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40", ForeignContactID: "f0e1d2c3-b4a5-4968-8776-655443322110", HaveToken: true, Seed: 1})
	out := render(t, func(b *bytes.Buffer, _ *Run) error {
		return Catalogue(b, suites.Requirements(), cases, nil, "`make docs`")
	}, nil)
	assert.Contains(t, out, "Generated by `make docs`")
	for _, r := range suites.Requirements() {
		assert.Regexp(t, "\n\\| "+regexp.QuoteMeta(r.ID)+" \\| "+string(r.Level)+" \\| ", out)
	}
	for _, c := range cases {
		assert.Contains(t, out, "| `"+c.ID+"` |")
	}
	assert.Contains(t, out, "Every case also checks ENV-001, ENV-003, SPEC-001.")
	assert.Contains(t, out, "| `auth/lowercase-scheme/getContactById` | the scheme in lower case (\"bearer \\<token\\>\") is accepted | AUTH-003, OK-002 |")
}

// A note on a passing case (a check that had nothing to bite on) reaches every report.
func TestNotesReachEveryReport(t *testing.T) {
	run := sampleRun()
	const note = "LIST-001 had nothing to bite on: the collection holds 2 items, so limit=5 cannot be told from no limit"
	for _, r := range run.Results {
		if r.Outcome == engine.Pass {
			r.Notes = []string{note}
			break
		}
	}
	for name, write := range map[string]func(io.Writer, *Run) error{"html": HTML, "markdown": Markdown, "junit": JUnit, "json": JSON} {
		var b strings.Builder
		require.NoError(t, write(&b, run))
		assert.Contains(t, b.String(), "limit=5 cannot be told from no limit", name)
	}
}

// The sentence on the generative phase never says every invariant held of inputs that did not run.
func TestExplorationLineCountsInputsThatCouldNotRun(t *testing.T) {
	tests := []struct {
		name string
		x    *engine.Exploration
		want string
	}{
		{"not run", nil, ""},
		{"all held", &engine.Exploration{Inputs: 40, Seed: 7}, "Generated inputs: 40, seed 7 (--explore; repeat with --seed 7); every invariant held."},
		{"some errored", &engine.Exploration{Inputs: 30, Errors: 10, Seed: 7}, "Generated inputs: 30, seed 7 (--explore; repeat with --seed 7); 10 more could not be run, and say nothing; the ones that ran held every invariant."},
		{"none ran", &engine.Exploration{Errors: 40, Seed: 7}, "Generated inputs: 0, seed 7 (--explore; repeat with --seed 7); 40 more could not be run, and say nothing."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, (&Run{Exploration: tt.x}).ExplorationLine())
		})
	}
}
