package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/contacts-conformance/suite/suites"
)

// TokenCommandTimeout bounds one run of --token-command, so a command waiting for input it will
// never get cannot hang the run. A variable only so the tests need not wait that long.
var TokenCommandTimeout = 30 * time.Second

// MaxTokenOutput caps what --token-command may print: a token is one short word, and a command
// that prints megabytes is broken, not generous.
const MaxTokenOutput = 64 << 10

// MinTokenLength is the shortest token accepted: shorter ones cannot be redacted from reports
// without garbling ordinary text.
const MinTokenLength = 8

// CheckToken applies the rules every bearer token obeys, however it was given: long enough to be
// redacted, and one word of visible characters. subject names the token in the error.
func CheckToken(subject, token string) error {
	if len(token) < MinTokenLength {
		return fmt.Errorf("%s is %d characters long; tokens shorter than %d cannot be told apart from ordinary text in reports, so they are refused", subject, len(token), MinTokenLength)
	}
	if strings.IndexFunc(token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("%s holds whitespace or a control character; a bearer token is one word of visible characters (RFC 6750 section 2.1)", subject)
	}
	return nil
}

// TokenSource hands out the bearer token. A token given as such never changes. A token obtained
// from a command (--token-command) or a function (runner/conformancetest's Target.TokenFunc) is
// obtained again when the server refuses it after having accepted it: that is how the short-lived
// tokens of CI systems expire in the middle of a run.
type TokenSource struct {
	// fetch obtains a token, within TokenCommandTimeout; nil for a token that is never renewed.
	fetch func(ctx context.Context) (string, error)
	// subject names the tokens fetch obtains in errors: "the token from --token-command".
	subject  string
	redactor *Redactor

	mu    sync.Mutex
	value string
	// generation counts renewals, so that cases refused at the same moment renew the token once.
	generation int
	// accepted records that the current token got through at least once; a token that never did
	// is wrong, not expired, and is not renewed.
	accepted bool
	renewals int
	// renewErr is the failure of the last renewal: the cases refused after it share it rather
	// than run a failing command once each.
	renewErr error
}

// StaticToken is a token that is never renewed.
func StaticToken(token string) *TokenSource { return &TokenSource{value: token} }

// CommandToken runs the command (with sh -c) for a first token. Every token it prints is added
// to the redactor before anything else sees it; a token CheckToken refuses is refused.
func CommandToken(ctx context.Context, command string, redactor *Redactor) (*TokenSource, error) {
	return renewable(ctx, "the token from --token-command", func(ctx context.Context) (string, error) {
		return runTokenCommand(ctx, command)
	}, redactor)
}

// FuncToken calls f for a first token, and again each time the token expires. name says what f
// is in errors ("Target.TokenFunc"). Each call has TokenCommandTimeout, as a command has: a call
// still running then is abandoned, its token unused. f's error is shown redacted, on one line.
// Every token it returns is added to the redactor and held to CheckToken.
func FuncToken(ctx context.Context, name string, f func(context.Context) (string, error), redactor *Redactor) (*TokenSource, error) {
	return renewable(ctx, "the token from "+name, func(ctx context.Context) (string, error) {
		type answer struct {
			token string
			err   error
		}
		done := make(chan answer, 1)
		go func() {
			token, err := f(ctx)
			done <- answer{token, err}
		}()
		select {
		case a := <-done:
			switch {
			case a.err != nil && ctx.Err() != nil:
				// The error is most likely the context's own: the cause says it better.
				return "", interruptedFetch(ctx, name, "did not return")
			case a.err != nil:
				return "", fmt.Errorf("%s failed: %s", name, oneLine(redactor.String(a.err.Error())))
			}
			return a.token, nil
		case <-ctx.Done():
			return "", interruptedFetch(ctx, name, "did not return")
		}
	}, redactor)
}

func renewable(ctx context.Context, subject string, fetch func(context.Context) (string, error), redactor *Redactor) (*TokenSource, error) {
	s := &TokenSource{fetch: fetch, subject: subject, redactor: redactor}
	token, err := s.obtain(ctx)
	if err != nil {
		return nil, err
	}
	s.value = token
	return s, nil
}

// Token is the current token.
func (s *TokenSource) Token() string {
	token, _ := s.current()
	return token
}

// Renewals is how many times the token was obtained again during the run.
func (s *TokenSource) Renewals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renewals
}

func (s *TokenSource) current() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value, s.generation
}

func (s *TokenSource) accept(generation int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if generation == s.generation {
		s.accepted = true
	}
}

// renew obtains a new token after the token of the given generation was refused. It reports
// whether the case should be sent again: when another case already renewed the token, or when
// this call did. The lock is held while the command runs, so concurrent refusals wait for the
// one renewal instead of running the command again.
func (s *TokenSource) renew(ctx context.Context, generation int) (bool, error) {
	if s.fetch == nil {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if generation != s.generation {
		return true, nil
	}
	if !s.accepted {
		return false, nil
	}
	if s.renewErr != nil {
		return false, s.renewErr
	}
	token, err := s.obtain(ctx)
	if err != nil {
		s.renewErr = err
		return false, err
	}
	s.value, s.accepted = token, false
	s.generation++
	s.renewals++
	return true, nil
}

// Causes of a token command's end, other than its own exit.
var (
	errTokenTimeout  = errors.New("--token-command ran out of time")
	errTooMuchOutput = errors.New("--token-command printed too much")
)

// obtain fetches a token within TokenCommandTimeout, holds it to CheckToken and adds it to the
// redactor before anything else sees it.
func (s *TokenSource) obtain(parent context.Context) (string, error) {
	ctx, stop := context.WithTimeoutCause(parent, TokenCommandTimeout, errTokenTimeout)
	defer stop()
	token, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	if err := CheckToken(s.subject, token); err != nil {
		return "", err
	}
	s.redactor.AddToken(token)
	return token, nil
}

// interruptedFetch says why a token's fetch was cut short: its own timeout, the run's deadline,
// or an interruption. what is how the fetch failed to end ("did not finish").
func interruptedFetch(ctx context.Context, name, what string) error {
	var d runDeadline
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errTokenTimeout):
		return fmt.Errorf("%s %s within %s", name, what, TokenCommandTimeout)
	case errors.As(cause, &d):
		return fmt.Errorf("the run's deadline (%s, --deadline) passed while %s ran", d.d, name)
	}
	return fmt.Errorf("the run was interrupted while %s ran", name)
}

// runTokenCommand runs the command. Its output is a secret: it is never part of an error message.
// The command runs in a process group of its own, killed whole when it runs out of time, prints
// too much, or the run is interrupted, so that nothing it started outlives it; the same goes for
// a background process left holding its output.
func runTokenCommand(parent context.Context, command string) (string, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	stdout := &cappedOutput{limit: MaxTokenOutput, over: func() { cancel(errTooMuchOutput) }}
	cmd.Stdout = stdout
	// A child of the shell can keep the pipe open after the shell exits; stop waiting for it.
	cmd.WaitDelay = time.Second
	ownProcessGroup(cmd)
	err := cmd.Run()
	if err != nil {
		killProcessGroup(cmd)
	}
	var exit *exec.ExitError
	switch {
	case stdout.exceeded:
		return "", fmt.Errorf("--token-command printed more than %d KiB; a token is one short word, so its output is refused", MaxTokenOutput>>10)
	case parent.Err() != nil:
		return "", interruptedFetch(parent, "--token-command", "did not finish")
	case errors.Is(err, exec.ErrWaitDelay):
		return "", errors.New("--token-command exited but left a background process holding its standard output open (now stopped); redirect that process's output (command >/dev/null &) or wait for it before exiting")
	case errors.As(err, &exit):
		return "", fmt.Errorf("--token-command failed (%s); its output is not shown, as it may hold secrets", exit.ProcessState)
	case err != nil:
		return "", fmt.Errorf("--token-command could not be run: %v", err)
	}
	token := strings.TrimSpace(stdout.buf.String())
	switch {
	case token == "":
		return "", errors.New("--token-command printed no token on its standard output")
	case strings.ContainsAny(token, " \t\r\n"):
		return "", errors.New("--token-command printed more than one word; it must print the token alone")
	}
	return token, nil
}

// cappedOutput keeps at most limit bytes of a command's output; beyond that it keeps nothing,
// calls over once, and swallows the rest so the command is not left blocked on a full pipe.
type cappedOutput struct {
	buf      bytes.Buffer
	limit    int
	over     func()
	exceeded bool
}

func (c *cappedOutput) Write(p []byte) (int, error) {
	if !c.exceeded && c.buf.Len()+len(p) > c.limit {
		c.exceeded = true
		c.buf.Reset()
		c.over()
	}
	if !c.exceeded {
		c.buf.Write(p)
	}
	return len(p), nil
}

// sendsValidCredentials reports whether the case sends the token as it should be sent; only
// a refusal of those means the token expired (the other auth cases expect their 401).
func sendsValidCredentials(a suites.Auth) bool {
	return !a.Omit && strings.EqualFold(a.Template, suites.Bearer.Template)
}

// exchange sends the case. When the server refuses valid credentials after it had accepted the
// token, and the read that accepted it is refused now too, the token has expired: a token from
// --token-command is renewed and the case sent once more; a token given as such cannot be, and the
// case ends as an error, since the refusal is no verdict on the server. A refusal while the
// reference read is still accepted is the server's answer, and the case judges it.
func (e *Engine) exchange(ctx context.Context, c *suites.Case, r *Result) (*suites.Exchange, error) {
	token, generation := e.tokens.current()
	ex, err := e.send(ctx, c, r, token)
	if err != nil || !sendsValidCredentials(c.Request.Auth) {
		return ex, err
	}
	if ex.Status != http.StatusUnauthorized {
		e.tokens.accept(generation)
		e.watch.setReference(c, ex.Status)
		return ex, nil
	}
	expired, err := e.tokenExpired(ctx, generation, e.sent.Load())
	if err != nil || !expired {
		return ex, err
	}
	again, err := e.tokens.renew(ctx, generation)
	if err != nil && ctx.Err() != nil {
		return nil, errors.New(explain(ctx, ctx.Err(), false)) // interrupted, or the run's deadline
	}
	if err != nil {
		return nil, fmt.Errorf("the token was refused after it had been accepted, and renewing it failed: %w", err)
	}
	if !again {
		return nil, e.expiredError()
	}
	token, generation = e.tokens.current()
	if ex, err = e.send(ctx, c, r, token); err == nil && ex.Status != http.StatusUnauthorized {
		e.tokens.accept(generation)
	}
	return ex, err
}
