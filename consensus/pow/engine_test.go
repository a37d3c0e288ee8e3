package pow

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

var genesisHeader = &types.Header{SubnetID: "/t", TimeMs: 1000}

// chainOf makes n blocks on parent at difficulty d (retargeted from the
// parent), a second apart, each mined; tag tells branches apart.
func chainOf(t testing.TB, parent *types.Header, n int, minD uint64, tag byte) []*types.Block {
	t.Helper()
	var out []*types.Block
	for i := 0; i < n; i++ {
		h := &types.Header{SubnetID: "/t", Height: parent.Height + 1, ParentHash: parent.Hash(), TimeMs: parent.TimeMs + 1000,
			Proposer: common.Address{tag}}
		h.Difficulty = NextDifficulty(parent, h.TimeMs, 1000, minD)
		for nonce := uint64(0); ; nonce++ {
			h.Seal = Nonce(nonce)
			if CheckWork(h) == nil {
				break
			}
		}
		b := &types.Block{Header: h}
		out = append(out, b)
		parent = h
	}
	return out
}

func newTestEngine(t *testing.T, minD uint64) *Engine {
	e, err := New(Config{Subnet: "/t", Confirmations: 2, BlockTimeMs: 1000, MinDifficulty: minD}, 0, genesisHeader.Hash(), genesisHeader, nil)
	if err != nil {
		t.Fatal(err)
	}
	drain(e)
	return e
}

// drain takes every Ready, answering nothing.
func drain(e *Engine) []consensus.Ready {
	var out []consensus.Ready
	for e.HasReady() {
		out = append(out, e.Ready())
		e.Advance()
	}
	return out
}

func announce(b *types.Block) consensus.PeerMessage {
	return consensus.PeerMessage{From: "p", Payload: encodeAnnounce(b)}
}

// TestRefusesBadBlocks: low work, a wrong difficulty, a branch below the
// final block and malformed or oversized messages are refused with errors
// that say so (the sender's fault wrapping ErrMalformed); none moves the head.
func TestRefusesBadBlocks(t *testing.T) {
	e := newTestEngine(t, 16)
	main := chainOf(t, genesisHeader, 4, 16, 1)
	for _, b := range main {
		if err := e.Step(announce(b)); err != nil {
			t.Fatal(err)
		}
	}
	drain(e)
	if e.Best().Hash != main[3].Hash() || e.Final().Height != 2 {
		t.Fatalf("best %d final %d, want 4 and 2", e.Best().Height, e.Final().Height)
	}

	next := chainOf(t, main[3].Header, 1, 16, 1)[0]
	low := &types.Block{Header: next.Header.Copy()}
	for n := uint64(0); CheckWork(low.Header) == nil; n++ {
		low.Header.Seal = Nonce(n)
	}
	wrong := &types.Block{Header: next.Header.Copy()}
	wrong.Header.Difficulty++
	for n := uint64(0); CheckWork(wrong.Header) != nil; n++ {
		wrong.Header.Seal = Nonce(n)
	}
	fork := chainOf(t, main[0].Header, 6, 16, 2) // forks at 1, below the final 2, heavier
	big := append([]byte{wireVersion, kindAnnounce}, make([]byte, MaxMessageSize)...)
	cases := []struct {
		name      string
		msg       consensus.PeerMessage
		want      error
		malformed bool
	}{
		{"low work", announce(low), ErrLowWork, true},
		{"wrong difficulty", announce(wrong), ErrWrongDifficulty, true},
		{"branch below final", consensus.PeerMessage{From: "p", Payload: encodeBlocks(fork)}, ErrBelowFinal, false},
		{"oversized", consensus.PeerMessage{From: "p", Payload: big}, ErrMessage, true},
		{"unknown version", consensus.PeerMessage{From: "p", Payload: []byte{9, 1, 0xc0}}, ErrMessage, true},
		{"garbage", consensus.PeerMessage{From: "p", Payload: []byte{wireVersion, kindAnnounce, 0xff}}, ErrMessage, true},
		{"unlinked blocks", consensus.PeerMessage{From: "p", Payload: encodeBlocks([]*types.Block{main[0], main[2]})}, ErrMessage, true},
		{"too many asked", consensus.PeerMessage{From: "p", Payload: encodeGetBlocks(getBlocks{Hash: main[0].Hash(), Height: 1, Count: MaxGetBlocks + 1})}, ErrMessage, true},
	}
	for _, c := range cases {
		err := e.Step(c.msg)
		if !errors.Is(err, c.want) || errors.Is(err, consensus.ErrMalformed) != c.malformed {
			t.Errorf("%s: %v, want %v (malformed: %v)", c.name, err, c.want, c.malformed)
		}
		for _, rd := range drain(e) {
			if rd.Head != nil {
				t.Errorf("%s moved the head", c.name)
			}
		}
		if e.Best().Hash != main[3].Hash() {
			t.Fatalf("%s: best is now %d", c.name, e.Best().Height)
		}
	}
	// The gossip checks agree on the message kinds they see.
	if _, err := CheckMessage(nil, "/t", announce(low).Payload); !errors.Is(err, ErrLowWork) {
		t.Errorf("CheckMessage of low work: %v", err)
	}
	if _, err := CheckMessage(nil, "/other", announce(next).Payload); !errors.Is(err, ErrMessage) {
		t.Errorf("CheckMessage of another subnet's block: %v", err)
	}
	if h, err := CheckMessage(nil, "/t", announce(next).Payload); err != nil || h != 5 {
		t.Errorf("CheckMessage of a good block: %d, %v", h, err)
	}
	g, err := DecodeGossip("/t", announce(low).Payload)
	if err != nil || g.Height != 5 || g.Block == nil || !errors.Is(g.Verify(nil, nil), consensus.ErrMalformed) {
		t.Errorf("DecodeGossip of low work: %+v, %v", g, err)
	}
}

// TestInvalidHeadBlockIsDropped: when the driver finds a head block
// invalid, the engine drops it and its descendants, goes back to the best
// valid branch with a rewind from the block before the bad one, restates
// finality it had counted on the bad block, and refuses the block again.
func TestInvalidHeadBlockIsDropped(t *testing.T) {
	e := newTestEngine(t, 1)
	main := chainOf(t, genesisHeader, 2, 1, 1)
	side := chainOf(t, main[0].Header, 4, 1, 2) // heavier, from block 1
	for _, b := range main {
		_ = e.Step(announce(b))
	}
	drain(e)
	if err := e.Step(consensus.PeerMessage{From: "p", Payload: encodeBlocks(side)}); err != nil {
		t.Fatal(err)
	}
	rd := e.Ready()
	e.Advance()
	if rd.Head == nil || rd.Head.Rewind == nil || rd.Head.Rewind.Height != 1 || len(rd.Head.Blocks) != 4 || len(rd.Final) == 0 {
		t.Fatalf("switch to the side branch: %+v", rd.Head)
	}
	// The driver committed side[0] and found side[1] invalid.
	if err := e.Step(consensus.Verdict{Hash: side[1].Hash(), Valid: false}); err != nil {
		t.Fatal(err)
	}
	rd = e.Ready()
	e.Advance()
	// The voided Ready had made block 3 final and pruned main's 2; the best
	// valid tip is side's 2, where the driver stopped: no move needed.
	// The driver's safe block is still block 1 (it ignored the voided one).
	if e.Best().Hash != side[0].Hash() || rd.Head != nil || rd.Safe != nil {
		t.Fatalf("after the verdict: best %d, head move %+v, safe %v; want side's 2 unmoved, safe unchanged", e.Best().Height, rd.Head, rd.Safe)
	}
	if e.Final().Height != 0 {
		t.Fatalf("final %d after the verdict, want the genesis again", e.Final().Height)
	}
	if len(rd.Final) != 0 {
		t.Fatalf("restated %d final blocks, want none: the tip is 2 and confirmations 2", len(rd.Final))
	}
	if err := e.Step(announce(side[2])); !errors.Is(err, ErrInvalidBlock) {
		t.Fatalf("a descendant of the invalid block: %v, want ErrInvalidBlock", err)
	}
}

// TestDeterministicPeerFlow: two engines fed the same messages produce the
// same Readies, byte for byte.
func TestDeterministicPeerFlow(t *testing.T) {
	run := func() []byte {
		e := newTestEngine(t, 1)
		var buf bytes.Buffer
		a := chainOf(t, genesisHeader, 3, 1, 1)
		b := chainOf(t, a[0].Header, 5, 1, 2)
		for _, m := range []consensus.PeerMessage{announce(a[2]), {From: "p", Payload: encodeBlocks(a[:2])}, announce(b[4]), {From: "q", Payload: encodeBlocks(b[:4])}} {
			_ = e.Step(m)
			e.Tick()
			for _, rd := range drain(e) {
				for _, s := range rd.Send {
					buf.WriteString(s.To)
					buf.Write(s.Payload)
				}
				if rd.Head != nil {
					for _, blk := range rd.Head.Blocks {
						buf.Write(blk.Hash().Bytes())
					}
				}
				for _, f := range rd.Final {
					buf.Write(f.Block.Hash().Bytes())
				}
			}
		}
		if e.Best().Height != 6 {
			t.Fatalf("best %d, want b's 6", e.Best().Height)
		}
		return buf.Bytes()
	}
	if x, y := run(), run(); !bytes.Equal(x, y) {
		t.Fatal("two runs differ")
	}
}

// TestFarBehindAsksForBlockSync: a block announced more than the
// confirmation depth above everything the node holds means the network
// finalized past it; peers keep too little below their final block for
// get-blocks to bridge that, so the engine asks for block sync up to the
// network's final height. A block within reach only asks its peer.
func TestFarBehindAsksForBlockSync(t *testing.T) {
	e := newTestEngine(t, 1)
	blocks := chainOf(t, genesisHeader, 6, 1, 1) // confirmations are 2
	if err := e.Step(announce(blocks[1])); err != nil {
		t.Fatal(err)
	}
	if rd := e.Ready(); rd.SyncTo != 0 {
		t.Fatalf("block 2 of a node at 0 asked for block sync to %d; get-blocks reaches it", rd.SyncTo)
	}
	drain(e)
	if err := e.Step(announce(blocks[5])); err != nil {
		t.Fatal(err)
	}
	if rd := e.Ready(); rd.SyncTo != 4 {
		t.Fatalf("block 6 of a node at 0 with 2 confirmations: SyncTo %d, want the network's final height 4", rd.SyncTo)
	}
}

// TestMinerListensBeforeMining: a node that mines does not build right
// after it starts — back from a crash it would extend the branch it left
// and could finalize it alone — until a peer's block arrives or QuietTicks
// pass (a lone miner). Without QuietTicks it builds at once.
func TestMinerListensBeforeMining(t *testing.T) {
	start := func(quiet uint64) *Engine {
		e, err := New(Config{Subnet: "/t", Mine: true, Confirmations: 2, BlockTimeMs: 1000, MinDifficulty: 1, QuietTicks: quiet}, 0, genesisHeader.Hash(), genesisHeader, nil)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	builds := func(e *Engine) bool {
		for _, rd := range drain(e) {
			if rd.Build != nil {
				return true
			}
		}
		return false
	}
	if !builds(start(0)) {
		t.Fatal("a miner without a quiet time did not build at start")
	}
	lone := start(3)
	for i := 0; i < 2; i++ {
		if builds(lone) {
			t.Fatalf("built after %d ticks of a 3-tick quiet time", i)
		}
		lone.Tick()
	}
	lone.Tick()
	if !builds(lone) {
		t.Fatal("a lone miner did not build after its quiet time")
	}
	heard := start(100)
	if builds(heard) {
		t.Fatal("built at start with a quiet time")
	}
	if err := heard.Step(announce(chainOf(t, genesisHeader, 1, 1, 1)[0])); err != nil {
		t.Fatal(err)
	}
	if !builds(heard) {
		t.Fatal("did not build once a peer's block arrived")
	}
}
