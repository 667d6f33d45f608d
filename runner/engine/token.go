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

	"github.com/contacts-conformance/suite/suites"
)

// TokenCommandTimeout bounds one run of --token-command, so a command waiting for input it will
// never get cannot hang the run. A variable only so the tests need not wait that long.
var TokenCommandTimeout = 30 * time.Second

// TokenSource hands out the bearer token. A token given as such never changes. A token obtained
// from a command (--token-command) is obtained again when the server refuses it after having
// accepted it: that is how the short-lived tokens of CI systems expire in the middle of a run.
type TokenSource struct {
	command   string
	minLength int
	redactor  *Redactor

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
// to the redactor before anything else sees it; tokens shorter than minLength are refused.
func CommandToken(ctx context.Context, command string, minLength int, redactor *Redactor) (*TokenSource, error) {
	s := &TokenSource{command: command, minLength: minLength, redactor: redactor}
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
	if s.command == "" {
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

// obtain runs the command. Its output is a secret: it is never part of an error message, and it
// is redacted before it is returned.
func (s *TokenSource) obtain(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, TokenCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", s.command)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	// A child of the shell can keep the pipe open after the shell is killed; stop waiting for it.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	token := strings.TrimSpace(stdout.String())
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return "", fmt.Errorf("--token-command did not finish within %s", TokenCommandTimeout)
	case err != nil:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("--token-command failed (%s); its output is not shown, as it may hold secrets", exit.ProcessState)
		}
		return "", fmt.Errorf("--token-command could not be run: %v", err)
	case token == "":
		return "", errors.New("--token-command printed no token on its standard output")
	case strings.ContainsAny(token, " \t\r\n"):
		return "", errors.New("--token-command printed more than one word; it must print the token alone")
	case len(token) < s.minLength:
		return "", fmt.Errorf("the token from --token-command is %d characters long; tokens shorter than %d cannot be told apart from ordinary text in reports, so they are refused", len(token), s.minLength)
	}
	s.redactor.AddToken(token)
	return token, nil
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
