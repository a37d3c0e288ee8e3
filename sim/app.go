package sim

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// errBadBlock is an application's reason to reject a block.
var errBadBlock = errors.New("sim: block does not extend the committed head")

// app is a node's tiny deterministic application: no EVM, a state root that
// is a hash chain of heights, blocks stamped from the virtual clock, and an
// in-memory chain of final blocks with their commits. chain[0] is genesis.
type app struct {
	subnet   types.SubnetID
	proposer common.Address
	chain    []consensus.Final
	// td, in a tree run, is the top-down side of the application: parent
	// references, queued and applied messages. Nil for a single chain.
	td *topdown
	// lastBuilt is the last block this application built, final or not.
	lastBuilt *types.Block
	// real, in an EVM tree, is the real executor this application is; up
	// is then this node's application of the parent chain (nil at the root).
	real *evmApp
	up   *app
}

func genesisBlock(subnet types.SubnetID) *types.Block {
	return &types.Block{Header: &types.Header{
		SubnetID:  subnet,
		StateRoot: gethcrypto.Keccak256Hash([]byte("aspen-sim genesis state")),
	}}
}

// stateRoot is the root every honest application computes for height on top of parent.
func stateRoot(parent common.Hash, height uint64) common.Hash {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], height)
	return gethcrypto.Keccak256Hash(parent[:], h[:])
}

func (a *app) head() *types.Block { return a.chain[len(a.chain)-1].Block }

func (a *app) height() uint64 { return a.head().Height() }

// build makes the block the driver asks for on parent, which must be the
// head: time, proposer, evidence (and, in a tree, the parent reference) come
// from the driver's attributes.
func (a *app) build(parent *types.Header, attrs execution.Attributes) (*types.Block, error) {
	head := a.head()
	if parent.Hash() != head.Hash() {
		return nil, fmt.Errorf("%w: asked for a block on %d (%x), head is %d (%x)", errBadBlock, parent.Height, parent.Hash().Bytes()[:4], head.Height(), head.Hash().Bytes()[:4])
	}
	ms := attrs.TimeMs
	if ms <= head.Header.TimeMs {
		ms = head.Header.TimeMs + 1
	}
	ev := append([][]byte(nil), attrs.Evidence...)
	height := head.Height() + 1
	b := &types.Block{
		Header: &types.Header{
			SubnetID:     a.subnet,
			Height:       height,
			ParentHash:   head.Hash(),
			TimeMs:       ms,
			Proposer:     attrs.Proposer,
			StateRoot:    stateRoot(head.Header.StateRoot, height),
			EvidenceHash: types.EvidenceHash(ev),
		},
		Evidence: ev,
	}
	if a.td != nil {
		a.td.build(b.Header)
	}
	a.lastBuilt = b
	return b, nil
}

// push appends a final block that passed check.
func (a *app) push(f consensus.Final) {
	if a.td != nil {
		a.td.push(f.Block.Header)
	}
	a.chain = append(a.chain, f)
}

// verify is check plus, in a tree, the top-down rules a validator applies
// before it prevotes: some need its own view of the parent chain, and a
// broken node (the tree's knobs) may skip one.
func (a *app) verify(b *types.Block) error {
	if err := a.check(b); err != nil {
		return err
	}
	if a.td != nil {
		return a.td.verify(b.Header)
	}
	return nil
}

// check reports why b cannot be the next block of this chain, or nil. In a
// tree it leaves the top-down part to verify, and what a final block applied
// to the tree's checker.
func (a *app) check(b *types.Block) error {
	head := a.head()
	h := b.Header
	switch {
	case h == nil:
		return fmt.Errorf("%w: no header", errBadBlock)
	case h.SubnetID != a.subnet:
		return fmt.Errorf("%w: subnet %q", errBadBlock, h.SubnetID)
	case h.Height != head.Height()+1:
		return fmt.Errorf("%w: height %d on head %d", errBadBlock, h.Height, head.Height())
	case h.ParentHash != head.Hash():
		return fmt.Errorf("%w: block %d has parent %x, head is %x", errBadBlock, h.Height, h.ParentHash[:4], head.Hash().Bytes()[:4])
	case a.td == nil && a.real == nil && h.StateRoot != stateRoot(head.Header.StateRoot, h.Height):
		return fmt.Errorf("%w: block %d has a wrong state root", errBadBlock, h.Height)
	case h.EvidenceHash != types.EvidenceHash(b.Evidence):
		return fmt.Errorf("%w: block %d evidence does not match its hash", errBadBlock, h.Height)
	case h.TimeMs <= head.Header.TimeMs:
		return fmt.Errorf("%w: block %d is not later than its parent", errBadBlock, h.Height)
	}
	return nil
}
