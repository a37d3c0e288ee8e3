package node

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/xnet"
)

// CrossMsgProof is aspen_getCrossMsgProof's answer: a bottom-up message with
// its Merkle proof into the checkpoint that carries it, that checkpoint
// (encoded, so a client can hash it), and whether the parent committed it.
// xnet.VerifyCommittedMessage checks it against the hash the parent's
// gateway holds (subnet(id).lastCheckpointHash, provable by eth_getProof).
type CrossMsgProof struct {
	Proof      *xnet.MessageProof `json:"proof"`
	Checkpoint hexutil.Bytes      `json:"checkpoint"`
	Parent     string             `json:"parent"`
	Committed  bool               `json:"committed"` // the parent's last checkpoint is at or above it
}

// GetCrossMsgProof is aspen_getCrossMsgProof: it looks for id in the up
// queue of every subnet this node serves and proves it in the checkpoint
// that carries it (built from the subnet's final blocks as its validators
// built it). Top-down messages are not in checkpoints: prove them with
// eth_getProof of the parent gateway's storage.
func (a *aspenAPI) GetCrossMsgProof(id common.Hash) (*CrossMsgProof, error) {
	for _, rt := range a.n.runtimeList() {
		if rt.parent == nil || rt.period == 0 {
			continue
		}
		head := rt.Final() // checkpoints carry final blocks only
		gs, err := rt.GatewayAt(head.Height)
		if err != nil {
			return nil, err
		}
		nonce, err := upNonceOf(gs, rt, id)
		if err != nil {
			return nil, err
		}
		if nonce == 0 {
			continue
		}
		chain, err := xnet.NewChain(childView(&rt.chain), xnet.Params{Subnet: rt.id, Period: rt.period}, xnet.Link{})
		if err != nil {
			return nil, err
		}
		for h := rt.period; h <= head.Height; h += rt.period {
			b, err := chain.At(h)
			if err != nil {
				return nil, fmt.Errorf("checkpoint %d of %s: %w", h, rt.id, err)
			}
			if b.Link.UpNonce < nonce {
				continue
			}
			p, err := xnet.ProveMessage(b.Checkpoint, id)
			if err != nil {
				return nil, err
			}
			pgs, _, err := headGateway(rt.parent)
			if err != nil {
				return nil, err
			}
			last, _, _ := gateway.LastCheckpoint(pgs, rt.parent.ID(), rt.id)
			return &CrossMsgProof{Proof: p, Checkpoint: b.Encoded, Parent: string(rt.parent.ID()), Committed: last >= h}, nil
		}
		return nil, fmt.Errorf("message %s is in %s's up queue (nonce %d) but no checkpoint carries it yet: the next comes at height %d",
			id, rt.id, nonce, head.Height-head.Height%rt.period+rt.period)
	}
	return nil, fmt.Errorf("message %s is in the up queue of no subnet this node serves (top-down messages are proven with eth_getProof of the parent gateway's storage)", id)
}

// upNonceOf finds id in rt's up queue: its nonce there, 0 if absent.
func upNonceOf(gs gateway.StateReader, rt *runtime, id common.Hash) (uint64, error) {
	last := gateway.UpNonce(gs)
	for from := uint64(1); from <= last; from += 256 {
		msgs, err := gateway.ReadUp(gs, rt.id, from, 256)
		if err != nil {
			return 0, err
		}
		for i, m := range msgs {
			if m.ID == id {
				return from + uint64(i), nil
			}
		}
	}
	return 0, nil
}
