package conformancetest_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/conformancetest"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// Run's outcomes are a test's outcomes: only another process can watch a test fail. Each test
// below runs this package's test binary again, with TestScenario and one scenario selected, and
// reads what go test printed, the exit status, and what the scenario's server recorded.
const (
	scenarioEnv = "CONFORMANCETEST_SCENARIO"
	recordEnv   = "CONFORMANCETEST_RECORD"
)

// The reference server's fixtures: its token, its company's contact and another company's.
const (
	token     = "Reference-Token"
	contactID = "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40"
	foreignID = "f0e1d2c3-b4a5-4968-8776-655443322110"
)

// recorder stands in front of the server under test: it writes every request it receives to the
// record file (method, request URI, Accept), and the most requests it had in flight at once when
// the test ends.
type recorder struct {
	next     http.Handler
	mu       sync.Mutex
	lines    []string
	inFlight atomic.Int32
	most     atomic.Int32
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := rec.inFlight.Add(1)
	defer rec.inFlight.Add(-1)
	for m := rec.most.Load(); n > m && !rec.most.CompareAndSwap(m, n); m = rec.most.Load() {
	}
	rec.mu.Lock()
	rec.lines = append(rec.lines, fmt.Sprintf("%s %s %s", r.Method, r.RequestURI, r.Header.Get("Accept")))
	rec.mu.Unlock()
	rec.next.ServeHTTP(w, r)
}

// serve is the reference server's handler with the options, behind a recorder that writes its
// record once the test and all its subtests are over.
func serve(t *testing.T, opts refserver.Options) http.Handler {
	h, err := refserver.NewHandler(opts)
	require.NoError(t, err)
	rec := &recorder{next: h}
	t.Cleanup(func() {
		record := append(slices.Clone(rec.lines), "most-in-flight "+strconv.Itoa(int(rec.most.Load())))
		require.NoError(t, os.WriteFile(os.Getenv(recordEnv), []byte(strings.Join(record, "\n")+"\n"), 0o600))
	})
	return rec
}

// against is the reference server with the options, with its fixtures' token and ids.
func against(t *testing.T, opts refserver.Options) conformancetest.Target {
	return conformancetest.Target{Handler: serve(t, opts), Token: token, ContactID: contactID, ForeignContactID: foreignID}
}

func clean(t *testing.T) conformancetest.Target { return against(t, refserver.Options{}) }

// scenarios are what TestScenario runs in the child process.
var scenarios = map[string]func(t *testing.T){
	"clean": func(t *testing.T) { conformancetest.Run(t, clean(t), conformancetest.Seed(1)) },
	"fault": func(t *testing.T) {
		conformancetest.Run(t, against(t, refserver.Options{Fault: "wrong-record"}),
			conformancetest.Seed(1), conformancetest.Explore(0))
	},
	"slow": func(t *testing.T) {
		conformancetest.Run(t, against(t, refserver.Options{Latency: 20 * time.Millisecond}),
			conformancetest.Explore(0))
	},
	"slow, concurrency 3": func(t *testing.T) {
		conformancetest.Run(t, against(t, refserver.Options{Latency: 20 * time.Millisecond}),
			conformancetest.Explore(0), conformancetest.Concurrency(3))
	},
	"refused token": func(t *testing.T) {
		target := clean(t)
		target.Token = "a-rotated-token"
		conformancetest.Run(t, target)
	},
	"selected": func(t *testing.T) {
		conformancetest.Run(t, clean(t), conformancetest.Select("^auth/"), conformancetest.Skip("lowercase"))
	},
	"no ids": func(t *testing.T) {
		conformancetest.Run(t, conformancetest.Target{Handler: serve(t, refserver.Options{}), Token: token}, conformancetest.Explore(0))
	},
	"token function": func(t *testing.T) {
		var calls atomic.Int32
		front := &expiring{next: serve(t, refserver.Options{}), life: 10}
		conformancetest.Run(t, conformancetest.Target{Handler: front, ContactID: contactID, ForeignContactID: foreignID,
			TokenFunc: func(context.Context) (string, error) { return "CI-Token-" + strconv.Itoa(int(calls.Add(1))), nil }},
			conformancetest.Explore(0))
		t.Cleanup(func() { t.Logf("token function called %d times", calls.Load()) })
	},
	"expectations": func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "conformance.expect")
		require.NoError(t, os.WriteFile(file, []byte("ok/known-upper-case/getContactById  2999-01-01  PLAT-1234 the cache serves another contact\n"+
			"ok/list/listCampaigns               2999-01-01  PLAT-1240 fixed since\n"), 0o600))
		conformancetest.Run(t, against(t, refserver.Options{Fault: "wrong-record-upper-case"}),
			conformancetest.Explore(0), conformancetest.Expect(file))
	},
	"expired token": func(t *testing.T) {
		front := &expiring{next: serve(t, refserver.Options{}), life: 10}
		conformancetest.Run(t, conformancetest.Target{Handler: front, Token: "CI-Token-1", ContactID: contactID, ForeignContactID: foreignID}, conformancetest.Explore(0))
	},
	// The environment is the child process's own: the parent removes every CONFORMANCE_ variable.
	"from the environment": func(t *testing.T) {
		srv, err := refserver.Start(refserver.Options{})
		require.NoError(t, err)
		t.Cleanup(srv.Close)
		for k, v := range map[string]string{"CONFORMANCE_BASE_URL": srv.URL, "CONFORMANCE_TOKEN": srv.Token, "CONFORMANCE_CONTACT_ID": contactID,
			"CONFORMANCE_RUN": "^auth/", "CONFORMANCE_EXPLORE": "0"} {
			require.NoError(t, os.Setenv(k, v))
		}
		target, opts, err := conformancetest.FromEnv()
		require.NoError(t, err)
		conformancetest.Run(t, target, opts...)
	},
	"from the environment, a wrong id": func(t *testing.T) {
		srv, err := refserver.Start(refserver.Options{})
		require.NoError(t, err)
		t.Cleanup(srv.Close)
		for k, v := range map[string]string{"CONFORMANCE_BASE_URL": srv.URL, "CONFORMANCE_TOKEN": srv.Token, "CONFORMANCE_CONTACT_ID": "42"} {
			require.NoError(t, os.Setenv(k, v))
		}
		target, opts, err := conformancetest.FromEnv()
		require.NoError(t, err)
		conformancetest.Run(t, target, opts...)
	},
	"bad settings": func(t *testing.T) {
		h := serve(t, refserver.Options{})
		for _, bad := range []struct {
			name   string
			target conformancetest.Target
			opts   []conformancetest.Option
		}{
			{"both servers", conformancetest.Target{BaseURL: "http://127.0.0.1:1", Handler: h, Token: token}, nil},
			{"no server", conformancetest.Target{Token: token}, nil},
			{"no token", conformancetest.Target{Handler: h}, nil},
			{"two tokens", conformancetest.Target{Handler: h, Token: token, TokenFunc: func(context.Context) (string, error) { return token, nil }}, nil},
			{"short token", conformancetest.Target{Handler: h, Token: "abc"}, nil},
			{"short token from the function", conformancetest.Target{Handler: h, TokenFunc: func(context.Context) (string, error) { return "abc", nil }}, nil},
			{"not a UUID", conformancetest.Target{Handler: h, Token: token, ContactID: "42"}, nil},
			{"bad base URL", conformancetest.Target{BaseURL: "ftp://staging.example.com", Token: token}, nil},
			{"bad expression", conformancetest.Target{Handler: h, Token: token}, []conformancetest.Option{conformancetest.Select("auth/(")}},
			{"no concurrency", conformancetest.Target{Handler: h, Token: token}, []conformancetest.Option{conformancetest.Concurrency(0)}},
			{"budget too large", conformancetest.Target{Handler: h, Token: token}, []conformancetest.Option{conformancetest.Explore(1 << 20)}},
			{"missing expectations", conformancetest.Target{Handler: h, Token: token}, []conformancetest.Option{conformancetest.Expect("/nonexistent/conformance.expect")}},
		} {
			t.Run(bad.name, func(t *testing.T) { conformancetest.Run(t, bad.target, bad.opts...) })
		}
	},
}

func TestScenario(t *testing.T) {
	name := os.Getenv(scenarioEnv)
	if name == "" {
		t.Skip("run by the other tests of this package, each in a process of its own")
	}
	scenarios[name](t)
}

// scenario is what one child process showed.
type scenario struct {
	output   string
	failed   bool
	requests []string
	// mostInFlight is the most requests the server had in flight at once.
	mostInFlight int
	// outcomes maps each subtest of TestScenario, by its name under it, to PASS, FAIL or SKIP.
	outcomes map[string]string
}

var outcomeLine = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): TestScenario/(\S+)`)

func runScenario(t *testing.T, name string, flags ...string) *scenario {
	t.Helper()
	record := filepath.Join(t.TempDir(), "record")
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestScenario$", "-test.v", "-test.count=1"}, flags...)...)
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "CONFORMANCE") }),
		scenarioEnv+"="+name, recordEnv+"="+record)
	out, err := cmd.CombinedOutput()
	s := &scenario{output: string(out), outcomes: map[string]string{}}
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "the test binary did not run:\n%s", out)
		s.failed = true
	}
	lines := bufio.NewScanner(strings.NewReader(s.output))
	for lines.Scan() {
		if m := outcomeLine.FindStringSubmatch(lines.Text()); m != nil {
			s.outcomes[m[2]] = m[1]
		}
	}
	if b, err := os.ReadFile(record); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if most, ok := strings.CutPrefix(line, "most-in-flight "); ok {
				s.mostInFlight, _ = strconv.Atoi(most)
			} else {
				s.requests = append(s.requests, line)
			}
		}
	}
	return s
}

// cases are the fixed cases Run builds for the reference server's fixtures.
func cases(t *testing.T, cfg suites.Config) []*suites.Case {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	cfg.HaveToken, cfg.Seed = true, 1
	return suites.Build(contract, cfg)
}

// Against a conformant handler every case is a passing subtest named by its id, and so is each
// result of the generative phase under explore/; the run sums itself up.
func TestEveryCaseIsASubtest(t *testing.T) {
	s := runScenario(t, "clean")
	require.False(t, s.failed, s.output)
	all := cases(t, suites.Config{ContactID: contactID, ForeignContactID: foreignID})
	for _, c := range all {
		assert.Equal(t, "PASS", s.outcomes[c.ID], c.ID)
	}
	for _, op := range []string{"getContactById", "listCampaigns", "listOutboundWebhookFlows", "listPhoneNumbers"} {
		assert.Equal(t, "PASS", s.outcomes["explore/all-held/"+op], op)
	}
	assert.Regexp(t, `target http://127\.0\.0\.1:\d+ \(Target\.Handler, on a loopback listener\), seed 1 \(repeat with conformancetest\.Seed\(1\)\)`, s.output)
	assert.Contains(t, s.output, "preflight ok: Target.ContactID "+contactID+" is readable")
	assert.Regexp(t, fmt.Sprintf(`%d cases: %d passed, 0 failed, 0 warnings, 0 skipped, 0 errors, 0 not selected: conformant; %d requests sent`,
		len(all)+4, len(all)+4, len(s.requests)), s.output)
	assert.NotContains(t, s.output, token, "the token was printed")
}

// A failure names the requirement, what was expected, what came back and the curl line that
// reproduces it, and fails the test; the token is never printed.
func TestFailureNamesTheRequirement(t *testing.T) {
	s := runScenario(t, "fault")
	require.True(t, s.failed, s.output)
	assert.Equal(t, "FAIL", s.outcomes["ok/known/getContactById"])
	assert.Equal(t, "PASS", s.outcomes["ok/list/listCampaigns"])
	assert.Contains(t, s.output, "OK-002 (MUST) The contact returned is the one asked for")
	assert.Contains(t, s.output, `expected: data.id "`+contactID+`"`)
	assert.Contains(t, s.output, "actual:   data.id ")
	assert.Regexp(t, `reproduce: curl -sS -i 'http://127\.0\.0\.1:\d+/contact/`+contactID+`' -H 'Authorization: Bearer '"\$\{CONFORMANCE_TOKEN\}"`, s.output)
	assert.Contains(t, s.output, ": not conformant;")
	assert.NotContains(t, s.output, token, "the token was printed")
}

// go test -run selects cases by id, and a case whose subtest it filters out is never sent: here
// only the auth cases' requests (and the preflight's) reach the server, and no generated input.
func TestFilteredSubtestsSendNothing(t *testing.T) {
	s := runScenario(t, "clean", "-test.run=^TestScenario$/auth/")
	require.False(t, s.failed, s.output)
	all := cases(t, suites.Config{ContactID: contactID, ForeignContactID: foreignID})
	allowed := map[string]bool{}
	auth := 0
	for _, c := range all {
		if strings.HasPrefix(c.ID, "auth/") {
			auth++
			assert.Equal(t, "PASS", s.outcomes[c.ID], c.ID)
			allowed[c.Request.Path] = true
		} else {
			assert.Empty(t, s.outcomes[c.ID], "%s ran, though -run left it out", c.ID)
		}
	}
	assert.Len(t, s.outcomes, auth, "only the auth cases are subtests: %v", s.outcomes)
	for _, op := range []string{"/campaign/list", "/phone_number", "/webhook/flow/company/outbound", "/contact/" + contactID, "/contact/" + foreignID} {
		allowed[op] = true // the preflight's reads
	}
	require.NotEmpty(t, s.requests)
	for _, r := range s.requests {
		method, uri, _ := strings.Cut(r, " ")
		uri, _, _ = strings.Cut(uri, " ")
		assert.Equal(t, http.MethodGet, method, r)
		assert.True(t, allowed[uri], "a request no selected case sends: %s", r)
	}
	assert.Less(t, len(s.requests), auth+10, "more requests than the auth cases and the preflight")
}

// The cases run at the suite's concurrency, not go test's -parallel: with -parallel 1, eight
// requests are in flight at once, or as many as Concurrency says.
func TestCasesRunAtTheSuitesConcurrency(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		want     int
	}{{"slow", 8}, {"slow, concurrency 3", 3}} {
		t.Run(tt.scenario, func(t *testing.T) {
			s := runScenario(t, tt.scenario, "-test.parallel=1")
			require.False(t, s.failed, s.output)
			assert.Equal(t, tt.want, s.mostInFlight)
		})
	}
}

// A failed preflight is one fatal line with its reason, and no case is judged.
func TestFailedPreflightJudgesNoCase(t *testing.T) {
	s := runScenario(t, "refused token")
	require.True(t, s.failed, s.output)
	assert.Empty(t, s.outcomes, "no case may be a subtest")
	assert.Contains(t, s.output, "conformancetest: preflight: the server refused the token (401) on GET /campaign/list: it is wrong, expired, or for another environment")
	assert.Equal(t, 1, strings.Count(s.output, "conformancetest: preflight:"))
	assert.NotContains(t, s.output, "a-rotated-token", "the token was printed")
}

// Select and Skip leave cases out as the runner's --run and --skip do: skipped subtests, named
// by the option, and nothing sent for them.
func TestSelectAndSkip(t *testing.T) {
	s := runScenario(t, "selected")
	require.False(t, s.failed, s.output)
	assert.Equal(t, "PASS", s.outcomes["auth/missing-header/getContactById"])
	assert.Equal(t, "SKIP", s.outcomes["auth/lowercase-scheme/getContactById"])
	assert.Equal(t, "SKIP", s.outcomes["ok/known/getContactById"])
	assert.Contains(t, s.output, "not selected by Select ^auth/ Skip lowercase")
	for _, r := range s.requests {
		assert.True(t, strings.HasPrefix(r, http.MethodGet+" "), "a request no selected case sends: %s", r)
	}
}

// A case that needs an id the Target lacks is skipped, naming the Target's field.
func TestMissingIDsSkipNamingTheField(t *testing.T) {
	s := runScenario(t, "no ids")
	require.False(t, s.failed, s.output)
	assert.Equal(t, "SKIP", s.outcomes["unknown-id/foreign/getContactById"])
	assert.Contains(t, s.output, "needs a contact of another company: set Target.ForeignContactID")
	assert.Contains(t, s.output, "needs a contact the token can see: set Target.ContactID")
}

// A token from TokenFunc that expires mid-run is renewed by calling it again, and every case
// passes; its tokens are never printed.
func TestTokenFuncRenewsAnExpiredToken(t *testing.T) {
	s := runScenario(t, "token function")
	require.False(t, s.failed, s.output)
	assert.Contains(t, s.output, "token function called 2 times")
	assert.Contains(t, s.output, "the token expired during the run and was renewed 1 time(s)")
	assert.NotContains(t, s.output, "CI-Token-", "a token was printed")
}

// A failure the expectations file lists is a skipped subtest saying so; an entry whose case now
// passes fails the test, naming the line to remove.
func TestExpectations(t *testing.T) {
	s := runScenario(t, "expectations")
	require.True(t, s.failed, s.output)
	assert.Equal(t, "SKIP", s.outcomes["ok/known-upper-case/getContactById"])
	assert.Contains(t, s.output, "expected failure: ")
	assert.Contains(t, s.output, "line 1 (expires 2999-01-01): PLAT-1234 the cache serves another contact")
	assert.Equal(t, "PASS", s.outcomes["ok/list/listCampaigns"])
	assert.Regexp(t, `the expectations file is out of date: \S+conformance\.expect line 2: ok/list/listCampaigns unexpected pass: the case passed`, s.output)
	assert.Contains(t, s.output, ": expectations out of date;")
}

// A token given as such that expires mid-run cannot be renewed: the cases refused from then on
// fail as errors, saying to give a TokenFunc, and the run says so once more at its end.
func TestExpiredTokenSaysToGiveATokenFunc(t *testing.T) {
	s := runScenario(t, "expired token")
	require.True(t, s.failed, s.output)
	assert.Regexp(t, `the case could not run: the token stopped being accepted after \d+ requests: it expired mid-run; use Target\.TokenFunc to renew it`, s.output)
	assert.Regexp(t, `WARNING: the token stopped being accepted after \d+ requests \(it expired mid-run\); the cases refused from then on ended as errors; use Target\.TokenFunc to renew it`, s.output)
	assert.Contains(t, s.output, ": incomplete;")
	assert.NotContains(t, s.output, "CI-Token-1", "the token was printed")
}

// Configured from the environment, a run against a running server names the variables: in the
// selection's reason, the seed to repeat, the preflight, and a wrong id's fatal line.
func TestFromEnvNamesTheVariables(t *testing.T) {
	s := runScenario(t, "from the environment")
	require.False(t, s.failed, s.output)
	assert.Equal(t, "PASS", s.outcomes["auth/missing-header/getContactById"])
	assert.Equal(t, "SKIP", s.outcomes["ok/known/getContactById"])
	assert.Contains(t, s.output, "not selected by CONFORMANCE_RUN ^auth/")
	assert.Regexp(t, `target http://127\.0\.0\.1:\d+, seed \d+ \(repeat with CONFORMANCE_SEED=\d+\)`, s.output)
	assert.Contains(t, s.output, "preflight ok: CONFORMANCE_CONTACT_ID "+contactID+" is readable")
	assert.Empty(t, s.outcomes["explore"], "CONFORMANCE_EXPLORE=0 turns the generative phase off")

	s = runScenario(t, "from the environment, a wrong id")
	require.True(t, s.failed, s.output)
	assert.Contains(t, s.output, `conformancetest: CONFORMANCE_CONTACT_ID "42" is not a UUID, as the id parameter of getContactById must be`)
	assert.Empty(t, s.outcomes)
}

// A target or an option the suite cannot run with is one fatal line saying what to change.
func TestBadSettingsAreOneLine(t *testing.T) {
	s := runScenario(t, "bad settings")
	require.True(t, s.failed, s.output)
	for name, want := range map[string]string{
		"both servers":                  "conformancetest: the Target has both a BaseURL and a Handler; give one",
		"no server":                     "conformancetest: the Target has neither a BaseURL nor a Handler; give the server under test",
		"no token":                      "conformancetest: the Target has no token: set Target.Token or Target.TokenFunc",
		"two tokens":                    "conformancetest: the Target has more than one token: give one of Target.Token or Target.TokenFunc",
		"short token":                   "conformancetest: Target.Token is 3 characters long; tokens shorter than 8 cannot be told apart from ordinary text in reports, so they are refused",
		"short token from the function": "conformancetest: the token from Target.TokenFunc is 3 characters long",
		"not a UUID":                    `conformancetest: Target.ContactID "42" is not a UUID`,
		"bad base URL":                  `conformancetest: base URL "ftp://staging.example.com" is not an http:// or https:// URL with a host`,
		"bad expression":                `conformancetest: Select("auth/(") is not a valid regular expression: missing closing )`,
		"no concurrency":                "conformancetest: Concurrency(0) is not a positive integer",
		"budget too large":              "conformancetest: Explore(1048576) is not a number of generated requests from 0 (none) to 100000",
		"missing expectations":          "conformancetest: Expect: ",
	} {
		key := strings.ReplaceAll(name, " ", "_")
		assert.Equal(t, "FAIL", s.outcomes[key], name)
		assert.Contains(t, s.output, want, name)
	}
	assert.NotContains(t, s.output, "panic")
	assert.Empty(t, s.requests, "a refused setting sends nothing")
}

// FromEnv reads the target and the options from the runner's variables, and its errors name the
// variable that was set.
func TestFromEnv(t *testing.T) {
	t.Setenv("CONFORMANCE_BASE_URL", "https://staging.example.com/v1")
	t.Setenv("CONFORMANCE_TOKEN", "staging-token-1234")
	t.Setenv("CONFORMANCE_CONTACT_ID", contactID)
	target, opts, err := conformancetest.FromEnv()
	require.NoError(t, err)
	assert.Equal(t, "https://staging.example.com/v1", target.BaseURL)
	assert.Equal(t, "staging-token-1234", target.Token)
	assert.Equal(t, contactID, target.ContactID)
	assert.Len(t, opts, 1)

	t.Setenv("CONFORMANCE_SEED", "x")
	_, _, err = conformancetest.FromEnv()
	require.EqualError(t, err, `CONFORMANCE_SEED="x" is not an integer`)
}

// expiring stands for an identity provider in front of the server: it takes CI-Token-N for any
// N of 1 or more as the server's own token, except that CI-Token-1 expires after life requests.
type expiring struct {
	next http.Handler
	life int32
	used atomic.Int32
}

func (x *expiring) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	scheme, presented, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	n, err := strconv.Atoi(strings.TrimPrefix(presented, "CI-Token-"))
	if ok && strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(presented, "CI-Token-") && err == nil && n >= 1 &&
		strconv.Itoa(n) == strings.TrimPrefix(presented, "CI-Token-") && (n > 1 || x.used.Add(1) <= x.life) {
		r.Header.Set("Authorization", scheme+" "+token)
	}
	x.next.ServeHTTP(w, r)
}
