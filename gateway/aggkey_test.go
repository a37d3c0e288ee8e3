package gateway

import (
	"bytes"
	"maps"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
)

// TestSetAggregateKeyFollowsSeats: every config set's stored aggregate key
// is the sum of its seats' keys, after joins, a stake, a leave and a slash
// in any order; a kill clears the current one.
func TestSetAggregateKeyFollowsSeats(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 20, 30)                         // config 1
	c.join(40)                                                   // 2
	h.ok(common.Address{0xa0, 2}, 5*gwei, "stake", string(c.id)) // 3
	h.ok(common.Address{0xa0, 1}, 0, "leave", string(c.id))      // 4: the last seat moves into seat 0
	c.join(50)                                                   // 5
	name := c.id.Name()
	for n := uint64(1); n <= 5; n++ {
		set, err := ReadConfigSet(h.st, "/devnet", c.id, n)
		if err != nil {
			t.Fatal(err)
		}
		var keys [][]byte
		for _, v := range set {
			keys = append(keys, v.BLSPublicKey)
		}
		want, err := crypto.AddKeys(nil, keys, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAggKey(h.st, name, n); !bytes.Equal(got, want) {
			t.Fatalf("config %d (%d seats): stored aggregate %x, the seats sum to %x", n, len(set), got, want)
		}
	}
	if got, want := readAggKey(h.st, name, 0), readAggKey(h.st, name, 5); !bytes.Equal(got, want) {
		t.Fatalf("current aggregate %x, newest config's %x", got, want)
	}
	h.ok(common.Address{0xc0}, 0, "kill", string(c.id))
	if got := readAggKey(h.st, name, 0); got != nil {
		t.Fatalf("aggregate %x after kill", got)
	}
}

// TestQuorumCheckIndependentOfCacheAndPath: the key cache only saves time
// and the aggregate key only saves reads. Each certificate, good or bad,
// gets the same answer, the same state and the same price from a gateway
// with its key cache (cold, then warm), without one, and from a set
// without a stored aggregate key (so every check sums the signers' keys).
func TestQuorumCheckIndependentOfCacheAndPath(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10, 10)
	h.ok(common.Address{0xf1}, 100, "fund", string(c.id), common.Address{0xf1})
	a := []common.Address{{0xa0, 1}, {0xa0, 2}, {0xa0, 3}, {0xa0, 4}}
	cp := c.next(upMsg(string(c.id), 1, "/devnet", common.Address{0xa1}, 7))
	enc, aggAll, bmAll := c.sign(cp, "devnet")
	_, agg123, bm123 := c.sign(cp, "devnet", a[0], a[1], a[2])
	_, agg234, _ := c.sign(cp, "devnet", a[1], a[2], a[3])
	_, agg12, bm12 := c.sign(cp, "devnet", a[0], a[1])
	_, aggOther, _ := c.sign(c.next(), "devnet")
	cases := []struct {
		name    string
		agg, bm []byte
		commits bool
	}{
		{"all sign", aggAll, bmAll, true},
		{"three of four", agg123, bm123, true},
		{"bitmap names all, three signed", agg123, bmAll, false},
		{"bitmap names 1-3, 2-4 signed", agg234, bm123, false},
		{"no quorum", agg12, bm12, false},
		{"signature of another checkpoint", aggOther, bmAll, false},
		{"signature not a point", make([]byte, 96), bmAll, false},
	}
	type outcome struct {
		ret   string
		err   error
		gas   uint64
		slots map[common.Hash]common.Hash
	}
	base := h.st.snapshot()
	run := func(in []byte) outcome {
		call := Call{Caller: common.Address{0xee}, Value: new(big.Int), Input: in}
		gas := h.g.RequiredGas(h.st, call)
		ret, err := h.g.Run(h.st, call)
		o := outcome{string(ret), err, gas, maps.Clone(h.st.slots)}
		h.st.restore(base)
		return o
	}
	cache := h.g.keys
	name := c.id.Name()
	for _, tc := range cases {
		in := mustPack(t, h.g, "submitCheckpoint", enc, tc.agg, tc.bm)
		h.g.keys = crypto.NewKeyCache(keyCacheSize)
		cold := run(in)
		warm := run(in)
		h.g.keys = nil
		uncached := run(in)
		h.g.keys = cache
		for _, o := range []outcome{warm, uncached} {
			if o.ret != cold.ret || (o.err == nil) != (cold.err == nil) || o.gas != cold.gas || !maps.Equal(o.slots, cold.slots) {
				t.Fatalf("%s: with and without the key cache the outcomes differ: %q %v gas %d, and %q %v gas %d", tc.name, cold.ret, cold.err, cold.gas, o.ret, o.err, o.gas)
			}
		}
		if committed := cold.err == nil && cold.slots[fieldSlot(name, fLastCkptHash)] == cp.Hash(); committed != tc.commits {
			t.Fatalf("%s: committed %v, want %v (%v %q)", tc.name, committed, tc.commits, cold.err, cold.ret)
		}
		// The same set without its aggregate key: the signers' keys are summed.
		writeAggKey(h.st, name, cp.Config, nil)
		noAgg := run(in)
		writeAggKey(h.st, name, cp.Config, nil)
		if noAgg.ret != cold.ret || (noAgg.err == nil) != (cold.err == nil) ||
			noAgg.slots[fieldSlot(name, fLastCkptHash)] != cold.slots[fieldSlot(name, fLastCkptHash)] {
			t.Fatalf("%s: summing the signers' keys gives %q %v, the set's aggregate less the others' %q %v", tc.name, noAgg.ret, noAgg.err, cold.ret, cold.err)
		}
		h.st.restore(base)
	}
}
