package blocksync

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

// ErrNoHead is the answer to Status from a node whose chain has no blocks.
var ErrNoHead = errors.New("blocksync: chain has no head")

// Chain is what Serve reads: the subnet's final blocks and their commits.
type Chain interface {
	// Head is the highest final block's header, or nil before genesis.
	Head() *types.Header
	BlockByNumber(height uint64) (*types.Block, error)
	// Commit is the certificate that the block with hash is final; nil (with
	// no error) for engines whose seal is the proof.
	Commit(hash common.Hash) (*types.Commit, error)
}

// Item is one fetched block and its commit certificate (nil if the serving
// engine has none). Neither is verified.
type Item struct {
	Block  *types.Block
	Commit *types.Commit
}

// Serve answers Status and Fetch requests for subnet from c on h.
func Serve(h p2p.Host, subnet types.SubnetID, c Chain) {
	h.Handle(p2p.BlockSyncProtocol(subnet), func(ctx context.Context, _ string, msg []byte) ([]byte, error) {
		var req request
		if err := decode(msg, &req); err != nil {
			return nil, err
		}
		switch req.Kind {
		case kindStatus:
			return serveStatus(c)
		case kindBlocks:
			return serveBlocks(ctx, c, req.From, req.Max)
		default:
			return nil, fmt.Errorf("%w: unknown request kind %d", ErrMalformed, req.Kind)
		}
	})
}

func serveStatus(c Chain) ([]byte, error) {
	head := c.Head()
	if head == nil {
		return nil, ErrNoHead
	}
	return encode(&statusAnswer{Height: head.Height, Hash: head.Hash()})
}

// serveBlocks answers with consecutive blocks from `from`: at most max (and
// MaxBlocksPerRequest), stopping before the one that would take the answer
// over p2p.MaxMessageSize. Heights above the head give an empty answer.
func serveBlocks(ctx context.Context, c Chain, from, max uint64) ([]byte, error) {
	max = min(max, MaxBlocksPerRequest)
	var (
		items []rlp.RawValue
		size  int
	)
	head := c.Head()
	for h := from; head != nil && h <= head.Height && uint64(len(items)) < max; h++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		item, err := readItem(c, h)
		if err != nil {
			if len(items) > 0 {
				break // serve what we have; the requester asks again from here
			}
			return nil, err
		}
		if size+len(item) > itemBudget {
			if len(items) == 0 {
				return nil, fmt.Errorf("blocksync: block %d is %d bytes, over the %d-byte message cap", h, len(item), itemBudget)
			}
			break
		}
		items = append(items, item)
		size += len(item)
	}
	return encode(&rawBlocksAnswer{Items: items})
}

func readItem(c Chain, h uint64) (rlp.RawValue, error) {
	b, err := c.BlockByNumber(h)
	if err != nil {
		return nil, fmt.Errorf("blocksync: block %d: %w", h, err)
	}
	if b == nil || b.Header == nil || b.Height() != h {
		return nil, fmt.Errorf("blocksync: chain returned no block for height %d", h)
	}
	commit, err := c.Commit(b.Hash())
	if err != nil {
		return nil, fmt.Errorf("blocksync: commit of block %d: %w", h, err)
	}
	item, err := rlp.EncodeToBytes(&wireItem{Block: b, Commit: commit})
	if err != nil {
		return nil, fmt.Errorf("blocksync: encode block %d: %w", h, err)
	}
	return item, nil
}

// Status asks peer for the height and hash of its head on subnet.
func Status(ctx context.Context, h p2p.Host, subnet types.SubnetID, peer string) (height uint64, hash common.Hash, err error) {
	resp, err := call(ctx, h, subnet, peer, &request{Kind: kindStatus})
	if err != nil {
		return 0, common.Hash{}, err
	}
	var ans statusAnswer
	if err := decode(resp, &ans); err != nil {
		return 0, common.Hash{}, fmt.Errorf("blocksync: status from %s: %w", peer, err)
	}
	return ans.Height, ans.Hash, nil
}

// Fetch asks peer for consecutive blocks of subnet from height `from`, at
// most max of them (fewer when they are big, none when the peer does not
// have `from`). It checks the answer's shape (heights from, from+1, ...; no
// more than asked) but not the blocks or commits themselves.
func Fetch(ctx context.Context, h p2p.Host, subnet types.SubnetID, peer string, from uint64, max int) ([]Item, error) {
	if max <= 0 {
		return nil, fmt.Errorf("blocksync: fetch from %s: max must be positive, got %d", peer, max)
	}
	resp, err := call(ctx, h, subnet, peer, &request{Kind: kindBlocks, From: from, Max: uint64(max)})
	if err != nil {
		return nil, err
	}
	var ans blocksAnswer
	if err := decode(resp, &ans); err != nil {
		return nil, fmt.Errorf("blocksync: blocks from %s: %w", peer, err)
	}
	if len(ans.Items) > max {
		return nil, fmt.Errorf("%w: %s sent %d blocks, asked for at most %d", ErrBadAnswer, peer, len(ans.Items), max)
	}
	items := make([]Item, len(ans.Items))
	for i, it := range ans.Items {
		if want := from + uint64(i); it.Block.Header == nil || it.Block.Height() != want {
			return nil, fmt.Errorf("%w: %s sent item %d not at height %d", ErrBadAnswer, peer, i, want)
		}
		items[i] = Item{Block: it.Block, Commit: it.Commit}
	}
	return items, nil
}

func call(ctx context.Context, h p2p.Host, subnet types.SubnetID, peer string, req *request) ([]byte, error) {
	msg, err := encode(req)
	if err != nil {
		return nil, fmt.Errorf("blocksync: encode request: %w", err)
	}
	resp, err := h.Request(ctx, peer, p2p.BlockSyncProtocol(subnet), msg)
	if err != nil {
		return nil, fmt.Errorf("blocksync: %s: %w", subnet, err)
	}
	return resp, nil
}
