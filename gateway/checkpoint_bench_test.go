package gateway

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// BenchmarkSubmitCheckpoint verifies and applies one checkpoint of a child
// with 4 or 100 equal validators, all signing, carrying 0, 100 or 1000
// releases paid out on the parent: the parent's work per checkpoint (ns/op,
// on an in-memory state) and its price (gas/op, what the submitter pays).
// Each iteration starts from the same state.
//
//	go test -run '^$' -bench SubmitCheckpoint -benchtime 20x ./gateway/
func BenchmarkSubmitCheckpoint(b *testing.B) {
	for _, vals := range []int{4, 100} {
		for _, msgs := range []int{0, 100, 1000} {
			b.Run(fmt.Sprintf("validators=%d/messages=%d", vals, msgs), func(b *testing.B) {
				benchCheckpoint(b, vals, msgs)
			})
		}
	}
}

func benchCheckpoint(b *testing.B, vals, n int) {
	h := newXH(b, "/devnet")
	colls := make([]int64, vals)
	for i := range colls {
		colls[i] = 10
	}
	c := h.newChild("games", colls...)
	h.ok(common.Address{0xf1}, int64(n)+1, "fund", string(c.id), common.Address{0xf1})
	msgs := make([]CrossMsg, n)
	for i := range msgs {
		msgs[i] = upMsg(string(c.id), uint64(i+1), "/devnet", common.Address{0xa1, byte(i >> 8), byte(i)}, 1)
	}
	input := c.input(c.next(msgs...))
	call := Call{Caller: common.Address{0xee}, Value: new(big.Int), Input: input}
	gas := h.g.RequiredGas(h.st, call)
	base := h.st.snapshot()
	b.ResetTimer()
	for range b.N {
		if ret, err := h.g.Run(h.st, call); err != nil {
			reason, _ := abi.UnpackRevert(ret)
			b.Fatalf("%v (%s)", err, reason)
		}
		b.StopTimer()
		h.st.restore(base)
		b.StartTimer()
	}
	b.ReportMetric(float64(gas), "gas/op")
	b.ReportMetric(float64(len(input)), "bytes/op")
}

// BenchmarkVerifyQuorum is the signature check alone of a checkpoint of
// 4 or 100 validators signed by all of them or by 70 in 100 (whose 30
// non-signers' keys are read and taken from the set's aggregate key), with
// the gateway's key cache and without it.
//
//	go test -run '^$' -bench VerifyQuorum -benchtime 50x ./gateway/
func BenchmarkVerifyQuorum(b *testing.B) {
	for _, vals := range []int{4, 100} {
		for _, signPct := range []int{100, 70} {
			for _, cached := range []bool{true, false} {
				b.Run(fmt.Sprintf("validators=%d/signing=%d%%/cache=%v", vals, signPct, cached), func(b *testing.B) {
					benchVerify(b, vals, signPct, cached)
				})
			}
		}
	}
}

func benchVerify(b *testing.B, vals, signPct int, cached bool) {
	h := newXH(b, "/devnet")
	colls := make([]int64, vals)
	for i := range colls {
		colls[i] = 10
	}
	c := h.newChild("games", colls...)
	var signers []common.Address
	for i := range vals - vals*(100-signPct)/100 {
		signers = append(signers, common.Address{0xa0, byte(i + 1)})
	}
	cp := c.next()
	_, agg, bm := c.sign(cp, "devnet", signers...)
	if !cached {
		h.g.keys = nil
	}
	x := &call{g: h.g, st: h.st}
	b.ResetTimer()
	for range b.N {
		if err := x.verifyQuorum(c.id.Name(), cp, agg, bm); err != nil {
			b.Fatal(err)
		}
	}
}
