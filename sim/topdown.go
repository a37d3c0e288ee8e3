package sim

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/types"
)

// topdown is the top-down side of one node's toy application for one chain
// of a tree: parent blocks queue messages for their children (how many, per
// child and height, follows from the seed), and a child block that moves its
// ParentRef from h1 to h2 applies, in nonce order, the messages queued for it
// up to parent height h2, keeping the last applied nonce in its state. The
// state root commits to the reference, the applied range and the queues, so
// two nodes that apply differently disagree on the root.
type topdown struct {
	t      *tree
	chain  int
	app    *app      // the application this is part of
	states []tdState // one per height of the app's chain; [0] is genesis
	parent *app      // this node's application of the parent chain; nil at the root
}

// tdState is the toy top-down state after one block.
type tdState struct {
	ref      types.ParentRef
	from, to uint64 // nonces applied by this block; none when from > to
	applied  uint64 // last nonce applied so far
}

func genesisTD() tdState { return tdState{from: 1} }

func (d *topdown) head() tdState { return d.states[len(d.states)-1] }

// next is the state after a block at height with reference ref on prev.
func (d *topdown) next(prev tdState, ref types.ParentRef) tdState {
	st := tdState{ref: ref, from: 1, applied: prev.applied}
	if d.parent == nil || ref.Height <= prev.ref.Height {
		return st
	}
	if n := d.t.queued(d.chain, ref.Height); n > prev.applied {
		st.from, st.to, st.applied = prev.applied+1, n, n
		if d.t.reapply && prev.applied > 0 {
			st.from = prev.applied // broken on purpose: the last message again
		}
	}
	return st
}

// root is the toy state root of a block at height on parentRoot.
func (d *topdown) root(parentRoot common.Hash, height uint64, st tdState) common.Hash {
	var b []byte
	for _, v := range []uint64{height, st.ref.Height, st.from, st.to, st.applied} {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	for _, c := range d.t.children[d.chain] {
		b = binary.BigEndian.AppendUint64(b, d.t.queued(c, height))
	}
	return gethcrypto.Keccak256Hash(parentRoot[:], st.ref.Hash[:], b)
}

// build stamps h, a block on the app's head, with the newest parent block
// final at this node (never moving backwards) and the state root.
func (d *topdown) build(h *types.Header) {
	prev := d.head()
	ref := prev.ref
	if d.parent != nil {
		if p := d.parent.head(); p.Height() > ref.Height {
			ref = types.ParentRef{Height: p.Height(), Hash: p.Hash()}
		}
	}
	h.ParentRef = ref
	h.StateRoot = d.root(d.app.head().Header.StateRoot, h.Height, d.next(prev, ref))
}

// check is what any node checks of a block on the app's head: a reference
// that stays or moves forward to a block the parent chain finalized, and the
// state root. Whether the reference is final in this node's own view is
// local's job.
func (d *topdown) check(h *types.Header) error {
	prev := d.head()
	ref := h.ParentRef
	switch {
	case d.parent == nil && ref != (types.ParentRef{}):
		return fmt.Errorf("%w: block %d of a root chain has a parent reference", errBadBlock, h.Height)
	case ref.Height < prev.ref.Height:
		return fmt.Errorf("%w: block %d moves its parent reference back from %d to %d", errBadBlock, h.Height, prev.ref.Height, ref.Height)
	case ref.Height == prev.ref.Height && ref != prev.ref:
		return fmt.Errorf("%w: block %d changes the parent block at height %d", errBadBlock, h.Height, ref.Height)
	case ref != prev.ref && d.t.chains[d.t.parent[d.chain]].finals[ref.Height] != ref.Hash:
		return fmt.Errorf("%w: block %d references parent block %d %x, which the parent chain did not finalize", errBadBlock, h.Height, ref.Height, ref.Hash[:4])
	}
	if want := d.root(d.app.head().Header.StateRoot, h.Height, d.next(prev, ref)); h.StateRoot != want {
		return fmt.Errorf("%w: block %d has a wrong top-down state root", errBadBlock, h.Height)
	}
	return nil
}

// local rejects a block whose new parent reference is not final in this
// node's own view of the parent chain.
func (d *topdown) local(h *types.Header) error {
	ref := h.ParentRef
	if d.parent == nil || ref == d.head().ref {
		return nil
	}
	if ref.Height > d.parent.height() || d.parent.chain[ref.Height].Block.Hash() != ref.Hash {
		return fmt.Errorf("%w: block %d references parent block %d %x, not final here (parent head %d)", errBadBlock, h.Height, ref.Height, ref.Hash[:4], d.parent.height())
	}
	return nil
}

// push records the state after a final block that passed check.
func (d *topdown) push(h *types.Header) {
	d.states = append(d.states, d.next(d.head(), h.ParentRef))
}
