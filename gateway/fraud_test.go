package gateway

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// TestFraudQueueIsTheQueueAsOfTheReference: a re-executed child block reads
// the messages queued up to its parent reference's height, from the nonce
// it asks, and nothing when the reference is not before the proving block.
func TestFraudQueueIsTheQueueAsOfTheReference(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	for height := uint64(5); height <= 7; height++ {
		h.st.height = height
		h.ok(common.Address{0xf1}, 1000, "fund", string(c.id), common.Address{0x71})
		h.ok(common.Address{0xf1}, 2000, "fund", string(c.id), common.Address{0x72})
	}
	all, err := ReadTopDown(h.st, "/devnet", c.id, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	q := &fraudQueue{st: h.st, name: "games", id: string(c.id), now: 9}
	for _, tc := range []struct {
		ref, from uint64
		want      int
	}{{4, 1, 0}, {5, 1, 2}, {6, 1, 4}, {6, 3, 2}, {6, 5, 0}, {8, 2, 5}} {
		got, err := q.TopDown(types.ParentRef{Height: tc.ref}, tc.from)
		if err != nil || len(got) != tc.want {
			t.Fatalf("queue at %d from %d: %d messages, %v; want %d", tc.ref, tc.from, len(got), err, tc.want)
		}
		for i, m := range got {
			if m.Nonce != tc.from+uint64(i) || m.Height > tc.ref || m.Msg.To != all[m.Nonce-1].Msg.To {
				t.Fatalf("queue at %d from %d: message %d is %+v", tc.ref, tc.from, i, m)
			}
		}
	}
	if _, err := q.TopDown(types.ParentRef{Height: 9}, 1); err == nil || !strings.Contains(err.Error(), "not before this block 9") {
		t.Fatalf("a reference to the proving block itself: %v", err)
	}
	// The previous checkpoint showed message 2 applied: a block that reads
	// from 2 again is not the block to prove (an earlier one went back).
	q.applied = 2
	if _, err := q.TopDown(types.ParentRef{Height: 8}, 2); err == nil || !strings.Contains(err.Error(), "showed 2 applied") {
		t.Fatalf("reading from before the previous checkpoint's applied nonce: %v", err)
	}
	if got, err := q.TopDown(types.ParentRef{Height: 8}, 3); err != nil || len(got) != 4 {
		t.Fatalf("reading from after it: %d messages, %v", len(got), err)
	}
}

// refusingFraud fails the test if proveFraud gets as far as re-execution.
type refusingFraud struct{ t *testing.T }

func (r refusingFraud) CheckTransition(*ChildGenesis, *types.Block, []byte, TopDownQueue) (error, error) {
	r.t.Fatal("re-executed a proof that should have been refused before")
	return nil, nil
}

// TestProveFraudRefusesBeforeReexecuting: oversized inputs, checkpoints the
// parent never committed, and a chain without a verifier revert with the
// reason, before any block is executed.
func TestProveFraudRefusesBeforeReexecuting(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	cp := c.next()
	c.commit(cp)
	enc, _, bitmap := c.sign(cp, "devnet")
	ref := EncodeFraudRef(FraudRef{Checkpoint: enc, Bitmap: bitmap})
	h.fails("cannot re-execute child blocks", common.Address{0xe1}, 0, "proveFraud", string(c.id), ref, []byte{}, []byte{}, []byte{})

	h.g.fraud = refusingFraud{t}
	huge := make([]byte, MaxFraudWitnessBytes+1)
	h.fails("the witness is 16777217 bytes, over", common.Address{0xe1}, 0, "proveFraud", string(c.id), ref, []byte{}, []byte{}, huge)
	h.fails("the headers are", common.Address{0xe1}, 0, "proveFraud", string(c.id), ref, make([]byte, MaxFraudHeaderBytes+1), []byte{}, []byte{})
	other := *cp
	other.StateRoot = common.Hash{0x66}
	encOther, _, _ := c.sign(&other, "devnet")
	h.fails("no checkpoint", common.Address{0xe1}, 0, "proveFraud", string(c.id), EncodeFraudRef(FraudRef{Checkpoint: encOther, Bitmap: bitmap}), []byte{}, []byte{}, []byte{})
	h.fails("no checkpoint", common.Address{0xe1}, 0, "proveFraud", string(c.id), EncodeFraudRef(FraudRef{Checkpoint: enc, Bitmap: []byte{1}}), []byte{}, []byte{}, []byte{})
	h.fails("block:", common.Address{0xe1}, 0, "proveFraud", string(c.id), ref, []byte{}, []byte{0xc0}, []byte{})
}
