package engine

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// warmConns are the connections the reachability check opens, one per worker, held until the
// transport dials: the run starts on connections already connected and, over TLS, past their
// handshake. Otherwise the check's round trips come first and every worker's connect and
// handshake after them, one after the other.
type warmConns struct {
	dialer    *net.Dialer
	tlsConfig *tls.Config

	mu      sync.Mutex
	addr    string // host:port of the base URL; empty when nothing is warm
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
// than used: a server closes a connection that sends nothing (often after 5 to 60 seconds), and
// a request on a connection the server is closing would fail. The run takes them at once; only a
// rate limit spreads the first requests out, and those then dial their own.
const warmFor = 2 * time.Second

func newWarmConns(tlsConfig *tls.Config) *warmConns {
	// DefaultTransport's dialer.
	return &warmConns{dialer: &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, tlsConfig: tlsConfig}
}

// dial opens a connection to addr, with the TLS handshake when useTLS; the transport's own TLS
// handshake does the same for the connections it dials itself.
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
// way; nil when there is none (the transport then dials its own).
func (w *warmConns) take(ctx context.Context, useTLS bool, addr string) net.Conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.addr == addr && w.tls == useTLS {
		for len(w.ready) > 0 {
			c := w.ready[0]
			w.ready = w.ready[1:]
			if time.Since(c.opened) <= warmFor {
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

// open dials n connections to addr at once, each within timeout. It returns as soon as one is
// open, or, when none could be, with the first dial's error as describe puts it (it is given the
// dial's context, whose cause tells a timeout); the others join as they open.
func (w *warmConns) open(ctx context.Context, useTLS bool, addr string, n int, timeout time.Duration, describe func(context.Context, error) error) error {
	w.mu.Lock()
	if w.addr != addr || w.tls != useTLS {
		w.closeReadyLocked()
	}
	w.addr, w.tls = addr, useTLS
	w.pending += n
	w.signalLocked()
	w.mu.Unlock()
	errs := make(chan error, n)
	for range n {
		go func() {
			ctx, cancel := context.WithTimeoutCause(ctx, timeout, requestTimeout{timeout})
			defer cancel()
			conn, err := w.dial(ctx, useTLS, addr)
			if err != nil {
				err = describe(ctx, err)
			}
			w.settle(conn)
			errs <- err
		}()
	}
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

func (w *warmConns) settle(conn net.Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending--
	if conn != nil {
		if w.addr == "" { // discarded meanwhile
			_ = conn.Close()
		} else {
			w.ready = append(w.ready, warmConn{conn: conn, opened: time.Now()})
		}
	}
	w.signalLocked()
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
