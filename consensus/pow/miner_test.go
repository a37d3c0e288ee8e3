package pow_test

import (
	"math"
	"testing"

	"github.com/aspen-chain/aspen/consensus/pow"
	"github.com/aspen-chain/aspen/types"
)

func block(height, difficulty uint64) *types.Block {
	return &types.Block{Header: &types.Header{SubnetID: "/m", Height: height, TimeMs: height * 1000, Difficulty: difficulty}}
}

// TestMinerFindsWorkAndReplacesRequests: a request at an impossible
// difficulty is abandoned for a newer one, whose sealed block comes back
// once, with enough work and the same hash; Stop leaves nothing running.
func TestMinerFindsWorkAndReplacesRequests(t *testing.T) {
	m := pow.NewMiner(2)
	found := make(chan *types.Block, 4)
	send := func(b *types.Block) { found <- b }
	m.Seal(block(1, math.MaxUint64), send) // no nonce will do
	want := block(2, 1<<12)
	m.Seal(want, send)
	got := <-found
	if got.Height() != 2 || got.Hash() != want.Hash() {
		t.Fatalf("sealed block %d %s, want block 2 %s", got.Height(), got.Hash(), want.Hash())
	}
	if err := pow.CheckWork(got.Header); err != nil {
		t.Fatalf("sealed block: %v", err)
	}
	if want.Header.Seal != nil {
		t.Fatal("the miner sealed the request's block in place, not a copy")
	}
	m.Stop()
	select {
	case b := <-found:
		t.Fatalf("a second result (block %d) after the first and Stop", b.Height())
	default:
	}
	if m.Hashes() == 0 {
		t.Fatal("no hashes counted")
	}
	// Difficulty 1 needs no search.
	m.Seal(block(3, 1), send)
	if b := <-found; pow.CheckWork(b.Header) != nil {
		t.Fatal("difficulty 1 block not sealed")
	}
	m.Stop()
}

func BenchmarkMinerHashes(b *testing.B) {
	m := pow.NewMiner(1)
	found := make(chan *types.Block, 1)
	for i := 0; i < b.N; i++ {
		m.Seal(block(uint64(i+1), 1<<16), func(b *types.Block) { found <- b })
		<-found
	}
	m.Stop()
	b.ReportMetric(float64(m.Hashes())/b.Elapsed().Seconds(), "hashes/s")
}
