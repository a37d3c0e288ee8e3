package evm

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/stateless"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// blockSource is where a block run reads what lies outside its block: the
// parent's state, the hashes of older ancestors (BLOCKHASH) and the parent
// chain's queued messages. The executor reads them from its store and its
// parent chain; a stateless run reads them from a witness.
type blockSource struct {
	state  state.Database
	hashes func(height uint64) (common.Hash, error) // an ancestor's hash by height
	parent ParentChain                              // nil: a root
	// witness, if set, collects the trie nodes and code the run touches.
	witness *stateless.Witness
}

func (e *Executor) source() *blockSource {
	return &blockSource{state: e.statedb, hashes: e.store.CanonicalHash, parent: e.opts.Parent}
}

// errStateRead wraps a failed read of the parent's state: a trie node or
// code the state database does not have.
var errStateRead = errors.New("reading the parent's state")

// topDownRead is one read of the parent chain's top-down queue and the
// messages of it a block applied.
type topDownRead struct {
	ref  types.ParentRef
	from uint64
	msgs []gateway.TopDownMsg
}
