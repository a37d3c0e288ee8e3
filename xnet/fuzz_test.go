package xnet

import (
	"errors"
	"testing"

	"github.com/aspen-chain/aspen/types"
)

// FuzzPeerSignature feeds a gossiped checkpoint signature message to a
// relayer that has built the checkpoint at height 10. Every refusal must
// wrap one of the package's sentinels (so gossip can tell a faulty peer
// from a late one), and no input may count more power than the set holds.
// `make fuzz` runs it (tools/fuzz).
func FuzzPeerSignature(f *testing.F) {
	keys := testKeys(f, 5) // key 4 holds no seat
	view := &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}
	chain := expectedChain(f, view, testParams, 30)
	b10, b20 := chain[0], chain[1]
	f.Add(signatureB(f, b10, keys[2], 2))
	f.Add(signatureB(f, b10, keys[4], 3))
	f.Add(signatureB(f, b20, keys[1], 1))
	f.Add(encodeSig(f, &types.CheckpointSignature{Subnet: "/devnet/other", Height: 10, Hash: b10.Link.Hash, Validator: 1, Signature: make([]byte, 96)}))
	f.Add(encodeSig(f, &types.CheckpointSignature{Subnet: string(testSubnet), Height: 15, Validator: 9}))
	sentinels := []error{ErrMalformedSignature, ErrWrongSubnet, ErrWrongHeight, ErrStale, ErrUnknownCheckpoint,
		ErrUnknownValidator, ErrDuplicateSignature, ErrForgedSignature, ErrBufferFull}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := New(Config{Params: testParams, View: view, Signers: newSigners(keys[:4]), Key: keys[0]})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Step(ParentCommitted(Link{})); err != nil {
			t.Fatal(err)
		}
		if err := r.Step(Final{Height: 10}); err != nil {
			t.Fatal(err)
		}
		r.Advance()
		err = r.Step(PeerSignature{From: "peer", Data: data})
		if err != nil {
			known := false
			for _, s := range sentinels {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("error %v wraps no xnet sentinel", err)
			}
		}
		if p := r.Status().NextPower; p > 40 {
			t.Fatalf("%d power counted of a set of 40", p)
		}
	})
}
