package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/periodcheck"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/witnesssync"
)

// serveWitnesses answers p2p.WitnessProtocol for every subnet the node runs
// and opens the fetcher jurors use: this node's own store first, then the
// peers of the child's consensus topic.
func (n *Node) serveWitnesses() {
	sources := func(id types.SubnetID) witnesssync.Source {
		if rt := n.runtime(id); rt != nil {
			return witnessSource{rt}
		}
		return nil
	}
	witnesssync.Serve(n.host, witnesssync.ServerConfig{Sources: sources, Log: n.log})
	n.witnesses = witnesssync.NewFetcher(witnesssync.FetcherConfig{Host: n.host, Local: sources, Log: n.log})
}

// witnessSource serves a runtime's final blocks with witnesses built on
// demand (Executor.Witness, as aspen_getWitness).
type witnessSource struct{ rt *runtime }

var _ witnesssync.Source = witnessSource{}

func (s witnessSource) Final() *types.Header { return s.rt.Final() }

func (s witnessSource) BlockByNumber(h uint64) (*types.Block, error) {
	if h > s.rt.Final().Height {
		return nil, fmt.Errorf("%w: block %d is above the final head", witnesssync.ErrNotHeld, h)
	}
	return s.rt.store.BlockByNumber(h)
}

func (s witnessSource) Witness(hash common.Hash) ([]byte, error) {
	w, err := s.rt.exec.Witness(hash)
	switch {
	case errors.Is(err, evm.ErrNoParentState):
		return nil, fmt.Errorf("%w: %w", witnesssync.ErrNotHeld, err)
	case errors.Is(err, evm.ErrWitnessBusy):
		return nil, fmt.Errorf("%w: %w", witnesssync.ErrBusy, err)
	case err != nil:
		return nil, err
	}
	return w.Encode()
}

// ErrNoParentRuntime: VerifyPeriod needs the child's parent run here.
var ErrNoParentRuntime = errors.New("node: this node does not run the parent of the subnet")

// VerifyPeriod judges the checkpoint cp of child committed on its parent,
// which this node runs: it fetches the period's blocks and witnesses (own
// store first, then the child's peers), re-executes each with the parent's
// FraudChecker reading the child's top-down messages from the parent's
// final gateway state, and returns the verdict (periodcheck.Verdict). An
// error judges nothing: ask again (the parent may be behind, or no peer
// serves the period).
func (n *Node) VerifyPeriod(ctx context.Context, child types.SubnetID, cp *types.Checkpoint) (*periodcheck.Verdict, error) {
	prt := n.runtime(child.Parent())
	if prt == nil || child.IsRoot() {
		return nil, fmt.Errorf("%w: %s", ErrNoParentRuntime, child)
	}
	if n.witnesses == nil {
		return nil, fmt.Errorf("node: verifying a period of %s needs p2p (set p2p.listen)", child)
	}
	gs, _, err := headGateway(&prt.chain)
	if err != nil {
		return nil, err
	}
	cg, err := gateway.ReadChildGenesis(gs, prt.id, child)
	if err != nil {
		return nil, err
	}
	pow := newPowVerifier(prt.store.HeaderByNumber)
	v := &periodcheck.Verifier{Fetch: n.witnesses, Checker: newFraudChecker(kindEvidence, pow)}
	return v.Verify(ctx, periodcheck.Period{Child: cg, Checkpoint: cp, Queue: parentChain{parent: &prt.chain, child: child}})
}
