package evm

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/stateless"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/execution/witness"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

var (
	// ErrNoParentState is returned by Witness when this node no longer has
	// (pruned) or never had (synced past it) the state the block ran on.
	ErrNoParentState = errors.New("evm: the parent state of the block is not on this node")
	// ErrWitnessBusy is returned by Witness while witnessBuilds others are
	// being built: each re-executes a whole block.
	ErrWitnessBusy = errors.New("evm: busy building other witnesses, try again")
)

// witnessBuilds bounds the witnesses one executor builds at once.
const witnessBuilds = 2

// Witness re-executes the committed block hash on its parent's state and
// returns its execution witness: what Stateless.Verify needs to execute it
// again without this chain's state. It may run beside the driver.
func (e *Executor) Witness(hash common.Hash) (*witness.Witness, error) {
	select {
	case e.witnessSem <- struct{}{}:
		defer func() { <-e.witnessSem }()
	default:
		return nil, ErrWitnessBusy
	}
	block, err := e.store.BlockByHash(hash)
	if err != nil {
		return nil, fmt.Errorf("evm: block %s: %w", hash, err)
	}
	if block.Height() == 0 {
		return nil, errors.New("evm: block 0 has no witness: it executes nothing, its state is the genesis")
	}
	parent, err := e.store.HeaderByHash(block.Header.ParentHash)
	if err != nil {
		return nil, fmt.Errorf("evm: parent of block %d: %w", block.Height(), err)
	}
	if _, err := state.New(parent.StateRoot, e.statedb); err != nil {
		return nil, fmt.Errorf("%w: block %d ran on the state of block %d (root %s): %v; ask a node that keeps it (an archive)",
			ErrNoParentState, block.Height(), parent.Height, parent.StateRoot, err)
	}
	ctx := &gethtypes.Header{Number: new(big.Int).SetUint64(block.Height()), ParentHash: parent.Hash()}
	collect, err := stateless.NewWitness(ctx, headerStubs{e}, false)
	if err != nil {
		return nil, err
	}
	oldest := parent.Height // the oldest block whose hash BLOCKHASH read
	src := e.source()
	src.witness = collect
	src.hashes = func(n uint64) (common.Hash, error) {
		oldest = min(oldest, n)
		return e.store.CanonicalHash(n)
	}
	run, err := e.replay(parent, block, src)
	if err != nil {
		return nil, fmt.Errorf("evm: re-executing block %d for its witness: %w", block.Height(), err)
	}
	// Block n's hash is the ParentHash of block n+1: the headers go down to it.
	w := &witness.Witness{Headers: []*types.Header{parent}}
	for h := parent; h.Height > oldest+1; {
		up, err := e.store.HeaderByHash(h.ParentHash)
		if err != nil {
			return nil, fmt.Errorf("evm: ancestor %d of block %d: %w", h.Height-1, block.Height(), err)
		}
		w.Headers, h = append(w.Headers, up), up
	}
	if d := run.downRead; d != nil {
		w.TopDown = &witness.TopDown{Ref: d.ref, From: d.from, Msgs: make([]rlp.RawValue, len(d.msgs))}
		for i, m := range d.msgs {
			if w.TopDown.Msgs[i], err = encodeTopDownMsg(m); err != nil {
				return nil, err
			}
		}
	}
	w.Codes = blobsOf(collect.Codes)
	w.Nodes = blobsOf(collect.State)
	return w, nil
}

// headerStubs gives geth's witness collector, which walks back headers on
// BLOCKHASH (opBlockhash calls AddBlockHash), the two fields it reads. The
// witness takes Aspen's own headers; these are dropped.
type headerStubs struct{ e *Executor }

func (s headerStubs) GetHeader(hash common.Hash, number uint64) *gethtypes.Header {
	stub := &gethtypes.Header{Number: new(big.Int).SetUint64(number)}
	if h, err := s.e.store.HeaderByHash(hash); err == nil {
		stub.ParentHash = h.ParentHash
	}
	return stub
}

// blobsOf is a witness set as a sorted list.
func blobsOf(set map[string]struct{}) [][]byte {
	out := make([][]byte, 0, len(set))
	for b := range set {
		out = append(out, []byte(b))
	}
	slices.SortFunc(out, bytes.Compare)
	return out
}

// encodeTopDownMsg is m in RLP with every big.Int set, as the gateway
// stores it, so it decodes to the same message.
func encodeTopDownMsg(m gateway.TopDownMsg) (rlp.RawValue, error) {
	if m.Msg.Value == nil {
		m.Msg.Value = new(big.Int)
	}
	if m.Config.Validator.Collateral == nil {
		m.Config.Validator.Collateral = new(big.Int)
	}
	return rlp.EncodeToBytes(&m)
}
