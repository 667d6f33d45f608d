package engine

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/suites"
)

// countingServer is the reference server counting the connections it accepts, the TLS
// handshakes it is asked for and the requests it answers, with each request's protocol.
type countingServer struct {
	*httptest.Server
	connections, handshakes, closed, requests atomic.Int64

	mu     sync.Mutex
	protos map[string]int
}

func startCounting(t *testing.T, handler http.Handler, useTLS, http2 bool) *countingServer {
	t.Helper()
	s := &countingServer{protos: map[string]int{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		s.protos[r.Proto]++
		s.mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		switch state {
		case http.StateNew:
			s.connections.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.closed.Add(1)
		}
	}
	if !useTLS {
		s.Start()
	} else {
		s.EnableHTTP2 = http2
		s.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			s.handshakes.Add(1)
			return nil, nil
		}}
		s.StartTLS()
	}
	t.Cleanup(s.Close)
	return s
}

func (s *countingServer) engine(t *testing.T, f *fixture, concurrency int) *Engine {
	t.Helper()
	opts := Options{BaseURL: s.URL, Token: f.token, Concurrency: concurrency, Protected: []string{f.contact, f.foreign}}
	if s.TLS != nil {
		opts.CACerts = certPEM(s.Server)
	}
	e, err := New(f.contract, opts)
	require.NoError(t, err)
	return e
}

// runAll runs the whole suite as the runner does, the reachability check first, and requires
// it to find the reference server conformant.
func runAll(t *testing.T, f *fixture, e *Engine) {
	t.Helper()
	require.NoError(t, e.Reachable(context.Background()))
	s := Summarize(e.Run(context.Background(), f.cases(), nil))
	require.Zero(t, s.Fail+s.Error, "the reference server is conformant: %s", s)
}

// With DefaultTransport's 2 idle connections per host, a run at concurrency 8 opened 15 to 45
// connections (each a TLS handshake over https); one per worker is the bound, plus one for a
// reachability check whose connection the run would not use.
func TestOneConnectionPerWorker(t *testing.T) {
	f := newFixture(t)
	for _, useTLS := range []bool{false, true} {
		for _, concurrency := range []int{1, 8} {
			t.Run(fmt.Sprintf("tls=%v/concurrency=%d", useTLS, concurrency), func(t *testing.T) {
				srv := startCounting(t, f.handler, useTLS, false)
				runAll(t, f, srv.engine(t, f, concurrency))
				requests := srv.requests.Load()
				require.Greater(t, requests, int64(10*concurrency), "enough requests that every worker reuses its connection")
				assert.LessOrEqual(t, srv.connections.Load(), int64(concurrency+1), "connections for %d requests", requests)
				if useTLS {
					assert.Equal(t, srv.connections.Load(), srv.handshakes.Load(), "one handshake per connection")
					assert.Equal(t, map[string]int{"HTTP/1.1": int(requests)}, srv.protos)
				}
			})
		}
	}
}

// The transport's own TLS configuration and dial hooks would turn HTTP/2 off unless it is
// forced; a server that offers it gets it, on the connections the reachability check opened.
func TestHTTP2StillNegotiated(t *testing.T) {
	f := newFixture(t)
	srv := startCounting(t, f.handler, true, true)
	runAll(t, f, srv.engine(t, f, 8))
	assert.Equal(t, map[string]int{"HTTP/2.0": int(srv.requests.Load())}, srv.protos, "every request over HTTP/2")
	assert.LessOrEqual(t, srv.connections.Load(), int64(8+1))
}

func TestWarmConnectionsLeftOverAreClosed(t *testing.T) {
	f := newFixture(t)
	srv := startCounting(t, f.handler, false, false)
	e := srv.engine(t, f, 8)
	require.NoError(t, e.Reachable(context.Background()))
	results := e.Run(context.Background(), []*suites.Case{f.caseByID(t, okCase)}, nil)
	require.Equal(t, Pass, results[0].Outcome, results[0].Reason)
	// The check returned with the first open; the others reach the server in their own time.
	require.Eventually(t, func() bool { return srv.connections.Load() == 8 }, 10*time.Second, 10*time.Millisecond,
		"one per worker, opened by the check: %d", srv.connections.Load())
	// The 7 the run of one case did not take are closed when it ends, not left to the server.
	require.Eventually(t, func() bool { return srv.closed.Load() == 7 }, 10*time.Second, 10*time.Millisecond,
		"closed: %d", srv.closed.Load())
}

// A connection held unused is handed to the transport only while the server can still be
// expected to answer on it; otherwise it is closed and the transport dials its own.
func TestWarmConnectionTakenOnlyWhenUsable(t *testing.T) {
	tests := []struct {
		name   string
		opened time.Duration // ago
		server func(net.Conn)
		usable bool
	}{
		{"fresh and silent", 0, func(net.Conn) {}, true},
		{"held too long: the server may be closing it", warmFor + time.Second, func(net.Conn) {}, false},
		{"closed by the server", 0, func(c net.Conn) { c.Close() }, false},
		{"written to unasked", 0, func(c net.Conn) { _, _ = c.Write([]byte("HTTP/1.1 408 Request Timeout\r\n\r\n")) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := tcpPair(t)
			tt.server(server)
			// What the server did reaches the client's socket at once on loopback; a moment
			// for a loaded machine.
			time.Sleep(20 * time.Millisecond)
			w := newWarmConns(&tls.Config{}, 8, time.Second)
			w.started, w.addr = true, "127.0.0.1:1"
			w.ready = []warmConn{{conn: client, opened: time.Now().Add(-tt.opened)}}
			got := w.take(context.Background(), false, "127.0.0.1:1")
			assert.Empty(t, w.ready)
			if tt.usable {
				assert.Same(t, client, got)
				return
			}
			assert.Nil(t, got)
			_, err := client.Write([]byte("x"))
			assert.ErrorIs(t, err, net.ErrClosed, "and it is closed")
		})
	}
}

// tcpPair is both ends of a loopback TCP connection, closed when the test ends.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	server = <-accepted
	require.NotNil(t, server)
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestWarmConnectionTakeWaitsForADialUnderWay(t *testing.T) {
	w := newWarmConns(&tls.Config{}, 8, time.Second)
	w.started, w.addr, w.pending = true, "127.0.0.1:1", 1
	w.signalLocked()
	client, server := net.Pipe()
	defer server.Close()
	defer client.Close()
	got := make(chan net.Conn)
	go func() { got <- w.take(context.Background(), false, "127.0.0.1:1") }()
	w.settle(client)
	assert.Same(t, client, <-got)
	w.pending = 1
	assert.Nil(t, w.take(context.Background(), true, "127.0.0.1:1"), "not for a TLS dial")
	assert.Nil(t, w.take(context.Background(), false, "127.0.0.1:2"), "nor another address")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Nil(t, w.take(ctx, false, "127.0.0.1:1"), "a dial given up stops waiting")
}

// Without the reachability check (the go test driver), the transport's first dial opens the
// other workers' connections beside its own.
func TestFirstDialWarmsTheOtherWorkers(t *testing.T) {
	f := newFixture(t)
	t.Run("a run", func(t *testing.T) {
		srv := startCounting(t, f.handler, true, false)
		e := srv.engine(t, f, 8)
		s := Summarize(e.Run(context.Background(), f.cases(), nil))
		require.Zero(t, s.Fail+s.Error, s.String())
		assert.LessOrEqual(t, srv.connections.Load(), int64(8+1), "connections for %d requests", srv.requests.Load())
	})
	t.Run("one request at a time", func(t *testing.T) {
		srv := startCounting(t, f.handler, false, false)
		e := srv.engine(t, f, 8)
		for _, c := range f.cases()[:5] {
			require.NotEqual(t, Error, e.Execute(context.Background(), c).Outcome)
		}
		require.Eventually(t, func() bool { return srv.connections.Load() == 8 }, 10*time.Second, 10*time.Millisecond,
			"the first dial opens the 7 others: %d", srv.connections.Load())
		// The 7 nobody takes are closed once they have waited warmFor, not left to the server.
		require.Eventually(t, func() bool { return srv.closed.Load() == 7 }, 10*time.Second, 10*time.Millisecond,
			"closed: %d", srv.closed.Load())
	})
}

// A server that accepts connections and never answers the TLS handshake: every one of the
// check's dials runs out of time, and the check says so in one line.
func TestReachableTimesOutOnAHandshakeNeverAnswered(t *testing.T) {
	f := newFixture(t)
	url := strings.Replace(rawServer(t, hold), "http://", "https://", 1)
	e, _ := f.engine(t, url, func(o *Options) { o.Concurrency = 4 })
	err := e.Reachable(context.Background())
	assert.EqualError(t, err, "cannot reach "+url+": no connection within 200ms (--timeout)")
}
