package node

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
)

// applyTopDown sets how far the child's gateway has applied its parent's
// queue, as the executor does when a block moves the parent reference.
func applyTopDown(c *fakeChain, nonce uint64) {
	c.st.SetState(gateway.AppliedSlot(), common.BigToHash(new(big.Int).SetUint64(nonce)))
}

// TestParentWork: a child has work from its parent exactly when the
// parent queued top-down messages its head has not applied, or (with
// checkpoints) it holds up messages the parent has not applied, or its
// validator set changed since its last checkpoint height.
func TestParentWork(t *testing.T) {
	t.Run("read", func(t *testing.T) { testParentWork(t, false) })
	// Remembered: with gateway states that name their content, the answer
	// is kept while neither the parent's gateway nor the child's head moves,
	// and never outlives a change.
	t.Run("remembered", func(t *testing.T) { testParentWork(t, true) })
}

func testParentWork(t *testing.T, rooted bool) {
	var seen parentWorkSeen
	// Shadows the package's parentWork from the next statement on; the body calls that one.
	parentWork := func(child, parent chainView, period uint64) bool {
		if rooted {
			return seen.answer(child, parent, period)
		}
		return parentWork(child, parent, period)
	}
	parent := newFakeChain(t, "/testnet")
	parent.rooted = rooted
	id := parent.createChild("c", 10, testkeys.BLS(1))
	parent.commit()
	cg, err := gateway.ReadChildGenesis(parent.states[parent.Head().Height], parent.id, id)
	if err != nil {
		t.Fatal(err)
	}
	child := newFakeChain(t, id)
	child.rooted = rooted
	applyTopDown(child, cg.FirstTopDownNonce-1)
	child.commit()
	if parentWork(child, parent, 10) {
		t.Fatal("work for a child that applied everything and sent nothing")
	}

	// Top-down: a fund on the parent is work until the child applies it.
	parent.call(common.Address{0xf0}, 7, "fund", string(id), common.Address{0xf1})
	parent.commit()
	for _, period := range []uint64{10, 0} { // 10 first: asked before with the same head
		if !parentWork(child, parent, period) {
			t.Fatalf("period %d: a fund the parent queued is no work", period)
		}
	}
	applyTopDown(child, cg.FirstTopDownNonce)
	child.commit()
	if parentWork(child, parent, 10) {
		t.Fatal("work after the child applied the fund")
	}

	// Bottom-up: a release queued on the child is work while checkpoints run.
	child.st.balances[gateway.Address] = big.NewInt(100) // the child's supply
	child.call(common.Address{0xf1}, 3, "release", common.Address{0xf1})
	child.commit()
	if parentWork(child, parent, 0) {
		t.Fatal("up messages are work for a subnet without checkpoints")
	}
	if !parentWork(child, parent, 10) {
		t.Fatal("an up message the parent has not applied is no work")
	}
	// ...until the child is checkpointsAhead periods past the parent's last
	// checkpoint: more blocks would only queue more checkpoints.
	child.commitTo(19)
	if !parentWork(child, parent, 10) {
		t.Fatal("at 19, one checkpoint ahead of the parent: no work")
	}
	child.commitTo(checkpointsAhead * 10)
	if parentWork(child, parent, 10) {
		t.Fatalf("at %d, %d checkpoints ahead of a parent that has none: still work", checkpointsAhead*10, checkpointsAhead)
	}

	// A config change since the last checkpoint height is work, until the
	// next checkpoint height.
	quiet := newFakeChain(t, id)
	applyTopDown(quiet, cg.FirstTopDownNonce)
	gateway.WriteOwnSet(quiet.st, 1, []types.Validator{{Address: common.Address{1}, BLSPublicKey: hexutil.MustDecode("0x01"), Power: 1}})
	quiet.commitTo(10) // a checkpoint height, config 1
	quiet.commitTo(12)
	if parentWork(quiet, parent, 10) {
		t.Fatal("work without a config change")
	}
	gateway.WriteOwnSet(quiet.st, 2, []types.Validator{{Address: common.Address{2}, BLSPublicKey: hexutil.MustDecode("0x02"), Power: 1}})
	for _, h := range []uint64{13, 15} {
		quiet.commitTo(h)
		if !parentWork(quiet, parent, 10) {
			t.Fatalf("at %d: a validator-set change since the last checkpoint height is no work", h)
		}
	}
	quiet.commitTo(20)
	if parentWork(quiet, parent, 10) {
		t.Fatal("work at the checkpoint height that carries the change")
	}

	// Unreadable state: no work, no panic.
	parent.broken = true
	if parentWork(child, parent, 10) {
		t.Fatal("work read from an unreadable parent")
	}
}
