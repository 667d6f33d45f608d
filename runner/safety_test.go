package runner

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/internal/leak"
	"github.com/contacts-conformance/suite/spec/refserver"
)

// The whole runner's safety promises, through its real entry point: secrets never leave on any
// channel, nothing but GET reaches a resource that exists, and the bounds and TLS settings are
// what the flags say.

const (
	echoedToken = "tok/en+Value=42~secret"
	hookSecret  = `hook<"s3cr&t">`
)

// echoServer is a reference server that repeats the credentials back in every way it can: in
// headers (as is and in base64), in a text body, and in the message of a 401.
func echoServer(t *testing.T) *refserver.Server {
	t.Helper()
	var srv *refserver.Server
	h, err := refserver.NewHandler(refserver.Options{Token: echoedToken})
	require.NoError(t, err)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.Header().Set("X-Echo", auth)
		w.Header().Set("X-Echo-Base64", base64.StdEncoding.EncodeToString([]byte(auth)))
		w.Header().Set("X-Webhook-Secret", hookSecret)
		switch {
		case strings.HasPrefix(r.URL.Path, "/webhook/"):
			// A terminal escape sequence that would clear the screen and retitle the window.
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "\x1b[2J\x1b]0;pwned\x07{\"status\":\"ok\"}")
		case strings.HasPrefix(r.URL.Path, "/phone_number"):
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "you sent "+auth+" and the webhook secret "+hookSecret)
		case strings.HasPrefix(r.URL.Path, "/campaign/list"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			msg, _ := json.Marshal("not accepted: " + auth + " / " + base64.URLEncoding.EncodeToString([]byte(auth)))
			_, _ = io.WriteString(w, `{"status":"error","message":`+string(msg)+`,"data":null}`)
		default:
			h.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(front.Close)
	ref, err := refserver.Start(refserver.Options{Token: echoedToken})
	require.NoError(t, err)
	ref.Close() // only its ids are needed
	srv = ref
	srv.URL = front.URL
	return srv
}

func assertNoSecret(t *testing.T, channel, text string) {
	t.Helper()
	for _, secret := range []string{echoedToken, echoedToken[:len(echoedToken)-1], hookSecret} {
		assert.Empty(t, leak.Find(text, secret), "%q readable in %s", secret, channel)
	}
}

func TestSecretsNeverLeakOnAnyChannel(t *testing.T) {
	srv := echoServer(t)
	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "junit.xml")
	env := map[string]string{"CONFORMANCE_TOKEN": echoedToken, "CONFORMANCE_REDACT": hookSecret}
	o := runWith(t, env, "--base-url", srv.URL, "--contact-id", srv.ContactID, "--foreign-contact-id", srv.ForeignContactID,
		"-v", "--json", jsonPath, "--junit", junitPath)
	require.Equal(t, exitFailures, o.code, o.stdout+o.stderr)
	assert.Contains(t, o.stdout, "[REDACTED]", "the echoes reached the output, redacted")
	assert.Contains(t, o.stdout, `reproduce: curl -sS -i '`+srv.URL+`/campaign/list' -H 'Authorization: Bearer '"${CONFORMANCE_TOKEN}"`)
	assertNoSecret(t, "stdout", o.stdout)
	assertNoSecret(t, "stderr", o.stderr)
	assert.Contains(t, o.stdout, "< 200 [2J]0;pwned{")
	assert.NotContains(t, o.stdout, "\x1b", "no terminal escape from the server reaches the terminal")

	jsonBytes, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.True(t, json.Valid(jsonBytes))
	assert.Contains(t, string(jsonBytes), "[REDACTED]")
	assertNoSecret(t, "the JSON report", string(jsonBytes))
	junitBytes, err := os.ReadFile(junitPath)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(junitBytes, new(struct{})))
	assertNoSecret(t, "the JUnit report", string(junitBytes))

	// stderr, when the messages themselves would carry the secrets.
	o = runWith(t, env, "--base-url", "http://"+closedPort(t)+"/"+echoedToken)
	require.Equal(t, exitNoRun, o.code)
	assert.Contains(t, o.stderr, "/[REDACTED]: the connection was refused")
	assertNoSecret(t, "stderr", o.stderr)
	o = runWith(t, env, "--base-url", srv.URL, "--json", filepath.Join(dir, "missing", hookSecret, "r.json"))
	require.Equal(t, exitNoRun, o.code)
	assert.Contains(t, o.stderr, "the directory "+filepath.Join(dir, "missing", "[REDACTED]")+" does not exist")
	assertNoSecret(t, "stderr", o.stderr)
}

var uuidPattern = regexp.MustCompile(`(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// fixtureIDs lists every UUID the reference server holds: every resource it could list or serve,
// and the companies.
func fixtureIDs(t *testing.T) map[string]bool {
	fx, err := refserver.EmbeddedFixtures()
	require.NoError(t, err)
	ids := map[string]bool{strings.ToLower(fx.CompanyID): true}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if uuidPattern.MatchString(v) {
				ids[strings.ToLower(v)] = true
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case []map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, records := range [][]map[string]any{fx.Contacts, fx.PhoneNumbers, fx.Campaigns, fx.WebhookFlows} {
		walk(records)
	}
	return ids
}

type observed struct{ method, path, query, body string }

// The read-only guarantee, proven on every request a full run sends: only GET reaches an id the
// user gave or any resource the server holds; every other method goes to an id generated to be
// unknown (or to a collection, never with DELETE), with a body no server can parse.
func TestOnlyGETReachesExistingResources(t *testing.T) {
	var mu sync.Mutex
	var seen []observed
	srv, err := refserver.Start(refserver.Options{Observe: func(r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		seen = append(seen, observed{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, string(body)})
		mu.Unlock()
	}})
	require.NoError(t, err)
	defer srv.Close()
	o := runWith(t, nil, "--base-url", srv.URL, "--token", srv.Token, "--contact-id", srv.ContactID,
		"--foreign-contact-id", srv.ForeignContactID, "--seed", "3")
	require.Equal(t, exitConformant, o.code, o.stdout+o.stderr)

	existing := fixtureIDs(t)
	require.True(t, existing[strings.ToLower(srv.ContactID)] && existing[strings.ToLower(srv.ForeignContactID)])
	var gets, others int
	for _, r := range seen {
		if r.method == http.MethodGet {
			gets++
			continue
		}
		others++
		sent := strings.ToLower(r.path + "?" + r.query + " " + r.body)
		for id := range existing {
			assert.NotContains(t, sent, id, "%s %s reaches an existing resource", r.method, r.path)
		}
		if id, ok := strings.CutPrefix(r.path, "/contact/"); ok {
			assert.Regexp(t, uuidPattern, id, "%s %s: only a generated UUID", r.method, r.path)
		} else {
			assert.NotEqual(t, http.MethodDelete, r.method, "DELETE on the collection %s", r.path)
		}
		assert.NotEmpty(t, r.body, "%s %s carries a body", r.method, r.path)
		assert.False(t, json.Valid([]byte(r.body)), "%s %s: the body must not be valid JSON, so nothing can be created", r.method, r.path)
	}
	assert.Positive(t, gets)
	assert.Positive(t, others, "the run must send other methods, or this test proves nothing")
	assert.Equal(t, len(seen), gets+others)
}

// A run against a server that accepts and never answers still ends, by its deadline, with every
// case accounted for: the deadline bounds the preflight and the cases together.
func TestRunEndsByItsDeadline(t *testing.T) {
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// net/http notices a client hanging up only once the request body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer silent.Close()
	o := runWith(t, nil, "--base-url", silent.URL, "--token", "token-0123", "--deadline", "300ms", "--timeout", "1m")
	require.Equal(t, exitNoRun, o.code, "errors alone: the verdict is incomplete")
	assert.Contains(t, o.stdout, "preflight FAILED cannot reach "+silent.URL+": the run's deadline (300ms, --deadline) passed before the answer arrived (the token was not sent)")
	assert.Contains(t, o.stdout, "No case was judged: the preflight failed (above).")
	assert.Regexp(t, `\n(\d+) cases: 0 passed, 0 failed, 0 warnings, \d+ skipped, \d+ errors, 0 not selected: incomplete\n$`, o.stdout)
}

// A server that stops answering in the middle of a run (it accepts connections, reads the
// requests and says nothing) ends the run early: once as many requests in a row as are in flight
// got no answer, the cases not yet sent end at once, the run is incomplete (exit 2), every report
// is written, and the server received at most those requests plus the ones in flight.
func TestDeadServerEndsTheRunEarly(t *testing.T) {
	const answered = 10
	const token = "dying-server-token"
	h, err := refserver.NewHandler(refserver.Options{Token: token})
	require.NoError(t, err)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) <= answered {
			h.ServeHTTP(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body) // net/http notices a client hanging up only then
		<-r.Context().Done()
	}))
	defer srv.Close()
	dir := t.TempDir()
	o := runWith(t, nil, "--base-url", srv.URL, "--token", token, "--timeout", "200ms", "--concurrency", "4", "--out", dir)
	require.Equal(t, exitNoRun, o.code, o.stdout+o.stderr)
	notSent := "not sent: the server stopped answering (4 requests in a row got no complete answer within 200ms)"
	assert.Contains(t, o.stdout, "ERROR ok/list/listPhoneNumbers  the list is answered 200, every item valid against the schema ("+notSent+")")
	assert.Regexp(t, `\n  \d+ cases: `+regexp.QuoteMeta(notSent)+`\n`, o.stdout, "the error summary names the breaker")
	assert.Regexp(t, `\n\d+ cases: \d+ passed, 0 failed, 0 warnings, \d+ skipped, \d+ errors, 0 not selected: incomplete\n$`, o.stdout)
	assert.LessOrEqual(t, int(requests.Load()), answered+4+4, "the answered requests, then at most the threshold plus those in flight")
	for _, name := range []string{"junit.xml", "results.json", "report.html", "summary.md"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.Contains(t, string(b), notSent, name)
	}
}

func tlsReferenceServer(t *testing.T) (srv *httptest.Server, caFile string, ref *refserver.Server) {
	t.Helper()
	ref, err := refserver.Start(refserver.Options{})
	require.NoError(t, err)
	ref.Close() // only its ids are needed
	h, err := refserver.NewHandler(refserver.Options{})
	require.NoError(t, err)
	srv = httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are part of the test
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	return srv, caFile, ref
}

func TestTLSFlags(t *testing.T) {
	srv, caFile, ref := tlsReferenceServer(t)
	args := []string{"--base-url", srv.URL, "--token", ref.Token, "--contact-id", ref.ContactID, "--foreign-contact-id", ref.ForeignContactID}

	o := runWith(t, nil, args...)
	assert.Equal(t, exitNoRun, o.code)
	assert.Equal(t, "runner: preflight: cannot reach "+srv.URL+": the server's certificate is signed by an unknown authority; pass --ca-cert FILE with the CA that signed it (the token was not sent)\n", o.stderr)

	o = runWith(t, nil, append(args, "--ca-cert", caFile)...)
	assert.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
	assert.Empty(t, o.stderr)

	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "junit.xml")
	o = runWith(t, map[string]string{"CONFORMANCE_INSECURE": "true"}, append(args, "--json", jsonPath, "--junit", junitPath)...)
	assert.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
	warning := "runner: " + config.InsecureWarning + "\n"
	assert.Equal(t, warning+warning, o.stderr, "before the run and after its summary")
	var report struct {
		InsecureTLS bool              `json:"insecure_tls"`
		Warnings    []string          `json:"warnings"`
		Config      map[string]string `json:"config"`
	}
	jsonBytes, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(jsonBytes, &report))
	assert.True(t, report.InsecureTLS)
	assert.Equal(t, []string{config.InsecureWarning}, report.Warnings)
	assert.Equal(t, "true", report.Config["insecure_tls"])
	junitBytes, err := os.ReadFile(junitPath)
	require.NoError(t, err)
	assert.Contains(t, string(junitBytes), `<property name="warning" value="WARNING: --insecure: the server&#39;s TLS certificate is not verified`)
}

func TestSafetyFlagsCannotBeMisused(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"bad deadline", nil, []string{"--deadline", "forever"}, `runner: --deadline "forever" is not a positive duration such as 10s or 500ms`},
		{"zero deadline from env", map[string]string{"CONFORMANCE_DEADLINE": "0s"}, nil, `runner: CONFORMANCE_DEADLINE="0s" is not a positive duration such as 10s or 500ms`},
		{"bad rate limit", nil, []string{"--rate-limit", "fast"}, `runner: --rate-limit "fast" is not a number of requests per second between 0.001 and 1000000, such as 5 or 0.5`},
		{"negative rate limit", nil, []string{"--rate-limit", "-1"}, `runner: --rate-limit "-1" is not a number of requests per second between 0.001 and 1000000, such as 5 or 0.5`},
		{"max body above 1 GiB", nil, []string{"--max-body", "1073741825"}, `runner: --max-body 1073741825 is more than 1073741824 bytes (1 GiB); a response that large is not one to validate in memory`},
		{"max body from the environment above 1 GiB", map[string]string{"CONFORMANCE_MAX_BODY": "9223372036854775807"}, nil, `runner: CONFORMANCE_MAX_BODY=9223372036854775807 is more than 1073741824 bytes (1 GiB); a response that large is not one to validate in memory`},
		{"rate limit too low to end", nil, []string{"--rate-limit", "1e-300"}, `runner: --rate-limit "1e-300" is not a number of requests per second between 0.001 and 1000000, such as 5 or 0.5`},
		{"missing CA file", nil, []string{"--ca-cert", "/nonexistent/ca.pem"}, "runner: --ca-cert: cannot read /nonexistent/ca.pem: no such file or directory"},
		{"CA file without a certificate", nil, []string{"--ca-cert", notPEM}, "runner: --ca-cert: " + notPEM + " holds no PEM certificate"},
		{"CA and insecure at once", nil, []string{"--ca-cert", notPEM, "--insecure"}, "runner: --ca-cert and --insecure contradict each other: --ca-cert verifies the certificate against your CA, --insecure not at all"},
		{"insecure not a boolean", map[string]string{"CONFORMANCE_INSECURE": "maybe"}, nil, `runner: CONFORMANCE_INSECURE="maybe" is not a boolean`},
		{"token with a space", nil, []string{"--token", "token 0123"}, "runner: the token holds whitespace or a control character; a bearer token is one word of visible characters (RFC 6750 section 2.1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := runWith(t, tt.env, tt.args...)
			assert.Equal(t, exitNoRun, o.code)
			assert.Equal(t, tt.wantErr+"\n", o.stderr)
		})
	}
}

// A server that shows fragments of the token (a masked prefix, the start and the last four, the
// token split in two strings) gets none of them shown in any output.
func TestFragmentsOfTheTokenNeverLeak(t *testing.T) {
	const token = "tok-SECRET-9f8e7d6c5b4a"
	h, err := refserver.NewHandler(refserver.Options{Token: token})
	require.NoError(t, err)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		_, sent, _ := strings.Cut(auth, " ")
		sent = strings.TrimPrefix(cmp.Or(sent, auth), "Bearer")
		if len(sent) >= 8 {
			w.Header().Set("X-Echo-Prefix", "invalid token "+sent[:6]+"...")
			w.Header().Set("X-Echo-Masked", sent[:4]+"****"+sent[len(sent)-4:])
		}
		if strings.HasPrefix(r.URL.Path, "/phone_number") {
			half := len(auth) / 2
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, `you sent ["`+auth[:half]+`","`+auth[half:]+`"]`)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer front.Close()
	ref, err := refserver.Start(refserver.Options{Token: token})
	require.NoError(t, err)
	ref.Close() // only its ids are needed
	dir := t.TempDir()
	o := runWith(t, map[string]string{"CONFORMANCE_TOKEN": token}, "--base-url", front.URL, "--contact-id", ref.ContactID,
		"--foreign-contact-id", ref.ForeignContactID, "-v", "--out", dir)
	require.Equal(t, exitFailures, o.code, o.stderr)
	outputs := map[string]string{"stdout": o.stdout, "stderr": o.stderr}
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		require.NoError(t, err)
		outputs[f.Name()] = string(b)
	}
	assert.Contains(t, outputs["results.json"], `"X-Echo-Masked": "[REDACTED]****[REDACTED]"`, "the fragments reached the report, redacted")
	assert.Contains(t, o.stdout, `you sent [\"[REDACTED]\",\"[REDACTED]\"]`, "the split token reached the output, redacted")
	for name, text := range outputs {
		assert.Empty(t, fragmentsStandingAlone(text, token), "%s shows fragments of the token", name)
	}
}

// fragmentsStandingAlone lists the prefixes and suffixes of secret, 4 bytes or more, that text
// shows with no ASCII letter or digit on either side.
func fragmentsStandingAlone(text, secret string) []string {
	word := func(i int) bool {
		return i >= 0 && i < len(text) && (text[i] >= 'a' && text[i] <= 'z' || text[i] >= 'A' && text[i] <= 'Z' || text[i] >= '0' && text[i] <= '9')
	}
	var found []string
	for n := 4; n <= len(secret); n++ {
		for _, fragment := range []string{secret[:n], secret[len(secret)-n:]} {
			for at := 0; ; at++ {
				k := strings.Index(text[at:], fragment)
				if k < 0 {
					break
				}
				at += k
				if !word(at-1) && !word(at+n) {
					found = append(found, text[max(0, at-30):min(len(text), at+n+30)])
				}
			}
		}
	}
	return found
}
