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
type chainView interface {
	ID() types.SubnetID
	// Head is the newest committed block: final at once under solo and
	// bft. (An engine with tentative heads would serve its finalized block
	// here: a child may only reference final parent blocks.)
	Head() *types.Header
	// HeaderAt is the final block at height; ErrNotFinal above Head.
	HeaderAt(height uint64) (*types.Header, error)
	// GatewayAt is the gateway's state after the final block at height.
	GatewayAt(height uint64) (gateway.StateReader, error)
}

var _ chainView = (*chain)(nil)

// headGateway opens c's gateway state after its head, and returns the head.
func headGateway(c chainView) (gateway.StateReader, *types.Header, error) {
	h := c.Head()
	gs, err := c.GatewayAt(h.Height)
	return gs, h, err
}

// chain is one subnet's committed chain on this node: storage, executor and
// the final head with its feeds. The runtime's driver goroutine moves the
// head (onCommit); everyone else reads.
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

func (c *chain) ID() types.SubnetID  { return c.id }
func (c *chain) Head() *types.Header { return c.head.Load() }

func (c *chain) HeaderAt(height uint64) (*types.Header, error) {
	head := c.head.Load()
	switch {
	case height == head.Height:
		return head, nil
	case height > head.Height:
		return nil, fmt.Errorf("%w: block %d of %s (head %d)", ErrNotFinal, height, c.id, head.Height)
	}
	return c.store.HeaderByNumber(height)
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
