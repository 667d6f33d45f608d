package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// warmConns opens the run's connections ahead of its requests, one per request in flight, all at
// once, and holds them until the transport dials: the workers start on connections already
// connected and, over TLS, past their handshake, instead of each paying a connect and a handshake
// after whatever went first (the reachability check, the first request).
//
// The reachability check opens them (open); without one, the transport's first dial does: it goes
// on for its own request and starts the others beside it.
type warmConns struct {
	dialer    *net.Dialer
	tlsConfig *tls.Config
	workers   int           // connections to open: one per request in flight
	timeout   time.Duration // each dial's bound

	mu      sync.Mutex
	started bool   // they were opened once; from then on the transport's dials are its own
	addr    string // host:port they go to; empty once discarded
	tls     bool
	ready   []warmConn
	pending int           // dials under way
	changed chan struct{} // closed, and replaced, when ready or pending changes
}

type warmConn struct {
	conn   net.Conn
	opened time.Time
}

// warmFor is how long a warm connection waits for its first request before it is closed rather
// than used: a server closes a connection that sends nothing (often after 5 to 60 seconds), and a
// request on a connection the server is closing would fail. The run takes them at once; a rate
// limit, or a driver sending one request at a time, leaves some unused.
const warmFor = 2 * time.Second

func newWarmConns(tlsConfig *tls.Config, workers int, timeout time.Duration) *warmConns {
	// DefaultTransport's dialer.
	return &warmConns{
		dialer: &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, tlsConfig: tlsConfig,
		workers: workers, timeout: timeout,
	}
}

// dial opens a connection to addr, with the TLS handshake when useTLS, as the transport's own
// TLS dial does.
func (w *warmConns) dial(ctx context.Context, useTLS bool, addr string) (net.Conn, error) {
	if !useTLS {
		return w.dialer.DialContext(ctx, "tcp", addr)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cfg := w.tlsConfig.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return (&tls.Dialer{NetDialer: w.dialer, Config: cfg}).DialContext(ctx, "tcp", addr)
}

// take returns a warm connection to addr for the transport, waiting for one whose dial is under
// way; nil when there is none, and the transport dials its own.
func (w *warmConns) take(ctx context.Context, useTLS bool, addr string) net.Conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		w.startLocked(context.Background(), useTLS, addr, w.workers-1, nil)
		return nil
	}
	for w.addr == addr && w.tls == useTLS {
		for len(w.ready) > 0 {
			c := w.ready[0]
			w.ready = w.ready[1:]
			if time.Since(c.opened) <= warmFor && openAndQuiet(c.conn) {
				return c.conn
			}
			_ = c.conn.Close()
		}
		if w.pending == 0 {
			return nil
		}
		changed := w.changed
		w.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			w.mu.Lock()
			return nil
		}
		w.mu.Lock()
	}
	return nil
}

// openAndQuiet says whether a connection held unused is still open and silent: the server may have
// closed it, and a connection it wrote to unasked is not one to send a request on. Over HTTP/2 the
// server speaks first (its settings), and the HTTP/2 transport copes with a closed connection.
func openAndQuiet(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol == "h2" {
		return true
	}
	// A deadline already past would fail the read before it looks at the socket.
	if c.SetReadDeadline(time.Now().Add(time.Millisecond)) != nil {
		return false
	}
	var b [1]byte
	n, err := c.Read(b[:])
	var ne net.Error
	if n > 0 || !errors.As(err, &ne) || !ne.Timeout() {
		return false
	}
	return c.SetReadDeadline(time.Time{}) == nil
}

// open dials n connections to addr at once. It returns as soon as one is open, or, when none
// could be, with the first dial's error as describe puts it (it is given the dial's context,
// whose cause tells a timeout); the others join as they open.
func (w *warmConns) open(ctx context.Context, useTLS bool, addr string, n int, describe func(context.Context, error) error) error {
	w.mu.Lock()
	errs := w.startLocked(ctx, useTLS, addr, n, describe)
	w.mu.Unlock()
	var first error
	for range n {
		err := <-errs
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

func (w *warmConns) startLocked(ctx context.Context, useTLS bool, addr string, n int, describe func(context.Context, error) error) <-chan error {
	if w.addr != addr || w.tls != useTLS {
		w.closeReadyLocked()
	}
	w.started, w.addr, w.tls = true, addr, useTLS
	w.pending += max(n, 0)
	w.signalLocked()
	errs := make(chan error, max(n, 0))
	for range n {
		go func() {
			ctx, cancel := context.WithTimeoutCause(ctx, w.timeout, requestTimeout{w.timeout})
			defer cancel()
			conn, err := w.dial(ctx, useTLS, addr)
			if err != nil && describe != nil {
				err = describe(ctx, err)
			}
			w.settle(conn)
			errs <- err
		}()
	}
	return errs
}

func (w *warmConns) settle(conn net.Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending--
	if conn != nil {
		if w.addr == "" { // discarded meanwhile
			_ = conn.Close()
		} else {
			w.ready = append(w.ready, warmConn{conn: conn, opened: time.Now()})
			time.AfterFunc(warmFor, w.expire)
		}
	}
	w.signalLocked()
}

// expire closes the warm connections nobody took in time.
func (w *warmConns) expire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	kept := w.ready[:0]
	for _, c := range w.ready {
		if time.Since(c.opened) < warmFor {
			kept = append(kept, c)
		} else {
			_ = c.conn.Close()
		}
	}
	w.ready = kept
}

// discard closes the warm connections nobody took (a run of fewer cases than workers), and
// those still being dialled when they open.
func (w *warmConns) discard() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closeReadyLocked()
	w.addr = ""
	w.signalLocked()
}

func (w *warmConns) closeReadyLocked() {
	for _, c := range w.ready {
		_ = c.conn.Close()
	}
	w.ready = nil
}

func (w *warmConns) signalLocked() {
	if w.changed != nil {
		close(w.changed)
	}
	w.changed = make(chan struct{})
}
