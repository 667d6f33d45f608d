package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec/refserver"
)

// fakeTokenCommand writes a script that stands for a CI system's token command: each run counts
// itself in a file and prints what the body prints ($n is the run's number). It returns the
// command and a function reporting how many times it ran.
func fakeTokenCommand(t *testing.T, body string) (string, func() int) {
	t.Helper()
	dir := t.TempDir()
	count := filepath.Join(dir, "count")
	script := filepath.Join(dir, "token.sh")
	require.NoError(t, os.WriteFile(script, []byte(`n=$(cat "`+count+`" 2>/dev/null || echo 0)
n=$((n+1))
echo "$n" > "`+count+`"
`+body+"\n"), 0o600))
	return "sh '" + script + "'", func() int {
		b, err := os.ReadFile(count)
		if err != nil {
			return 0
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
}

func TestCommandToken(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    string
		wantErr string
	}{
		{"prints the token", `echo "CI-Token-abcdef"`, "CI-Token-abcdef", ""},
		{"surrounding space is trimmed", `printf '  CI-Token-abcdef \n\n'`, "CI-Token-abcdef", ""},
		{"failure is one line without the output", `echo "partial-secret-123"; echo oops >&2; exit 3`, "", "--token-command failed (exit status 3); its output is not shown"},
		{"command not found", `no-such-command-for-conformance`, "", "exit status 127"},
		{"no output", `true`, "", "printed no token"},
		{"more than the token", `echo "Bearer CI-Token-abcdef"`, "", "must print the token alone"},
		{"too short to redact", `echo "short"`, "", "is 5 characters long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			command, runs := fakeTokenCommand(t, tt.body)
			redactor := NewRedactor("")
			src, err := CommandToken(context.Background(), command, 8, redactor)
			assert.Equal(t, 1, runs())
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "partial-secret-123")
				assert.NotContains(t, err.Error(), "\n")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, src.Token())
			assert.Equal(t, "Authorization: [REDACTED]", redactor.String("Authorization: "+tt.want))
		})
	}
}

func TestCommandTokenTimesOut(t *testing.T) {
	defer func(d time.Duration) { TokenCommandTimeout = d }(TokenCommandTimeout)
	TokenCommandTimeout = 100 * time.Millisecond
	command, _ := fakeTokenCommand(t, "sleep 10")
	started := time.Now()
	_, err := CommandToken(context.Background(), command, 8, NewRedactor(""))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did not finish within 100ms")
	assert.Less(t, time.Since(started), 5*time.Second, "a hung command must not hang the run")
}

// expiringTokens stands for an identity provider in front of the reference server: it accepts
// "CI-Token-N" for any N >= 1, except that CI-Token-1 expires after firstLife accepted requests.
// Anything else goes through unchanged, so the reference server answers it as usual.
type expiringTokens struct {
	next         http.Handler
	backendToken string
	firstLife    int

	mu   sync.Mutex
	used int
}

func (x *expiringTokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(scheme, "Bearer") && x.valid(token) {
		r.Header.Set("Authorization", scheme+" "+x.backendToken)
	}
	x.next.ServeHTTP(w, r)
}

func (x *expiringTokens) valid(token string) bool {
	digits, ok := strings.CutPrefix(token, "CI-Token-")
	n, err := strconv.Atoi(digits)
	if !ok || err != nil || n < 1 || strconv.Itoa(n) != digits {
		return false
	}
	if n > 1 {
		return true
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.used++
	return x.used <= x.firstLife
}

// A token that expires in the middle of a run is renewed once and the refused cases are sent
// again; the auth cases' expected 401s renew nothing; a token that never worked is not renewed;
// a renewal that fails is a harness error that shows nothing of the command's output.
func TestExpiredTokenIsRenewed(t *testing.T) {
	contract, cases := buildCases(t)
	backend, err := refserver.Start(refserver.Options{Token: "backend-token-0000"})
	require.NoError(t, err)
	defer backend.Close()
	backendURL, err := url.Parse(backend.URL)
	require.NoError(t, err)

	tests := []struct {
		name string
		// body is the token command's script; empty means a static token CI-Token-1.
		body      string
		wantRuns  int
		wantRenew int
		check     func(t *testing.T, s Summary, results []*Result)
	}{
		{"expired token is renewed", `echo "CI-Token-$n"`, 2, 1, func(t *testing.T, s Summary, _ []*Result) {
			assert.Equal(t, Summary{Total: len(cases), Pass: len(cases)}, s)
		}},
		{"a static token cannot be renewed: the refused cases are errors, not the server's failures", "", 0, 0, func(t *testing.T, s Summary, results []*Result) {
			assert.Zero(t, s.Fail, "a token that expired is no verdict on the server:\n%s", outcomes(results))
			require.Positive(t, s.Error, "the expiry must break the run without renewal, or this test proves nothing")
			for _, r := range results {
				if r.Outcome == Error {
					assert.Regexp(t, `^the token stopped being accepted after \d+ requests: it expired mid-run; use --token-command to renew it$`, r.Reason)
				}
			}
		}},
		{"a token that never worked is not renewed", `echo "wrong-token-value"`, 1, 0, func(t *testing.T, s Summary, results []*Result) {
			assert.Positive(t, s.Fail, "without a preflight, a token never accepted is refused like any wrong one")
			for _, r := range results {
				assert.NotContains(t, r.Reason, "expired", r.ID)
			}
		}},
		{"a failing renewal is a harness error", `if [ "$n" -gt 1 ]; then echo "leaked-secret-output"; exit 1; fi; echo "CI-Token-$n"`, 2, 0, func(t *testing.T, s Summary, results []*Result) {
			require.Positive(t, s.Error)
			for _, r := range results {
				if r.Outcome == Error {
					assert.Contains(t, r.Reason, "renewing it failed: --token-command failed (exit status 1)")
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			front := httptest.NewServer(&expiringTokens{next: httputil.NewSingleHostReverseProxy(backendURL), backendToken: backend.Token, firstLife: 10})
			defer front.Close()
			redactor := NewRedactor("")
			src := StaticToken("CI-Token-1")
			runs := func() int { return 0 }
			if tt.body != "" {
				var command string
				command, runs = fakeTokenCommand(t, tt.body)
				src, err = CommandToken(context.Background(), command, 8, redactor)
				require.NoError(t, err)
			} else {
				redactor.AddToken("CI-Token-1")
			}
			eng, err := New(contract, Options{BaseURL: front.URL, Tokens: src, Redactor: redactor, Concurrency: 4})
			require.NoError(t, err)
			results := eng.Run(context.Background(), cases, nil)
			tt.check(t, Summarize(results), results)
			assert.Equal(t, tt.wantRuns, runs(), "runs of the token command")
			assert.Equal(t, tt.wantRenew, src.Renewals())
			dump, err := json.Marshal(results)
			require.NoError(t, err)
			assert.NotContains(t, string(dump), "CI-Token", "a token leaked into the results")
			assert.NotContains(t, string(dump), "leaked-secret-output")
		})
	}
}

// outcomes lists the results that did not pass, for a failure message.
func outcomes(results []*Result) string {
	var b strings.Builder
	for _, r := range results {
		if r.Outcome != Pass {
			fmt.Fprintf(&b, "%s %s %s\n", r.Outcome, r.ID, r.Reason)
		}
	}
	return b.String()
}
