package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// maxHeaderBytes caps the response headers: the body has --max-body, and a server streaming
// headers forever must not get around it.
const maxHeaderBytes = 1 << 20

// NewTransport returns the transport every request goes through: the TLS trust the options ask
// for, a cap on the response headers, and an idle connection kept for every request in flight.
// Everything else is bounded by each request's context.
func NewTransport(opts Options) (*http.Transport, error) {
	t, _, err := newTransport(opts)
	return t, err
}

// newTransport also returns the connections opened ahead of the requests, one per request in
// flight, which the transport's dials take first (warmConns).
func newTransport(opts Options) (*http.Transport, *warmConns, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxResponseHeaderBytes = maxHeaderBytes
	// DefaultTransport keeps 2 idle connections per host: with more cases in flight, every answer
	// beyond the second closes its connection, and the next request pays a connect and a TLS
	// handshake again, a round trip or two each on a real network.
	inFlight := opts.Concurrency
	if inFlight <= 0 {
		inFlight = DefaultConcurrency
	}
	t.MaxIdleConnsPerHost = inFlight
	t.MaxIdleConns = max(t.MaxIdleConns, inFlight)
	// A request that finds no idle connection starts a dial even when its worker's connection is
	// about to be idle again (the body's end is read before the transport takes it back), and
	// the dialled one stays. With no more connections than requests in flight, it waits for the
	// idle one instead.
	t.MaxConnsPerHost = inFlight
	cfg, err := tlsConfig(opts)
	if err != nil {
		return nil, nil, err
	}
	// The transport fills in NextProtos on its first request; the dials below, which may run
	// before it, have their own copy with HTTP/2 offered.
	cfg.NextProtos = []string{"h2", "http/1.1"}
	t.TLSClientConfig = cfg
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	warm := newWarmConns(cfg.Clone(), inFlight, timeout)
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if c := warm.take(ctx, false, addr); c != nil {
			return c, nil
		}
		return warm.dialer.DialContext(ctx, network, addr)
	}
	t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if c := warm.take(ctx, true, addr); c != nil {
			return c, nil
		}
		return warm.dial(ctx, true, addr)
	}
	// Dial hooks of its own turn HTTP/2 off unless it is forced; a server that offers it keeps it.
	t.ForceAttemptHTTP2 = true
	return t, warm, nil
}

func tlsConfig(opts Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.Insecure {
		// The user asked for it; main and every report say so loudly.
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	if len(opts.CACerts) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(opts.CACerts) {
			return nil, errors.New("--ca-cert holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// NewClient returns a client that never follows a redirect: a redirect is a finding to report, and
// following one could carry the credentials to another origin.
func NewClient(transport http.RoundTripper) *http.Client {
	if transport == nil {
		transport, _ = NewTransport(Options{})
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Causes of a request's cancellation. net/http returns the context's cause, so the error of a
// request that ran out of time says which bound it ran into.
type (
	requestTimeout struct{ d time.Duration }
	runDeadline    struct{ d time.Duration }
)

func (e requestTimeout) Error() string {
	return fmt.Sprintf("no complete answer within %s (per-request timeout, --timeout)", e.d)
}

func (e runDeadline) Error() string {
	return fmt.Sprintf("the run's deadline (%s, --deadline) passed before the answer arrived", e.d)
}

// interrupted explains a request cancelled because the user stopped the run.
const interrupted = "the run was interrupted before the answer arrived"

// explain turns a transport error into one line a user can act on. body says whether the status
// line and headers had arrived, so that a server that answers and then stalls or breaks off is
// told apart from one that never answers.
func explain(ctx context.Context, err error, body bool) string {
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		var rt requestTimeout
		switch {
		case errors.As(cause, &rt) && body:
			return fmt.Sprintf("the response body was still incomplete after %s (per-request timeout, --timeout): the server stalled or trickles it", rt.d)
		case errors.As(cause, &rt):
			return fmt.Sprintf("no status line and headers within %s (per-request timeout, --timeout): the server did not answer, or not in full", rt.d)
		case errors.Is(cause, context.Canceled):
			return interrupted
		default:
			return cause.Error()
		}
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if msg := explainTLS(err); msg != "" {
		return msg
	}
	switch {
	case body && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)):
		return "the connection broke before the response body was complete"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection without answering"
	case errors.Is(err, syscall.ECONNRESET):
		return "the server reset the connection without answering"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the connection was refused: nothing listens at the base URL's host and port"
	case headersTooLarge(err):
		return fmt.Sprintf("the response headers exceed %d bytes; the suite reads no further", maxHeaderBytes)
	case notHTTP(err):
		_, start, _ := strings.Cut(err.Error(), "malformed HTTP ")
		return "the server answered with bytes that are not HTTP (malformed " + oneLine(start) + ")"
	}
	return oneLine(err.Error())
}

func headersTooLarge(err error) bool {
	return strings.Contains(err.Error(), "server response headers exceeded")
}

// notHTTP reports the transport's refusal of an answer that is no HTTP response (an SSH banner, a
// database's greeting, bytes of another protocol).
func notHTTP(err error) bool {
	return strings.Contains(err.Error(), "malformed HTTP ")
}

// explainTLS names a certificate problem and what to do about it, or returns "".
func explainTLS(err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknown):
		return "the server's certificate is signed by an unknown authority; pass --ca-cert FILE with the CA that signed it"
	case errors.As(err, &hostname):
		return fmt.Sprintf("the server's certificate is not valid for %q (%s); use the host name the certificate names", hostname.Host, certNames(hostname.Certificate))
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the server's certificate has expired or is not valid yet; renew it, or check this machine's clock"
	case errors.As(err, &invalid):
		return "the server's certificate is not valid: " + oneLine(invalid.Error())
	case errors.As(err, &record) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the server did not answer in TLS; is the base URL http:// rather than https://?"
	}
	return ""
}

func certNames(c *x509.Certificate) string {
	if c == nil {
		return "it names no host"
	}
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "it names no host"
	}
	return "it names " + strings.Join(names, ", ")
}

func oneLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Reachable connects to the target (with the TLS handshake for https), so that a wrong host, a
// closed port or a certificate problem is one clear line before the run, not one error per case.
// It opens one connection per worker at once and leaves them to the run, which starts on them.
func (e *Engine) Reachable(ctx context.Context) error {
	// The address as the transport names it for its dials (canonicalAddr in net/http).
	port := e.base.Port()
	if port == "" {
		port = "80"
		if e.base.Scheme == "https" {
			port = "443"
		}
	}
	host := net.JoinHostPort(e.base.Hostname(), port)
	warm := e.warm
	workers := e.opts.Concurrency
	if warm == nil || e.proxied() {
		// Connections the transport would not take are opened once, for the check alone.
		cfg, err := tlsConfig(e.opts)
		if err != nil {
			return err
		}
		warm, workers = newWarmConns(cfg, 1, e.opts.Timeout), 1
		defer warm.discard()
	}
	return warm.open(ctx, e.base.Scheme == "https", host, workers, func(ctx context.Context, err error) error {
		msg := explain(ctx, err, false)
		if errors.As(context.Cause(ctx), new(requestTimeout)) {
			msg = fmt.Sprintf("no connection within %s (--timeout)", e.opts.Timeout)
		}
		return fmt.Errorf("cannot reach %s: %s", e.redactor.String(e.base.Redacted()), msg)
	})
}

// proxied says whether the transport sends the requests through a proxy (HTTPS_PROXY and the
// like), which dials connections of its own.
func (e *Engine) proxied() bool {
	t, ok := e.client.Transport.(*http.Transport)
	if !ok {
		return true
	}
	if t.Proxy == nil {
		return false
	}
	proxy, err := t.Proxy(&http.Request{URL: e.base})
	return err != nil || proxy != nil
}
