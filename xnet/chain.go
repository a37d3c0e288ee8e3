package xnet

import (
	"fmt"

	"github.com/aspen-chain/aspen/types"
)

// Built is one assembled checkpoint with its encoding and Link.
type Built struct {
	Checkpoint *types.Checkpoint
	Encoded    []byte // types.EncodeCheckpoint(Checkpoint), what the parent is sent
	Link       Link   // Link.Hash is Checkpoint.Hash()
}

// Chain is the chain of a subnet's checkpoints after a base Link, built on
// demand and memoized. Its base is the zero Link (the chain starts at the
// first period) or a checkpoint the parent committed (Rebase), so a node that
// restarts recomputes exactly the checkpoints it computed before, without
// replaying the subnet's whole history. It is not safe for concurrent use.
type Chain struct {
	view   ChildView
	params Params
	base   Link
	built  []*Built // consecutive checkpoints after base, one period apart
}

// NewChain returns a chain of the checkpoints after base.
func NewChain(view ChildView, p Params, base Link) (*Chain, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	if base.Height%p.Period != 0 {
		return nil, fmt.Errorf("%w: base height %d is not a multiple of the period %d", ErrParams, base.Height, p.Period)
	}
	return &Chain{view: view, params: p, base: base}, nil
}

// Base is the Link the chain builds on.
func (c *Chain) Base() Link { return c.base }

// Top is the Link of the newest checkpoint built, or Base if none is.
func (c *Chain) Top() Link {
	if len(c.built) == 0 {
		return c.base
	}
	return c.built[len(c.built)-1].Link
}

// At returns the checkpoint at height, building it and every missing one
// below it. height must be a multiple of the period above Base's height. A
// failed build keeps those below it and is retried on the next call.
func (c *Chain) At(height uint64) (*Built, error) {
	p := c.params.Period
	if height%p != 0 {
		return nil, fmt.Errorf("%w: height %d is not a multiple of the period %d", ErrNotNext, height, p)
	}
	if height <= c.base.Height {
		return nil, fmt.Errorf("%w: checkpoint %d, base at %d", ErrPruned, height, c.base.Height)
	}
	for top := c.Top(); top.Height < height; top = c.Top() {
		cp, enc, link, err := Build(c.view, c.params, top.Height+p, top)
		if err != nil {
			return nil, err
		}
		c.built = append(c.built, &Built{Checkpoint: cp, Encoded: enc, Link: link})
	}
	return c.built[(height-c.base.Height)/p-1], nil
}

// Rebase moves the chain's base to l, a checkpoint the parent committed,
// dropping what is below it. If the chain had built a different checkpoint
// at l's height, it drops everything built, rebases on l anyway (the parent
// accepts only checkpoints that follow what it committed) and returns an
// error wrapping ErrChainMismatch. A Link below the base is old news and
// changes nothing.
func (c *Chain) Rebase(l Link) error {
	if l.Height%c.params.Period != 0 {
		return fmt.Errorf("%w: height %d is not a multiple of the period %d", ErrNotNext, l.Height, c.params.Period)
	}
	switch {
	case l.Height < c.base.Height:
		return nil
	case l.Height == c.base.Height:
		if l == c.base {
			return nil
		}
		mine := c.base
		c.base, c.built = l, nil
		return fmt.Errorf("%w: at height %d: parent has %s (up nonce %d), this node based its chain on %s (up nonce %d)",
			ErrChainMismatch, l.Height, l.Hash, l.UpNonce, mine.Hash, mine.UpNonce)
	case l.Height > c.Top().Height:
		c.base, c.built = l, nil
		return nil
	}
	i := (l.Height-c.base.Height)/c.params.Period - 1
	if mine := c.built[i].Link; mine != l {
		c.base, c.built = l, nil
		return fmt.Errorf("%w: at height %d: parent has %s (up nonce %d), this node built %s (up nonce %d)",
			ErrChainMismatch, l.Height, l.Hash, l.UpNonce, mine.Hash, mine.UpNonce)
	}
	c.base, c.built = l, append([]*Built(nil), c.built[i+1:]...)
	return nil
}
