package rpc

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
)

var errFilterNotFound = errors.New("filter not found")

// pendingRing is how many pending-transaction hashes a subnet keeps for its
// pending-tx filters; a filter polled less often than that many new
// transactions loses the oldest. It is also the most one poll returns.
const pendingRing = 10000

// pendingBatches buffers the pool's pending-tx events between two polls of
// any pending-tx filter; a fuller buffer drops events (the backend never blocks).
const pendingBatches = 4096

type filterKind int

const (
	logFilter filterKind = iota
	blockFilter
	pendingTxFilter
)

// filter is one installed eth_newFilter / eth_newBlockFilter /
// eth_newPendingTransactionFilter. Every kind keeps only a cursor, the next
// item to report: block and log filters a height, read from the chain when
// polled, so they never miss a block; pending-tx filters a position in the
// subnet's shared ring of pending hashes. So a filter costs the same few
// hundred bytes whatever its kind, however long nobody polls it.
type filter struct {
	kind     filterKind
	conn     string // connKey of the call that installed it, for the quota
	lastPoll time.Time
	query    filterQuery
	next     uint64
}

// filterSystem holds one subnet's installed filters. Filters nobody polled
// for FilterTimeout are dropped, by the injected clock: by the Handler's
// periodic sweep, when polled, and when the quota is full.
type filterSystem struct {
	s     *subnetAPI
	quota *quota
	mu    struct {
		sync.Mutex
		filters map[gethrpc.ID]*filter
		pending pendingFeed
	}
}

// pendingFeed is the one pool subscription a subnet's pending-tx filters
// share. It exists only while one such filter is installed; the channel is
// drained into the ring when a filter is installed or polled.
type pendingFeed struct {
	filters int // installed pending-tx filters
	ch      chan []*gethtypes.Transaction
	cancel  func()
	ring    []common.Hash // hash number k at ring[k%pendingRing]; grows to pendingRing
	seq     uint64        // hashes ever added
}

func newFilterSystem(s *subnetAPI, q *quota) *filterSystem {
	fs := &filterSystem{s: s, quota: q}
	fs.mu.filters = make(map[gethrpc.ID]*filter)
	return fs
}

func (fs *filterSystem) close() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for id, f := range fs.mu.filters {
		fs.removeLocked(id, f)
	}
}

func (fs *filterSystem) removeLocked(id gethrpc.ID, f *filter) {
	delete(fs.mu.filters, id)
	fs.quota.release(f.conn)
	if f.kind == pendingTxFilter {
		p := &fs.mu.pending
		if p.filters--; p.filters == 0 {
			p.cancel()
			*p = pendingFeed{}
		}
	}
}

// expireLocked drops filters idle longer than the timeout.
func (fs *filterSystem) expireLocked(now time.Time) {
	for id, f := range fs.mu.filters {
		if now.Sub(f.lastPoll) > fs.s.cfg.FilterTimeout {
			fs.removeLocked(id, f)
		}
	}
}

// expire drops idle filters; the Handler's sweep calls it.
func (fs *filterSystem) expire() {
	now := fs.s.cfg.Clock.Now()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked(now)
}

// install adds f for the calling connection, within the quota.
func (fs *filterSystem) install(ctx context.Context, f *filter) (gethrpc.ID, error) {
	now := fs.s.cfg.Clock.Now()
	f.lastPoll = now
	f.conn = connKey(ctx)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.quota.acquire(f.conn); err != nil {
		// Idle filters may still hold slots the sweep has not freed yet.
		fs.expireLocked(now)
		if err := fs.quota.acquire(f.conn); err != nil {
			return "", err
		}
	}
	if f.kind == pendingTxFilter {
		p := &fs.mu.pending
		if p.filters == 0 {
			p.ch = make(chan []*gethtypes.Transaction, pendingBatches)
			p.cancel = fs.s.b.SubscribePendingTxs(p.ch)
		}
		p.filters++
		fs.drainPendingLocked()
		f.next = p.seq
	}
	id := fs.s.cfg.newID()
	fs.mu.filters[id] = f
	return id, nil
}

// drainPendingLocked moves buffered pool events into the ring.
func (fs *filterSystem) drainPendingLocked() {
	p := &fs.mu.pending
	for {
		select {
		case txs := <-p.ch:
			for _, tx := range txs {
				if len(p.ring) < pendingRing {
					p.ring = append(p.ring, tx.Hash())
				} else {
					p.ring[p.seq%pendingRing] = tx.Hash()
				}
				p.seq++
			}
		default:
			return
		}
	}
}

// pendingChangesLocked returns the hashes f has not seen that the ring still
// holds, and moves f's cursor past them.
func (fs *filterSystem) pendingChangesLocked(f *filter) []common.Hash {
	fs.drainPendingLocked()
	p := &fs.mu.pending
	from := max(f.next, p.seq-uint64(len(p.ring)))
	hashes := make([]common.Hash, 0, p.seq-from)
	for k := from; k < p.seq; k++ {
		hashes = append(hashes, p.ring[k%pendingRing])
	}
	f.next = p.seq
	return hashes
}

// getLocked returns a live filter and marks it polled. A filter idle past
// the timeout is dropped here even if the sweep has not come by yet; the
// others are left to the sweep, so a call costs the same however many
// filters are installed.
func (fs *filterSystem) getLocked(id gethrpc.ID) (*filter, error) {
	now := fs.s.cfg.Clock.Now()
	f, ok := fs.mu.filters[id]
	if !ok {
		return nil, errFilterNotFound
	}
	if now.Sub(f.lastPoll) > fs.s.cfg.FilterTimeout {
		fs.removeLocked(id, f)
		return nil, errFilterNotFound
	}
	f.lastPoll = now
	return f, nil
}

// NewFilter is eth_newFilter. Changes report logs of blocks committed after
// installation, within the filter's range.
func (e *ethAPI) NewFilter(ctx context.Context, q filterQuery) (gethrpc.ID, error) {
	if q.BlockHash != nil {
		return "", invalidParams("a filter polls new blocks; blockHash is for eth_getLogs")
	}
	if _, err := e.rangeBound(q.FromBlock); err != nil {
		return "", err
	}
	return e.filters.install(ctx, &filter{kind: logFilter, query: q, next: e.b.Head().Height + 1})
}

// NewBlockFilter is eth_newBlockFilter.
func (e *ethAPI) NewBlockFilter(ctx context.Context) (gethrpc.ID, error) {
	return e.filters.install(ctx, &filter{kind: blockFilter, next: e.b.Head().Height + 1})
}

// NewPendingTransactionFilter is eth_newPendingTransactionFilter.
func (e *ethAPI) NewPendingTransactionFilter(ctx context.Context) (gethrpc.ID, error) {
	return e.filters.install(ctx, &filter{kind: pendingTxFilter})
}

// UninstallFilter is eth_uninstallFilter.
func (e *ethAPI) UninstallFilter(id gethrpc.ID) bool {
	fs := e.filters
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, err := fs.getLocked(id)
	if err == nil {
		fs.removeLocked(id, f)
	}
	return err == nil
}

// GetFilterChanges is eth_getFilterChanges: what happened since the last poll.
func (e *ethAPI) GetFilterChanges(id gethrpc.ID) (any, error) {
	fs := e.filters
	fs.mu.Lock()
	f, err := fs.getLocked(id)
	if err != nil {
		fs.mu.Unlock()
		return nil, err
	}
	head := e.b.Head().Height
	switch f.kind {
	case pendingTxFilter:
		defer fs.mu.Unlock()
		return fs.pendingChangesLocked(f), nil
	case blockFilter:
		from, to := f.next, min(head, f.next+e.cfg.LogRangeLimit-1)
		f.next = max(f.next, to+1)
		fs.mu.Unlock()
		hashes := []common.Hash{}
		for n := from; n <= to; n++ {
			h, err := e.headerAt(n)
			if err != nil {
				return nil, err
			}
			if h != nil {
				hashes = append(hashes, h.Hash())
			}
		}
		return hashes, nil
	default:
		q := f.query
		from, to := f.next, min(head, f.next+e.cfg.LogRangeLimit-1)
		f.next = max(f.next, to+1)
		fs.mu.Unlock()
		if lo, err := e.rangeBound(q.FromBlock); err == nil && q.FromBlock != nil && lo > from {
			from = lo
		}
		if q.ToBlock != nil {
			if hi, err := e.rangeBound(q.ToBlock); err == nil && hi < to {
				to = hi
			}
		}
		if from > to {
			return []*gethtypes.Log{}, nil
		}
		return e.scanLogs([]*gethtypes.Log{}, &q, from, to)
	}
}

// GetFilterLogs is eth_getFilterLogs: every log of a log filter's range.
func (e *ethAPI) GetFilterLogs(id gethrpc.ID) ([]*gethtypes.Log, error) {
	fs := e.filters
	fs.mu.Lock()
	f, err := fs.getLocked(id)
	var q filterQuery
	if err == nil {
		q = f.query
		if f.kind != logFilter {
			err = errFilterNotFound
		}
	}
	fs.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return e.logs(&q)
}
