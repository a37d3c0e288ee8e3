package node

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
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

// ErrNotSequencer is returned when a solo chain's home holds another key than
// the genesis sequencer's.
var ErrNotSequencer = errors.New("node: this node's account is not the solo sequencer of the chain")

// runtime is everything one subnet needs on this node: storage, EVM, pool,
// engine and the driver goroutine that owns the engine.
type runtime struct {
	id      types.SubnetID
	gen     *config.Genesis
	log     *slog.Logger
	store   *store.Store
	exec    *evm.Executor
	pool    *mempool.Pool
	driver  *driver.Driver
	signer  gethtypes.Signer
	metrics *metrics

	head  atomic.Pointer[types.Header]
	heads feed[*types.Header]
	logs  feed[[]*gethtypes.Log]
}

// subnetDir is where a subnet's database lives under the node's home:
// <home>/subnets/<id without the leading slash, slashes kept as directories>.
func subnetDir(home string, id types.SubnetID) string {
	return filepath.Join(home, "subnets", filepath.FromSlash(strings.TrimPrefix(string(id), "/")))
}

// openRuntime opens (or creates from genesis) a subnet's runtime.
func openRuntime(cfg *config.Node, gen *config.Genesis, key sequencerKey, log *slog.Logger, m *metrics) (*runtime, error) {
	id := gen.ID()
	dir := subnetDir(cfg.Home, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	st, err := store.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open store of %s: %w", id, err)
	}
	x, err := evm.New(st, gen, evm.Options{})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open chain %s: %w", id, err)
	}
	rt := &runtime{id: id, gen: gen, log: log.With("subnet", string(id)), store: st, exec: x,
		signer: gethtypes.LatestSignerForChainID(gen.ChainIDBig()), metrics: m}
	head := x.Head()
	rt.head.Store(head)
	rt.pool = mempool.New(mempool.Config{}, gen.ChainIDBig(), rt.stateAt(head))
	rt.pool.Reset(rt.stateAt(head), x.NextBaseFee(), gen.GasLimit, nil)

	if len(gen.Validators) == 0 || gen.Validators[0].Address != key.address {
		st.Close()
		return nil, fmt.Errorf("%w: genesis names %s, this home holds %s", ErrNotSequencer, gen.Validators[0].Address, key.address)
	}
	tick := tickFor(cfg.Consensus.BlockTime.Duration)
	eng, err := solo.New(solo.Config{
		BlockTime:    ticks(cfg.Consensus.BlockTime.Duration, tick),
		IdleInterval: ticks(cfg.Consensus.IdleInterval.Duration, tick),
	}, key, head.Height, head.Hash())
	if err != nil {
		st.Close()
		return nil, err
	}
	rt.driver = driver.New(driver.Config{
		Tick: tick, Proposer: key.address, Log: rt.log, OnCommit: rt.onCommit,
	}, eng, x, poolAdapter{rt}, head)
	rt.observe(head)
	rt.log.Info("subnet opened", "height", head.Height, "hash", head.Hash(), "chainId", gen.ChainID, "dir", dir)
	return rt, nil
}

// tickFor picks an engine tick a tenth of the block time, between 10 and
// 100 ms: fine enough for 200 ms blocks, rare enough that an idle subnet
// wakes ten times a second at most.
func tickFor(blockTime time.Duration) time.Duration {
	return min(max(blockTime/10, 10*time.Millisecond), 100*time.Millisecond)
}

func ticks(d, tick time.Duration) uint64 { return uint64(max(d/tick, 1)) }

// run drives the engine until ctx ends; it forwards pool arrivals to the driver.
func (rt *runtime) run(ctx context.Context) error {
	arrivals := make(chan []*gethtypes.Transaction, 64)
	cancel := rt.pool.Subscribe(arrivals)
	defer cancel()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-arrivals:
				rt.driver.PoolChanged()
			}
		}
	}()
	return rt.driver.Run(ctx)
}

// onCommit runs on the driver goroutine after a block is durable.
func (rt *runtime) onCommit(e *execution.Executed) {
	h := e.Block.Header
	rt.head.Store(h)
	rt.pool.Reset(rt.stateAt(h), rt.exec.NextBaseFee(), rt.gen.GasLimit, e.Block.Txs)
	rt.observe(h)
	id := string(rt.id)
	rt.metrics.txs.WithLabelValues(id).Add(float64(len(e.Block.Txs)))
	rt.metrics.gas.WithLabelValues(id).Add(float64(h.GasUsed))
	rt.metrics.blockTxs.WithLabelValues(id).Observe(float64(len(e.Block.Txs)))
	if d := rt.heads.Send(h); d > 0 {
		rt.metrics.droppedEvent.WithLabelValues(id, "newHeads").Add(float64(d))
	}
	var logs []*gethtypes.Log
	for _, r := range e.Receipts {
		logs = append(logs, r.Logs...)
	}
	if len(logs) > 0 {
		if d := rt.logs.Send(logs); d > 0 {
			rt.metrics.droppedEvent.WithLabelValues(id, "logs").Add(float64(d))
		}
	}
	if len(e.Block.Txs) > 0 {
		rt.log.Debug("block committed", "height", h.Height, "txs", len(e.Block.Txs), "gas", h.GasUsed)
	}
}

func (rt *runtime) observe(h *types.Header) {
	id := string(rt.id)
	rt.metrics.height.WithLabelValues(id).Set(float64(h.Height))
	if h.BaseFee != nil {
		f, _ := new(big.Float).SetInt(h.BaseFee).Float64()
		rt.metrics.baseFee.WithLabelValues(id).Set(f)
	}
	p, q := rt.pool.Stats()
	rt.metrics.poolPending.WithLabelValues(id).Set(float64(p))
	rt.metrics.poolQueued.WithLabelValues(id).Set(float64(q))
}

func (rt *runtime) close() error { return rt.store.Close() }

// headState reads account nonces and balances for the mempool at one header.
type headState struct {
	x *evm.Executor
	h *types.Header
}

func (rt *runtime) stateAt(h *types.Header) headState { return headState{rt.exec, h} }

func (s headState) Nonce(a common.Address) uint64 {
	n, _ := s.x.Nonce(s.h, a)
	return n
}

func (s headState) Balance(a common.Address) *big.Int {
	b, err := s.x.Balance(s.h, a)
	if err != nil || b == nil {
		return new(big.Int)
	}
	return b
}

// poolAdapter is the driver's view of the mempool.
type poolAdapter struct{ rt *runtime }

func (p poolAdapter) Source() execution.TxSource { return p.rt.pool.Source() }

func (p poolAdapter) Status() consensus.PoolStatus {
	pending, _ := p.rt.pool.Stats()
	return consensus.PoolStatus{Pending: pending, Full: p.rt.pool.Full(p.rt.gen.GasLimit)}
}

// sequencerKey signs solo seals with the node's account key.
type sequencerKey struct {
	key     *ecdsa.PrivateKey
	address common.Address
}

func (k sequencerKey) Sign(h common.Hash) ([]byte, error) { return gethcrypto.Sign(h[:], k.key) }
