package evm

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/execution/witness"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// FraudChecker is the gateway's FraudVerifier: it re-executes a child's
// block from its witness with the stateless executor, the child's parent
// queue read from the parent gateway (CROSSNET.md, "Fraud proofs").
type FraudChecker struct {
	// Genesis derives the child's genesis from what its parent's gateway
	// records of it (the node: the genesis every node of the child builds).
	Genesis func(g *gateway.ChildGenesis) (*config.Genesis, error)
	// Opts are the child executor's verifiers (Evidence, Pow, Fraud): the
	// child's blocks may call its own gateway's proofs.
	Opts Options
}

var _ gateway.FraudVerifier = (*FraudChecker)(nil)

// CheckTransition is gateway.FraudVerifier's: err when the proof is not one
// (a malformed or incomplete witness, one for another parent, a body that
// is not the header's), otherwise fault says where the block departs from
// its header, nil when it does not.
func (f *FraudChecker) CheckTransition(g *gateway.ChildGenesis, block *types.Block, raw []byte, queue gateway.TopDownQueue) (fault, err error) {
	gen, err := f.Genesis(g)
	if err != nil {
		return nil, fmt.Errorf("the child's genesis: %w", err)
	}
	opts := f.Opts
	var pow *unjudgedPow
	if opts.Pow != nil {
		pow = &unjudgedPow{PowVerifier: opts.Pow}
		opts.Pow = pow
	}
	s, err := NewStateless(gen, opts)
	if err != nil {
		return nil, err
	}
	w, err := witness.Decode(raw, witness.Limits{})
	if err != nil {
		return nil, err
	}
	fault, err = s.checkTransition(w, block, queue)
	if err == nil && pow != nil && pow.asked {
		return nil, fmt.Errorf("block %d submits the first checkpoint of a PoW subnet of %s, whose genesis a re-execution here cannot derive: it cannot be judged", block.Height(), g.ID)
	}
	return fault, err
}

// unjudgedPow is the child's PoW verifier inside a re-execution: a
// grandchild's genesis hash needs the child's own headers, which the parent
// does not hold, so a block that asks for one cannot be judged (answering
// wrongly would prove fraud against an honest block).
type unjudgedPow struct {
	gateway.PowVerifier
	asked bool
}

func (p *unjudgedPow) ChildGenesisHash(g *gateway.ChildGenesis) (common.Hash, error) {
	p.asked = true
	return common.Hash{}, fmt.Errorf("evm: the genesis of %s cannot be derived in a fraud proof's re-execution", g.ID)
}

// checkTransition executes block on w's state with the parent chain's
// queue read from queue. Only what the proof itself gets wrong is err:
// whatever a complete, matching witness shows the block doing other than
// its header says is fault.
func (s *Stateless) checkTransition(w *witness.Witness, block *types.Block, queue ParentChain) (fault, err error) {
	parent := w.Parent()
	h := block.Header
	switch {
	case parent.Hash() != h.ParentHash:
		return nil, fmt.Errorf("%w: witness is for a child of block %d %s, block %d has parent %s", ErrWitnessMismatch, parent.Height, parent.Hash(), h.Height, h.ParentHash)
	case types.TxRoot(block.Txs) != h.TxRoot:
		return nil, fmt.Errorf("%w: the transactions given are not block %d's: their root is %s, the header's %s", ErrWitnessMismatch, h.Height, types.TxRoot(block.Txs), h.TxRoot)
	case types.EvidenceHash(block.Evidence) != h.EvidenceHash:
		return nil, fmt.Errorf("%w: the evidence given is not block %d's", ErrWitnessMismatch, h.Height)
	}
	hs := &witnessHashes{headers: w.Headers}
	src := &blockSource{state: witnessDB(w), hashes: hs.hash}
	q := &answeringQueue{q: queue}
	if !s.e.genesis.ID().IsRoot() {
		src.parent = q
	}
	_, err = s.e.replay(parent, block, src)
	switch {
	case hs.missing != nil:
		return nil, fmt.Errorf("%w: block %d: %w", ErrWitnessIncomplete, h.Height, hs.missing)
	case err != nil && (errors.Is(err, errStateRead) || errors.Is(err, errNoTopDown)):
		return nil, fmt.Errorf("%w: block %d: %w", ErrWitnessIncomplete, h.Height, err)
	case q.err != nil:
		// The parent chain could not answer (a reference not yet final
		// here): nothing is proven either way.
		return nil, fmt.Errorf("block %d reads its parent's queue: %w", h.Height, q.err)
	case err != nil:
		return fmt.Errorf("block %d %s: %w", h.Height, block.Hash(), err), nil
	}
	return nil, nil
}

// answeringQueue remembers whether the parent chain failed to answer.
type answeringQueue struct {
	q   ParentChain
	err error
}

func (a *answeringQueue) TopDown(ref types.ParentRef, from uint64) ([]gateway.TopDownMsg, error) {
	msgs, err := a.q.TopDown(ref, from)
	if err != nil && a.err == nil {
		a.err = err
	}
	return msgs, err
}
