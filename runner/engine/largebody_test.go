package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// Answers larger than LargeBody are judged one at a time, whatever the concurrency: each holds
// several times its size while decoded. Smaller ones are judged side by side.
func TestLargeAnswersAreJudgedOneAtATime(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	for name, tt := range map[string]struct {
		size    int
		overlap bool
	}{
		"large answers": {LargeBody + 1, false},
		"small answers": {LargeBody / 4, true},
	} {
		t.Run(name, func(t *testing.T) {
			body := `{"data":"` + strings.Repeat("x", tt.size) + `"}`
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			e, err := New(contract, Options{BaseURL: srv.URL, Token: "a-token-of-the-test", Concurrency: 4, MaxBody: 4 * LargeBody})
			require.NoError(t, err)
			var judging, most atomic.Int64
			// Each judgement waits a moment for another to start beside it: with the gate none
			// can, without it the others are already waiting to be judged.
			overlapping := suites.Check{Req: suites.ReqOK, Verify: func(*suites.Exchange) *suites.Finding {
				now := judging.Add(1)
				defer judging.Add(-1)
				for deadline := time.Now().Add(100 * time.Millisecond); now < 2 && time.Now().Before(deadline); now = judging.Load() {
					time.Sleep(time.Millisecond)
				}
				for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
				}
				return nil
			}}
			base := suites.Build(contract, suites.Config{HaveToken: true, Seed: 1})
			var cases []*suites.Case
			for _, c := range base {
				if c.ID == "ok/list/listCampaigns" {
					for range 4 {
						copied := *c
						copied.Checks = []suites.Check{overlapping}
						cases = append(cases, &copied)
					}
				}
			}
			require.Len(t, cases, 4)
			for _, r := range e.Run(context.Background(), cases, nil) {
				require.Equal(t, Pass, r.Outcome, r.Reason)
			}
			if tt.overlap {
				assert.Greater(t, most.Load(), int64(1), "small answers are judged side by side")
			} else {
				assert.Equal(t, int64(1), most.Load(), "a large answer was judged beside another")
			}
		})
	}
}
