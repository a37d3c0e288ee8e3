package xnet

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

func perBlock(n uint64) func(uint64) uint64 { return func(h uint64) uint64 { return n * h } }

func TestBuildFillsCheckpointFromView(t *testing.T) {
	v := &fakeView{Subnet: testSubnet, UpAt: perBlock(2)}
	p := Params{Subnet: testSubnet, Period: 5}
	cp, enc, link, err := Build(v, p, 5, Link{})
	if err != nil {
		t.Fatal(err)
	}
	hdr, _ := v.Header(5)
	if cp.Subnet != string(testSubnet) || cp.Height != 5 || cp.BlockHash != hdr.Hash() || cp.StateRoot != hdr.StateRoot {
		t.Errorf("header fields: %+v", cp)
	}
	if cp.Prev != (common.Hash{}) || cp.Config != 1 || cp.AppliedConfig != 1 || cp.DownApplied != 5/3 {
		t.Errorf("first checkpoint's prev and counters: %+v", cp)
	}
	if len(cp.Messages) != 10 || cp.Messages[0].SrcNonce != 1 || cp.Messages[9].SrcNonce != 10 {
		t.Fatalf("messages: %d, want nonces 1..10", len(cp.Messages))
	}
	if link != (Link{Height: 5, Hash: cp.Hash(), UpNonce: 10}) {
		t.Errorf("link %+v, hash %s", link, cp.Hash())
	}
	if dec, err := types.DecodeCheckpoint(enc); err != nil || dec.Hash() != cp.Hash() {
		t.Errorf("encoding does not decode to the checkpoint: %v", err)
	}

	cp2, _, link2, err := Build(v, p, 10, link)
	if err != nil {
		t.Fatal(err)
	}
	if cp2.Prev != link.Hash || cp2.Messages[0].SrcNonce != 11 || link2.UpNonce != 20 {
		t.Errorf("second checkpoint: prev %s (want %s), first nonce %d, up nonce %d", cp2.Prev, link.Hash, cp2.Messages[0].SrcNonce, link2.UpNonce)
	}
}

func TestBuildIsDeterministicAndSensitiveToState(t *testing.T) {
	p := Params{Subnet: testSubnet, Period: 5}
	_, a, _, _ := Build(&fakeView{Subnet: testSubnet, UpAt: perBlock(1)}, p, 5, Link{})
	_, b, _, _ := Build(&fakeView{Subnet: testSubnet, UpAt: perBlock(1)}, p, 5, Link{})
	_, c, _, _ := Build(&fakeView{Subnet: testSubnet, UpAt: perBlock(1), Salt: 1}, p, 5, Link{})
	if string(a) != string(b) {
		t.Error("two builds from the same view differ")
	}
	if string(a) == string(c) {
		t.Error("a different state root gave the same checkpoint")
	}
}

func TestBuildRejects(t *testing.T) {
	p := Params{Subnet: testSubnet, Period: 5}
	good := &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}
	cases := []struct {
		name   string
		view   ChildView
		p      Params
		height uint64
		prev   Link
		want   error
	}{
		{"height not next", good, p, 10, Link{}, ErrNotNext},
		{"height zero", good, p, 0, Link{}, ErrNotNext},
		{"prev off period", good, p, 8, Link{Height: 3}, ErrNotNext},
		{"zero period", good, Params{Subnet: testSubnet}, 5, Link{}, ErrParams},
		{"root subnet", good, Params{Subnet: "/devnet", Period: 5}, 5, Link{}, ErrParams},
		{"bad subnet", good, Params{Subnet: "games", Period: 5}, 5, Link{}, ErrParams},
		{"header of another subnet", &fakeView{Subnet: "/devnet/other", UpAt: perBlock(1)}, p, 5, Link{}, ErrView},
		{"up queue went backwards", good, p, 10, Link{Height: 5, UpNonce: 11}, ErrView},
		{"view drops a message", shortView{good}, p, 5, Link{}, ErrView},
		{"message larger than a checkpoint", &fakeView{Subnet: testSubnet, UpAt: perBlock(1), DataSize: MaxCheckpointBytes}, p, 5, Link{}, ErrMessageTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, _, err := Build(c.view, c.p, c.height, c.prev); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// shortView answers with one message fewer than asked for.
type shortView struct{ *fakeView }

func (v shortView) UpMessages(h, from, to uint64) ([]types.CrossMsg, error) {
	m, err := v.fakeView.UpMessages(h, from, to)
	return m[:len(m)-1], err
}

// Messages beyond the count cap wait for later checkpoints: every nonce is
// carried exactly once, in order, and each checkpoint takes as many as the
// cap and the queue allow.
func TestCarryOverByCount(t *testing.T) {
	const period, cap = 4, 30
	// 25 messages a block up to block 40 (1000 in all), then none: the
	// backlog grows while blocks add 100 a period, then drains.
	v := &fakeView{Subnet: testSubnet, UpAt: func(h uint64) uint64 { return 25 * min(h, 40) }}
	p := Params{Subnet: testSubnet, Period: period, MaxMessages: cap}
	chain := expectedChain(t, v, p, 200)
	next := uint64(1)
	prev := Link{}
	for _, b := range chain {
		h := b.Link.Height
		want := min(uint64(cap), v.UpAt(h)-prev.UpNonce)
		if got := uint64(len(b.Checkpoint.Messages)); got != want {
			t.Fatalf("checkpoint %d carries %d messages, want %d", h, got, want)
		}
		for _, m := range b.Checkpoint.Messages {
			if m.SrcNonce != next {
				t.Fatalf("checkpoint %d carries nonce %d, want %d", h, m.SrcNonce, next)
			}
			next++
		}
		if b.Link.UpNonce != next-1 || b.Checkpoint.Prev != prev.Hash {
			t.Fatalf("checkpoint %d: link %+v after %+v, carried up to %d", h, b.Link, prev, next-1)
		}
		prev = b.Link
	}
	if next-1 != 1000 {
		t.Fatalf("carried %d messages by height 200, want all 1000", next-1)
	}
}

// Messages that would push the encoding past MaxCheckpointBytes wait
// for the next checkpoint, and the cut is as late as it can be.
func TestCarryOverBySize(t *testing.T) {
	v := &fakeView{Subnet: testSubnet, UpAt: func(h uint64) uint64 { return min(h, 4) * 4 }, DataSize: 15_000}
	p := Params{Subnet: testSubnet, Period: 4}
	chain := expectedChain(t, v, p, 16)
	total := 0
	for _, b := range chain {
		if len(b.Encoded) > MaxCheckpointBytes {
			t.Fatalf("checkpoint %d is %d bytes", b.Link.Height, len(b.Encoded))
		}
		n := len(b.Checkpoint.Messages)
		total += n
		if uint64(total) < v.UpAt(b.Link.Height) {
			// Cut short: one more message must not have fit.
			more := *b.Checkpoint
			more.Messages = append(append([]types.CrossMsg(nil), more.Messages...), v.msg(b.Link.UpNonce+1))
			if enc, err := types.EncodeCheckpoint(&more); err == nil && len(enc) <= MaxCheckpointBytes {
				t.Fatalf("checkpoint %d left message %d out though it fits", b.Link.Height, b.Link.UpNonce+1)
			}
		}
	}
	if n0 := len(chain[0].Checkpoint.Messages); n0 == 0 || n0 >= 16 {
		t.Fatalf("first checkpoint carries %d of 16 messages of 15 kB: the size cap did not cut", len(chain[0].Checkpoint.Messages))
	}
	if total != 16 {
		t.Fatalf("carried %d messages by height 16, want 16", total)
	}
}

func TestChainMemoizesAndRebases(t *testing.T) {
	v := &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}
	p := Params{Subnet: testSubnet, Period: 10}
	c, err := NewChain(v, p, Link{})
	if err != nil {
		t.Fatal(err)
	}
	b50, err := c.At(50)
	if err != nil {
		t.Fatal(err)
	}
	if v.headers != 5 {
		t.Fatalf("building up to 50 read %d headers, want 5", v.headers)
	}
	b30, _ := c.At(30)
	if v.headers != 5 || b30.Link.Height != 30 {
		t.Fatalf("At(30) rebuilt: %d header reads", v.headers)
	}
	if err := c.Rebase(b30.Link); err != nil {
		t.Fatal(err)
	}
	if _, err := c.At(30); !errors.Is(err, ErrPruned) {
		t.Fatalf("At(base) = %v, want ErrPruned", err)
	}
	if again, _ := c.At(50); again != b50 || v.headers != 5 {
		t.Fatal("rebasing on a checkpoint it built lost the ones above")
	}

	// A parent that committed something else at 40 wins, loudly.
	other := Link{Height: 40, Hash: common.Hash{1}, UpNonce: 40}
	if err := c.Rebase(other); !errors.Is(err, ErrChainMismatch) {
		t.Fatalf("rebase on a different checkpoint: %v, want ErrChainMismatch", err)
	}
	b50b, err := c.At(50)
	if err != nil {
		t.Fatal(err)
	}
	if b50b.Checkpoint.Prev != other.Hash || b50b.Link.Hash == b50.Link.Hash {
		t.Fatal("after a mismatch the chain does not follow the parent's checkpoint")
	}

	// A fresh chain based on the parent's checkpoint builds the same bytes
	// as one built from the start, without reading the history below.
	fresh := &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}
	c2, _ := NewChain(fresh, p, b30.Link)
	b50c, err := c2.At(50)
	if err != nil {
		t.Fatal(err)
	}
	if string(b50c.Encoded) != string(b50.Encoded) {
		t.Fatal("chain based on the parent's checkpoint differs from the one built from the start")
	}
	if fresh.minHeader != 40 {
		t.Fatalf("based at 30, the chain read header %d", fresh.minHeader)
	}
}

// The size cut is exact: messages that bring the encoding to exactly
// MaxCheckpointBytes all go in; one byte more and the last waits.
func TestFitMessagesIsExact(t *testing.T) {
	v := &fakeView{Subnet: testSubnet, DataSize: 4_000}
	base := &types.Checkpoint{Subnet: string(testSubnet), Height: 10, Config: 1}
	msgs := make([]types.CrossMsg, 25) // about 100,000 bytes
	for i := range msgs {
		msgs[i] = v.msg(uint64(i + 1))
	}
	encLen := func(ms []types.CrossMsg) int {
		c := *base
		c.Messages = ms
		enc, err := rlp.EncodeToBytes(&c)
		if err != nil {
			t.Fatal(err)
		}
		return len(enc)
	}
	// Grow the last message's data until the whole is exactly the limit.
	last := &msgs[len(msgs)-1]
	for n := encLen(msgs); n != MaxCheckpointBytes; n = encLen(msgs) {
		last.Data = make([]byte, len(last.Data)+MaxCheckpointBytes-n)
	}
	if got, err := fitMessages(base, msgs, types.SubnetID(base.Subnet).Parent()); err != nil || got != len(msgs) {
		t.Fatalf("exactly at the limit: %d of %d fit (%v)", got, len(msgs), err)
	}
	last.Data = append(last.Data, 0)
	if got, err := fitMessages(base, msgs, types.SubnetID(base.Subnet).Parent()); err != nil || got != len(msgs)-1 {
		t.Fatalf("one byte over the limit: %d of %d fit (%v)", got, len(msgs), err)
	}
}

// TestCarryOverByParentGas: calls cost the parent far more than transfers,
// so a period full of calls is cut to what one parent block can execute and
// the rest go in the next checkpoint.
func TestCarryOverByParentGas(t *testing.T) {
	cp := &types.Checkpoint{Subnet: "/devnet/a", Height: 10}
	var calls, transfers []types.CrossMsg
	for i := uint64(1); i <= 60; i++ {
		calls = append(calls, types.CrossMsg{ID: types.MsgID("/devnet/a", i), SrcSubnet: "/devnet/a", SrcNonce: i, DstSubnet: "/devnet",
			Kind: types.KindCall, Data: []byte{1}, Value: big.NewInt(1)})
		transfers = append(transfers, types.CrossMsg{ID: types.MsgID("/devnet/a", i), SrcSubnet: "/devnet/a", SrcNonce: i, DstSubnet: "/devnet", Value: big.NewInt(1)})
	}
	n, err := fitMessages(cp, calls, "/devnet")
	if err != nil || n == 0 || n >= 60 || uint64(n)*900_000 > MaxCheckpointGas {
		t.Fatalf("60 calls: %d fit (%v), want fewer than 60 within %d gas", n, err, MaxCheckpointGas)
	}
	if n, err := fitMessages(cp, transfers, "/devnet"); err != nil || n != 60 {
		t.Fatalf("60 transfers: %d fit (%v), want all", n, err)
	}
}
