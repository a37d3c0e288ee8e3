package light

import (
	"strconv"
	"testing"

	"github.com/aspen-chain/aspen/consensus"
)

// BenchmarkVerifyProof is the client's work for one steady-state proof at
// depths 1 to 3, without the network (chainTree): a root block (decode,
// commit certificate, trusted stake), per level a checkpoint with its
// parent gateway's storage proof, and the account proof. It reports the
// proof's size too.
func BenchmarkVerifyProof(b *testing.B) {
	kind, err := consensus.LookupKind("bft")
	if err != nil {
		b.Fatal(err)
	}
	for depth := 1; depth <= 3; depth++ {
		b.Run("depth="+strconv.Itoa(depth), func(b *testing.B) {
			tr := newChainTree(b, depth)
			trusted := validators(tr.keys)
			b.ReportMetric(float64(tr.size().Total()), "proof-bytes")
			b.ResetTimer()
			for range b.N {
				if _, err := tr.verify(kind, trusted); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
