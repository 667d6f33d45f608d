package engine

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contacts-conformance/suite/spec"
)

// The retry budget for 429 Too Many Requests: a server that asks for more is not waited for, so a
// run always ends. A 5xx is never retried: it is a finding.
const (
	MaxRetries429 = 3
	MaxRetryWait  = 30 * time.Second
	// defaultRetryWait is the first wait when a 429 names none; it doubles on each retry.
	defaultRetryWait = time.Second
)

// clock is the time the engine waits on; tests replace it so that no test sleeps for real.
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

var realClock = clock{now: time.Now, sleep: sleepContext}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// limiter is a token bucket holding one token, refilled at rate per second: requests leave at
// most rate per second across the run, evenly spaced, whatever the concurrency.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
	clock    clock
}

func newLimiter(rate float64, c clock) *limiter {
	if rate <= 0 {
		return nil
	}
	return &limiter{interval: time.Duration(float64(time.Second) / rate), clock: c}
}

// wait blocks until the caller may send, or ctx ends. A nil limiter never waits.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := l.clock.now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	return l.clock.sleep(ctx, at.Sub(now))
}

// retryAfter is how long a 429 asks the client to wait: Retry-After in seconds or as an HTTP date
// (RFC 9110 section 10.2.3), else a doubling default. given is the header's value, for messages.
func retryAfter(h http.Header, now time.Time, attempt int) (wait time.Duration, given string) {
	given = strings.TrimSpace(h.Get("Retry-After"))
	if n, err := strconv.ParseInt(given, 10, 64); err == nil && n >= 0 {
		if n > int64(time.Duration(1<<62)/time.Second) {
			return time.Duration(1 << 62), given
		}
		return time.Duration(n) * time.Second, given
	}
	if t, err := http.ParseTime(given); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, given
		}
		return 0, given
	}
	return defaultRetryWait << attempt, given
}

// rateLimited is the error of a case the server kept answering 429.
func (e *Engine) rateLimited(retries int, waited time.Duration) string {
	return fmt.Sprintf("still 429 Too Many Requests after %d retries (waited %s in all); %s", retries, waited, e.slowDown())
}

func (e *Engine) tooLongWait(status int, wait time.Duration, given string) string {
	return fmt.Sprintf("the server answered %d %s and asked to wait %s (Retry-After: %s), more than the %s the suite waits; %s", status, http.StatusText(status), wait, given, MaxRetryWait, e.slowDown())
}

// slowDown says how to send fewer requests, with the flags as they stand.
func (e *Engine) slowDown() string {
	if e.opts.RateLimit > 0 {
		return "lower --rate-limit or --concurrency"
	}
	return "set --rate-limit (requests per second) or lower --concurrency"
}

// unavailable reports the statuses of a server that is down or overloaded, or of a gateway in front
// of it that cannot reach it: they say nothing about the input, and are not judged.
func unavailable(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// unavailableError is the error of a case answered 502, 503 or 504. It is not retried, unlike a
// 429: a server down for maintenance asks for minutes, and a verdict on a server that comes and goes
// is not one to publish.
type unavailableError struct {
	status     int
	retryAfter string
}

func (u unavailableError) Error() string {
	return fmt.Sprintf("the server, or a gateway in front of it, was unavailable: %s; a run against an unavailable server is no verdict", u.answer())
}

func (u unavailableError) answer() string {
	s := fmt.Sprintf("%d %s", u.status, http.StatusText(u.status))
	if u.retryAfter != "" {
		s += fmt.Sprintf(" (Retry-After: %s)", spec.Shorten(u.retryAfter, 40))
	}
	return s
}

// retryNote is the note a result carries when it was retried.
func retryNote(retries int, waited time.Duration) string {
	times := "times"
	if retries == 1 {
		times = "time"
	}
	return fmt.Sprintf("retried after 429 Too Many Requests %d %s (waited %s in all)", retries, times, waited)
}
