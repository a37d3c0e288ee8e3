package rpc

import (
	"context"
	"errors"
	"fmt"
	"sync"

	gethrpc "github.com/ethereum/go-ethereum/rpc"
)

// Errors a client gets when it holds too much server state; both reach the
// client as JSON-RPC error -32005 (limit exceeded) with a message that says
// which limit and what to do.
var (
	ErrTooManyFilters       = errors.New("rpc: too many filters")
	ErrTooManySubscriptions = errors.New("rpc: too many subscriptions")
)

// limitError is a quota refusal: a JSON-RPC error with code -32005 that
// unwraps to its sentinel.
type limitError struct {
	err error
	msg string
}

func (e *limitError) Error() string  { return e.msg }
func (e *limitError) ErrorCode() int { return codeLimitExceeded }
func (e *limitError) Unwrap() error  { return e.err }

// quota counts what clients hold open on the server (installed filters or
// live subscriptions), in total over every subnet path and per connection,
// so one client cannot take memory without bound and many clients together
// cannot either. It is shared by every subnet of a Handler.
type quota struct {
	sentinel error
	what     string // "filters", "subscriptions"
	hint     string // what the client can do about it
	total    int    // limit over every connection
	perConn  int    // limit for one connection
	mu       struct {
		sync.Mutex
		total    int
		byConn   map[string]int
		released chan struct{} // closed at the next release; nil until someone waits
	}
}

func newQuota(sentinel error, what, hint string, total, perConn int) *quota {
	q := &quota{sentinel: sentinel, what: what, hint: hint, total: total, perConn: perConn}
	q.mu.byConn = make(map[string]int)
	return q
}

// acquire takes one unit for conn or says which limit refused it.
func (q *quota) acquire(conn string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if n := q.mu.byConn[conn]; n >= q.perConn {
		return &limitError{q.sentinel, fmt.Sprintf("too many %s on this connection: %d open, the limit is %d; %s",
			q.what, n, q.perConn, q.hint)}
	}
	if q.mu.total >= q.total {
		return &limitError{q.sentinel, fmt.Sprintf("too many %s on this node: %d open over all clients, the limit is %d; %s",
			q.what, q.mu.total, q.total, q.hint)}
	}
	q.mu.byConn[conn]++
	q.mu.total++
	return nil
}

// release returns one unit acquired for conn.
func (q *quota) release(conn string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.mu.byConn[conn] <= 1 {
		delete(q.mu.byConn, conn)
	} else {
		q.mu.byConn[conn]--
	}
	if q.mu.total > 0 {
		q.mu.total--
	}
	if q.mu.released != nil {
		close(q.mu.released)
		q.mu.released = nil
	}
}

// releasedCh returns a channel closed at the next release, so a waiter for
// slots (a connection closing frees its subscriptions on the server's own
// goroutine) can wait on the event instead of polling.
func (q *quota) releasedCh() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.mu.released == nil {
		q.mu.released = make(chan struct{})
	}
	return q.mu.released
}

// open is how many units are held in total.
func (q *quota) open() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.mu.total
}

// connKey names the client connection a call came in on: the transport and
// the remote address (host:port), which is one TCP connection. An HTTP client
// that opens a new connection per request escapes the per-connection limit;
// the total limit still holds.
func connKey(ctx context.Context) string {
	info := gethrpc.PeerInfoFromContext(ctx)
	return info.Transport + "/" + info.RemoteAddr
}

// quotas are the Handler-wide limits every subnet's API draws from.
type quotas struct {
	filters *quota
	subs    *quota
}

func newQuotas(cfg Config) *quotas {
	return &quotas{
		filters: newQuota(ErrTooManyFilters, "filters",
			fmt.Sprintf("uninstall filters you no longer poll (eth_uninstallFilter); filters idle for %s are dropped", cfg.FilterTimeout),
			cfg.MaxFilters, cfg.MaxFiltersPerConn),
		subs: newQuota(ErrTooManySubscriptions, "subscriptions",
			"cancel subscriptions you no longer read (eth_unsubscribe)",
			cfg.MaxSubscriptions, cfg.MaxSubscriptionsPerConn),
	}
}
