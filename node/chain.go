package node

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/mempool"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// ErrNotFinal is returned for a block above the chain's final head here.
var ErrNotFinal = errors.New("node: block is not final on this node yet")

// chainView is what one runtime may see of another chain on this node (a
// child of its parent, the manager of every chain): its final head, its
// final headers and its gateway's state after a final block. Nothing else
// of a runtime is shared, so a test can stand in a fake for any chain.
// Nothing above the final block is visible through it: a child references,
// reads messages from and starts subnets of parent blocks that can never be
// taken back, or a rewound parent would leave it applying messages that no
// longer exist.
type chainView interface {
	ID() types.SubnetID
	// Final is the newest final block: the committed head under solo and
	// bft, which finalize at once; under an engine with tentative heads
	// (probabilistic finality) the finalized block below them.
	Final() *types.Header
	// HeaderAt is the final block at height; ErrNotFinal above Final.
	HeaderAt(height uint64) (*types.Header, error)
	// GatewayAt is the gateway's state after the final block at height.
	GatewayAt(height uint64) (gateway.StateReader, error)
}

var _ chainView = (*chain)(nil)

// headGateway opens c's gateway state after its final head, and returns
// that head.
func headGateway(c chainView) (gateway.StateReader, *types.Header, error) {
	h := c.Final()
	gs, err := c.GatewayAt(h.Height)
	return gs, h, err
}

// chain is one subnet's committed chain on this node: storage, executor and
// the head with its feeds. The runtime's driver goroutine moves the head
// (onCommit, onRewind); everyone else reads. head is the newest committed
// block, tentative under an engine with probabilistic finality: the
// runtime's own pool, RPC and gossip follow it, other chains see Final.
type chain struct {
	id      types.SubnetID
	gen     *config.Genesis
	log     *slog.Logger
	store   *store.Store
	exec    *evm.Executor
	head    atomic.Pointer[types.Header]
	heads   feed[*types.Header]
	logs    feed[[]*gethtypes.Log]
	commits chan struct{} // signalled after every commit, for waiters
}

func (c *chain) ID() types.SubnetID { return c.id }

// Final is the store's finalized block, or the head if that is above it:
// the store moves its pointers when a block is written, a moment before the
// driver publishes the block as the head, and nothing above the head is
// visible yet. Under solo and bft every commit is final, so Final is the
// head, found without reading a header: children ask on every tick.
func (c *chain) Final() *types.Header {
	head := c.head.Load()
	if _, height, _ := c.store.Finalized(); height >= head.Height {
		return head
	}
	if f := c.exec.Finalized(); f.Height < head.Height {
		return f
	}
	return head
}

func (c *chain) HeaderAt(height uint64) (*types.Header, error) {
	final := c.Final()
	switch {
	case height == final.Height:
		return final, nil
	case height > final.Height:
		return nil, fmt.Errorf("%w: block %d of %s (final %d)", ErrNotFinal, height, c.id, final.Height)
	}
	return c.store.HeaderByNumber(height)
}

// tipGateway is a chain view that can also read its tentative head's
// gateway (a chain under probabilistic finality).
type tipGateway interface {
	TipGateway() (gateway.StateReader, error)
}

// TipGateway opens the gateway's state after the committed head, final or not.
func (c *chain) TipGateway() (gateway.StateReader, error) { return c.exec.GatewayState(c.head.Load()) }

// progressGateway is the parent state a child's relayer paces its
// checkpoints by: the parent's head, not its final block. Under a pow
// parent a checkpoint is final only `confirmations` blocks after it lands,
// and waiting for that before submitting the next would let a fast child's
// checkpoints fall ever further behind. A submission a reorg drops goes
// back to the parent's pool and commits once on the winning branch; what
// the parent pays and forwards travels further up only from its final
// blocks (its own checkpoints cover nothing else).
func progressGateway(c chainView) (gateway.StateReader, error) {
	if t, ok := c.(tipGateway); ok {
		return t.TipGateway()
	}
	gs, _, err := headGateway(c)
	return gs, err
}

func (c *chain) GatewayAt(height uint64) (gateway.StateReader, error) {
	h, err := c.HeaderAt(height)
	if err != nil {
		return nil, err
	}
	return c.exec.GatewayState(h)
}

// validatorsAt is the set deciding the height after h: a child keeps it in
// its gateway (its parent's config changes move it); a root's is its genesis.
func (c *chain) validatorsAt(h *types.Header) (*consensus.ValidatorSet, error) {
	gs, err := c.exec.GatewayState(h)
	if err != nil {
		return nil, err
	}
	config, vs, err := gateway.ReadOwnSet(gs)
	if err != nil {
		return nil, err
	}
	if config == 0 {
		return validatorSet(c.gen)
	}
	return consensus.NewValidatorSet(vs)
}

// stateAt is the mempool's view of the accounts after h: one reader opened
// once, safe for the pool's concurrent reads.
func (c *chain) stateAt(h *types.Header) mempool.State {
	a, err := c.exec.AccountsAt(h)
	if err != nil { // cannot happen for a committed header; degrade, don't stop
		c.log.Error("cannot open account reader; reading per call", "height", h.Height, "err", err)
		return headState{c.exec, h}
	}
	return a
}

// headState reads accounts through the executor's per-call queries.
type headState struct {
	x *evm.Executor
	h *types.Header
}

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
