package blocksync

import (
	"context"
	"errors"
	"testing"

	"github.com/aspen-chain/aspen/p2p"
)

// Fuzz targets for the block-sync frames a peer sends: requests to our
// server and answers to our requests. `make fuzz` runs them (tools/fuzz).

// wireHost is a p2p.Host without a network: Handle keeps the handler and
// Request answers with a fixed payload, so fuzz inputs reach the codec and
// its checks directly.
type wireHost struct {
	p2p.Host // nil: only the methods below are called
	handler  p2p.RequestHandler
	answer   []byte
}

func (h *wireHost) Handle(_ string, fn p2p.RequestHandler) { h.handler = fn }

func (h *wireHost) Request(context.Context, string, string, []byte) ([]byte, error) {
	return h.answer, nil
}

// FuzzServeRequest feeds a request to the server of a small chain. It must
// answer or fail with a blocksync error, never panic, and what it answers
// must decode and stay within the message cap.
func FuzzServeRequest(f *testing.F) {
	chain := newChain(f, 4, 0)
	host := &wireHost{}
	Serve(host, subnet, chain)
	for _, req := range []*request{{Kind: kindStatus}, {Kind: kindBlocks, From: 1, Max: 2}, {Kind: kindBlocks, From: 0, Max: 1 << 62}, {Kind: 9}} {
		f.Add(mustEncode(f, req))
	}
	f.Add([]byte{2, 0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := host.handler(context.Background(), "peer", data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrVersion", err)
			}
			return
		}
		if len(resp) > p2p.MaxMessageSize {
			t.Fatalf("answer of %d bytes, over the %d cap", len(resp), p2p.MaxMessageSize)
		}
		var req request
		_ = decode(data, &req)
		if req.Kind == kindStatus {
			var ans statusAnswer
			if err := decode(resp, &ans); err != nil || ans.Height != 3 {
				t.Fatalf("status answer %x: %+v %v", resp, ans, err)
			}
			return
		}
		var ans blocksAnswer
		if err := decode(resp, &ans); err != nil {
			t.Fatalf("blocks answer does not decode: %v", err)
		}
		if uint64(len(ans.Items)) > min(req.Max, MaxBlocksPerRequest) {
			t.Fatalf("asked for %d blocks, got %d", req.Max, len(ans.Items))
		}
		for i, it := range ans.Items {
			if it.Block.Height() != req.From+uint64(i) {
				t.Fatalf("item %d at height %d, asked from %d", i, it.Block.Height(), req.From)
			}
		}
	})
}

// FuzzFetchAnswer feeds a peer's answer to Fetch and Status. Each must
// return a blocksync error or a well-formed result: blocks at consecutive
// heights from the one asked, no more than asked.
func FuzzFetchAnswer(f *testing.F) {
	chain := newChain(f, 4, 0)
	for _, max := range []uint64{1, 3} {
		ans, err := serveBlocks(context.Background(), chain, 1, max)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ans)
	}
	status, err := serveStatus(chain)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(status)
	f.Add(mustEncode(f, &blocksAnswer{}))
	const from, max = 1, 3
	f.Fuzz(func(t *testing.T, data []byte) {
		host := &wireHost{answer: data}
		ctx := context.Background()
		items, err := Fetch(ctx, host, subnet, "peer", from, max)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrBadAnswer) {
				t.Fatalf("fetch error %v wraps no blocksync sentinel", err)
			}
		} else {
			if len(items) > max {
				t.Fatalf("%d items, asked for %d", len(items), max)
			}
			for i, it := range items {
				if it.Block == nil || it.Block.Header == nil || it.Block.Height() != from+uint64(i) {
					t.Fatalf("item %d is not the block at height %d", i, from+i)
				}
			}
		}
		if _, _, err := Status(ctx, host, subnet, "peer"); err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrVersion) {
			t.Fatalf("status error %v wraps no blocksync sentinel", err)
		}
	})
}
