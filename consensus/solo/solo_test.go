package solo

import (
	"crypto/ecdsa"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/consensustest"
)

type keySigner struct{ key *ecdsa.PrivateKey }

func (s keySigner) Sign(h common.Hash) ([]byte, error) { return gethcrypto.Sign(h[:], s.key) }

func newSigner(t testing.TB) keySigner {
	k, err := gethcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return keySigner{k}
}

func TestSharedSuite(t *testing.T) {
	consensustest.Run(t, func(t *testing.T, genesis common.Hash) consensus.Engine {
		e, err := New(Config{BlockTime: 3, IdleInterval: 9}, newSigner(t), 0, genesis)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}, 10)
}

// buildTicks returns the ticks (counted from 1) at which the engine asked for a block.
func buildTicks(t *testing.T, cfg Config, startHeight uint64, events map[int]consensus.PoolStatus, ticks int) []int {
	e, err := New(cfg, newSigner(t), startHeight, common.Hash{1})
	if err != nil {
		t.Fatal(err)
	}
	h := consensustest.NewHarness(t, e, common.Hash{1})
	var at []int
	step := func(tick int) {
		before := h.Builds
		h.Drain()
		if h.Builds > before {
			at = append(at, tick)
		}
	}
	step(0)
	for i := 1; i <= ticks; i++ {
		if ev, ok := events[i]; ok {
			if err := e.Step(ev); err != nil {
				t.Fatal(err)
			}
			step(i)
		}
		e.Tick()
		step(i)
	}
	return at
}

func TestTiming(t *testing.T) {
	cfg := Config{BlockTime: 10, IdleInterval: 50}
	cases := []struct {
		name   string
		height uint64
		events map[int]consensus.PoolStatus
		want   []int
	}{
		{"first block at once, then idle interval", 0, nil, []int{0, 50, 100}},
		{"resumed chain waits for the idle interval", 5, nil, []int{50, 100}},
		{"waiting txs seal after block time", 5, map[int]consensus.PoolStatus{3: {Pending: 2}}, []int{10, 60}},
		{"full pool seals at once", 5, map[int]consensus.PoolStatus{3: {Pending: 900, Full: true}}, []int{3, 52}}, // the event lands before tick 3 is counted,
		{"txs after a block wait a block time from that block", 5, map[int]consensus.PoolStatus{3: {Pending: 1}, 15: {Pending: 1}}, []int{10, 20, 70}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := buildTicks(t, cfg, c.height, c.events, 100)
			if len(got) != len(c.want) {
				t.Fatalf("builds at ticks %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("builds at ticks %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestSealIsTheSequencersSignature(t *testing.T) {
	s := newSigner(t)
	e, _ := New(Config{BlockTime: 1, IdleInterval: 1}, s, 0, common.Hash{1})
	h := consensustest.NewHarness(t, e, common.Hash{1})
	h.Drain()
	if len(h.Final) != 1 {
		t.Fatalf("finalized %d blocks, want 1", len(h.Final))
	}
	b := h.Final[0].Block
	hash := b.Hash()
	pub, err := gethcrypto.SigToPub(hash[:], b.Header.Seal)
	if err != nil {
		t.Fatalf("seal is not a signature: %v", err)
	}
	if gethcrypto.PubkeyToAddress(*pub) != gethcrypto.PubkeyToAddress(s.key.PublicKey) {
		t.Fatalf("seal was not made by the sequencer")
	}
}

func TestBuildFailureRetriesAfterBlockTime(t *testing.T) {
	e, _ := New(Config{BlockTime: 4, IdleInterval: 100}, newSigner(t), 3, common.Hash{1})
	_ = e.Step(consensus.PoolStatus{Pending: 1})
	for i := 0; i < 4; i++ {
		e.Tick()
	}
	rd := e.Ready()
	e.Advance()
	if rd.Build == nil || rd.Build.Height != 4 {
		t.Fatalf("want a build request for height 4, got %+v", rd.Build)
	}
	if err := e.Step(consensus.BuildFailed{Height: 4, Reason: "disk full"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		e.Tick()
		if e.HasReady() {
			t.Fatalf("engine asked again %d ticks after a failure, want a full block time", i+1)
		}
	}
	e.Tick()
	if !e.HasReady() || e.Ready().Build == nil {
		t.Fatalf("engine did not retry the build after a block time")
	}
}

func TestRejectsPeerMessagesAndBadConfig(t *testing.T) {
	e, _ := New(Config{BlockTime: 1, IdleInterval: 1}, newSigner(t), 1, common.Hash{})
	if err := e.Step(consensus.PeerMessage{From: "x", Payload: []byte{1}}); err == nil {
		t.Fatal("solo accepted a consensus message from a peer")
	}
	if _, err := New(Config{BlockTime: 0, IdleInterval: 1}, newSigner(t), 0, common.Hash{}); err == nil {
		t.Fatal("zero block time accepted")
	}
	if _, err := New(Config{BlockTime: 5, IdleInterval: 2}, newSigner(t), 0, common.Hash{}); err == nil {
		t.Fatal("idle interval below block time accepted")
	}
}
