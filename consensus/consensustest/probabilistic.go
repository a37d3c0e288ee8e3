package consensustest

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// RunProbabilistic runs the shared suite against the engines f makes,
// engines with finality at a depth (pow) that make blocks alone on a
// single node (they mine). Blocks must come first as tentative head moves
// that extend the chain, and become final exactly depth below the tip, in
// order, never rewound; the safe block lies between final and tip; and
// the engine must be deterministic, keep Ready stable until Advance and
// refuse a block it never asked for.
func RunProbabilistic(t *testing.T, f Factory, depth uint64, maxTicks int) {
	genesis := common.HexToHash("0x6e6573")
	t.Run("FinalAtDepth", func(t *testing.T) {
		h := NewHarness(t, f(t, genesis), genesis)
		h.Drain()
		for i := 0; i < maxTicks && len(h.Final) < 5; i++ {
			h.Ticks(1)
		}
		if len(h.Final) < 5 {
			t.Fatalf("finalized %d blocks in %d ticks, want at least 5", len(h.Final), maxTicks)
		}
		tip := h.Head()
		if got := h.Final[len(h.Final)-1].Block.Height(); got+depth != tip.Height {
			t.Fatalf("final block %d with the tip at %d, want it %d below", got, tip.Height, depth)
		}
		parent := genesis
		for i, fin := range h.Final {
			b := fin.Block
			if b.Height() != uint64(i+1) || b.Header.ParentHash != parent {
				t.Fatalf("final #%d is block %d, not the next on the chain", i, b.Height())
			}
			if h.chain[b.Height()] != b.Hash() {
				t.Fatalf("final block %d was not on the head chain first", b.Height())
			}
			parent = b.Hash()
		}
		if len(h.Moves) == 0 {
			t.Fatal("no tentative head moves: blocks must be the head before they are final")
		}
		if len(h.Safes) == 0 {
			t.Fatal("no safe block named")
		}
		s := h.Safes[len(h.Safes)-1]
		if s.Height < tip.Height-depth || s.Height > tip.Height || h.chain[s.Height] != s.Hash {
			t.Fatalf("safe block %d with final %d and tip %d, want between them on the chain", s.Height, tip.Height-depth, tip.Height)
		}
		if h.Seals == 0 {
			t.Fatal("the engine never asked to seal a block")
		}
	})
	t.Run("ReadyIsStableUntilAdvance", func(t *testing.T) { readyIsStable(t, f(t, genesis), maxTicks) })
	t.Run("Deterministic", func(t *testing.T) {
		run := func() []byte {
			h := NewHarness(t, f(t, genesis), genesis)
			h.Drain()
			for i := 0; i < maxTicks; i++ {
				if i%7 == 0 {
					_ = h.Engine.Step(consensus.PoolStatus{Pending: i % 3})
				}
				h.Ticks(1)
			}
			return h.Trace.Bytes()
		}
		if a, b := run(), run(); !bytes.Equal(a, b) {
			t.Fatalf("two runs with the same inputs produced different outputs")
		}
	})
	t.Run("RejectsBlockNobodyAskedFor", func(t *testing.T) {
		e := f(t, genesis)
		stray := &types.Block{Header: &types.Header{Height: 7, ParentHash: common.HexToHash("0x01")}}
		if err := e.Step(consensus.Built{Block: stray}); err == nil {
			t.Fatalf("engine accepted a built block at height 7 that it never requested")
		}
	})
}
