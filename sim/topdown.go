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
// up to parent height h2 after the last one it applied, keeping that nonce in
// its state. The state root commits to the reference, the applied range and
// the queues, so a block that claims other messages than its reference gives
// has another root than the one its validators compute.
type topdown struct {
	t      *tree
	chain  int
	node   int  // the physical node
	honest bool // byzantine nodes lie in the child blocks they propose
	app    *app // the application this is part of
	// states has one entry per height of the app's chain; [0] is genesis.
	states []tdState
	parent *app // this node's application of the parent chain; nil at the root
	// last is the checker's count, not the application's: the last nonce
	// this node applied, each once and in order from 1.
	last uint64
	bu   buNode // the bottom-up checker's counts, for a parent chain
}

// tdState is the toy top-down state after one block.
type tdState struct {
	ref      types.ParentRef
	from, to uint64 // nonces applied by this block; none when from > to
	applied  uint64 // last nonce applied so far
	v        valState
}

func genesisTD() tdState { return tdState{from: 1} }

func (d *topdown) head() tdState { return d.states[len(d.states)-1] }

// next is the executor: the state after a block with reference ref on prev.
func (d *topdown) next(prev tdState, ref types.ParentRef) tdState {
	st := tdState{ref: ref, from: 1, applied: prev.applied}
	if d.parent == nil || ref.Height <= prev.ref.Height {
		return st
	}
	after := prev.applied
	if d.t.knobs.byHeights {
		after = d.t.queued(d.chain, prev.ref.Height) // broken on purpose: trusts the reference to only move forward
	}
	if n := d.t.queued(d.chain, ref.Height); n > after {
		st.from, st.to, st.applied = after+1, n, n
		if d.t.knobs.reapply && after > 0 {
			st.from = after // broken on purpose: the last message again
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
	b = appendVal(b, st.v)
	return gethcrypto.Keccak256Hash(parentRoot[:], st.ref.Hash[:], b)
}

// build stamps h, a block on the app's head, with the newest parent block
// final at this node (never moving backwards) and the state root. A
// byzantine proposer lies about the reference or the messages it applies.
func (d *topdown) build(h *types.Header) {
	prev := d.head()
	ref := prev.ref
	if d.parent != nil && !(d.honest && d.t.knobs.stuckRef) {
		if p := d.parent.head(); p.Height() > ref.Height {
			ref = types.ParentRef{Height: p.Height(), Hash: p.Hash()}
		}
	}
	st := d.next(prev, ref)
	kind := lieNone
	if !d.honest && d.parent != nil {
		ref, st, kind = d.lie(prev, ref, st)
	}
	incs := d.chooseCheckpoints(prev)
	if !d.honest && kind == lieNone && len(d.t.children[d.chain]) > 0 {
		incs, kind = d.lieCheckpoints(prev, h.Height, incs)
	}
	d.execValue(prev, &st, h.Height, incs)
	h.TxRoot = d.t.putBody(incs)
	h.ParentRef = ref
	h.StateRoot = d.root(d.app.head().Header.StateRoot, h.Height, st)
	d.t.claims[h.StateRoot] = st
	d.t.built(h.StateRoot, kind)
}

// verify is what an honest validator checks of the top-down part of a
// block on the app's head before it prevotes: no reference at the root; a
// reference that stays, or moves forward to a parent block this node holds
// as final; and, re-executing the messages the reference gives, the block's
// state root. The tree's knobs switch single checks off.
func (d *topdown) verify(h *types.Header) error {
	err := d.rules(h)
	if err != nil && d.honest {
		d.t.refused(h.StateRoot)
	}
	return err
}

func (d *topdown) rules(h *types.Header) error {
	prev, ref, k := d.head(), h.ParentRef, d.t.knobs
	if d.parent == nil && ref != (types.ParentRef{}) {
		return fmt.Errorf("%w: block %d of a root chain has a parent reference", errBadBlock, h.Height)
	}
	if ref != prev.ref {
		if !k.allowBackwards && ref.Height <= prev.ref.Height {
			return fmt.Errorf("%w: block %d moves its parent reference back or sideways, from %d %x to %d %x", errBadBlock, h.Height, prev.ref.Height, prev.ref.Hash[:4], ref.Height, ref.Hash[:4])
		}
		if p := d.parent; !k.acceptUnfinal && !k.lagExec && (ref.Height > p.height() || p.chain[ref.Height].Block.Hash() != ref.Hash) {
			return fmt.Errorf("%w: block %d references parent block %d %x, not final here (parent head %d)", errBadBlock, h.Height, ref.Height, ref.Hash[:4], p.height())
		}
	}
	incs, err := d.t.body(h.TxRoot)
	if err != nil {
		return err
	}
	if err := d.checkCheckpoints(prev, h.Height, incs); err != nil {
		return err
	}
	if k.trustRoot {
		return nil
	}
	want := d.next(prev, ref)
	d.execValue(prev, &want, h.Height, incs)
	if root := d.root(d.app.head().Header.StateRoot, h.Height, want); h.StateRoot != root {
		return fmt.Errorf("%w: block %d has a wrong top-down state root", errBadBlock, h.Height)
	}
	return nil
}

// push executes a final block that passed the chain checks and records the
// state after it. An honest node compares the state root it computed with
// the block's, and the tree checks what it applied.
func (d *topdown) push(h *types.Header) {
	prev, k := d.head(), d.t.knobs
	exec := h.ParentRef
	if p := d.parent; k.lagExec && p != nil && exec.Height > p.height() {
		// Broken on purpose: apply what the local parent chain has, not what the reference gives.
		exec = types.ParentRef{Height: p.height(), Hash: p.head().Hash()}
	}
	st := d.next(prev, exec)
	st.ref = h.ParentRef
	incs, err := d.t.body(h.TxRoot)
	if err != nil {
		d.t.failf(ErrValidity, "node %d: final block %d of %s: %v", d.node, h.Height, d.app.subnet, err)
	}
	d.execValue(prev, &st, h.Height, incs)
	if claim, ok := d.t.claims[h.StateRoot]; ok && k.trustRoot {
		st = claim
	}
	if d.honest {
		if !k.noRootCompare && !k.trustRoot {
			if root := d.root(d.app.head().Header.StateRoot, h.Height, st); root != h.StateRoot {
				d.t.failf(ErrValidity, "node %d executed final block %d of %s to state root %x, the block says %x", d.node, h.Height, d.app.subnet, root[:4], h.StateRoot[:4])
			}
		}
		if d.parent != nil {
			d.t.observe(d, prev, st, len(d.states), h.StateRoot)
		}
		d.t.finalLie(h.StateRoot)
		d.t.observeUp(d, st, h.Height, incs)
	}
	d.recordUp(h.Height, h.Hash(), st)
	d.states = append(d.states, st)
}
