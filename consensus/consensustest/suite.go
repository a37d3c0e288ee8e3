package consensustest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// Factory makes a fresh engine whose chain is just the genesis block genesis.
type Factory func(t *testing.T, genesis common.Hash) consensus.Engine

// Harness drives one engine like the driver does and records what it finalized.
type Harness struct {
	T      testing.TB
	Engine consensus.Engine
	Final  []consensus.Final
	Builds int
	// Trace is every Ready the engine produced, RLP-encoded, for determinism checks.
	Trace bytes.Buffer
	heads map[uint64]common.Hash
}

// NewHarness wraps e, whose chain starts at genesis.
func NewHarness(t testing.TB, e consensus.Engine, genesis common.Hash) *Harness {
	return &Harness{T: t, Engine: e, heads: map[uint64]common.Hash{0: genesis}}
}

// Drain performs every pending Ready, answering builds with empty blocks.
func (h *Harness) Drain() {
	for guard := 0; h.Engine.HasReady(); guard++ {
		if guard > 1000 {
			h.T.Fatalf("engine never stops producing Ready")
		}
		rd := h.Engine.Ready()
		h.Engine.Advance()
		h.record(rd)
		for _, f := range rd.Final {
			h.Final = append(h.Final, f)
			h.heads[f.Block.Height()] = f.Block.Hash()
		}
		if rd.Build != nil {
			h.Builds++
			b := &types.Block{Header: &types.Header{
				SubnetID: "/suite", Height: rd.Build.Height, ParentHash: rd.Build.Parent,
				TimeMs: rd.Build.Height * 1000,
			}}
			if err := h.Engine.Step(consensus.Built{Block: b}); err != nil {
				h.T.Fatalf("step built block %d: %v", rd.Build.Height, err)
			}
		}
		for _, b := range rd.Verify {
			if err := h.Engine.Step(consensus.Verdict{Hash: b.Hash(), Valid: true}); err != nil {
				h.T.Fatalf("step verdict: %v", err)
			}
		}
	}
}

func (h *Harness) record(rd consensus.Ready) {
	var hashes []common.Hash
	for _, f := range rd.Final {
		hashes = append(hashes, f.Block.Hash())
	}
	var build uint64
	if rd.Build != nil {
		build = rd.Build.Height
	}
	enc, _ := rlp.EncodeToBytes([]any{rd.Persist, len(rd.Send), hashes, build, len(rd.Verify)})
	h.Trace.Write(enc)
}

// Ticks ticks the engine n times, draining after each.
func (h *Harness) Ticks(n int) {
	for i := 0; i < n; i++ {
		h.Engine.Tick()
		h.Drain()
	}
}

// Run runs the shared suite against the engines f makes. Each engine must
// finalize blocks on its own within maxTicks ticks when the pool reports
// pending transactions.
func Run(t *testing.T, f Factory, maxTicks int) {
	genesis := common.HexToHash("0x6e6573")
	t.Run("FinalizesAChain", func(t *testing.T) {
		h := NewHarness(t, f(t, genesis), genesis)
		for i := 0; i < 5; i++ {
			if err := h.Engine.Step(consensus.PoolStatus{Pending: 1}); err != nil {
				t.Fatal(err)
			}
			h.Drain()
			h.Ticks(maxTicks)
		}
		if len(h.Final) < 5 {
			t.Fatalf("finalized %d blocks in %d ticks with transactions waiting, want at least 5", len(h.Final), 5*maxTicks)
		}
		parent := genesis
		for i, fin := range h.Final {
			if fin.Block.Height() != uint64(i+1) {
				t.Fatalf("final #%d has height %d, want %d", i, fin.Block.Height(), i+1)
			}
			if fin.Block.Header.ParentHash != parent {
				t.Fatalf("block %d does not extend the previous final block", fin.Block.Height())
			}
			if fin.Commit == nil || fin.Commit.BlockHash != fin.Block.Hash() || fin.Commit.Height != fin.Block.Height() {
				t.Fatalf("block %d has no commit certificate for itself", fin.Block.Height())
			}
			parent = fin.Block.Hash()
		}
	})
	t.Run("ReadyIsStableUntilAdvance", func(t *testing.T) {
		e := f(t, genesis)
		for i := 0; i < maxTicks && !e.HasReady(); i++ {
			e.Tick()
		}
		if !e.HasReady() {
			t.Fatalf("no Ready within %d ticks", maxTicks)
		}
		a, b := e.Ready(), e.Ready()
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("Ready changed without Advance: %v then %v", a, b)
		}
		e.Advance()
		if e.HasReady() && fmt.Sprint(e.Ready()) == fmt.Sprint(a) {
			t.Fatalf("Advance did not consume the Ready")
		}
	})
	t.Run("Deterministic", func(t *testing.T) {
		run := func() []byte {
			h := NewHarness(t, f(t, genesis), genesis)
			for i := 0; i < 3*maxTicks; i++ {
				if i%7 == 0 {
					_ = h.Engine.Step(consensus.PoolStatus{Pending: i % 3})
				}
				h.Engine.Tick()
				h.Drain()
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
