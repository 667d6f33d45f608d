package delayproxy

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const rtt = 40 * time.Millisecond

// echoServer answers every connection with what it receives; with closeAfter > 0 it closes the
// connection after echoing that many bytes.
func echoServer(t *testing.T, closeAfter int64) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if closeAfter > 0 {
					_, _ = io.CopyN(c, c, closeAfter)
					return
				}
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func start(t *testing.T, opts Options) *Proxy {
	t.Helper()
	p, err := Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// The delays below are lower bounds the proxy enforces, not speeds: a timer never fires early,
// so however loaded the machine, an answer cannot arrive sooner.
func TestPlainRoundTripsAndOrder(t *testing.T) {
	p := start(t, Options{Upstream: echoServer(t, 0), RTT: rtt})
	require.True(t, strings.HasPrefix(p.URL, "http://127.0.0.1:"), p.URL)

	started := time.Now()
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("first"))
	require.NoError(t, err)
	got := make([]byte, len("first"))
	_, err = io.ReadFull(conn, got)
	require.NoError(t, err)
	assert.Equal(t, "first", string(got))
	assert.GreaterOrEqual(t, time.Since(started), 2*rtt, "the connect's round trip, then the echo's")

	// Many small writes, some while earlier ones are still on the wire: they come back whole and
	// in order, one round trip after the last was sent at the earliest.
	var sent bytes.Buffer
	for i := range 200 {
		msg := fmt.Sprintf("chunk %03d;", i)
		sent.WriteString(msg)
		_, err := conn.Write([]byte(msg))
		require.NoError(t, err)
		if i%50 == 0 {
			time.Sleep(rtt / 4)
		}
	}
	last := time.Now()
	echoed := make([]byte, sent.Len())
	_, err = io.ReadFull(conn, echoed)
	require.NoError(t, err)
	assert.Equal(t, sent.String(), string(echoed))
	assert.GreaterOrEqual(t, time.Since(last), rtt)
	assert.Equal(t, int64(1), p.Connections())
	assert.Equal(t, int64(0), p.Handshakes())
}

func TestUpstreamCloseReachesTheClientAfterTheData(t *testing.T) {
	p := start(t, Options{Upstream: echoServer(t, 5), RTT: rtt})
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("hello"))
	require.NoError(t, err)
	all, err := io.ReadAll(conn)
	require.NoError(t, err, "the upstream's close arrives as the end of the stream")
	assert.Equal(t, "hello", string(all))
}

func TestTLSTerminatesWithItsOwnCA(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s over %s", r.Method, r.URL.Path, r.Proto)
	}))
	defer upstream.Close()
	p := start(t, Options{Upstream: strings.TrimPrefix(upstream.URL, "http://"), RTT: rtt, TLS: true})
	require.True(t, strings.HasPrefix(p.URL, "https://127.0.0.1:"), p.URL)

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(p.CACert), "CACert is PEM")
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	for _, path := range []string{"/a", "/b", "/c"} {
		resp, err := client.Get(p.URL + path)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, "GET "+path+" over HTTP/1.1", string(body))
		require.NotNil(t, resp.TLS)
		assert.Equal(t, "http/1.1", resp.TLS.NegotiatedProtocol, "only HTTP/1.1 is offered: the upstream is plaintext")
	}
	assert.Equal(t, int64(1), p.Connections(), "the client kept its connection alive")
	assert.Equal(t, int64(1), p.Handshakes())

	_, err := http.Get(p.URL + "/a") // the system's roots do not hold the proxy's CA
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, err, &unknown)
	assert.Equal(t, int64(2), p.Connections())
	assert.Equal(t, int64(1), p.Handshakes(), "a refused handshake is not counted")
}

func TestCloseEndsOpenConnections(t *testing.T) {
	p, err := Start(Options{Upstream: echoServer(t, 0), RTT: rtt})
	require.NoError(t, err)
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, p.Close(), "Close returns with a connection open")
	// The connection ends, by an end of stream or a reset (the byte sent was never read); only a
	// timeout would mean it was left open.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = io.ReadAll(conn)
	var netErr net.Error
	assert.False(t, errors.As(err, &netErr) && netErr.Timeout(), "the connection was left open: %v", err)
	_, err = net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	assert.Error(t, err, "no longer listening")
}

func TestStartRefusesMissingUpstream(t *testing.T) {
	_, err := Start(Options{RTT: rtt})
	assert.EqualError(t, err, "delayproxy: an upstream and a round-trip time of zero or more are needed")
}
