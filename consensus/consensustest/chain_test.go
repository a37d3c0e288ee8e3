package consensustest_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/mempool"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// These tests run engines through the real driver, EVM executor, store and
// mempool, stepped from the test's goroutine: what the suite's Harness
// checks of the engine alone, they check of the chain it leaves behind.

// testGenesis funds users 0..2 and names validators.
func testGenesis(engine string, validators []config.GenesisValidator) *config.Genesis {
	gen := &config.Genesis{SubnetID: "/suite", ChainID: 4242, Engine: engine, TimestampMs: 1_700_000_000_000,
		Validators: validators, Alloc: map[common.Address]config.GenesisAccount{}}
	for i := 0; i < 3; i++ {
		gen.Alloc[testkeys.Address(i)] = config.GenesisAccount{
			Balance: (*math.HexOrDecimal256)(big.NewInt(1e18))}
	}
	gen.SetDefaults()
	return gen
}

// chain is one node's application: store, executor and pool.
type chain struct {
	t    *testing.T
	gen  *config.Genesis
	st   *store.Store
	x    *evm.Executor
	pool *mempool.Pool
}

func newChain(t *testing.T, gen *config.Genesis) *chain {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x, err := evm.New(st, gen, evm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &chain{t: t, gen: gen, st: st, x: x}
	c.pool = mempool.New(mempool.Config{}, gen.ChainIDBig(), c.stateAt(x.Head()))
	c.resetPool(x.Head(), nil)
	return c
}

// stateAt is the pool's view of the state after h.
func (c *chain) stateAt(h *types.Header) headState { return headState{c.x, h} }

func (c *chain) resetPool(h *types.Header, included []*gethtypes.Transaction) {
	c.pool.Reset(c.stateAt(h), c.x.NextBaseFee(), c.gen.GasLimit, included)
}

// transfer signs value wei from user i to 0xdead with the given nonce.
func (c *chain) transfer(i int, nonce uint64, value int64) *gethtypes.Transaction {
	c.t.Helper()
	to := common.HexToAddress("0xdead")
	tx, err := gethtypes.SignNewTx(testkeys.Account(i), gethtypes.LatestSignerForChainID(c.gen.ChainIDBig()), &gethtypes.DynamicFeeTx{
		ChainID: c.gen.ChainIDBig(), Nonce: nonce, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1e10),
		Gas: 21000, To: &to, Value: big.NewInt(value)})
	if err != nil {
		c.t.Fatal(err)
	}
	return tx
}

// driverConfig wires a stepped driver to the chain the way the node does:
// commits and rewinds move the pool.
func (c *chain) driverConfig(clock *fixedClock) driver.Config {
	return driver.Config{
		Clock:    clock,
		OnCommit: func(e *execution.Executed) { c.resetPool(e.Block.Header, e.Block.Txs) },
		OnRewind: func(head *types.Header, _ []*types.Block) { c.resetPool(head, nil) },
	}
}

// pointers returns the heights of the store's head, safe and final blocks.
func (c *chain) pointers() (head, safe, final uint64) {
	_, head, _ = c.st.Head()
	_, safe, _ = c.st.Safe()
	_, final, _ = c.st.Finalized()
	return head, safe, final
}

type headState struct {
	x *evm.Executor
	h *types.Header
}

func (s headState) Nonce(a common.Address) uint64 { n, _ := s.x.Nonce(s.h, a); return n }
func (s headState) Balance(a common.Address) *big.Int {
	b, _ := s.x.Balance(s.h, a)
	return b
}

// poolView is the driver's view of the mempool.
type poolView struct{ c *chain }

func (v poolView) Source() execution.TxSource { return v.c.pool.Source() }
func (v poolView) Status() consensus.PoolStatus {
	n, _ := v.c.pool.Stats()
	return consensus.PoolStatus{Pending: n, Full: v.c.pool.Full(v.c.gen.GasLimit)}
}
func (v poolView) Reinject(txs []*gethtypes.Transaction) {
	for i, err := range v.c.pool.AddBatch(txs) {
		if err != nil {
			v.c.t.Errorf("pool refused reinjected tx %s: %v", txs[i].Hash(), err)
		}
	}
}

// fixedClock is a clock the test moves; a stepped driver never asks it for a timer.
type fixedClock struct{ ms int64 }

func (c *fixedClock) Now() time.Time { return time.UnixMilli(c.ms) }
func (c *fixedClock) NewTimer(time.Duration) (<-chan time.Time, func()) {
	panic("a stepped driver asked for a timer")
}

// memWAL keeps what the engine persists in memory.
type memWAL struct{ entries [][]byte }

func (w *memWAL) Append(_ uint64, e [][]byte) error { w.entries = append(w.entries, e...); return nil }
func (w *memWAL) Truncate(uint64) error             { w.entries = nil; return nil }

// sink is a network nobody listens on: a one-validator engine counts its own votes.
type sink struct{}

func (sink) Broadcast([]byte) error    { return nil }
func (sink) Send(string, []byte) error { return nil }
