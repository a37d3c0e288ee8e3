package mempool

import (
	"bytes"
	"math/big"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// lockChunk is how many transactions of a batch are inserted per lock hold, so
// a 10k-transaction batch never stalls Reset or Source for long.
const lockChunk = 256

// Pool is one subnet's transaction pool. All methods are safe for concurrent use.
type Pool struct {
	cfg     Config
	chainID *big.Int
	signer  types.Signer

	mu struct {
		sync.Mutex
		state    State
		gen      uint64   // bumped by Reset; state read under an older gen is re-read
		baseFee  *big.Int // of the next block; nil until the first Reset
		gasLimit uint64   // of the next block; 0 (no check) until the first Reset
		accounts map[common.Address]*account
		all      map[common.Hash]*poolTx
		pending  int
		queued   int
		// pendingGas is the sum of executable transactions' gas limits.
		pendingGas uint64
		seq        uint64
	}
	subs struct {
		sync.Mutex
		next int
		m    map[int]chan<- []*types.Transaction
	}
}

// New returns an empty pool for the chain chainID reading st. Until the first
// Reset it knows no base fee or block gas limit and skips those checks; the
// node calls Reset with its head right after New.
func New(cfg Config, chainID *big.Int, st State) *Pool {
	p := &Pool{
		cfg:     cfg.withDefaults(),
		chainID: new(big.Int).Set(chainID),
		signer:  types.LatestSignerForChainID(chainID),
	}
	p.mu.state = st
	p.mu.accounts = make(map[common.Address]*account)
	p.mu.all = make(map[common.Hash]*poolTx)
	p.subs.m = make(map[int]chan<- []*types.Transaction)
	return p
}

// checked is one transaction of a batch after the lock-free half of admission.
type checked struct {
	ptx     *poolTx
	nonce   uint64   // sender's state nonce at gen
	balance *big.Int // sender's balance at gen
	gen     uint64
	err     error
}

// Add validates tx and adds it to the pool.
func (p *Pool) Add(tx *types.Transaction) error {
	return p.AddBatch([]*types.Transaction{tx})[0]
}

// AddBatch adds txs in order and returns one error (or nil) per transaction.
// Signatures are recovered in parallel on GOMAXPROCS goroutines, outside the
// pool lock; the recovered sender stays cached on each transaction.
func (p *Pool) AddBatch(txs []*types.Transaction) []error {
	errs := make([]error, len(txs))
	if len(txs) == 0 {
		return errs
	}
	checks := make([]checked, len(txs))
	p.mu.Lock()
	st, gen := p.mu.state, p.mu.gen
	p.mu.Unlock()
	p.checkAll(txs, checks, st, gen)

	todo := make([]int, len(txs))
	for i := range todo {
		todo[i] = i
	}
	var fresh []*types.Transaction
	for len(todo) > 0 {
		var retry []int
		for start := 0; start < len(todo); start += lockChunk {
			chunk := todo[start:min(start+lockChunk, len(todo))]
			var promoted []*poolTx
			p.mu.Lock()
			for _, i := range chunk {
				c := &checks[i]
				if c.err != nil {
					errs[i] = c.err
					continue
				}
				if c.gen != p.mu.gen {
					retry = append(retry, i)
					continue
				}
				prom, err := p.addLocked(c)
				errs[i] = err
				promoted = append(promoted, prom...)
			}
			fresh = appendPendingLocked(fresh, promoted)
			p.mu.Unlock()
		}
		if len(retry) > 0 {
			// A Reset moved the head while we read the state: re-read it.
			p.mu.Lock()
			st, gen = p.mu.state, p.mu.gen
			p.mu.Unlock()
			for _, i := range retry {
				readState(&checks[i], st, gen)
			}
		}
		todo = retry
	}
	p.notify(fresh)
	return errs
}

// checkAll runs the lock-free half of admission (known-hash check, stateless
// validation with sender recovery, state reads) over txs, in parallel when
// there is more than one.
func (p *Pool) checkAll(txs []*types.Transaction, checks []checked, st State, gen uint64) {
	workers := min(runtime.GOMAXPROCS(0), len(txs))
	if workers <= 1 {
		for i, tx := range txs {
			p.check(tx, &checks[i], st, gen)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(txs) {
					return
				}
				p.check(txs[i], &checks[i], st, gen)
			}
		})
	}
	wg.Wait()
}

func (p *Pool) check(tx *types.Transaction, c *checked, st State, gen uint64) {
	// Gossip delivers most transactions several times: skip recovery for those
	// we hold already.
	if p.Get(tx.Hash()) != nil {
		c.err = ErrAlreadyKnown
		return
	}
	c.ptx, c.err = p.validateStateless(tx)
	if c.err == nil {
		readState(c, st, gen)
	}
}

func readState(c *checked, st State, gen uint64) {
	c.nonce = st.Nonce(c.ptx.from)
	c.balance = st.Balance(c.ptx.from)
	if c.balance == nil {
		c.balance = new(big.Int)
	}
	c.gen = gen
}

// appendPendingLocked appends the transactions of ts that are still
// executable (a later eviction may have dropped some).
func appendPendingLocked(dst []*types.Transaction, ts []*poolTx) []*types.Transaction {
	for _, t := range ts {
		if t.pending {
			dst = append(dst, t.tx)
		}
	}
	return dst
}

// Get returns the pooled transaction with hash h, executable or queued, or nil.
func (p *Pool) Get(h common.Hash) *types.Transaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.mu.all[h]; t != nil {
		return t.tx
	}
	return nil
}

// KnownSender returns the sender the pool recovered for the transaction with
// hash h, if it holds it. A hash covers the signature, so the answer is the
// sender of any transaction with that hash: block verification uses it to
// skip recovering signatures the pool already recovered.
func (p *Pool) KnownSender(h common.Hash) (common.Address, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.mu.all[h]; t != nil {
		return t.from, true
	}
	return common.Address{}, false
}

// Nonce is the next nonce for addr counting its executable pooled
// transactions: what eth_getTransactionCount returns for "pending".
func (p *Pool) Nonce(addr common.Address) uint64 {
	p.mu.Lock()
	if a := p.mu.accounts[addr]; a != nil {
		defer p.mu.Unlock()
		return a.nextNonce()
	}
	st := p.mu.state
	p.mu.Unlock()
	return st.Nonce(addr)
}

// Pending returns every executable transaction, by sender address and then
// nonce. The caller must not modify the transactions.
func (p *Pool) Pending() []*types.Transaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	accts := make([]*account, 0, len(p.mu.accounts))
	for _, a := range p.mu.accounts {
		if a.pending > 0 {
			accts = append(accts, a)
		}
	}
	slices.SortFunc(accts, func(x, y *account) int { return bytes.Compare(x.addr[:], y.addr[:]) })
	out := make([]*types.Transaction, 0, p.mu.pending)
	for _, a := range accts {
		for _, t := range a.txs[:a.pending] {
			out = append(out, t.tx)
		}
	}
	return out
}

// Stats returns how many transactions are executable and how many queued.
func (p *Pool) Stats() (pending, queued int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.pending, p.mu.queued
}

// Full reports whether the executable transactions' gas limits add up to at
// least gasLimit, so a block built now would be full: the solo engine seals
// early when it is.
func (p *Pool) Full(gasLimit uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.pendingGas >= gasLimit
}

// Sender returns tx's sender with the pool's signer; for a transaction that
// went through the pool it is cached and costs nothing.
func (p *Pool) Sender(tx *types.Transaction) (common.Address, error) {
	return types.Sender(p.signer, tx)
}

// Subscribe delivers every transaction that becomes executable (added,
// promoted by a gap fill or by a Reset, or replacing an executable one) to ch,
// in batches. Sends never block: a consumer that is not ready loses the batch.
// The slices are shared between subscribers and must not be modified. The
// returned func cancels the subscription; ch is never closed.
func (p *Pool) Subscribe(ch chan<- []*types.Transaction) (cancel func()) {
	p.subs.Lock()
	defer p.subs.Unlock()
	id := p.subs.next
	p.subs.next++
	p.subs.m[id] = ch
	return func() {
		p.subs.Lock()
		defer p.subs.Unlock()
		delete(p.subs.m, id)
	}
}

func (p *Pool) notify(txs []*types.Transaction) {
	if len(txs) == 0 {
		return
	}
	p.subs.Lock()
	defer p.subs.Unlock()
	for _, ch := range p.subs.m {
		select {
		case ch <- txs:
		default:
		}
	}
}
