// Package delayproxy puts a round trip on the wire between a client and a server on loopback, for
// measuring what connections and handshakes cost: a TCP proxy that delivers every chunk it reads
// RTT/2 later, in each direction, in order. On loopback a connect and a TLS handshake are free; a
// server that only delays its answers (refserver.Options.Latency) cannot show what a client loses
// by opening connections. Through this proxy they cost what they cost on a network with that
// round-trip time:
//
//   - a connect costs one round trip: what the client sends is not delivered before one RTT after
//     the accept (the SYN and SYN-ACK it did not have to wait for on loopback), then RTT/2 later;
//   - in TLS mode the proxy terminates TLS itself, on the delayed side, so a handshake costs its
//     real flights (one round trip for TLS 1.3), and forwards plaintext to the upstream;
//   - a request and its answer cost one round trip.
//
// It counts the connections it accepts and the TLS handshakes it completes.
package delayproxy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a proxy.
type Options struct {
	// Upstream is the host:port every connection is forwarded to, in plaintext.
	Upstream string
	// RTT is the round-trip time the proxy adds; each direction gets half of it.
	RTT time.Duration
	// TLS terminates TLS on the client's side with a certificate for 127.0.0.1 signed by a CA the
	// proxy makes (Proxy.CACert). Only HTTP/1.1 is offered: the upstream is spoken to in plaintext.
	TLS bool
}

// Proxy is a running delay proxy.
type Proxy struct {
	// URL is http://127.0.0.1:port, or https:// in TLS mode.
	URL string
	// CACert is the PEM of the CA that signed the proxy's certificate, for --ca-cert (TLS mode).
	CACert []byte

	opts        Options
	ln          net.Listener
	tlsConfig   *tls.Config
	connections atomic.Int64
	handshakes  atomic.Int64

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// handshakeTimeout bounds a client's TLS handshake, so that a client that never finishes one
// does not hold a goroutine until Close.
const handshakeTimeout = 30 * time.Second

// Start listens on a free loopback port until Close.
func Start(opts Options) (*Proxy, error) {
	if opts.Upstream == "" || opts.RTT < 0 {
		return nil, errors.New("delayproxy: an upstream and a round-trip time of zero or more are needed")
	}
	p := &Proxy{opts: opts, open: map[net.Conn]struct{}{}}
	scheme := "http"
	if opts.TLS {
		cert, ca, err := newCertificate()
		if err != nil {
			return nil, fmt.Errorf("delayproxy: making a certificate: %w", err)
		}
		p.CACert = ca
		p.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("delayproxy: %w", err)
	}
	p.ln = ln
	p.URL = scheme + "://" + ln.Addr().String()
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Connections is the number of connections accepted so far.
func (p *Proxy) Connections() int64 { return p.connections.Load() }

// Handshakes is the number of TLS handshakes completed so far.
func (p *Proxy) Handshakes() int64 { return p.handshakes.Load() }

// Close stops listening, closes every connection and waits for them.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.open {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.connections.Add(1)
		if !p.track(conn) {
			_ = conn.Close()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(conn)
			p.forward(conn)
		}()
	}
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.open[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
}

// forward relays one connection until either side closes it.
func (p *Proxy) forward(raw net.Conn) {
	var client net.Conn = newWire(raw, p.opts.RTT, time.Now())
	defer client.Close()
	if p.tlsConfig != nil {
		tc := tls.Server(client, p.tlsConfig)
		ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return
		}
		p.handshakes.Add(1)
		client = tc
		defer tc.Close()
	}
	upstream, err := net.Dial("tcp", p.opts.Upstream)
	if err != nil {
		return
	}
	defer upstream.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(upstream, client)
		// The client is done: the upstream's answer, if any, has nowhere to go.
		_ = upstream.Close()
	}()
	_, _ = io.Copy(client, upstream)
	// Closing the client's side flushes what is still on the wire, then ends the copy above.
	_ = client.Close()
	<-done
}

// chunk is bytes on the wire, due at a time; a chunk with an error ends its direction.
type chunk struct {
	due  time.Time
	data []byte
	err  error
}

// wire is the client's connection as the proxy sees it across the delay: what the client sends
// is readable RTT/2 after it arrived (and not before the connect's round trip is over), what the
// proxy writes reaches the client RTT/2 after Write returned. Writes are buffered, as a socket's
// are, so Write never waits for the delay.
type wire struct {
	net.Conn
	half      time.Duration
	connected time.Time // when the client could have sent its first byte on a real network

	in      chan chunk
	pending []byte
	inErr   error

	mu     sync.Mutex
	out    chan chunk
	closed chan struct{} // Close was called
	sent   chan struct{} // the sender is gone: everything is delivered, or the client is gone
	once   sync.Once
}

// wireQueue bounds the chunks in flight per direction; a reader past it waits, as a sender does
// on a full window.
const wireQueue = 256

func newWire(raw net.Conn, rtt time.Duration, accepted time.Time) *wire {
	w := &wire{
		Conn: raw, half: rtt / 2, connected: accepted.Add(rtt),
		in: make(chan chunk, wireQueue), out: make(chan chunk, wireQueue),
		closed: make(chan struct{}), sent: make(chan struct{}),
	}
	go w.receive()
	go w.send()
	return w
}

// receive reads the client's bytes as they arrive and stamps each chunk with its delivery time.
func (w *wire) receive() {
	defer close(w.in)
	for {
		buf := make([]byte, 32<<10)
		n, err := w.Conn.Read(buf)
		arrived := time.Now()
		if arrived.Before(w.connected) {
			arrived = w.connected
		}
		due := arrived.Add(w.half)
		if n > 0 && !w.deliver(chunk{due: due, data: buf[:n]}) {
			return
		}
		if err != nil {
			w.deliver(chunk{due: due, err: err})
			return
		}
	}
}

// deliver queues a chunk for Read; false once the connection is closed and nobody will read.
func (w *wire) deliver(c chunk) bool {
	select {
	case w.in <- c:
		return true
	case <-w.closed:
		return false
	}
}

// send writes each chunk to the client when it is due, then closes the connection once Close
// was called and everything before it is delivered.
func (w *wire) send() {
	defer close(w.sent)
	defer w.Conn.Close()
	for c := range w.out {
		if !sleepUntil(c.due, nil) {
			return
		}
		if _, err := w.Conn.Write(c.data); err != nil {
			return
		}
	}
}

func (w *wire) Read(p []byte) (int, error) {
	if len(w.pending) == 0 {
		if w.inErr != nil {
			return 0, w.inErr
		}
		c, ok := <-w.in
		if !ok {
			w.inErr = net.ErrClosed
			return 0, w.inErr
		}
		if !sleepUntil(c.due, w.closed) {
			w.inErr = net.ErrClosed
			return 0, w.inErr
		}
		if c.err != nil {
			w.inErr = c.err
			return 0, c.err
		}
		w.pending = c.data
	}
	n := copy(p, w.pending)
	w.pending = w.pending[n:]
	return n, nil
}

func (w *wire) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.closed:
		return 0, net.ErrClosed
	default:
	}
	select {
	case w.out <- chunk{due: time.Now().Add(w.half), data: append([]byte(nil), p...)}:
		return len(p), nil
	case <-w.sent:
		return 0, net.ErrClosed
	}
}

// Close lets what was written reach the client, then closes the connection.
func (w *wire) Close() error {
	w.once.Do(func() {
		w.mu.Lock()
		close(w.closed)
		close(w.out)
		w.mu.Unlock()
	})
	return nil
}

// Deadlines would apply to the socket, not to the delayed bytes; the proxy needs none, and TLS's
// close_notify sets one that would cut off the bytes still on the wire.
func (w *wire) SetDeadline(time.Time) error      { return nil }
func (w *wire) SetReadDeadline(time.Time) error  { return nil }
func (w *wire) SetWriteDeadline(time.Time) error { return nil }

// sleepUntil waits until t; false if stop was closed first.
func sleepUntil(t time.Time, stop <-chan struct{}) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-stop:
		return false
	}
}

// newCertificate makes a CA and a certificate for 127.0.0.1 signed by it, both ECDSA P-256, and
// returns the certificate with its key and the CA's PEM.
func newCertificate() (tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "delayproxy CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	ca, err = x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}
