package node

import (
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

// Gossip validators decide, per message and before anything is relayed,
// whether a peer spends our CPU: what provably breaks the rules is rejected
// (gossipsub penalises the sender), what is merely useless is ignored, and
// what cannot be judged without a set we do not know is checked within a
// per-origin budget of failures, then ignored unchecked. Copies of one payload are caught by the
// transport's repeat cache (p2p/libp2p); the caches here make the copies
// that get past it cheap.

// Per-origin budgets: a token bucket of burst messages, refilled at rate
// per second. An honest origin sends a few consensus messages per round
// that we cannot judge only while we lag a set change, and one checkpoint
// signature per checkpoint plus a re-gossip every couple of seconds.
const (
	unjudgedBurst   = 32
	unjudgedRate    = 1.0
	checkpointRate  = 1.0
	checkpointBurst = 8
	maxBudgets      = 4096    // origins tracked at once; beyond, only idle ones are forgotten
	maxSigChecks    = 1 << 14 // remembered signature checks per runtime
	// maxSigsVerified is how many valid signatures the gate hands its engine
	// as verified (crypto.SigCache): about what waits between the two (the
	// subscription's buffer and the driver's inbox). One that was forgotten
	// is verified again by the engine, so the bound costs time, never safety.
	maxSigsVerified = 4096
	// maxBlockFuture is how far ahead of this node's clock a block's
	// timestamp may be (go-ethereum allows 15 s too).
	maxBlockFuture = 15 * time.Second
)

// bucket is a token bucket.
type bucket struct {
	tokens float64
	at     time.Time
}

// budgets are token buckets by origin.
type budgets struct {
	burst, rate float64
	mu          struct {
		sync.Mutex
		m     map[string]*bucket
		swept time.Time // the last time a full table was swept of idle buckets
	}
}

func newBudgets(burst int, rate float64) *budgets {
	b := &budgets{burst: float64(burst), rate: rate}
	b.mu.m = map[string]*bucket{}
	return b
}

// left reports whether origin has a token at now, without spending it.
func (b *budgets) left(origin string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refillLocked(origin, now).tokens >= 1
}

// take spends one token of origin's budget at now; false when it is empty.
func (b *budgets) take(origin string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.refillLocked(origin, now)
	if k.tokens < 1 {
		return false
	}
	k.tokens--
	return true
}

func (b *budgets) refillLocked(origin string, now time.Time) *bucket {
	k := b.mu.m[origin]
	if k == nil {
		if len(b.mu.m) >= maxBudgets && !b.sweepLocked(now) {
			// Full of origins that spent their budget lately: a new one
			// gets none until some refill. Starting the table over would
			// hand every spent origin a fresh budget for the price of
			// maxBudgets new peer IDs.
			return &bucket{at: now}
		}
		k = &bucket{tokens: b.burst, at: now}
		b.mu.m[origin] = k
	}
	k.tokens = min(b.burst, k.tokens+now.Sub(k.at).Seconds()*b.rate)
	k.at = now
	return k
}

// sweepLocked forgets the buckets that have refilled to the burst (the same
// as no bucket at all) and reports whether room was made. A full table is
// swept at most once a second, so many new origins cost one pass a second.
func (b *budgets) sweepLocked(now time.Time) bool {
	if now.Sub(b.mu.swept) < time.Second {
		return false
	}
	b.mu.swept = now
	for origin, k := range b.mu.m {
		if min(b.burst, k.tokens+now.Sub(k.at).Seconds()*b.rate) >= b.burst {
			delete(b.mu.m, origin)
		}
	}
	return len(b.mu.m) < maxBudgets
}

// consensusGate judges a subnet's consensus gossip through its engine's
// kind (Kind.DecodeGossip, Kind.CheckBlockBody), without knowing the engine.
// Its view of the chain comes from head (the last final header) and vals
// (the set deciding the height after it); the set of other heights is known
// only back to the height at which the current set took over.
type consensusGate struct {
	subnet types.SubnetID
	kind   consensus.Kind
	head   func() *types.Header
	vals   func() *consensus.ValidatorSet
	body   func(*types.Block) error
	now    func() time.Time
	budget *budgets
	// sigs verifies signatures and remembers the valid ones; the engine
	// checks through the same cache, so it pays for no signature the gate
	// verified (consensus.SigVerifier).
	sigs consensus.SigVerifier

	mu struct {
		sync.Mutex
		vs      *consensus.ValidatorSet // the set the cache was filled under
		setHash [32]byte
		from    uint64                  // first height vs is known to decide
		headRef *types.Header           // the header vs was derived from
		checked map[[32]byte]errorOrNil // signature checks under vs, by payload hash
	}
}

type errorOrNil struct{ err error }

func newConsensusGate(subnet types.SubnetID, kind consensus.Kind, head func() *types.Header, vals func() *consensus.ValidatorSet, now func() time.Time, sigs consensus.SigVerifier) *consensusGate {
	return &consensusGate{
		subnet: subnet, kind: kind, head: head, vals: vals, body: types.CheckTxRoot, now: now,
		budget: newBudgets(unjudgedBurst, unjudgedRate), sigs: sigs,
	}
}

// view returns the set deciding next = head+1, the first height it is known
// to decide, and next. A header that names the next set is believed before
// vals: onCommit stores the head before it moves vals.
func (g *consensusGate) view() (*consensus.ValidatorSet, uint64, uint64) {
	h := g.head()
	next := h.Height + 1
	g.mu.Lock()
	defer g.mu.Unlock()
	if h == g.mu.headRef && g.mu.vs != nil {
		return g.mu.vs, g.mu.from, next
	}
	vs := g.vals()
	if len(h.NextValidators) > 0 {
		if named, err := consensus.NewValidatorSet(h.NextValidators); err == nil {
			vs = named
		}
	}
	g.mu.headRef = h
	if hash := vs.Hash(); g.mu.vs == nil || hash != g.mu.setHash {
		// A block names the next set only when it changes it: a head that
		// names none was decided by the same set.
		from := next - 1
		if len(h.NextValidators) > 0 {
			from = next
		}
		g.mu.vs, g.mu.setHash, g.mu.from = vs, hash, from
		g.mu.checked = map[[32]byte]errorOrNil{}
	}
	return g.mu.vs, g.mu.from, next
}

// check verifies a decoded message under vs once per payload.
func (g *consensusGate) check(vs *consensus.ValidatorSet, key [32]byte, m consensus.Gossip) error {
	g.mu.Lock()
	if r, ok := g.mu.checked[key]; ok && g.mu.vs == vs {
		g.mu.Unlock()
		return r.err
	}
	g.mu.Unlock()
	err := m.Verify(vs, g.sigs) // judge checked the body first
	g.mu.Lock()
	if g.mu.vs == vs {
		if len(g.mu.checked) >= maxSigChecks {
			g.mu.checked = map[[32]byte]errorOrNil{}
		}
		g.mu.checked[key] = errorOrNil{err}
	}
	g.mu.Unlock()
	return err
}

// judge is the consensus topic's validator. A kind without DecodeGossip
// has no peers to gossip with: whatever arrives is rejected.
func (g *consensusGate) judge(origin string, data []byte) p2p.Verdict {
	if g.kind.DecodeGossip == nil {
		return p2p.Reject
	}
	m, err := g.kind.DecodeGossip(g.subnet, data)
	if err != nil {
		return p2p.Reject
	}
	vs, from, next := g.view()
	height := m.Height
	if height+1 < next {
		// Older than the last final block: no engine uses it (the one
		// below the current height serves a lagging peer's catch-up), and
		// relaying it would let anyone replay history network-wide. Checked
		// first: it costs nothing.
		return p2p.Ignore
	}
	now := g.now()
	if m.Block != nil {
		// A swapped body is the relay's doing whatever the height; cheaper
		// than the signature.
		if err := g.kind.CheckBlockBody(m.Block, g.body); err != nil {
			return p2p.Reject
		}
		// Engines have no clock: a block from the future (which a miner
		// would stamp to pull difficulty down) is refused here.
		if t := m.Block.Header.TimeMs; t > uint64(now.Add(maxBlockFuture).UnixMilli()) {
			return p2p.Reject
		}
	}
	// vs decides every height from `from` to next; for other heights a
	// set we have not seen may have signed, so a bad signature there
	// proves nothing. Each origin may make us fail such checks a few times;
	// past that its unprovable messages are dropped unchecked (never
	// rejected: an honest peer ahead of a set change we lag behind would
	// otherwise be graylisted by us).
	provable := height >= from && height <= next
	if !provable && !g.budget.left(origin, now) {
		return p2p.Ignore
	}
	err = g.check(vs, sha256.Sum256(data), m)
	switch {
	case err == nil:
		return p2p.Accept
	case errors.Is(err, consensus.ErrMalformed), errors.Is(err, consensus.ErrBadBody), provable:
		return p2p.Reject
	}
	g.budget.take(origin, now)
	return p2p.Ignore
}

// txGate judges a subnet's transaction gossip: a batch must decode and every
// transaction must be signed for this chain. Recovering the senders costs
// what the pool would pay anyway; the decoded batch (senders cached on the
// transactions) is handed to readTxs so it is not paid twice.
type txGate struct {
	signer gethtypes.Signer
	mu     struct {
		sync.Mutex
		decoded map[[32]byte][]*gethtypes.Transaction
	}
}

const maxHandoff = 64 // batches judged and not yet read (decoded, up to txBatchBytes each)

func newTxGate(signer gethtypes.Signer) *txGate {
	g := &txGate{signer: signer}
	g.mu.decoded = map[[32]byte][]*gethtypes.Transaction{}
	return g
}

func (g *txGate) judge(data []byte) p2p.Verdict {
	txs, err := decodeTxBatch(data)
	if err != nil {
		return p2p.Reject
	}
	for _, tx := range txs {
		if _, err := gethtypes.Sender(g.signer, tx); err != nil {
			return p2p.Reject // another chain's, or a bad signature
		}
	}
	g.mu.Lock()
	if len(g.mu.decoded) >= maxHandoff {
		g.mu.decoded = map[[32]byte][]*gethtypes.Transaction{} // unread: gossipsub dropped them for a slow reader
	}
	g.mu.decoded[sha256.Sum256(data)] = txs
	g.mu.Unlock()
	return p2p.Accept
}

// take returns the batch judge decoded for data, or decodes it.
func (g *txGate) take(data []byte) ([]*gethtypes.Transaction, error) {
	k := sha256.Sum256(data)
	g.mu.Lock()
	txs, ok := g.mu.decoded[k]
	delete(g.mu.decoded, k)
	g.mu.Unlock()
	if ok {
		return txs, nil
	}
	return decodeTxBatch(data)
}

// checkpointGate judges a child's checkpoint-signature gossip as far as it
// can without the relayer's state: the message must decode, name this
// subnet and a checkpoint height; and each origin gets a budget, so one
// peer's well-formed forgeries cannot crowd honest signatures out of the
// relayer's inbox.
type checkpointGate struct {
	subnet types.SubnetID
	period uint64
	now    func() time.Time
	budget *budgets
}

func newCheckpointGate(subnet types.SubnetID, period uint64, now func() time.Time) *checkpointGate {
	return &checkpointGate{subnet: subnet, period: period, now: now, budget: newBudgets(checkpointBurst, checkpointRate)}
}

func (g *checkpointGate) judge(origin string, data []byte) p2p.Verdict {
	s, err := types.DecodeCheckpointSignature(data)
	switch {
	case err != nil, s.Subnet != string(g.subnet), s.Height == 0, s.Height%g.period != 0:
		return p2p.Reject
	case !g.budget.take(origin, g.now()):
		return p2p.Ignore
	}
	return p2p.Accept
}
