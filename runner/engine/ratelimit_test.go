package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimiterSpacesRequestsEvenly(t *testing.T) {
	rec := &recorded{}
	l := newLimiter(4, rec.clock())
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); assert.NoError(t, l.wait(context.Background())) }()
	}
	wg.Wait()
	sort.Slice(rec.waits, func(i, j int) bool { return rec.waits[i] < rec.waits[j] })
	// The clock stands still: the five requests leave 250 ms apart, the first at once.
	assert.Equal(t, []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond, time.Second}, rec.waits)
}

func TestLimiterRefillsWithTime(t *testing.T) {
	now := fakeNow
	var waits []time.Duration
	l := newLimiter(0.5, clock{now: func() time.Time { return now }, sleep: func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}})
	require.NoError(t, l.wait(context.Background()))
	now = now.Add(3 * time.Second) // longer than the 2 s interval: no wait, and no burst saved up
	require.NoError(t, l.wait(context.Background()))
	require.NoError(t, l.wait(context.Background()))
	assert.Equal(t, []time.Duration{0, 0, 2 * time.Second}, waits)
}

func TestNoLimiterWithoutRate(t *testing.T) {
	assert.Nil(t, newLimiter(0, realClock))
	var l *limiter
	assert.NoError(t, l.wait(context.Background()))
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		header  string
		attempt int
		want    time.Duration
	}{
		{"3", 0, 3 * time.Second},
		{" 0 ", 0, 0},
		{fakeNow.Add(90 * time.Second).Format(http.TimeFormat), 0, 90 * time.Second},
		{fakeNow.Add(-time.Hour).Format(http.TimeFormat), 0, 0},
		{"", 0, time.Second},
		{"", 2, 4 * time.Second},
		{"soon", 1, 2 * time.Second},
		{"-5", 0, time.Second},
		{"99999999999999999999", 0, time.Second},
		{"9999999999999", 0, time.Duration(1 << 62)},
	}
	for _, tt := range tests {
		got, given := retryAfter(http.Header{"Retry-After": {tt.header}}, fakeNow, tt.attempt)
		assert.Equal(t, tt.want, got, "Retry-After %q, attempt %d", tt.header, tt.attempt)
		assert.Equal(t, strings.TrimSpace(tt.header), given)
	}
}

// --rate-limit governs every request the engine sends, retries after a 429 included.
func TestRateLimitCoversRetries(t *testing.T) {
	f := newFixture(t)
	var requests atomic.Int32
	throttled := answerAfter429(f, 1, "0")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		throttled(w, r)
	}))
	defer srv.Close()
	e, rec := f.engine(t, srv.URL, nil)
	e.limiter = newLimiter(2, rec.clock())
	r := e.Execute(context.Background(), f.caseByID(t, okCase))
	require.Equal(t, Pass, r.Outcome, r.Reason)
	// limiter (first request), Retry-After 0, limiter (the retry, 500 ms after the first).
	assert.Equal(t, []time.Duration{0, 0, 500 * time.Millisecond}, rec.waits)
	assert.EqualValues(t, 2, requests.Load())
}

// A limiter wait ends with the run: a run capped at a low rate still finishes by its deadline.
func TestLimiterWaitEndsWithTheRun(t *testing.T) {
	l := newLimiter(0.001, realClock)
	require.NoError(t, l.wait(context.Background()))
	ctx, cancel := context.WithTimeoutCause(context.Background(), 50*time.Millisecond, runDeadline{50 * time.Millisecond})
	defer cancel()
	err := l.wait(ctx)
	assert.EqualError(t, err, "the run's deadline (50ms, --deadline) passed before the answer arrived")
}
