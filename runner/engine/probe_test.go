package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A probe server answers each request with the next status of its script (the last repeats),
// and counts what it receives.
type probeServer struct {
	script   []int
	requests atomic.Int32
	methods  sync.Map
}

func (p *probeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(p.requests.Add(1)) - 1
	p.methods.Store(r.Method, true)
	status := p.script[min(n, len(p.script)-1)]
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "0")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"status":"ok","message":"","data":[]}`))
}

func TestProbes(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		script     []int
		calls      int
		wantStatus int
		wantErr    bool
		requests   int32
	}{
		{"one request, however many checks ask", []int{200}, 3, 200, false, 1},
		{"429 is retried as for a case", []int{429, 200}, 1, 200, false, 2},
		{"an error is not kept: the next check asks again", []int{429, 429, 429, 429, 200}, 2, 200, true, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &probeServer{script: tt.script}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			e, _ := f.engine(t, ts.URL, nil)
			var firstErr error
			for i := 0; i < tt.calls; i++ {
				p, err := e.probe(context.Background(), "/campaign/list", nil)
				if i == 0 {
					firstErr = err
				}
				if i == tt.calls-1 {
					require.NoError(t, err)
					assert.Equal(t, tt.wantStatus, p.Status)
				}
			}
			assert.Equal(t, tt.wantErr, firstErr != nil, "first call's error: %v", firstErr)
			assert.Equal(t, tt.requests, srv.requests.Load())
			srv.methods.Range(func(m, _ any) bool {
				assert.Equal(t, http.MethodGet, m, "a probe only reads")
				return true
			})
		})
	}
}
