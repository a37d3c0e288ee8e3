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

// Harness drives one engine like the driver does and records what it
// finalized. It fails the test when the engine breaks the Ready contract:
// finality moving backwards, or a head move that rewinds a final block or
// does not extend the chain.
type Harness struct {
	T      testing.TB
	Engine consensus.Engine
	Final  []consensus.Final
	Builds int
	// Moves are the head moves (Ready.Head) the engine made, and Safes its
	// safe blocks (Ready.Safe); engines with instant finality make none.
	Moves []consensus.HeadMove
	Safes []consensus.BlockID
	// Seals counts the seal requests (Ready.Seal) answered.
	Seals int
	// Seal answers a seal request (Ready.Seal with a block); nil: the
	// block with an 8-byte zero seal, which difficulty 1 accepts.
	Seal func(b *types.Block) *types.Block
	// Trace is every Ready the engine produced, RLP-encoded, for determinism checks.
	Trace bytes.Buffer
	heads map[uint64]common.Hash
	// head is the tip the head moves left; chain the blocks below it by
	// height (with what was final), headers what the harness has seen.
	head    consensus.BlockID
	chain   map[uint64]common.Hash
	headers map[common.Hash]*types.Header
	sealing *types.Block // the seal request pending
}

// NewHarness wraps e, whose chain starts at genesis.
func NewHarness(t testing.TB, e consensus.Engine, genesis common.Hash) *Harness {
	return &Harness{T: t, Engine: e, heads: map[uint64]common.Hash{0: genesis},
		head: consensus.BlockID{Hash: genesis}, chain: map[uint64]common.Hash{0: genesis},
		headers: map[common.Hash]*types.Header{}}
}

// Head is the tip the engine's head moves left the chain at.
func (h *Harness) Head() consensus.BlockID { return h.head }

// Drain performs every pending Ready, answering builds with empty blocks.
func (h *Harness) Drain() {
	for guard := 0; h.Engine.HasReady(); guard++ {
		if guard > 1000 {
			h.T.Fatalf("engine never stops producing Ready")
		}
		rd := h.Engine.Ready()
		h.Engine.Advance()
		h.record(rd)
		if rd.Head != nil {
			h.moveHead(*rd.Head)
		}
		for _, f := range rd.Final {
			if n := len(h.Final); n > 0 && f.Block.Height() <= h.Final[n-1].Block.Height() {
				h.T.Fatalf("block %d final after block %d: finality moved backwards", f.Block.Height(), h.Final[n-1].Block.Height())
			}
			h.Final = append(h.Final, f)
			h.heads[f.Block.Height()] = f.Block.Hash()
		}
		if rd.Safe != nil {
			h.Safes = append(h.Safes, *rd.Safe)
		}
		if rd.Build != nil {
			h.Builds++
			b := &types.Block{Header: &types.Header{
				SubnetID: "/suite", Height: rd.Build.Height, ParentHash: rd.Build.Parent,
				TimeMs: rd.Build.Height * 1000,
			}}
			if rd.Build.Difficulty != nil {
				parent := h.headers[rd.Build.Parent]
				if parent == nil {
					parent = &types.Header{Height: rd.Build.Height - 1}
				}
				b.Header.Difficulty = rd.Build.Difficulty(parent, b.Header.TimeMs)
			}
			h.headers[b.Hash()] = b.Header
			if err := h.Engine.Step(consensus.Built{Block: b}); err != nil {
				h.T.Fatalf("step built block %d: %v", rd.Build.Height, err)
			}
		}
		for _, b := range rd.Verify {
			if err := h.Engine.Step(consensus.Verdict{Hash: b.Hash(), Valid: true}); err != nil {
				h.T.Fatalf("step verdict: %v", err)
			}
		}
		if rd.Seal != nil {
			h.sealing = rd.Seal.Block // a newer request replaces the older; nil stops
		}
	}
}

// SealNow answers the pending seal request, if any, and drains. Ticks
// calls it after each tick: sealing takes a tick, so a mining engine makes
// at most one block a tick rather than an endless chain in one Drain.
func (h *Harness) SealNow() {
	b := h.sealing
	if b == nil {
		return
	}
	h.sealing = nil
	h.Seals++
	sealed := h.seal(b)
	if sealed.Hash() != b.Hash() {
		h.T.Fatalf("sealing changed the hash of block %d", sealed.Height())
	}
	if err := h.Engine.Step(consensus.Sealed{Block: sealed}); err != nil {
		h.T.Fatalf("step sealed block %d: %v", sealed.Height(), err)
	}
	h.Drain()
}

func (h *Harness) seal(b *types.Block) *types.Block {
	if h.Seal != nil {
		return h.Seal(b)
	}
	hd := b.Header.Copy()
	hd.Seal = make([]byte, 8)
	return &types.Block{Header: hd, Txs: b.Txs, Evidence: b.Evidence}
}

// moveHead checks a head move against the final blocks and records it.
func (h *Harness) moveHead(m consensus.HeadMove) {
	var final uint64
	if n := len(h.Final); n > 0 {
		final = h.Final[n-1].Block.Height()
	}
	if r := m.Rewind; r != nil && r.Height < final {
		h.T.Fatalf("engine rewound to block %d below its final block %d", r.Height, final)
	}
	if r := m.Rewind; r != nil {
		if got, ok := h.chain[r.Height]; !ok || got != r.Hash || r.Height > h.head.Height {
			h.T.Fatalf("engine rewound to block %d %s, not on the chain it made (head %d)", r.Height, r.Hash, h.head.Height)
		}
		for n := r.Height + 1; n <= h.head.Height; n++ {
			delete(h.chain, n)
		}
		h.head = *r
	}
	for i, b := range m.Blocks {
		if i > 0 && b.Header.ParentHash != m.Blocks[i-1].Hash() {
			h.T.Fatalf("head move: block %d does not extend the block before it", b.Height())
		}
		if b.Header.ParentHash != h.head.Hash || b.Height() != h.head.Height+1 {
			h.T.Fatalf("head move: block %d does not extend the head %d", b.Height(), h.head.Height)
		}
		h.head = consensus.BlockID{Height: b.Height(), Hash: b.Hash()}
		h.chain[b.Height()] = b.Hash()
		h.headers[b.Hash()] = b.Header
	}
	h.Moves = append(h.Moves, m)
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
	var head []common.Hash
	if rd.Head != nil {
		if r := rd.Head.Rewind; r != nil {
			head = append(head, r.Hash)
		}
		for _, b := range rd.Head.Blocks {
			head = append(head, b.Hash())
		}
	}
	enc, _ := rlp.EncodeToBytes([]any{rd.Persist, len(rd.Send), head, hashes, build, len(rd.Verify)})
	h.Trace.Write(enc)
}

// Ticks ticks the engine n times, draining after each. It fails the test
// when a tick the engine said was quiet (NextTick) gives it something to do.
func (h *Harness) Ticks(n int) {
	for i := 0; i < n; i++ {
		CheckedTick(h.T, h.Engine)
		h.Drain()
		h.SealNow()
	}
}

// CheckedTick ticks e and fails the test when NextTick said the tick was
// quiet but it gave e something to do: a driver sleeping until NextTick
// would have acted late. (Only a drained engine is checked: a driver ticks
// no other.)
func CheckedTick(t testing.TB, e consensus.Engine) {
	t.Helper()
	next := e.NextTick()
	if next == 0 {
		t.Fatalf("NextTick is 0; the next tick is 1")
	}
	drained := !e.HasReady()
	e.Tick()
	if next > 1 && drained && e.HasReady() {
		t.Fatalf("NextTick said %d, but the next tick gave the engine work: %+v", next, e.Ready())
	}
}

// Run runs the shared suite against the engines f makes, engines with
// instant finality (solo, bft). Each engine must finalize blocks on its own
// within maxTicks ticks when the pool reports pending transactions, and every
// block must come final at once: never as a tentative head, so the chain's
// latest, safe and finalized blocks are always the same one. (The reorg case
// for an engine with probabilistic finality runs through the real driver and
// executor in this package's tests.)
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
	t.Run("FinalAtOnce", func(t *testing.T) {
		h := NewHarness(t, f(t, genesis), genesis)
		for i := 0; i < 3; i++ {
			if err := h.Engine.Step(consensus.PoolStatus{Pending: 1}); err != nil {
				t.Fatal(err)
			}
			h.Drain()
			h.Ticks(maxTicks)
		}
		if len(h.Final) == 0 {
			t.Fatalf("nothing final in %d ticks", 3*maxTicks)
		}
		if len(h.Moves) != 0 || len(h.Safes) != 0 {
			t.Fatalf("an instant-finality engine made %d tentative head moves and named %d safe blocks, want none", len(h.Moves), len(h.Safes))
		}
	})
	t.Run("ReadyIsStableUntilAdvance", func(t *testing.T) { readyIsStable(t, f(t, genesis), maxTicks) })
	t.Run("Deterministic", func(t *testing.T) {
		run := func() []byte {
			h := NewHarness(t, f(t, genesis), genesis)
			for i := 0; i < 3*maxTicks; i++ {
				if i%7 == 0 {
					_ = h.Engine.Step(consensus.PoolStatus{Pending: i % 3})
				}
				CheckedTick(t, h.Engine)
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

// readyIsStable checks the Ready contract every engine keeps: Ready
// returns the same until Advance, and Advance consumes it.
func readyIsStable(t *testing.T, e consensus.Engine, maxTicks int) {
	for i := 0; i < maxTicks && !e.HasReady(); i++ {
		CheckedTick(t, e)
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
}
