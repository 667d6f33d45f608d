package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/suites"
)

// The report writers fed arbitrary strings, the secrets planted in every one of them as if a
// redaction upstream had been forgotten, written the way the runner writes a report file: the
// output stays well-formed, and no secret can be read in it, raw or decoded.

const hookSecret = `hook<"s3cr&t">`

// fuzzToken makes a bearer token of the fuzzer's bytes: RFC 6750 b64token characters behind a
// fixed prefix, at least 8 long, as the runner's configuration requires.
func fuzzToken(tail string) string {
	var b strings.Builder
	b.WriteString("tok-")
	for _, c := range tail {
		if c < 128 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~+/=", c)) {
			b.WriteRune(c)
		}
	}
	for b.Len() < 8 {
		b.WriteByte('0')
	}
	return b.String()
}

// plantedRun builds a run whose every string carries a and b around the secrets.
func plantedRun(token, a, b string) *Run {
	with := func(parts ...string) string { return a + strings.Join(parts, b) + b }
	started := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	result := func(outcome engine.Outcome) *engine.Result {
		return &engine.Result{
			ID: with("id", token), Area: with(string(outcome)), Title: with(token), Operation: a, Outcome: outcome,
			Reason: with("reason", token, hookSecret),
			Findings: []engine.Finding{{
				RequirementID: with("REQ"), Level: suites.Must, Requirement: with(hookSecret), Anchor: b,
				Expected: with(token), Actual: with(a, token, hookSecret), Details: []string{with(token), b},
			}},
			Request:  &engine.RequestView{Method: a, URL: with("http://x/", token), Headers: map[string]string{with("H"): with(token)}, Body: with(hookSecret)},
			Response: &engine.ResponseView{Status: 200, Headers: map[string]string{with("X-Echo"): with(token)}, Body: with(token, hookSecret)},
			Curl:     with("curl", token), Notes: []string{with(token)}, Started: started, Duration: time.Second,
		}
	}
	return &Run{
		SuiteVersion: with(Version), SpecSHA256: a, Target: with("http://", token), Started: started, Finished: started.Add(time.Minute),
		Config:   map[string]string{with("k", token): with(hookSecret)},
		Warnings: []string{with(token)},
		Results:  []*engine.Result{result(engine.Pass), result(engine.Fail), result(engine.Warn), result(engine.Skip), result(engine.Error)},
	}
}

func assertNoSecret(t *testing.T, where, text, token string) {
	t.Helper()
	for _, secret := range []string{token, token[:len(token)-1], hookSecret} {
		require.NotContains(t, text, secret, "%s", where)
	}
}

func addSeeds(f *testing.F) {
	f.Add("abcdef12", "", "")
	f.Add("x", "<![CDATA[", "]]>")
	f.Add("+/=~._-", "\x00\x01\x1b[31m", "\xff\xfe")
	f.Add("Value=42", `","x":"`, `</testcase><testcase name="`)
	f.Add("REDACTED", "[", "]")
	f.Add("long-token-0123456789", "\u2028\u2029", "&amp;&#34;")
}

// fuzzWriter fuzzes one writer: check gets the output, already checked for the secrets as is.
func fuzzWriter(f *testing.F, writer func(io.Writer, *Run) error, check func(t *testing.T, out, token string)) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, tail, a, b string) {
		token := fuzzToken(tail)
		var out bytes.Buffer
		redactor := engine.NewRedactor(token, hookSecret)
		require.NoError(t, redactor.Write(&out, func(w io.Writer) error { return writer(w, plantedRun(token, a, b)) }))
		assertNoSecret(t, "the report", out.String(), token)
		check(t, out.String(), token)
	})
}

func FuzzJSONReport(f *testing.F) {
	fuzzWriter(f, JSON, func(t *testing.T, out, token string) {
		var decoded any
		require.NoError(t, json.Unmarshal([]byte(out), &decoded), "well-formed JSON")
		walkStrings(decoded, func(s string) { assertNoSecret(t, "a decoded JSON string", s, token) })
	})
}

func walkStrings(v any, visit func(string)) {
	switch v := v.(type) {
	case string:
		visit(v)
	case map[string]any:
		for k, x := range v {
			visit(k)
			walkStrings(x, visit)
		}
	case []any:
		for _, x := range v {
			walkStrings(x, visit)
		}
	}
}

func FuzzJUnitReport(f *testing.F) {
	fuzzWriter(f, JUnit, func(t *testing.T, out, token string) {
		dec := xml.NewDecoder(strings.NewReader(out))
		cases := 0
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, "well-formed XML")
			switch tok := tok.(type) {
			case xml.StartElement:
				if tok.Name.Local == "testcase" {
					cases++
				}
				for _, attr := range tok.Attr {
					assertNoSecret(t, "a decoded attribute", attr.Value, token)
				}
			case xml.CharData:
				assertNoSecret(t, "decoded text", string(tok), token)
			}
		}
		assert.Equal(t, 5, cases, "every result is a testcase")
	})
}
