package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// minBreakerThreshold keeps a single stalled request from tripping the breaker when only one
// case is in flight at a time.
const minBreakerThreshold = 2

// breaker ends a run against a server that has stopped answering. Every request of the run
// records its fate; once threshold requests in a row got no complete answer, nothing more is
// sent and the cases still waiting end as errors at once, instead of each holding a worker for
// the whole --timeout and hammering a server in trouble. A complete answer of any status resets
// the count, so a server that stalls once and answers again runs to the end. Once open, the
// breaker stays open for the rest of the run: a verdict on a server that comes and goes is not
// one to publish.
type breaker struct {
	threshold int
	reason    string

	mu     sync.Mutex
	misses int
	open   bool
}

// newBreaker trips after as many misses in a row as there are requests in flight (concurrency):
// a server that dies holds every worker once, so the breaker trips within about twice the
// per-request timeout of the first request it left unanswered.
func newBreaker(opts Options) *breaker {
	threshold := max(opts.Concurrency, minBreakerThreshold)
	return &breaker{
		threshold: threshold,
		reason:    fmt.Sprintf("not sent: the server stopped answering (%d requests in a row got no complete answer within %s)", threshold, opts.Timeout),
	}
}

// fate is what a request says about the server.
type fate int

const (
	// answered: a complete answer, whatever its status, or one the suite refused for its size.
	answered fate = iota
	// unanswered: the request timed out, or the connection was refused or broke off before the
	// whole answer arrived.
	unanswered
	// inconclusive: the run was interrupted or reached its deadline, or the failure is of
	// another kind (a certificate, an answer that is not HTTP); the count is left as it is.
	inconclusive
)

func (b *breaker) record(f fate) {
	if f == inconclusive {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if f == answered {
		b.misses = 0
		return
	}
	b.misses++
	if b.misses >= b.threshold {
		b.open = true
	}
}

// refusal is the reason a request is not sent, or nil while the server still answers.
func (b *breaker) refusal() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open {
		return errors.New(b.reason)
	}
	return nil
}

// fateOf reads a failed request's error: ctx is the request's own context, bounded by the
// per-request timeout.
func fateOf(ctx context.Context, err error) fate {
	if ctx.Err() != nil {
		if errors.As(context.Cause(ctx), new(requestTimeout)) {
			return unanswered
		}
		return inconclusive // interrupted, or the run's deadline
	}
	switch {
	case explainTLS(err) != "":
		return inconclusive // a certificate, or no TLS at all: this side's configuration
	case headersTooLarge(err):
		return answered // it answers, too much
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, new(*net.OpError)):
		return unanswered // refused, reset, unreachable, or closed before the answer was whole
	}
	return inconclusive
}
