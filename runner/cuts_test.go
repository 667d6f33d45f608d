package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// sentinel comes right before each planted secret: whatever follows it in an output is either the
// redaction mark or a cut mark, never a character of the secret. No output format escapes it, so
// every place the secret is shown is found.
const sentinel = "@@@@"

// reach is beyond every cut point of every place a message quotes a server (the longest keeps 200
// bytes, a line of -v 120), so the secrets are planted before, across and after each cut.
const reach = 210

const okCase = "ok/known/getContactById"

// cutSite is one way a server's answer reaches a quote or preview that is cut: the case that
// gets it and the answer carrying the planted text.
type cutSite struct {
	name   string
	caseID string
	answer func(w http.ResponseWriter, r *http.Request, planted string)
}

func envelope(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	m, _ := json.Marshal(message)
	_, _ = io.WriteString(w, `{"status":"error","message":`+string(m)+`,"data":null}`)
}

func cutSites(foreign string) []cutSite {
	return []cutSite{
		{"a body that is not JSON", okCase, func(w http.ResponseWriter, _ *http.Request, planted string) {
			// The Content-Type finding previews the body, OK-001 quotes the decoder's error with
			// its start, and -v prints the body's line.
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, planted)
		}},
		{"a JSON value", okCase, func(w http.ResponseWriter, _ *http.Request, planted string) {
			// OK-001 quotes "status", SPEC-001 the value against its enum.
			w.Header().Set("Content-Type", "application/json")
			s, _ := json.Marshal(planted)
			_, _ = io.WriteString(w, `{"status":`+string(s)+`,"message":"m","data":null}`)
		}},
		{"a redirect's Location", okCase, func(w http.ResponseWriter, _ *http.Request, planted string) {
			w.Header().Set("Location", "/login?access_token="+planted)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusFound)
		}},
		{"a Content-Type", okCase, func(w http.ResponseWriter, _ *http.Request, planted string) {
			w.Header().Set("Content-Type", "text/"+planted)
			_, _ = io.WriteString(w, `{}`)
		}},
		{"a WWW-Authenticate challenge", "auth/missing-header/getContactById", func(w http.ResponseWriter, _ *http.Request, planted string) {
			w.Header().Set("WWW-Authenticate", "Basic realm="+planted)
			envelope(w, http.StatusUnauthorized, "no credentials")
		}},
		{"an Allow header", "methods/post/getContactById", func(w http.ResponseWriter, _ *http.Request, planted string) {
			w.Header().Set("Allow", planted)
			envelope(w, http.StatusMethodNotAllowed, "no")
		}},
		{"an error message", "unknown-id/foreign/getContactById", func(w http.ResponseWriter, r *http.Request, planted string) {
			if strings.Contains(r.URL.Path, foreign) {
				envelope(w, http.StatusNotFound, planted)
				return
			}
			envelope(w, http.StatusNotFound, "no such contact")
		}},
		{"a company id", "ok/list/listPhoneNumbers", func(w http.ResponseWriter, r *http.Request, planted string) {
			if !strings.HasPrefix(r.URL.Path, "/phone_number") {
				envelope(w, http.StatusNotFound, "no such contact")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			c, _ := json.Marshal(planted)
			_, _ = io.WriteString(w, `{"status":"ok","message":"m","data":[{"company_id":"c1"},{"company_id":`+string(c)+`}]}`)
		}},
	}
}

// Every place a message quotes or previews what a server sent cuts it before the redactor sees
// it. The token and a --redact value are planted at every offset before, across and after each
// cut, and the real outputs (the text output with -v, results.json, junit.xml, report.html,
// summary.md) show no start of either, not one character.
func TestNoCutLeavesTheStartOfASecret(t *testing.T) {
	const token, hook = "tok/en+Value=42~secret", `hook<"s3cr&t">`
	contract, err := spec.Load()
	require.NoError(t, err)
	ids, err := refserver.Start(refserver.Options{})
	require.NoError(t, err)
	ids.Close() // only its ids are needed
	var mu sync.Mutex
	var answer func(http.ResponseWriter, *http.Request)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a := answer
		mu.Unlock()
		a(w, r)
	}))
	defer srv.Close()
	redactor := engine.NewRedactor(token, hook)
	eng, err := engine.New(contract, engine.Options{BaseURL: srv.URL, Token: token, Redact: []string{hook}, Redactor: redactor,
		Protected: []string{ids.ContactID, ids.ForeignContactID}})
	require.NoError(t, err)
	cases := map[string]*suites.Case{}
	for _, c := range suites.Build(contract, suites.Config{ContactID: ids.ContactID, ForeignContactID: ids.ForeignContactID, HaveToken: true, Seed: 1}) {
		cases[c.ID] = c
	}

	var results []*engine.Result
	for _, site := range cutSites(ids.ForeignContactID) {
		for _, secret := range []string{token, hook} {
			for offset := 0; offset <= reach; offset++ {
				planted := strings.Repeat("x", offset) + sentinel + secret + strings.Repeat("y", 250)
				mu.Lock()
				answer = func(w http.ResponseWriter, r *http.Request) { site.answer(w, r, planted) }
				mu.Unlock()
				r := eng.Execute(context.Background(), cases[site.caseID])
				require.Contains(t, []engine.Outcome{engine.Fail, engine.Warn}, r.Outcome, "%s: the answer must make a finding quote it: %s", site.name, r.Reason)
				r.ID = fmt.Sprintf("%s, %q at %d", site.name, secret[:4], offset)
				results = append(results, r)
			}
		}
	}

	outputs := map[string]string{}
	var text bytes.Buffer
	out := &textReporter{w: &redactingWriter{w: &text, r: redactor}, verbose: true, total: len(results)}
	for i, r := range results {
		out.result(i, r)
	}
	run := &report.Run{SuiteVersion: report.Version, Target: srv.URL, Config: (&config.Config{}).Redacted(),
		Endpoints: report.EndpointsOf(contract), Summary: engine.Summarize(results), Results: results}
	out.summary(run, 0)
	outputs["the text output"] = text.String()
	for _, f := range report.Files {
		var b bytes.Buffer
		require.NoError(t, redactor.Write(&b, func(w io.Writer) error { return f.Write(w, run) }))
		outputs[f.Name] = b.String()
	}

	for name, output := range outputs {
		if name == "badge.svg" {
			assert.NotContains(t, output, sentinel, "the badge quotes nothing the server sent")
			continue
		}
		cuts := 0
		for rest := output; ; {
			i := strings.Index(rest, sentinel)
			if i < 0 {
				break
			}
			rest = rest[i+len(sentinel):]
			switch {
			case strings.HasPrefix(rest, "[REDACTED]"+spec.CutMark), strings.HasPrefix(rest, spec.CutMark):
				cuts++
			case strings.HasPrefix(rest, "[REDACTED]"):
			default:
				t.Errorf("%s: the start of a secret is readable: %q", name, output[max(0, len(output)-len(rest)-60):len(output)-len(rest)+min(len(rest), 20)])
			}
		}
		assert.Positive(t, cuts, "%s: no cut fell inside a secret, so this test proved nothing there", name)
	}
}
