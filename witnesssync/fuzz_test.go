package witnesssync

import (
	"context"
	"errors"
	"testing"

	"github.com/aspen-chain/aspen/p2p"
)

// Fuzz targets for the witness frames a peer sends: requests to our server
// and answers to our requests. `make fuzz` runs them (tools/fuzz).

// FuzzServeRequest feeds a request to the server of a small chain. It must
// always answer (a refusal is an answer), within the message cap, with an
// answer that decodes; items start at the height asked, no more than asked.
func FuzzServeRequest(f *testing.F) {
	src := newSource(4, 64, 1)
	s := NewServer(ServerConfig{Sources: sourcesOf(src), PeerBurst: 1e9, PeerRate: 1e9})
	for _, req := range []*request{{Subnet: string(subnet), From: 1, Count: 2}, {Subnet: string(subnet), From: 3, Count: 1 << 62},
		{Subnet: "/devnet/x", From: 1, Count: 1}, {Subnet: "bad", From: 1, Count: 1}, {Subnet: string(subnet)}} {
		f.Add(mustEncode(f, req))
	}
	f.Add([]byte{2, 0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := s.Handle(context.Background(), "peer", data)
		if err != nil {
			t.Fatalf("handler error %v: every request gets an answer", err)
		}
		if len(resp) > p2p.MaxMessageSize {
			t.Fatalf("answer of %d bytes, over the %d cap", len(resp), p2p.MaxMessageSize)
		}
		var ans answer
		if err := decode(resp, &ans); err != nil {
			t.Fatalf("answer does not decode: %v", err)
		}
		if Code(ans.Code) != CodeOK {
			return
		}
		req, err := decodeRequest(data)
		if err != nil {
			t.Fatalf("a malformed request (%v) got items", err)
		}
		if len(ans.Items) == 0 || uint64(len(ans.Items)) > min(req.Count, MaxBlocksPerRequest) {
			t.Fatalf("asked for %d blocks, got %d", req.Count, len(ans.Items))
		}
		for i, it := range ans.Items {
			if it.Block.Height() != req.From+uint64(i) {
				t.Fatalf("item %d at height %d, asked from %d", i, it.Block.Height(), req.From)
			}
		}
	})
}

// FuzzFetchAnswer feeds a peer's answer to the requester's decoder. It
// must return a witnesssync error or items of the subnet at consecutive
// heights from the one asked, each the parent of the next, no more than asked.
func FuzzFetchAnswer(f *testing.F) {
	src := newSource(5, 64, 1)
	s := NewServer(ServerConfig{Sources: sourcesOf(src)})
	for _, n := range []uint64{1, 3} {
		ans, err := s.Handle(context.Background(), "peer", mustEncode(f, &request{Subnet: string(subnet), From: 1, Count: n}))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ans)
	}
	f.Add(refusal(CodeBusy, "busy"))
	f.Add(mustEncode(f, &answer{Code: 99}))
	const from, count = 1, 3
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := decodeAnswer(data, "peer", subnet, from, count)
		if err != nil {
			known := []error{ErrMalformed, ErrVersion, ErrBadAnswer}
			for _, e := range codeErrs {
				known = append(known, e)
			}
			for _, e := range known {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("error %v wraps no witnesssync sentinel", err)
		}
		if len(items) == 0 || len(items) > count {
			t.Fatalf("%d items, asked for 1 to %d", len(items), count)
		}
		for i, it := range items {
			if it.Block.Height() != from+uint64(i) || it.Block.Header.SubnetID != subnet {
				t.Fatalf("item %d is block %d of %s", i, it.Block.Height(), it.Block.Header.SubnetID)
			}
			if i > 0 && it.Block.Header.ParentHash != items[i-1].Block.Hash() {
				t.Fatalf("item %d does not link to item %d", i, i-1)
			}
		}
	})
}
