package rpc

import (
	"errors"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
)

var errFilterNotFound = errors.New("filter not found")

// Bounds on what one filter holds between polls.
const (
	maxPendingBatches = 4096  // pending-tx event batches buffered per filter
	maxPendingHashes  = 10000 // hashes returned by one poll
)

type filterKind int

const (
	logFilter filterKind = iota
	blockFilter
	pendingTxFilter
)

// filter is one installed eth_newFilter / eth_newBlockFilter /
// eth_newPendingTransactionFilter. Block and log filters keep a cursor, the
// next height to report, and read the chain when polled, so they never miss
// a block; pending-transaction filters drain their own event channel.
type filter struct {
	kind     filterKind
	lastPoll time.Time
	query    filterQuery
	next     uint64
	pending  chan []*gethtypes.Transaction
	cancel   func()
}

// filterSystem holds one subnet's installed filters. Filters nobody polled
// for FilterTimeout are dropped on the next filter call, by the injected clock.
type filterSystem struct {
	s  *subnetAPI
	mu struct {
		sync.Mutex
		filters map[gethrpc.ID]*filter
	}
}

func newFilterSystem(s *subnetAPI) *filterSystem {
	fs := &filterSystem{s: s}
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
	if f.cancel != nil {
		f.cancel()
	}
	delete(fs.mu.filters, id)
}

// expireLocked drops filters idle longer than the timeout.
func (fs *filterSystem) expireLocked(now time.Time) {
	for id, f := range fs.mu.filters {
		if now.Sub(f.lastPoll) > fs.s.cfg.FilterTimeout {
			fs.removeLocked(id, f)
		}
	}
}

func (fs *filterSystem) install(f *filter) gethrpc.ID {
	now := fs.s.cfg.Clock.Now()
	f.lastPoll = now
	id := fs.s.cfg.newID()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked(now)
	fs.mu.filters[id] = f
	return id
}

// get returns a live filter and marks it polled.
func (fs *filterSystem) getLocked(id gethrpc.ID) (*filter, error) {
	now := fs.s.cfg.Clock.Now()
	fs.expireLocked(now)
	f, ok := fs.mu.filters[id]
	if !ok {
		return nil, errFilterNotFound
	}
	f.lastPoll = now
	return f, nil
}

// NewFilter is eth_newFilter. Changes report logs of blocks committed after
// installation, within the filter's range.
func (e *ethAPI) NewFilter(q filterQuery) (gethrpc.ID, error) {
	if q.BlockHash != nil {
		return "", invalidParams("a filter polls new blocks; blockHash is for eth_getLogs")
	}
	if _, err := e.rangeBound(q.FromBlock); err != nil {
		return "", err
	}
	return e.filters.install(&filter{kind: logFilter, query: q, next: e.b.Head().Height + 1}), nil
}

// NewBlockFilter is eth_newBlockFilter.
func (e *ethAPI) NewBlockFilter() gethrpc.ID {
	return e.filters.install(&filter{kind: blockFilter, next: e.b.Head().Height + 1})
}

// NewPendingTransactionFilter is eth_newPendingTransactionFilter.
func (e *ethAPI) NewPendingTransactionFilter() gethrpc.ID {
	ch := make(chan []*gethtypes.Transaction, maxPendingBatches)
	cancel := e.b.SubscribePendingTxs(ch)
	return e.filters.install(&filter{kind: pendingTxFilter, pending: ch, cancel: cancel})
}

// UninstallFilter is eth_uninstallFilter.
func (e *ethAPI) UninstallFilter(id gethrpc.ID) bool {
	fs := e.filters
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked(e.cfg.Clock.Now())
	f, ok := fs.mu.filters[id]
	if ok {
		fs.removeLocked(id, f)
	}
	return ok
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
		hashes := []common.Hash{}
		for len(hashes) < maxPendingHashes {
			select {
			case txs := <-f.pending:
				for _, tx := range txs {
					hashes = append(hashes, tx.Hash())
				}
				continue
			default:
			}
			break
		}
		return hashes, nil
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
