package engine

import (
	"context"
	"encoding/json"
	"errors"
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
		{"too short to redact", `echo "short"`, "", "the token from --token-command is 5 characters long; tokens shorter than 8 cannot be told apart from ordinary text in reports, so they are refused"},
		{"a control character, as --token refuses it", `printf 'CI-Token\001abcdef'`, "",
			"the token from --token-command holds whitespace or a control character; a bearer token is one word of visible characters (RFC 6750 section 2.1)"},
		{"50 MB in one word", `head -c 50000000 /dev/zero | tr '\0' a`, "", "--token-command printed more than 64 KiB; a token is one short word, so its output is refused"},
		{"the cap stops a command printing for ever", `yes | tr -d '\n'`, "", "--token-command printed more than 64 KiB; a token is one short word, so its output is refused"},
		{"64 KiB is still a (long) token", `head -c 65535 /dev/zero | tr '\0' a; echo`, strings.Repeat("a", 65535), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			command, runs := fakeTokenCommand(t, tt.body)
			redactor := NewRedactor("")
			src, err := CommandToken(context.Background(), command, redactor)
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

// alive reports whether a process runs (a zombie waiting for its parent does not).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, after, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(after, "Z")
}

// awaitEnd waits a while for a killed process to be gone, and reports whether it is.
func awaitEnd(pid int) bool {
	for range 100 {
		if !alive(pid) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// backgroundPid reads the pid a token command's script wrote, once it is there.
func backgroundPid(t *testing.T, file string) int {
	t.Helper()
	pid, ok := awaitPid(file)
	require.True(t, ok, "the token command never started its background process")
	return pid
}

// awaitPid waits a while for a pid to be written to file; it may run outside the test's goroutine.
func awaitPid(file string) (int, bool) {
	for range 100 {
		if b, err := os.ReadFile(file); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			return pid, err == nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, false
}

// The command and everything it started end together, whatever ends it: its timeout, the run's
// interruption, or its leaving a background process holding its output. Each says so in words.
func TestCommandTokenIsContained(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc to watch processes in")
	}
	defer func(d time.Duration) { TokenCommandTimeout = d }(TokenCommandTimeout)
	tests := []struct {
		name      string
		body      string
		timeout   time.Duration
		interrupt bool
		wantErr   string
	}{
		{"it times out", `sleep 30 & echo $! > "$PIDFILE"; wait`, 300 * time.Millisecond, false,
			"--token-command did not finish within 300ms"},
		{"the run is interrupted", `sleep 30 & echo $! > "$PIDFILE"; wait`, time.Minute, true,
			"the run was interrupted while --token-command ran"},
		{"a background process holds its output", `sleep 30 & echo $! > "$PIDFILE"; echo CI-Token-abcdef`, time.Minute, false,
			"--token-command exited but left a background process holding its standard output open (now stopped); redirect that process's output (command >/dev/null &) or wait for it before exiting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			TokenCommandTimeout = tt.timeout
			pidFile := filepath.Join(t.TempDir(), "pid")
			t.Setenv("PIDFILE", pidFile)
			command, _ := fakeTokenCommand(t, tt.body)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.interrupt {
				go func() { _, _ = awaitPid(pidFile); cancel() }()
			}
			_, err := CommandToken(ctx, command, NewRedactor(""))
			require.EqualError(t, err, tt.wantErr)
			pid := backgroundPid(t, pidFile)
			assert.True(t, awaitEnd(pid), "the background process %d outlived the command", pid)
		})
	}
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

// expiringFronts starts the reference server and returns a function that puts a fresh
// expiringTokens in front of it, its CI-Token-1 good for 10 requests.
func expiringFronts(t *testing.T) func() *httptest.Server {
	t.Helper()
	backend, err := refserver.Start(refserver.Options{Token: "backend-token-0000"})
	require.NoError(t, err)
	t.Cleanup(backend.Close)
	backendURL, err := url.Parse(backend.URL)
	require.NoError(t, err)
	return func() *httptest.Server {
		front := httptest.NewServer(&expiringTokens{next: httputil.NewSingleHostReverseProxy(backendURL), backendToken: backend.Token, firstLife: 10})
		t.Cleanup(front.Close)
		return front
	}
}

// A token that expires in the middle of a run is renewed once and the refused cases are sent
// again; the auth cases' expected 401s renew nothing; a token that never worked is not renewed;
// a renewal that fails is a harness error that shows nothing of the command's output.
func TestExpiredTokenIsRenewed(t *testing.T) {
	contract, cases := buildCases(t)
	newFront := expiringFronts(t)

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
			front := newFront()
			redactor := NewRedactor("")
			src := StaticToken("CI-Token-1")
			runs := func() int { return 0 }
			if tt.body != "" {
				var command string
				var err error
				command, runs = fakeTokenCommand(t, tt.body)
				src, err = CommandToken(context.Background(), command, redactor)
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

// A token function is called for the first token and again when it expires, like a command; its
// tokens are redacted and held to the token rules, and its error is one redacted line.
func TestFuncToken(t *testing.T) {
	defer func(d time.Duration) { TokenCommandTimeout = d }(TokenCommandTimeout)
	TokenCommandTimeout = 300 * time.Millisecond
	interrupted, interrupt := context.WithCancel(context.Background())
	tests := []struct {
		name    string
		ctx     context.Context
		f       func(ctx context.Context) (string, error)
		wantErr string
	}{
		{"returns the token", context.Background(), func(context.Context) (string, error) { return "CI-Token-abcdef", nil }, ""},
		{"its error, redacted, on one line", context.Background(), func(context.Context) (string, error) {
			return "", errors.New("the identity provider refused known-secret-value\nsecond line")
		}, "Target.TokenFunc failed: the identity provider refused [REDACTED]"},
		{"too short to redact", context.Background(), func(context.Context) (string, error) { return "short", nil },
			"the token from Target.TokenFunc is 5 characters long; tokens shorter than 8 cannot be told apart from ordinary text in reports, so they are refused"},
		{"white space inside", context.Background(), func(context.Context) (string, error) { return "CI-Token abcdef", nil },
			"the token from Target.TokenFunc holds whitespace or a control character; a bearer token is one word of visible characters (RFC 6750 section 2.1)"},
		{"a call that ignores its context is abandoned", context.Background(), func(context.Context) (string, error) {
			time.Sleep(time.Minute)
			return "CI-Token-abcdef", nil
		}, "Target.TokenFunc did not return within 300ms"},
		{"the run is interrupted", interrupted, func(ctx context.Context) (string, error) {
			interrupt()
			<-ctx.Done()
			return "", ctx.Err()
		}, "the run was interrupted while Target.TokenFunc ran"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			redactor := NewRedactor("", "known-secret-value")
			src, err := FuncToken(tt.ctx, "Target.TokenFunc", tt.f, redactor)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "CI-Token-abcdef", src.Token())
			assert.Equal(t, "Authorization: [REDACTED]", redactor.String("Authorization: CI-Token-abcdef"))
		})
	}
}

// A token function's token that expires mid-run is renewed by calling the function again, once
// for all the cases refused at that moment.
func TestExpiredFuncTokenIsRenewed(t *testing.T) {
	contract, cases := buildCases(t)
	front := expiringFronts(t)()
	var mu sync.Mutex
	calls := 0
	redactor := NewRedactor("")
	src, err := FuncToken(context.Background(), "Target.TokenFunc", func(context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return "CI-Token-" + strconv.Itoa(calls), nil
	}, redactor)
	require.NoError(t, err)
	eng, err := New(contract, Options{BaseURL: front.URL, Tokens: src, Redactor: redactor, Concurrency: 4})
	require.NoError(t, err)
	results := eng.Run(context.Background(), cases, nil)
	assert.Equal(t, Summary{Total: len(cases), Pass: len(cases)}, Summarize(results), outcomes(results))
	assert.Equal(t, 2, calls, "calls of the token function")
	assert.Equal(t, 1, src.Renewals())
	dump, err := json.Marshal(results)
	require.NoError(t, err)
	assert.NotContains(t, string(dump), "CI-Token", "a token leaked into the results")
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

// A renewal cut short by an interruption says so, like every case the interruption ends, and
// leaves no process behind: it is not a failing command.
func TestInterruptedRenewalSaysInterrupted(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc to watch processes in")
	}
	contract, cases := buildCases(t)
	front := expiringFronts(t)()
	pidFile := filepath.Join(t.TempDir(), "pid")
	t.Setenv("PIDFILE", pidFile)
	command, runs := fakeTokenCommand(t, `if [ "$n" -gt 1 ]; then sleep 30 & echo $! > "$PIDFILE"; wait; fi; echo "CI-Token-$n"`)
	redactor := NewRedactor("")
	src, err := CommandToken(context.Background(), command, redactor)
	require.NoError(t, err)
	eng, err := New(contract, Options{BaseURL: front.URL, Tokens: src, Redactor: redactor, Concurrency: 4})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, _ = awaitPid(pidFile); cancel() }()
	results := eng.Run(ctx, cases, nil)
	assert.Equal(t, 2, runs(), "the renewal ran")
	reasons := map[string]int{}
	for _, r := range results {
		if r.Outcome == Error {
			reasons[r.Reason]++
		}
	}
	assert.Positive(t, reasons["the run was interrupted before the answer arrived"], "the cases waiting on the renewal: %v", reasons)
	for reason := range reasons {
		assert.NotContains(t, reason, "failed")
		assert.Contains(t, reason, "interrupted")
	}
	assert.True(t, awaitEnd(backgroundPid(t, pidFile)), "the renewal's process outlived the run")
}
