package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/engine"
)

func TestIndentJSONMatchesEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{"status":"ok","message":"contact found","data":{"id":"a4b1","tags":[],"meta":{},"n":[1,2.5,-3e2],"ok":true,"x":null}}`,
		` [ {"a" : "q\"uo{te}[,]:"} , { } , [ ] ] `,
		`{"s":"back\\slash\\","u":"\u00e9\n"}`,
		`"a string"`,
	} {
		var want bytes.Buffer
		if strings.HasPrefix(strings.TrimSpace(body), "{") || strings.HasPrefix(strings.TrimSpace(body), "[") {
			require.NoError(t, json.Indent(&want, []byte(strings.TrimSpace(body)), "", "  "))
		} else {
			want.WriteString(body)
		}
		assert.Equal(t, want.String(), indentJSON(body), body)
	}
}

func TestIndentJSONOfACutBody(t *testing.T) {
	assert.Equal(t, "{\n  \"data\": [\n    {\n      \"id\": \"a4b", indentJSON(`{"data":[{"id":"a4b`))
}

func TestIndentJSONLeavesOtherBodiesAlone(t *testing.T) {
	for _, body := range []string{"", "not json", "{ hello world }", `{"a":1} trailing words`, "<html>{</html>", "{\"a\":\"\x01\"}"} {
		assert.Equal(t, body, indentJSON(body))
	}
}

func TestVerdictReason(t *testing.T) {
	finding := func(id string) []engine.Finding { return []engine.Finding{{RequirementID: id}} }
	tests := []struct {
		name    string
		results []*engine.Result
		want    string
	}{
		{"failures name the requirements broken, once each", []*engine.Result{
			{Outcome: engine.Fail, Findings: finding("SPEC-001")}, {Outcome: engine.Fail, Findings: finding("OK-002")},
			{Outcome: engine.Fail, Findings: finding("SPEC-001")}, {Outcome: engine.Warn, Findings: finding("AUTH-002")},
			{Outcome: engine.Error}, {Outcome: engine.Pass}},
			"3 cases of 6 failed: the server broke OK-002, SPEC-001. 1 case could not be run."},
		{"harness errors alone", []*engine.Result{{Outcome: engine.Error}, {Outcome: engine.Pass}},
			"1 case of 2 could not be run (harness errors) and none failed: the run vouches for the server neither way."},
		{"warnings and skips are said", []*engine.Result{
			{Outcome: engine.Pass}, {Outcome: engine.Warn, Findings: finding("AUTH-002")}, {Outcome: engine.Skip}, {Outcome: engine.Disabled}},
			"The 2 cases run met every MUST requirement. 1 case missed a SHOULD-level requirement (warnings; --strict makes them fail). 1 case skipped for want of configuration."},
		{"nothing run", []*engine.Result{{Outcome: engine.Skip}}, "No case was run, so nothing was checked."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := &Run{Results: tt.results, Summary: engine.Summarize(tt.results)}
			assert.Equal(t, tt.want, run.VerdictReason())
		})
	}
}

// The first screen answers "did it pass, and if not, where do I look": the verdict in a banner
// with its reason, the counts that need a look set apart, and an index linking every problem.
func TestHTMLLeadsWithTheVerdictAndAnIndex(t *testing.T) {
	run := sampleRun()
	run.Results[1].Response = &engine.ResponseView{Status: 200, Headers: map[string]string{}, Body: `{"data":{"id":"a4b1"}}`}
	out := render(t, func(b *bytes.Buffer, r *Run) error { return HTML(b, r) }, run)

	banner := out[strings.Index(out, `<section class="banner v-not-conformant"`):]
	banner = banner[:strings.Index(banner, "</section>")]
	assert.Contains(t, banner, `<div class="word">not conformant</div>`)
	assert.Contains(t, banner, "1 case of 6 failed: the server broke OK-002.")
	assert.Contains(t, banner, `<a href="#problems">`)

	assert.Contains(t, out, `<tr><td class="o o-fail">fail</td><td class="n hot o-fail">1</td>`, "a failure count stands out")
	assert.Contains(t, out, `<td class="n zero">0</td>`, "a zero fades")

	index := out[strings.Index(out, `<h2 id="problems">`):strings.Index(out, "<article")]
	for _, id := range []string{"ok/known/getContactById", "auth/missing-header-unknown-id/getContactById", "list/limit-1/listCampaigns"} {
		assert.Contains(t, index, `<a href="#case-`+strings.ReplaceAll(id, "/", "-")+`"><code>`+id+`</code></a>`)
	}
	assert.Contains(t, index, "OK-002: expected data.id", "the index says what went wrong")
	assert.Contains(t, index, "no complete answer within 10s")

	assert.Contains(t, out, "(JSON body indented for reading; results.json holds it as received)</span></p>\n<pre class=\"body\">200 OK\n\n{\n  &#34;data&#34;: {\n    &#34;id&#34;: &#34;a4b1&#34;\n  }\n}\n</pre>")
	assert.Equal(t, 1, strings.Count(out, "indented for reading"), "a body that is not JSON is shown as it came, without the note")
	assert.Contains(t, out, "@media print", "the page prints whole")
}
