package node

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

// Work-proven checkpoints (CROSSNET.md, "Bottom-up from a PoW child"): a
// PoW child's checkpoints are signed by nobody. Every node of the child
// submits each one to the parent's gateway as submitPowCheckpoint, with the
// child's header segment from the last committed checkpoint's block to
// confirmations past the new one and a state proof of the child gateway's
// counters; the first to land commits it, later ones are cheap no-ops.

// powVerifier is the gateway.PowVerifier of one chain: it checks the
// headers of that chain's PoW children by their engine's rules, and knows
// their genesis hashes by building their genesis as their nodes do.
type powVerifier struct {
	// headerAt is this chain's block at a height (its canonical chain, as
	// BLOCKHASH reads it): the block that activated a child dates its genesis.
	headerAt func(height uint64) (*types.Header, error)
	mu       sync.Mutex
	genesis  map[genesisKey]common.Hash
}

// genesisKey names a child's genesis: the child and the block that activated it.
type genesisKey struct {
	activatedBy common.Hash
	id          types.SubnetID
}

var _ gateway.PowVerifier = (*powVerifier)(nil)

func newPowVerifier(headerAt func(uint64) (*types.Header, error)) *powVerifier {
	return &powVerifier{headerAt: headerAt, genesis: map[genesisKey]common.Hash{}}
}

// ChildGenesisHash is the hash of block 0 of the child g: childGenesis, as
// every node of the child derives it, built in memory.
func (v *powVerifier) ChildGenesisHash(g *gateway.ChildGenesis) (common.Hash, error) {
	at, err := v.headerAt(g.ActivatedAt)
	if err != nil {
		return common.Hash{}, fmt.Errorf("block %d, which activated %s: %w", g.ActivatedAt, g.ID, err)
	}
	key := genesisKey{at.Hash(), g.ID}
	v.mu.Lock()
	hash, ok := v.genesis[key]
	v.mu.Unlock()
	if ok {
		return hash, nil
	}
	gen, err := childGenesis(g, at)
	if err != nil {
		return common.Hash{}, err
	}
	h, err := evm.GenesisHeader(gen)
	if err != nil {
		return common.Hash{}, err
	}
	hash = h.Hash()
	v.mu.Lock()
	v.genesis[key] = hash
	v.mu.Unlock()
	return hash, nil
}

// CheckHeader checks h against parent by the rules of the child's engine,
// configured as the child's own nodes configure it from the genesis
// childGenesis gives (block time and confirmations from the parent's
// record, the engine's default minimum difficulty).
func (v *powVerifier) CheckHeader(id types.SubnetID, p gateway.Params, parent, h *types.Header) error {
	kind, err := consensus.LookupKind(p.Engine.String())
	if err != nil {
		return err
	}
	if kind.CheckHeader == nil {
		return fmt.Errorf("engine %s has no header rules", kind.Name)
	}
	return kind.CheckHeader(parent, h, consensus.Config{Subnet: id, BlockTimeMs: uint64(p.BlockTimeMs), Confirmations: uint64(p.Confirmations)})
}

// powRelayRetry is how long a submitted checkpoint may take to commit
// before this node submits it again.
const powRelayRetry = 20 * time.Second

// powRelay submits a PoW child's checkpoints to its parent from this node.
type powRelay struct {
	child, parent *runtime
	period, conf  uint64
	log           *slog.Logger
	sentHeight    uint64
	sentAt        time.Time
}

// startPowRelay starts the relay of child, a PoW subnet of parent.
func (n *Node) startPowRelay(ctx context.Context, child, parent *runtime, sn *gateway.Subnet) {
	pr := &powRelay{child: child, parent: parent, period: uint64(sn.Params.CheckpointPeriod),
		conf: uint64(sn.Params.Confirmations), log: child.log}
	child.spawn(func() { pr.run(ctx) })
}

func (pr *powRelay) run(ctx context.Context) {
	childHeads := make(chan *types.Header, 16)
	defer pr.child.heads.Subscribe(childHeads)()
	parentHeads := make(chan *types.Header, 16)
	defer pr.parent.heads.Subscribe(parentHeads)()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if err := pr.step(ctx); err != nil {
			pr.log.Debug("work-proven checkpoint not submitted", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-childHeads:
		case <-parentHeads:
		case <-tick.C:
		}
	}
}

// step submits the next checkpoint once its block is final on the child
// and the child's chain reaches confirmations past it, unless this node
// sent it lately.
func (pr *powRelay) step(ctx context.Context) error {
	gs, _, err := headGateway(&pr.parent.chain)
	if err != nil {
		return err
	}
	p, c := pr.parent.id, pr.child.id
	last, lastHash, _ := gateway.LastCheckpoint(gs, p, c)
	height := last + pr.period
	top := height + pr.conf
	if pr.child.chain.Final().Height < height || pr.child.chain.head.Load().Height < top {
		return nil
	}
	if pr.sentHeight == height && time.Since(pr.sentAt) < powRelayRetry {
		return nil
	}
	data, sizes, err := pr.assemble(height, xnet.Link{Height: last, Hash: lastHash, UpNonce: gateway.UpApplied(gs, p, c)})
	if err != nil {
		return err
	}
	tx, gas, err := pr.parent.sys.CallGateway(ctx, data)
	if err != nil {
		return fmt.Errorf("submitPowCheckpoint of %s at %d: %w", c, height, err)
	}
	pr.sentHeight, pr.sentAt = height, time.Now()
	pr.log.Info("work-proven checkpoint submitted", "height", height, "tx", tx, "parent", p, "gas", gas,
		"headers", top-last+1, "headerBytes", sizes[0], "proofBytes", sizes[1])
	return nil
}

// assemble builds the checkpoint at height after prev and packs its
// submitPowCheckpoint call; sizes are the segment's and the proof's bytes.
func (pr *powRelay) assemble(height uint64, prev xnet.Link) ([]byte, [2]int, error) {
	var sizes [2]int
	ch := &pr.child.chain
	cp, enc, _, err := xnet.Build(childView(ch), xnet.Params{Subnet: ch.id, Period: pr.period}, height, prev)
	if err != nil {
		return nil, sizes, err
	}
	top := height + pr.conf
	hs := make([]*types.Header, 0, top-prev.Height+1)
	for h := prev.Height; h <= top; h++ {
		hdr, err := ch.store.HeaderByNumber(h)
		if err != nil {
			return nil, sizes, err
		}
		if n := len(hs); n > 0 && hdr.ParentHash != hs[n-1].Hash() {
			return nil, sizes, fmt.Errorf("block %d does not extend block %d: the chain is reorganizing", h, h-1)
		}
		hs = append(hs, hdr)
	}
	if at := hs[height-prev.Height]; at.Hash() != cp.BlockHash {
		return nil, sizes, fmt.Errorf("block %d is no longer the checkpoint's", height)
	}
	headers, err := gateway.EncodePowHeaders(hs)
	if err != nil {
		return nil, sizes, err
	}
	ap, err := ch.exec.Proof(hs[height-prev.Height], gateway.Address, gateway.PowProofSlots(prev.UpNonce, len(cp.Messages)))
	if err != nil {
		return nil, sizes, err
	}
	var nodes [][]byte
	seen := map[string]bool{}
	add := func(list []string) error {
		for _, s := range list {
			if seen[s] {
				continue
			}
			seen[s] = true
			b, err := hexutil.Decode(s)
			if err != nil {
				return err
			}
			nodes = append(nodes, b)
		}
		return nil
	}
	if err := add(ap.AccountProof); err != nil {
		return nil, sizes, err
	}
	for _, sp := range ap.StorageProof {
		if err := add(sp.Proof); err != nil {
			return nil, sizes, err
		}
	}
	proof, err := gateway.EncodePowProof(nodes)
	if err != nil {
		return nil, sizes, err
	}
	data, err := gatewayABI.Pack("submitPowCheckpoint", enc, headers, proof)
	sizes = [2]int{len(headers), len(proof)}
	return data, sizes, err
}
