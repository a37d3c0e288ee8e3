package driver_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/consensus/solo"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/mempool"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// manualClock is a clock the test moves, 100 ms (one tick of the driver's
// default) at a time. The driver's timer fires when a move reaches its
// deadline, and the move returns only once the driver took it, so the
// driver has woken for it before the test goes on.
type manualClock struct {
	mu    sync.Mutex
	ms    int64
	timer *fakeTimer // armed and not yet due
	armed int        // timers the driver asked for
}

type fakeTimer struct {
	c    chan time.Time
	at   int64
	done chan struct{}
	once sync.Once
}

// fire delivers the timer's time unless the driver stopped it meanwhile.
func (t *fakeTimer) fire(ms int64) {
	select {
	case t.c <- time.UnixMilli(ms):
	case <-t.done:
	}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.UnixMilli(c.ms)
}

func (c *manualClock) NewTimer(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed++
	t := &fakeTimer{c: make(chan time.Time), at: c.ms + d.Milliseconds(), done: make(chan struct{})}
	if t.at <= c.ms {
		go t.fire(c.ms) // due already: the test moved the clock while the driver worked
	} else {
		c.timer = t
	}
	return t.c, func() {
		c.mu.Lock()
		if c.timer == t {
			c.timer = nil
		}
		c.mu.Unlock()
		t.once.Do(func() { close(t.done) })
	}
}

// tick moves the clock one tick on and, when that makes the armed timer
// due, waits until the driver took it.
func (c *manualClock) tick() {
	c.mu.Lock()
	c.ms += 100
	t, ms := c.timer, c.ms
	if t != nil && t.at <= ms {
		c.timer = nil
	} else {
		t = nil
	}
	c.mu.Unlock()
	if t != nil {
		t.fire(ms)
	}
}

// timers reports how many timers the driver asked for so far.
func (c *manualClock) timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.armed
}

type sealer struct{ k *ecdsa.PrivateKey }

func (s sealer) Sign(h common.Hash) ([]byte, error) { return gethcrypto.Sign(h[:], s.k) }

type headState struct {
	x *evm.Executor
	h *types.Header
}

func (s headState) Nonce(a common.Address) uint64 { n, _ := s.x.Nonce(s.h, a); return n }
func (s headState) Balance(a common.Address) *big.Int {
	b, _ := s.x.Balance(s.h, a)
	return b
}

type poolView struct {
	p        *mempool.Pool
	gasLimit uint64
}

func (v poolView) Source() execution.TxSource            { return v.p.Source() }
func (v poolView) Reinject(txs []*gethtypes.Transaction) { v.p.AddBatch(txs) }
func (v poolView) Status() consensus.PoolStatus {
	n, _ := v.p.Stats()
	return consensus.PoolStatus{Pending: n, Full: v.p.Full(v.gasLimit)}
}

// TestDriverCommitsThenBuildsOnIt runs the real solo engine, EVM executor and
// mempool under the driver: the first block comes at once, a transaction is
// included after a block time, every block is committed (and reported) before
// the next is built on it, and the store's head is the last reported block.
func TestDriverCommitsThenBuildsOnIt(t *testing.T) {
	c := newSoloChain(t)
	gen, st, x, pool, eng, head, seq := c.gen, c.st, c.x, c.pool, c.eng, c.head, c.seq
	committed := make(chan *execution.Executed, 16)
	clock := &manualClock{}
	clock.ms = 1_700_000_100_000
	d := driver.New(driver.Config{
		Tick: 100 * time.Millisecond, Proposer: seq, Clock: clock,
		OnCommit: func(e *execution.Executed) {
			if x.Head().Hash() != e.Block.Hash() {
				t.Errorf("OnCommit for block %d before the executor's head moved to it", e.Block.Height())
			}
			pool.Reset(headState{x, e.Block.Header}, x.NextBaseFee(), gen.GasLimit, e.Block.Txs)
			committed <- e
		},
	}, eng, x, poolView{pool, gen.GasLimit}, head)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	first := <-committed // block 1 needs no tick: a new chain's first block comes at once
	if first.Block.Height() != 1 || first.Block.Header.ParentHash != head.Hash() {
		t.Fatalf("first block: height %d parent %s, want 1 on genesis", first.Block.Height(), first.Block.Header.ParentHash)
	}
	tx := c.transfer(t, 0)
	if err := pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	d.PoolChanged()
	for i := 0; i < 4; i++ { // a block time of 3 ticks, plus one so the last is processed
		clock.tick()
	}
	second := <-committed
	if second.Block.Height() != 2 || second.Block.Header.ParentHash != first.Block.Hash() {
		t.Fatalf("second block: height %d, parent %s, want 2 on block 1", second.Block.Height(), second.Block.Header.ParentHash)
	}
	if len(second.Block.Txs) != 1 || second.Block.Txs[0].Hash() != tx.Hash() {
		t.Fatalf("second block holds %d txs, want the one sent", len(second.Block.Txs))
	}
	if second.Block.Header.TimeMs <= first.Block.Header.TimeMs {
		t.Fatalf("timestamps do not increase: %d then %d", first.Block.Header.TimeMs, second.Block.Header.TimeMs)
	}
	if len(second.Block.Header.Seal) != 65 {
		t.Fatalf("committed block carries no seal")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v after cancel, want nil", err)
	}
	if h, n, _ := st.Head(); h != second.Block.Hash() || n != 2 {
		t.Fatalf("store head %d %s, want block 2 %s", n, h, second.Block.Hash())
	}
	if p, q := pool.Stats(); p+q != 0 {
		t.Fatalf("pool still holds %d+%d txs after their block committed", p, q)
	}
}

// soloChain is a fresh one-sequencer chain: the real solo engine, EVM
// executor, store and mempool, with one funded user.
type soloChain struct {
	gen  *config.Genesis
	st   *store.Store
	x    *evm.Executor
	pool *mempool.Pool
	eng  *solo.Engine
	head *types.Header
	seq  common.Address
	user *ecdsa.PrivateKey
}

func newSoloChain(t *testing.T) *soloChain {
	t.Helper()
	seqKey, _ := gethcrypto.GenerateKey()
	user, _ := gethcrypto.GenerateKey()
	seq := gethcrypto.PubkeyToAddress(seqKey.PublicKey)
	gen := &config.Genesis{SubnetID: "/drv", ChainID: 777, Engine: "solo", TimestampMs: 1_700_000_000_000,
		Validators: []config.GenesisValidator{{Address: seq}},
		Alloc: map[common.Address]config.GenesisAccount{
			gethcrypto.PubkeyToAddress(user.PublicKey): {Balance: (*math.HexOrDecimal256)(big.NewInt(1e18))},
		}}
	gen.SetDefaults()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x, err := evm.New(st, gen, evm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	head := x.Head()
	pool := mempool.New(mempool.Config{}, gen.ChainIDBig(), headState{x, head})
	pool.Reset(headState{x, head}, x.NextBaseFee(), gen.GasLimit, nil)
	eng, err := solo.New(solo.Config{BlockTime: 3, IdleInterval: 1000}, sealer{seqKey}, head.Height, head.Hash())
	if err != nil {
		t.Fatal(err)
	}
	return &soloChain{gen: gen, st: st, x: x, pool: pool, eng: eng, head: head, seq: seq, user: user}
}

// transfer signs a plain value transfer from the chain's user.
func (c *soloChain) transfer(t *testing.T, nonce uint64) *gethtypes.Transaction {
	t.Helper()
	to := common.HexToAddress("0xdead")
	signer := gethtypes.LatestSignerForChainID(c.gen.ChainIDBig())
	tx, err := gethtypes.SignNewTx(c.user, signer, &gethtypes.DynamicFeeTx{ChainID: c.gen.ChainIDBig(), Nonce: nonce,
		GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1e10), Gas: 21000, To: &to, Value: big.NewInt(5)})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// persistingEngine asks for a vote to be persisted, as bft will.
type persistingEngine struct{ done bool }

func (e *persistingEngine) Step(consensus.Message) error { return nil }
func (e *persistingEngine) Tick()                        {}
func (e *persistingEngine) NextTick() uint64             { return consensus.NoTick }
func (e *persistingEngine) HasReady() bool               { return !e.done }
func (e *persistingEngine) Ready() consensus.Ready {
	return consensus.Ready{Persist: [][]byte{{1}}, Send: []consensus.Outbound{{Payload: []byte{1}}}}
}
func (e *persistingEngine) Advance() { e.done = true }

// TestDriverRefusesToSendUnpersistedVotes: with no WAL configured, a vote is
// never sent; the driver stops with ErrNoWAL instead.
func TestDriverRefusesToSendUnpersistedVotes(t *testing.T) {
	clock := &manualClock{}
	d := driver.New(driver.Config{Clock: clock}, &persistingEngine{}, nil, emptyPool{}, &types.Header{})
	if err := d.Run(context.Background()); !errors.Is(err, driver.ErrNoWAL) {
		t.Fatalf("Run returned %v, want ErrNoWAL", err)
	}
}

type emptyPool struct{}

func (emptyPool) Source() execution.TxSource        { return nil }
func (emptyPool) Status() consensus.PoolStatus      { return consensus.PoolStatus{} }
func (emptyPool) Reinject([]*gethtypes.Transaction) {}

// recorder logs the order in which the driver persists and sends.
type recorder struct{ log []string }

func (r *recorder) Append(h uint64, e [][]byte) error { r.log = append(r.log, "persist"); return nil }
func (r *recorder) Truncate(uint64) error             { return nil }
func (r *recorder) Broadcast([]byte) error            { r.log = append(r.log, "send"); return nil }
func (r *recorder) Send(string, []byte) error         { r.log = append(r.log, "send"); return nil }

// TestDriverPersistsBeforeSending: a vote reaches the WAL before the network.
func TestDriverPersistsBeforeSending(t *testing.T) {
	clock := &manualClock{}
	rec := &recorder{}
	d := driver.New(driver.Config{Clock: clock, WAL: rec, Transport: rec}, &persistingEngine{}, nil, emptyPool{}, &types.Header{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	cancel() // Run performs the first Ready (Start) before it looks at ctx
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(rec.log) != 2 || rec.log[0] != "persist" || rec.log[1] != "send" {
		t.Fatalf("driver did %v, want [persist send]", rec.log)
	}
}

// verifyEngine asks once for a block to be verified and reports verdicts.
type verifyEngine struct {
	block    *types.Block
	asked    bool
	verdicts chan consensus.Verdict
}

func (e *verifyEngine) Step(m consensus.Message) error {
	if v, ok := m.(consensus.Verdict); ok {
		e.verdicts <- v
	}
	return nil
}
func (e *verifyEngine) Tick()            {}
func (e *verifyEngine) NextTick() uint64 { return consensus.NoTick }
func (e *verifyEngine) HasReady() bool   { return !e.asked }
func (e *verifyEngine) Ready() consensus.Ready {
	return consensus.Ready{Verify: []*types.Block{e.block}}
}
func (e *verifyEngine) Advance() { e.asked = true }

// okExecutor accepts every block.
type okExecutor struct{ execution.Executor }

func (okExecutor) Execute(b *types.Block) (*execution.Executed, error) {
	return &execution.Executed{Block: b}, nil
}

// TestDriverWaitsForTheParentBeforeJudging: a block referencing a parent
// block this node has not seen final yet gets no verdict (a refusal would
// stick in the engine) until the parent chain here catches up; then it is
// verified and judged.
func TestDriverWaitsForTheParentBeforeJudging(t *testing.T) {
	clock := &manualClock{}
	var parent atomic.Uint64
	parent.Store(3)
	b := &types.Block{Header: &types.Header{Height: 1, ParentRef: types.ParentRef{Height: 5}}}
	eng := &verifyEngine{block: b, verdicts: make(chan consensus.Verdict, 4)}
	d := driver.New(driver.Config{Clock: clock, ParentRef: func() types.ParentRef { return types.ParentRef{Height: parent.Load()} }},
		eng, okExecutor{}, emptyPool{}, &types.Header{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	clock.tick()
	clock.tick() // the driver took the first tick: the block was asked about and retried once
	select {
	case v := <-eng.verdicts:
		t.Fatalf("verdict %+v while the parent is at 3 and the block references 5", v)
	default:
	}
	parent.Store(5)
	clock.tick()
	v := <-eng.verdicts
	if v.Hash != b.Hash() || !v.Valid {
		t.Fatalf("verdict %+v after the parent caught up, want valid", v)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// sealingEngine asks once for a block to be sealed.
type sealingEngine struct{ done bool }

func (e *sealingEngine) Step(consensus.Message) error { return nil }
func (e *sealingEngine) Tick()                        {}
func (e *sealingEngine) NextTick() uint64             { return consensus.NoTick }
func (e *sealingEngine) HasReady() bool               { return !e.done }
func (e *sealingEngine) Ready() consensus.Ready {
	return consensus.Ready{Seal: &consensus.SealRequest{Block: &types.Block{Header: &types.Header{Height: 1}}}}
}
func (e *sealingEngine) Advance() { e.done = true }

// TestDriverNeedsASealerToSeal: an engine asking to seal with no Sealer
// configured stops the driver with ErrNoSealer.
func TestDriverNeedsASealerToSeal(t *testing.T) {
	d := driver.New(driver.Config{Clock: &manualClock{}}, &sealingEngine{}, nil, emptyPool{}, &types.Header{})
	if err := d.Run(context.Background()); !errors.Is(err, driver.ErrNoSealer) {
		t.Fatalf("Run returned %v, want ErrNoSealer", err)
	}
}
