package witnesssync

import (
	"context"
	"errors"
	"fmt"

	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

// Item is one block with its encoded execution witness.
type Item struct {
	Block   *types.Block
	Witness []byte
}

// Size is the item's bytes on the wire, about: the block and the witness.
func (it Item) Size() int { return int(it.Block.Size()) + len(it.Witness) }

// Fetch asks peer for up to count blocks of subnet from height from, each
// with its witness (fewer when they are big or the peer has fewer). It
// checks the answer's shape: one to count items, at heights from, from+1,
// ..., of subnet, each block's ParentHash the hash of the one before, no
// witness over MaxItemBytes. It does not check the blocks are the subnet's
// (FetchPeriod links them to a trusted hash) nor the witnesses (Check).
// A refusal wraps the error of its code (ErrNotHeld, ErrBusy, ...).
func Fetch(ctx context.Context, h p2p.Host, peer string, subnet types.SubnetID, from uint64, count int) ([]Item, error) {
	if count <= 0 || from == 0 {
		return nil, fmt.Errorf("witnesssync: fetch from %s: want count > 0 and from > 0, got %d from %d", peer, count, from)
	}
	msg, err := encode(&request{Subnet: string(subnet), From: from, Count: uint64(count)})
	if err != nil {
		return nil, fmt.Errorf("witnesssync: encode request: %w", err)
	}
	resp, err := h.Request(ctx, peer, p2p.WitnessProtocol, msg)
	if err != nil {
		return nil, fmt.Errorf("witnesssync: %s from %s: %w", subnet, peer, err)
	}
	return decodeAnswer(resp, peer, subnet, from, count)
}

// decodeAnswer decodes and shape-checks an answer to a request for count
// blocks of subnet from height from.
func decodeAnswer(resp []byte, peer string, subnet types.SubnetID, from uint64, count int) ([]Item, error) {
	var ans answer
	if err := decode(resp, &ans); err != nil {
		return nil, fmt.Errorf("witnesssync: answer from %s: %w", peer, err)
	}
	if Code(ans.Code) != CodeOK {
		if err, ok := codeErrs[Code(ans.Code)]; ok {
			return nil, fmt.Errorf("%w (%s: %.256q)", err, peer, ans.Text)
		}
		return nil, fmt.Errorf("%w: %s answered with unknown code %d", ErrBadAnswer, peer, ans.Code)
	}
	if len(ans.Items) == 0 || len(ans.Items) > count {
		return nil, fmt.Errorf("%w: %s sent %d items, asked for 1 to %d", ErrBadAnswer, peer, len(ans.Items), count)
	}
	items := make([]Item, len(ans.Items))
	for i, it := range ans.Items {
		want := from + uint64(i)
		switch b := it.Block; {
		case b == nil || b.Header == nil || b.Height() != want:
			return nil, fmt.Errorf("%w: %s sent item %d not at height %d", ErrBadAnswer, peer, i, want)
		case b.Header.SubnetID != subnet:
			return nil, fmt.Errorf("%w: %s sent block %d of %s, asked for %s", ErrBadAnswer, peer, want, b.Header.SubnetID, subnet)
		case i > 0 && b.Header.ParentHash != items[i-1].Block.Hash():
			return nil, fmt.Errorf("%w: %s sent block %d whose parent is not the block %d it sent", ErrBadAnswer, peer, want, want-1)
		case len(it.Witness) == 0 || len(it.Witness) > MaxItemBytes:
			return nil, fmt.Errorf("%w: %s sent a witness of %d bytes for block %d", ErrBadAnswer, peer, len(it.Witness), want)
		}
		items[i] = Item{Block: it.Block, Witness: it.Witness}
	}
	return items, nil
}

// checkLinks checks that items are the blocks from..to of a hash chain
// whose last block hashes to want.
func checkLinks(items []Item, from, to uint64, want [32]byte) error {
	if uint64(len(items)) != to-from+1 {
		return fmt.Errorf("%w: %d blocks for heights %d..%d", ErrBadAnswer, len(items), from, to)
	}
	for i, it := range items {
		if it.Block.Height() != from+uint64(i) {
			return fmt.Errorf("%w: block %d where %d belongs", ErrBadAnswer, it.Block.Height(), from+uint64(i))
		}
		if i > 0 && it.Block.Header.ParentHash != items[i-1].Block.Hash() {
			return fmt.Errorf("%w: block %d does not link to block %d", ErrBadAnswer, it.Block.Height(), it.Block.Height()-1)
		}
	}
	if got := items[len(items)-1].Block.Hash(); got != want {
		return fmt.Errorf("%w: block %d hashes to %s, the trusted hash is %x", ErrBadAnswer, to, got, want)
	}
	return nil
}

// errAnswerBroken reports whether err from one source shows the source
// faulty or lying (ban it) rather than unable (ask another).
func errAnswerBroken(err error) bool {
	return errors.Is(err, ErrBadAnswer) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrVersion) || errors.Is(err, ErrBadItem)
}
