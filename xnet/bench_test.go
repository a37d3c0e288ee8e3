package xnet

import (
	"fmt"
	"testing"

	"github.com/aspen-chain/aspen/crypto"
)

// BenchmarkBuildSignAggregate is one checkpoint's work across a subnet:
// build it (100 messages), every validator signs it, one aggregates the
// signatures into a certificate.
func BenchmarkBuildSignAggregate(b *testing.B) {
	for _, n := range []int{4, 100} {
		b.Run(fmt.Sprintf("validators=%d", n), func(b *testing.B) {
			keys := testKeys(b, n)
			view := &fakeView{Subnet: testSubnet, UpAt: perBlock(10)}
			p := Params{Subnet: testSubnet, Period: 10}
			b.ReportAllocs()
			for b.Loop() {
				cp, _, _, err := Build(view, p, 10, Link{})
				if err != nil {
					b.Fatal(err)
				}
				msg := cp.SigningBytes("devnet")
				sigs := make(map[int][]byte, n)
				for i, k := range keys {
					sigs[i] = k.Sign(msg)
				}
				if _, _, err := crypto.AggregateWithBitmap(n, sigs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCollectSignatures is one relayer's share of a checkpoint: check
// the n-1 peers' signatures as they arrive (crypto.VerifyBLS each).
func BenchmarkCollectSignatures(b *testing.B) {
	for _, n := range []int{4, 100} {
		b.Run(fmt.Sprintf("validators=%d", n), func(b *testing.B) {
			keys := testKeys(b, n)
			view := &fakeView{Subnet: testSubnet, UpAt: perBlock(10)}
			built := expectedChain(b, view, testParams, 10)[0]
			var msgs [][]byte
			for i := 1; i < n; i++ {
				msgs = append(msgs, signatureB(b, built, keys[i], uint32(i)))
			}
			signers := newSigners(keys)
			b.ReportAllocs()
			for b.Loop() {
				r, err := New(Config{Params: testParams, View: view, Signers: signers, Key: keys[0]})
				if err != nil {
					b.Fatal(err)
				}
				_ = r.Step(ParentCommitted(Link{}))
				_ = r.Step(Final{Height: 10})
				for _, m := range msgs {
					if err := r.Step(PeerSignature{Data: m}); err != nil {
						b.Fatal(err)
					}
				}
				if !r.Status().NextQuorum {
					b.Fatal("no quorum")
				}
			}
		})
	}
}

// BenchmarkVerifyCertificate is the parent's check of a submission.
func BenchmarkVerifyCertificate(b *testing.B) {
	for _, n := range []int{4, 100} {
		b.Run(fmt.Sprintf("validators=%d", n), func(b *testing.B) {
			keys := testKeys(b, n)
			view := &fakeView{Subnet: testSubnet, UpAt: perBlock(10)}
			built := expectedChain(b, view, testParams, 10)[0]
			msg := built.Checkpoint.SigningBytes("devnet")
			sigs := make(map[int][]byte, n)
			for i, k := range keys {
				sigs[i] = k.Sign(msg)
			}
			agg, bitmap, err := crypto.AggregateWithBitmap(n, sigs)
			if err != nil {
				b.Fatal(err)
			}
			s := newSigners(keys)
			set, err := crypto.NewKeySet(s.keys, s.powers)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := set.Verify(bitmap, msg, agg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
