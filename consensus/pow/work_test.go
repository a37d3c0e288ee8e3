package pow_test

import (
	"errors"
	"math"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/pow"
	"github.com/aspen-chain/aspen/types"
)

func TestNextDifficulty(t *testing.T) {
	const bt, minD = 1000, 100
	parent := func(d uint64) *types.Header { return &types.Header{Height: 5, TimeMs: 10_000, Difficulty: d} }
	cases := []struct {
		name       string
		parent     uint64
		gap        uint64
		min, block uint64
		want       uint64
	}{
		{"genesis without difficulty gives the minimum", 0, 5000, minD, bt, minD},
		{"fast block: one eighth up", 8000, 100, minD, bt, 9000},
		{"just under 3/4 of the block time: up", 8000, 749, minD, bt, 9000},
		{"3/4 of the block time: unchanged", 8000, 750, minD, bt, 8000},
		{"3/2 of the block time: unchanged", 8000, 1500, minD, bt, 8000},
		{"slow: one step down per block time", 8000, 1501, minD, bt, 7000},
		{"three block times: three steps", 8000, 3000, minD, bt, 5000},
		{"very slow: at most four steps, half", 80000, 100_000, minD, bt, 40000},
		{"never below the minimum", 160, 100_000, minD, bt, minD},
		{"below 8 there is no step: difficulty 1 stays", 1, 1, 1, bt, 1},
		{"the minimum rises an old chain", 50, 1000, minD, bt, minD},
		{"no block time keeps the parent's", 8000, 1, minD, 0, 8000},
		{"no overflow at the top", math.MaxUint64, 1, minD, bt, math.MaxUint64},
		{"a time at or before the parent's counts as fast", 8000, 0, minD, bt, 9000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := parent(c.parent)
			if got := pow.NextDifficulty(p, p.TimeMs+c.gap, c.block, c.min); got != c.want {
				t.Fatalf("NextDifficulty(%d, gap %d) = %d, want %d", c.parent, c.gap, got, c.want)
			}
		})
	}
}

// mine finds a nonce for h by brute force.
func mine(t testing.TB, h *types.Header) {
	t.Helper()
	for n := uint64(0); n < 1<<24; n++ {
		h.Seal = pow.Nonce(n)
		if pow.CheckWork(h) == nil {
			return
		}
	}
	t.Fatal("no nonce found")
}

func TestCheckWork(t *testing.T) {
	h := &types.Header{Height: 1, Difficulty: 1000}
	mine(t, h)
	if err := pow.CheckWork(h); err != nil {
		t.Fatal(err)
	}
	w := pow.WorkHash(h)
	if w.Big().Cmp(pow.Target(1000)) > 0 {
		t.Fatal("an accepted work hash is above the target")
	}
	// The next nonce up is almost surely not good enough: find a bad one.
	bad := h.Copy()
	for n := uint64(0); ; n++ {
		bad.Seal = pow.Nonce(n)
		if pow.WorkHash(bad).Big().Cmp(pow.Target(1000)) > 0 {
			break
		}
	}
	if err := pow.CheckWork(bad); !errors.Is(err, pow.ErrLowWork) || !errors.Is(err, consensus.ErrMalformed) {
		t.Fatalf("low work: %v, want ErrLowWork and ErrMalformed", err)
	}
	if err := pow.CheckWork(&types.Header{Difficulty: 1, Seal: []byte{1}}); !errors.Is(err, pow.ErrBadNonce) {
		t.Fatalf("short nonce: %v", err)
	}
	if err := pow.CheckWork(&types.Header{Seal: make([]byte, 8)}); !errors.Is(err, pow.ErrNoDifficulty) {
		t.Fatalf("no difficulty: %v", err)
	}
	if err := pow.CheckWork(&types.Header{Difficulty: 1, Seal: pow.Nonce(math.MaxUint64)}); err != nil {
		t.Fatalf("difficulty 1 refused a nonce: %v", err)
	}
	if pow.Target(0) != nil || pow.Target(2).BitLen() != 256 {
		t.Fatal("Target(0) must be nil and Target(2) 2^255")
	}
}

func TestCheckHeader(t *testing.T) {
	const bt, minD = 1000, 16
	parent := &types.Header{SubnetID: "/p", Height: 3, TimeMs: 5000, Difficulty: 64}
	child := func() *types.Header {
		h := &types.Header{SubnetID: "/p", Height: 4, ParentHash: parent.Hash(), TimeMs: 6000}
		h.Difficulty = pow.NextDifficulty(parent, h.TimeMs, bt, minD)
		mine(t, h)
		return h
	}
	if err := pow.CheckHeader(parent, child(), bt, minD); err != nil {
		t.Fatalf("good header: %v", err)
	}
	cases := []struct {
		name   string
		break_ func(h *types.Header)
		want   error
	}{
		{"another parent", func(h *types.Header) { h.ParentHash = common.Hash{1}; mine(t, h) }, pow.ErrNotChild},
		{"skips a height", func(h *types.Header) { h.Height = 5; mine(t, h) }, pow.ErrNotChild},
		{"same time as the parent", func(h *types.Header) { h.TimeMs = 5000; mine(t, h) }, pow.ErrBadTimestamp},
		{"wrong difficulty", func(h *types.Header) { h.Difficulty = 65; mine(t, h) }, pow.ErrWrongDifficulty},
		{"no work", func(h *types.Header) {
			for n := uint64(0); pow.CheckWork(h) == nil; n++ {
				h.Seal = pow.Nonce(n)
			}
		}, pow.ErrLowWork},
	}
	for _, c := range cases {
		h := child()
		c.break_(h)
		err := pow.CheckHeader(parent, h, bt, minD)
		if !errors.Is(err, c.want) || !errors.Is(err, consensus.ErrMalformed) {
			t.Errorf("%s: %v, want %v wrapping ErrMalformed", c.name, err, c.want)
		}
	}
}
