package node

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// parentChain serves a child runtime the messages its parent queued for it,
// read from the parent's chain on this node (a node runs every ancestor of
// the subnets it validates).
type parentChain struct {
	parent chainView
	child  types.SubnetID
}

// TopDown implements evm.ParentChain: ref must be a committed (final) block
// of the parent as this node sees it.
func (p parentChain) TopDown(ref types.ParentRef, from uint64) ([]gateway.TopDownMsg, error) {
	h, err := p.parent.HeaderAt(ref.Height)
	if err != nil {
		return nil, fmt.Errorf("parent block %d: %w", ref.Height, err)
	}
	if h.Hash() != ref.Hash {
		return nil, fmt.Errorf("parent block %d is %s here, not %s", ref.Height, h.Hash(), ref.Hash)
	}
	gs, err := p.parent.GatewayAt(ref.Height)
	if err != nil {
		return nil, err
	}
	return gateway.ReadTopDown(gs, p.parent.ID(), p.child, from, 256)
}

// parentRef is the child driver's view of its parent's newest final block.
func (rt *runtime) parentRef() types.ParentRef {
	if rt.parent == nil {
		return rt.head.Load().ParentRef
	}
	h := rt.parent.Final()
	return types.ParentRef{Height: h.Height, Hash: h.Hash()}
}

// parentWorkSeen is parentWork's last answer and what it depends on: the
// parent's gateway storage and the child's final head. An idle child is
// asked at every block of its parent, whose gateway rarely changes.
type parentWorkSeen struct {
	parentRoot, head common.Hash
	period           uint64
	work, valid      bool
}

// answer is parentWork, answered again without reading when neither the
// parent's gateway nor the child's final head moved since s was set.
func (s *parentWorkSeen) answer(child, parent chainView, period uint64) bool {
	pgs, _, err := headGateway(parent)
	if err != nil {
		return false
	}
	root, known := gatewayRoot(pgs)
	head := child.Final().Hash()
	if known && s.valid && s.parentRoot == root && s.head == head && s.period == period {
		return s.work
	}
	work := parentWorkIn(pgs, child, parent, period)
	*s = parentWorkSeen{parentRoot: root, head: head, period: period, work: work, valid: known}
	return work
}

// checkpointsAhead is how many checkpoint periods past the parent's last
// committed checkpoint a child with up messages in flight makes blocks.
const checkpointsAhead = 2

// parentWork reports whether child has work its parent gives it: messages
// the parent's newest final block queued that the child's head has not
// applied, or something for the parent that no committed checkpoint carries
// yet — up messages beyond the parent's upApplied (sent since, or left over
// when a checkpoint was full) or a validator-set change applied since the
// last checkpoint height (a leaver's collateral waits for one). An idle
// subnet with such work keeps making blocks at block time, through as many
// checkpoints as it takes, instead of resting with value in flight. period
// is the child's checkpoint period (0: none). It opens the parent's and the
// head's gateway state once each; false on any read error.
func parentWork(child, parent chainView, period uint64) bool {
	pgs, _, err := headGateway(parent)
	if err != nil {
		return false
	}
	return parentWorkIn(pgs, child, parent, period)
}

// parentWorkIn is parentWork with the parent's gateway state pgs opened.
func parentWorkIn(pgs gateway.StateReader, child, parent chainView, period uint64) bool {
	now, head, err := headGateway(child)
	if err != nil {
		return false
	}
	if gateway.TopDownNonce(pgs, parent.ID(), child.ID()) > gateway.AppliedTopDown(now) {
		return true
	}
	if period == 0 {
		return false
	}
	if gateway.UpNonce(now) > gateway.UpApplied(pgs, parent.ID(), child.ID()) {
		// ...but only while the parent keeps up: checkpoints are committed
		// one after the other, so heights more than checkpointsAhead periods
		// past the parent's last make checkpoints that wait in line. Under a
		// slow parent (pow, 12 s to finality) a child that kept making
		// blocks at 200 ms would queue checkpoints faster than they commit
		// and fall further behind for good (seen on the layered devnet); it
		// goes on once the parent has taken the next one.
		last, _, _ := gateway.LastCheckpoint(pgs, parent.ID(), child.ID())
		return head.Height < last+checkpointsAhead*period
	}
	if head.Height%period == 0 {
		return false
	}
	then, err := child.GatewayAt(head.Height - head.Height%period)
	if err != nil {
		return false
	}
	c1, _, _ := gateway.ReadOwnSet(now)
	c0, _, _ := gateway.ReadOwnSet(then)
	return c1 != c0
}
