package runner

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/internal/fronts"
	"github.com/contacts-conformance/suite/spec/refserver"
)

// A wrong configuration is never reported as a broken server: each mis-configuration a hurried
// person makes ends the run with exit 2, one line saying what is wrong, and reports whose verdict is
// incomplete, and no case is judged.

// target is a server under test: the reference server's handler behind whatever a row puts in
// front of it, counting the requests that reach it.
type target struct {
	url                       string
	token, contact, foreign   string
	ownContacts               []string
	requests, tokenedRequests atomic.Int64
}

func newTarget(t *testing.T, opts refserver.Options, front func(tg *target, next http.Handler) http.Handler, tls bool) *target {
	t.Helper()
	fx, err := refserver.EmbeddedFixtures()
	require.NoError(t, err)
	opts.Fixtures = fx
	h, err := refserver.NewHandler(opts)
	require.NoError(t, err)
	ref, err := refserver.Start(opts)
	require.NoError(t, err)
	ref.Close() // only its ids are needed
	tg := &target{token: ref.Token, contact: ref.ContactID, foreign: ref.ForeignContactID, ownContacts: fx.OwnContactIDs()}
	var next http.Handler = h
	if front != nil {
		next = front(tg, h)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.requests.Add(1)
		if strings.Contains(r.Header.Get("Authorization"), tg.token) {
			tg.tokenedRequests.Add(1)
		}
		next.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	tg.url = srv.URL + opts.Prefix
	return tg
}

// expiringAfter accepts the token for its first n requests carrying it, then refuses it as an
// expired token is refused.
func expiringAfter(n int64) func(*target, http.Handler) http.Handler {
	var seen atomic.Int64
	return func(tg *target, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if auth := r.Header.Get("Authorization"); strings.Contains(auth, tg.token) && seen.Add(1) > n {
				r.Header.Set("Authorization", strings.Replace(auth, tg.token, "expired-"+tg.token, 1))
			}
			next.ServeHTTP(w, r)
		})
	}
}

func htmlSite(*target, http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>Acme</title></head><body>Welcome to Acme</body></html>")
	})
}

// authFirst is an API gateway in front of the server that asks for credentials on any path, before
// any route is looked at.
func authFirst(_ *target, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("WWW-Authenticate", `Bearer realm="gateway"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"status":"error","message":"credentials required","data":null}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// routingGateway asks for credentials on the API's paths, at its prefix and without it, and
// answers any other path itself: a path no API has gets its own 404.
func routingGateway(tg *target, next http.Handler) http.Handler {
	guarded := authFirst(tg, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/contact/") || strings.HasPrefix(r.URL.Path, "/v1/") {
			guarded.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"status":"error","message":"no route","data":null}`)
	})
}

// oneNotFound answers every 404 with the same envelope, an unknown contact's and a path's that is
// not there alike, as many frameworks' default handlers do.
func oneNotFound(next http.Handler) http.Handler {
	return fronts.RewriteBodies(next, func(status int, body []byte) []byte {
		if status == http.StatusNotFound {
			return []byte(`{"status":"error","message":"Not Found","data":null}`)
		}
		return body
	})
}

// authFirstOneNotFound is authFirst in front of a server that answers every 404 alike.
func authFirstOneNotFound(tg *target, next http.Handler) http.Handler {
	return authFirst(tg, oneNotFound(next))
}

type verdictFile struct {
	Verdict   string `json:"verdict"`
	Preflight struct {
		Failure string `json:"failure"`
	} `json:"preflight"`
	Summary struct {
		Pass, Fail int
	} `json:"summary"`
}

func readVerdict(t *testing.T, path string) verdictFile {
	t.Helper()
	doc, err := os.ReadFile(path)
	require.NoError(t, err)
	validateResults(t, doc)
	var v verdictFile
	require.NoError(t, json.Unmarshal(doc, &v))
	return v
}

func TestMisconfigurationIsNeverTheServersFault(t *testing.T) {
	tests := []struct {
		name  string
		opts  refserver.Options
		front func(*target, http.Handler) http.Handler
		tls   bool
		// args builds the flags from the target; nil means the right ones.
		args func(tg *target) []string
		// want is the one line on stderr, built from the target.
		want func(tg *target) string
		// sent is how many requests may reach the server; -1 means any.
		sent int64
		// tokenSent says whether the token may reach the server at all.
		tokenSent bool
	}{
		{name: "wrong token", args: func(tg *target) []string { return flags(tg, "--token", "rotated-token-0000") },
			want: func(tg *target) string {
				return "runner: preflight: the server refused the token (401) on GET /campaign/list: it is wrong, expired, or for another environment"
			}, sent: -1},
		{name: "base URL without its path prefix", opts: refserver.Options{Prefix: "/v1"},
			args: func(tg *target) []string { return flags(tg, "--base-url", strings.TrimSuffix(tg.url, "/v1")) },
			want: func(tg *target) string {
				return "runner: preflight: " + strings.TrimSuffix(tg.url, "/v1") + ` does not serve this API: GET /campaign/list was answered 404 Not Found, application/json; charset=utf-8 "{\"data\":null,\"message\":\"no such path\",\"status\":\"error\"}": ` +
					"the path is not there: the base URL's path prefix is probably missing, extra or doubled (the base URL ends where the API's paths begin, as in https://staging.example.com/v1), " +
					"or the server does not implement listCampaigns (then claim only the profiles it does, with --profile) (the token was not sent)"
			}, sent: 1},
		{name: "base URL with an extra path prefix",
			args: func(tg *target) []string { return flags(tg, "--base-url", tg.url+"/api/v1") },
			want: func(tg *target) string {
				return "runner: preflight: " + tg.url + "/api/v1 does not serve this API: GET /campaign/list was answered 404 Not Found"
			}, sent: 1},
		{name: "base URL without its path prefix, behind a gateway asking for credentials on any path, a claim without collections",
			opts: refserver.Options{Prefix: "/v1"}, front: authFirst,
			args: contactsWithoutPrefix, want: notServedWithoutPrefix, sent: -1, tokenSent: true},
		{name: "the same, the messages ending in a request id of their own",
			opts: refserver.Options{Prefix: "/v1", Quirks: []string{"request-id-in-message"}}, front: authFirst,
			args: contactsWithoutPrefix, want: notServedWithoutPrefix, sent: -1, tokenSent: true},
		{name: "the same, every 404 alike",
			opts: refserver.Options{Prefix: "/v1"}, front: authFirstOneNotFound,
			args: contactsWithoutPrefix, want: notServedWithoutPrefix, sent: -1, tokenSent: true},
		{name: "the same, behind a gateway that knows the API's paths without the prefix too",
			opts: refserver.Options{Prefix: "/v1"}, front: routingGateway,
			args: contactsWithoutPrefix, want: notServedWithoutPrefix, sent: -1, tokenSent: true},
		{name: "the same, with a contact id",
			opts: refserver.Options{Prefix: "/v1"}, front: authFirst,
			args: func(tg *target) []string {
				return append(flags(tg, "--base-url", strings.TrimSuffix(tg.url, "/v1"), "--foreign-contact-id", ""), "--profile", "contacts")
			},
			want: func(tg *target) string {
				return "runner: preflight: " + strings.TrimSuffix(tg.url, "/v1") + " does not serve this API: GET /contact/" + tg.contact + " was answered 404 Not Found"
			}, sent: -1, tokenSent: true},
		{name: "http:// to a TLS port", tls: true,
			args: func(tg *target) []string {
				return flags(tg, "--base-url", strings.Replace(tg.url, "https://", "http://", 1))
			},
			want: func(tg *target) string {
				return `runner: preflight: GET /campaign/list was answered 400 Bad Request "Client sent an HTTP request to an HTTPS server.": the port expects TLS; use https:// (the token was not sent)`
			}, sent: 0},
		{name: "an HTML site", front: htmlSite,
			want: func(tg *target) string {
				return "runner: preflight: " + tg.url + ` does not serve this API: GET /campaign/list was answered 200 OK, text/html; charset=utf-8 "<!DOCTYPE html><html><head><title>Acme</title></head><body>W...": ` +
					"an HTML page, so the base URL points at a web site or a front end rather than at the API; check its host and path prefix (the token was not sent)"
			}, sent: 1},
		{name: "the same id twice", args: func(tg *target) []string { return flags(tg, "--foreign-contact-id", tg.contact) },
			want: func(tg *target) string {
				return "runner: --contact-id and --foreign-contact-id are the same id (" + tg.contact + "): the foreign one must be a contact of another company than the token's"
			}, sent: 0},
		{name: "swapped ids", args: func(tg *target) []string {
			return flags(tg, "--contact-id", tg.foreign, "--foreign-contact-id", tg.contact)
		},
			want: func(tg *target) string {
				return "runner: preflight: --contact-id and --foreign-contact-id look swapped: --contact-id " + tg.foreign + " was answered 404 Not Found and --foreign-contact-id " + tg.contact + " 200 OK"
			}, sent: -1, tokenSent: true},
		{name: "a contact id that is not a UUID", args: func(tg *target) []string { return flags(tg, "--contact-id", "not-a-uuid") },
			want: func(tg *target) string {
				return `runner: --contact-id "not-a-uuid" is not a UUID, as the id parameter of getContactById must be`
			}, sent: 0},
		{name: "a foreign id that is not a UUID", args: func(tg *target) []string { return flags(tg, "--foreign-contact-id", "42") },
			want: func(tg *target) string {
				return `runner: --foreign-contact-id "42" is not a UUID, as the id parameter of getContactById must be`
			}, sent: 0},
		{name: "a contact id the token cannot read", args: func(tg *target) []string { return flags(tg, "--contact-id", "0f9e8d7c-6b5a-4948-8372-615243342516") },
			want: func(tg *target) string {
				return "runner: preflight: --contact-id 0f9e8d7c-6b5a-4948-8372-615243342516 is not readable with the token: GET /contact/0f9e8d7c-6b5a-4948-8372-615243342516 was answered 404 Not Found (no such contact, or one of another company)"
			}, sent: -1, tokenSent: true},
		{name: "a foreign id of the token's own company", args: func(tg *target) []string { return flags(tg, "--foreign-contact-id", otherOwn(tg)) },
			want: func(tg *target) string {
				return "runner: preflight: --foreign-contact-id " + otherOwn(tg) + " is not a contact of another company: GET /contact/" + otherOwn(tg) +
					" was answered 200 OK with company 0b8e4d9a-1c2f-4e3a-8d5b-7a6c9e0f1b2d, the company of --contact-id; give a contact of another company"
			}, sent: -1, tokenSent: true},
		{name: "a token without access to contacts", front: func(tg *target, next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/contact/") {
					r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), tg.token, "no-scope", 1))
				}
				next.ServeHTTP(w, r)
			})
		},
			want: func(tg *target) string {
				return "runner: preflight: the token cannot read --contact-id " + tg.contact + ": GET /contact/" + tg.contact +
					" was answered 401 Unauthorized, though the token is accepted elsewhere; it lacks access to contacts (a scope, a role)"
			}, sent: -1, tokenSent: true},
		{name: "a foreign id of the token's own company, without a contact id",
			args: func(tg *target) []string { return flags(tg, "--contact-id", "", "--foreign-contact-id", otherOwn(tg)) },
			want: func(tg *target) string {
				return "runner: preflight: --foreign-contact-id " + otherOwn(tg) + " is not a contact of another company: GET /contact/" + otherOwn(tg) +
					" was answered 200 OK with company 0b8e4d9a-1c2f-4e3a-8d5b-7a6c9e0f1b2d, the company of every record the lists hold; give a contact of another company"
			}, sent: -1, tokenSent: true},
		{name: "a contact id of another company, on a server that serves it", opts: refserver.Options{Fault: "foreign-id-served"},
			args: func(tg *target) []string { return flags(tg, "--contact-id", tg.foreign, "--foreign-contact-id", "") },
			want: func(tg *target) string {
				return "runner: preflight: --contact-id " + tg.foreign + " is of company e2d4c6b8-a0f1-4e3d-9c5b-7a9e1f3d5b70, but every record the lists hold is of company 0b8e4d9a-1c2f-4e3a-8d5b-7a6c9e0f1b2d: give a contact of the token's company (if it is one, the lists are another company's)"
			}, sent: -1, tokenSent: true},
		{name: "a redirect to another origin", front: func(tg *target, next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://api.example.com/v1"+r.URL.Path, http.StatusMovedPermanently)
			})
		},
			want: func(tg *target) string {
				return "runner: preflight: GET /campaign/list was answered 301 Moved Permanently, a redirect to https://api.example.com/v1/campaign/list: the API is not at the base URL; give the one the redirect names (the token was not sent)"
			}, sent: 1},
		{name: "a server that is down", front: func(tg *target, next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "<html><body>Down for maintenance</body></html>")
			})
		},
			want: func(tg *target) string {
				return "runner: preflight: " + tg.url + " is unavailable: GET /campaign/list was answered 503 Service Unavailable (Retry-After: 30); try again later (the token was not sent)"
			}, sent: 1},
		{name: "a token that expires after its first request", front: expiringAfter(1),
			want: func(tg *target) string {
				return "runner: preflight: the token stopped being accepted during the preflight: "
			}, sent: -1, tokenSent: true},
		{name: "a base URL with a double slash",
			args: func(tg *target) []string { return flags(tg, "--base-url", tg.url+"//v1") },
			want: func(tg *target) string {
				return `runner: base URL "` + tg.url + `//v1" has an empty path segment (//); remove the extra slash`
			}, sent: 0},
		{name: "a base URL with a space",
			args: func(tg *target) []string { return flags(tg, "--base-url", tg.url+"/v 1") },
			want: func(tg *target) string {
				return `runner: base URL "` + tg.url + `/v%201" holds white space; remove it (a space in a path is written %20)`
			}, sent: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newTarget(t, tt.opts, tt.front, tt.tls)
			args := flags(tg)
			if tt.args != nil {
				args = tt.args(tg)
			}
			dir := t.TempDir()
			o := runWith(t, nil, append(args, "--out", dir)...)
			require.Equal(t, exitNoRun, o.code, "stdout:\n%s\nstderr:\n%s", o.stdout, o.stderr)
			lines := strings.Split(strings.TrimSuffix(o.stderr, "\n"), "\n")
			require.Len(t, lines, 1, "one line on stderr: %q", o.stderr)
			assert.True(t, strings.HasPrefix(lines[0], tt.want(tg)), "stderr:\n%s\nwant the line to start with:\n%s", lines[0], tt.want(tg))
			assert.NotContains(t, o.stdout, "FAIL ", "no case is judged")
			if tt.sent >= 0 {
				assert.LessOrEqual(t, tg.requests.Load(), tt.sent, "requests that reached the server")
			}
			if !tt.tokenSent && !strings.Contains(tt.name, "token") {
				assert.Zero(t, tg.tokenedRequests.Load(), "the token was sent although the run could not be made")
			}
			if _, err := os.Stat(filepath.Join(dir, "results.json")); strings.HasPrefix(lines[0], "runner: base URL") {
				assert.True(t, os.IsNotExist(err), "a base URL refused like a bad flag writes no report")
				return
			}
			v := readVerdict(t, filepath.Join(dir, "results.json"))
			assert.Equal(t, "incomplete", v.Verdict)
			assert.Equal(t, strings.TrimPrefix(strings.TrimPrefix(lines[0], "runner: "), "preflight: "), v.Preflight.Failure)
			assert.Zero(t, v.Summary.Pass+v.Summary.Fail, "no case is judged")
			summary, err := os.ReadFile(filepath.Join(dir, "summary.md"))
			require.NoError(t, err)
			assert.Contains(t, string(summary), "incomplete")
		})
	}
}

// contactsWithoutPrefix claims the contacts profile alone, with no ids, at the base URL without
// its /v1; notServedWithoutPrefix is how the preflight's line for it starts.
func contactsWithoutPrefix(tg *target) []string {
	return append(flags(tg, "--base-url", strings.TrimSuffix(tg.url, "/v1"), "--contact-id", "", "--foreign-contact-id", ""), "--profile", "contacts")
}

func notServedWithoutPrefix(tg *target) string {
	return "runner: preflight: " + strings.TrimSuffix(tg.url, "/v1") + " does not serve this API: GET /contact/"
}

// flags are the right flags for the target, with some replaced.
func flags(tg *target, replace ...string) []string {
	values := map[string]string{"--base-url": tg.url, "--token": tg.token, "--contact-id": tg.contact, "--foreign-contact-id": tg.foreign}
	for i := 0; i+1 < len(replace); i += 2 {
		values[replace[i]] = replace[i+1]
	}
	var args []string
	for _, f := range []string{"--base-url", "--token", "--contact-id", "--foreign-contact-id"} {
		if values[f] != "" { // an empty value leaves the flag out
			args = append(args, f, values[f])
		}
	}
	return args
}

// otherOwn is a contact of the token's company other than the configured one.
func otherOwn(tg *target) string {
	for _, id := range tg.ownContacts {
		if !strings.EqualFold(id, tg.contact) {
			return id
		}
	}
	panic("the fixtures hold one contact of the token's company only")
}

// A token that stops being accepted in the middle of a run turns the cases refused from then on
// into errors, and the run says so in one line; nothing is blamed on the server.
func TestTokenExpiringMidRunIsNoFailure(t *testing.T) {
	tg := newTarget(t, refserver.Options{}, expiringAfter(40), false)
	dir := t.TempDir()
	o := runWith(t, nil, append(flags(tg), "--out", dir, "--concurrency", "1")...)
	require.Equal(t, exitNoRun, o.code, "stdout:\n%s\nstderr:\n%s", o.stdout, o.stderr)
	assert.NotContains(t, o.stdout, "FAIL ")
	m := regexp.MustCompile(`\nERROR list/limit-1/listCampaigns  .* \(the token stopped being accepted after (\d+) requests: it expired mid-run; use --token-command to renew it\)\n`).FindStringSubmatch(o.stdout)
	require.NotNil(t, m, o.stdout)
	after, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, after, 40, "the token was good for its first 40 requests")
	assert.Less(t, int64(after), tg.requests.Load(), "it expired before the run's last request")
	assert.Contains(t, o.stderr, fmt.Sprintf("runner: WARNING: the token stopped being accepted after %d requests (it expired mid-run)", after))
	v := readVerdict(t, filepath.Join(dir, "results.json"))
	assert.Equal(t, "incomplete", v.Verdict)
	assert.Zero(t, v.Summary.Fail)
	assert.Positive(t, v.Summary.Pass, "the cases before the expiry and the expected 401s pass")
}

// The rows above have their twins with the base URL right: whatever is in front of the server, a
// claim without collections is served with a contact to read, and without one the run asks for it
// rather than guess (an unknown id's 404 and a missing path's are alike).
func TestAClaimWithoutCollectionsBehindAnyFront(t *testing.T) {
	for name, front := range map[string]func(*target, http.Handler) http.Handler{
		"a gateway asking for credentials everywhere":                  authFirst,
		"a gateway asking for credentials everywhere, every 404 alike": authFirstOneNotFound,
		"a gateway asking for credentials everywhere, request ids":     authFirst,
		"paths looked at first":                                        nil,
		"a gateway that routes by path":                                routingGateway,
	} {
		opts := refserver.Options{Prefix: "/v1"}
		if strings.HasSuffix(name, "request ids") {
			opts.Quirks = []string{"request-id-in-message"}
		}
		for _, contact := range []string{"with a contact id", "without ids"} {
			t.Run(name+", "+contact, func(t *testing.T) {
				tg := newTarget(t, opts, front, false)
				args := flags(tg, "--foreign-contact-id", "")
				if contact == "without ids" {
					args = flags(tg, "--contact-id", "", "--foreign-contact-id", "")
				}
				o := runWith(t, nil, append(args, "--profile", "contacts", "--strict")...)
				if contact == "without ids" {
					require.Equal(t, exitNoRun, o.code, "stdout:\n%s\nstderr:\n%s", o.stdout, o.stderr)
					assert.Contains(t, o.stderr, "give --contact-id (a contact the token can read), or check the base URL's path prefix")
					assert.NotContains(t, o.stdout, "FAIL ", "no case is judged")
					return
				}
				require.Equal(t, exitConformant, o.code, "stdout:\n%s\nstderr:\n%s", o.stdout, o.stderr)
				assert.Contains(t, o.stdout, "serves this API")
			})
		}
	}
}

// The row that must not move: a server that really serves another company's contact is still
// exit 1 with ID-002, though its foreign id answers 200 in the preflight.
func TestALeakIsNeverExcusedAsAConfigurationError(t *testing.T) {
	tg := newTarget(t, refserver.Options{Fault: "foreign-id-served"}, nil, false)
	o := runWith(t, nil, flags(tg)...)
	require.Equal(t, exitFailures, o.code, "stdout:\n%s\nstderr:\n%s", o.stdout, o.stderr)
	assert.Contains(t, o.stdout, "FAIL  unknown-id/foreign/getContactById")
	assert.Contains(t, o.stdout, "ID-002 (MUST)")
	assert.Regexp(t, `preflight note   --foreign-contact-id \S+: GET /contact/\S+ was answered 200 OK with company \S+, another company's than --contact-id's; ID-002 judges it`, o.stdout)
}

// nonLoopbackAddress is an address of this machine that is not a loopback one, or "".
func nonLoopbackAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// What a reader must know about how the run reached the server is in every report, the HTML
// banner and summary.md included: a token sent in clear text to another host, certificates not
// verified.
func TestTransportWarningsReachEveryReport(t *testing.T) {
	ip := nonLoopbackAddress()
	if ip == "" {
		t.Skip("this machine has no address but loopback")
	}
	h, err := refserver.NewHandler(refserver.Options{})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	require.NoError(t, err)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	srv.Start()
	defer srv.Close()
	ref, err := refserver.Start(refserver.Options{})
	require.NoError(t, err)
	ref.Close()

	tlsSrv, _, _ := tlsReferenceServer(t)
	for _, tt := range []struct {
		name, want string
		args       []string
	}{
		{"clear text", "WARNING: " + srv.URL + " is plain http:// to a host that is not a loopback address: the token travels in clear text, readable by anyone on the way. Use https://.",
			[]string{"--base-url", srv.URL}},
		{"insecure", config.InsecureWarning, []string{"--base-url", tlsSrv.URL, "--insecure"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := runWith(t, nil, append(tt.args, "--token", ref.Token, "--contact-id", ref.ContactID, "--foreign-contact-id", ref.ForeignContactID, "--out", dir)...)
			require.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
			assert.Equal(t, "runner: "+tt.want+"\nrunner: "+tt.want+"\n", o.stderr, "before the run and after its summary")
			doc, err := os.ReadFile(filepath.Join(dir, "results.json"))
			require.NoError(t, err)
			var run struct{ Warnings []string }
			require.NoError(t, json.Unmarshal(doc, &run))
			assert.Equal(t, []string{tt.want}, run.Warnings)
			page, err := os.ReadFile(filepath.Join(dir, "report.html"))
			require.NoError(t, err)
			banner := string(page)[strings.Index(string(page), `id="verdict"`):]
			banner = banner[:strings.Index(banner, "</section>")]
			assert.Contains(t, banner, `<p class="warning">`+html.EscapeString(tt.want)+"</p>")
			summary, err := os.ReadFile(filepath.Join(dir, "summary.md"))
			require.NoError(t, err)
			head := strings.SplitN(string(summary), "###", 2)[0]
			assert.Contains(t, head, "> **WARNING")
			junit, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
			require.NoError(t, err)
			assert.Contains(t, string(junit), `<property name="warning" value="WARNING:`)
		})
	}
}
