package evm

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/triedb"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/execution/witness"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

var (
	// ErrWitnessIncomplete wraps a stateless run that needed something its
	// witness lacks: a trie node, code, an ancestor's header or the parent
	// chain's messages. A tampered node or code is one of these: it sits
	// under another hash than the one the trie asks for.
	ErrWitnessIncomplete = errors.New("evm: witness lacks what the block reads")
	// ErrWitnessMismatch wraps a witness that is not for the block: another
	// parent, or a block that does not execute to its header on it.
	ErrWitnessMismatch = errors.New("evm: block does not execute to its header on the witness")
)

// Stateless executes blocks of one chain from their witnesses alone, with
// the same code as the executor (system work included): no store, no
// state, no parent chain.
type Stateless struct{ e *Executor }

// NewStateless is a stateless executor for gen's chain. Of opts only
// Evidence and Pow matter (the gateway's verifiers, which a block's
// transactions may call); they must be the chain's nodes' own.
func NewStateless(gen *config.Genesis, opts Options) (*Stateless, error) {
	opts.Parent, opts.Senders = nil, nil
	e, err := newExecutor(gen, opts)
	if err != nil {
		return nil, err
	}
	return &Stateless{e: e}, nil
}

// Verify executes block on the state w proves and returns the state root it
// computes. It fails unless the block extends w's parent header and every
// field of its header (state root, receipts, gas, bloom, next validators)
// is what executing it gives; errors wrap ErrWitnessIncomplete or
// ErrWitnessMismatch and say what was missing or wrong.
func (s *Stateless) Verify(w *witness.Witness, block *types.Block) (common.Hash, error) {
	if err := w.Check(witness.Limits{}); err != nil {
		return common.Hash{}, err
	}
	parent := w.Parent()
	if h := parent.Hash(); h != block.Header.ParentHash {
		return common.Hash{}, fmt.Errorf("%w: witness is for a child of block %d %s, block %d has parent %s",
			ErrWitnessMismatch, parent.Height, h, block.Height(), block.Header.ParentHash)
	}
	hs := &witnessHashes{headers: w.Headers}
	src := &blockSource{state: witnessDB(w), hashes: hs.hash}
	if !s.e.genesis.ID().IsRoot() {
		src.parent = &witnessParent{read: w.TopDown}
	}
	run, err := s.e.replay(parent, block, src)
	switch {
	case hs.missing != nil:
		return common.Hash{}, fmt.Errorf("%w: block %d: %w", ErrWitnessIncomplete, block.Height(), hs.missing)
	case err != nil && (errors.Is(err, errStateRead) || errors.Is(err, errNoTopDown)):
		return common.Hash{}, fmt.Errorf("%w: block %d: %w", ErrWitnessIncomplete, block.Height(), err)
	case err != nil:
		return common.Hash{}, fmt.Errorf("%w: block %d %s: %w", ErrWitnessMismatch, block.Height(), block.Hash(), err)
	}
	return run.header.StateRoot, nil
}

// witnessDB is a state database holding only w's trie nodes and code, each
// under its hash: the parent's state as far as w proves it.
func witnessDB(w *witness.Witness) state.Database {
	mem := rawdb.NewMemoryDatabase()
	hasher := crypto.NewKeccakState()
	hash := func(b []byte) common.Hash {
		var h common.Hash
		hasher.Reset()
		hasher.Write(b)
		hasher.Read(h[:])
		return h
	}
	for _, n := range w.Nodes {
		rawdb.WriteLegacyTrieNode(mem, hash(n), n)
	}
	for _, c := range w.Codes {
		rawdb.WriteCode(mem, hash(c), c)
	}
	return state.NewDatabase(triedb.NewDatabase(mem, triedb.HashDefaults), state.NewCodeDB(mem))
}

// witnessHashes serves BLOCKHASH from a witness's headers and remembers the
// first height it could not.
type witnessHashes struct {
	headers []*types.Header // parent first
	missing error
}

func (s *witnessHashes) hash(n uint64) (common.Hash, error) {
	parent := s.headers[0].Height
	// Block parent-i's hash is headers[i-1].ParentHash, so the last
	// header names one block more than the witness holds.
	if n < parent && parent-n <= uint64(len(s.headers)) {
		return s.headers[parent-n-1].ParentHash, nil
	}
	err := fmt.Errorf("BLOCKHASH(%d) needs the header of block %d, the witness goes back to block %d",
		n, n+1, parent+1-uint64(len(s.headers)))
	if s.missing == nil {
		s.missing = err
	}
	return common.Hash{}, err
}

// errNoTopDown wraps a parent-chain read the witness cannot answer.
var errNoTopDown = errors.New("parent chain messages")

// witnessParent serves the one top-down read a witness recorded.
type witnessParent struct{ read *witness.TopDown }

func (p *witnessParent) TopDown(ref types.ParentRef, from uint64) ([]gateway.TopDownMsg, error) {
	r := p.read
	if r == nil {
		return nil, fmt.Errorf("%w: the block reads its parent's queue at block %d from nonce %d, the witness holds none", errNoTopDown, ref.Height, from)
	}
	if r.Ref != ref || r.From != from {
		return nil, fmt.Errorf("%w: the block reads its parent's queue at block %d %s from nonce %d, the witness holds it at block %d %s from nonce %d",
			errNoTopDown, ref.Height, ref.Hash, from, r.Ref.Height, r.Ref.Hash, r.From)
	}
	msgs := make([]gateway.TopDownMsg, len(r.Msgs))
	for i, raw := range r.Msgs {
		if err := rlp.DecodeBytes(raw, &msgs[i]); err != nil {
			return nil, fmt.Errorf("top-down message %d of the witness: %w", i, err)
		}
	}
	return msgs, nil
}
