package node

import (
	"fmt"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// parentChain serves a child runtime the messages its parent queued for it,
// read from the parent's runtime on this node (a node runs every ancestor
// of the subnets it validates).
type parentChain struct {
	parent *runtime
	child  types.SubnetID
}

// TopDown implements evm.ParentChain: ref must be a committed (final) block
// of the parent as this node sees it.
func (p parentChain) TopDown(ref types.ParentRef, from uint64) ([]gateway.TopDownMsg, error) {
	if ref.Height > p.parent.head.Load().Height {
		return nil, fmt.Errorf("parent block %d is not final here yet", ref.Height)
	}
	h, err := p.parent.store.HeaderByNumber(ref.Height)
	if err != nil {
		return nil, fmt.Errorf("parent block %d: %w", ref.Height, err)
	}
	if h.Hash() != ref.Hash {
		return nil, fmt.Errorf("parent block %d is %s here, not %s", ref.Height, h.Hash(), ref.Hash)
	}
	gs, err := p.parent.exec.GatewayState(h)
	if err != nil {
		return nil, err
	}
	msgs, err := gateway.ReadTopDown(gs, p.parent.id, p.child, from, 256)
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// parentRef is the child driver's view of its parent's newest final block.
func (rt *runtime) parentRef() types.ParentRef {
	if rt.parent == nil {
		return rt.head.Load().ParentRef
	}
	h := rt.parent.head.Load()
	return types.ParentRef{Height: h.Height, Hash: h.Hash()}
}

// parentWork reports whether this subnet has work its parent gives it:
// messages the parent's newest final block queued that the head has not
// applied, or something for the parent that no committed checkpoint carries
// yet — up messages beyond the parent's upApplied (sent since, or left over
// when a checkpoint was full) or a validator-set change applied since the
// last checkpoint height (a leaver's collateral waits for one). An idle
// subnet with such work keeps making blocks at block time, through as many
// checkpoints as it takes, instead of resting with value in flight. It
// opens the parent's and the head's gateway state once each; false for the
// root and on any read error.
func (rt *runtime) parentWork() bool {
	if rt.parent == nil {
		return false
	}
	head := rt.head.Load()
	pgs, err := rt.parent.exec.GatewayState(rt.parent.head.Load())
	if err != nil {
		return false
	}
	now, err := rt.exec.GatewayState(head)
	if err != nil {
		return false
	}
	if gateway.TopDownNonce(pgs, rt.parent.id, rt.id) > gateway.AppliedTopDown(now) {
		return true
	}
	if rt.period == 0 {
		return false
	}
	if gateway.UpNonce(now) > gateway.UpApplied(pgs, rt.parent.id, rt.id) {
		return true
	}
	if head.Height%rt.period == 0 {
		return false
	}
	last, err := rt.store.HeaderByNumber(head.Height - head.Height%rt.period)
	if err != nil {
		return false
	}
	then, err := rt.exec.GatewayState(last)
	if err != nil {
		return false
	}
	c1, _, _ := gateway.ReadOwnSet(now)
	c0, _, _ := gateway.ReadOwnSet(then)
	return c1 != c0
}
