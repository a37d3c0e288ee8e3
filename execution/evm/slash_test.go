package evm

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/consensus"
	bftengine "github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// doubleVote is two prevotes of account i's key for height of the child.
func (x *xChild) doubleVote(i int, height uint64) []byte {
	k := x.keys[x.c.addrs[i]]
	a := bftengine.Vote{Type: bftengine.Prevote, Height: height, BlockHash: common.Hash{0xaa}}
	b := bftengine.Vote{Type: bftengine.Prevote, Height: height, BlockHash: common.Hash{0xbb}}
	bftengine.SignVote(k, x.id, &a)
	bftengine.SignVote(k, x.id, &b)
	return gateway.EncodeEngineEvidence(bftengine.EncodeDoubleVote(bftengine.DoubleVote{Key: k.PublicKey().Bytes(), A: a, B: b}))
}

// testEvidence is the engine evidence test chains check: the node gives its
// executors every consensus kind it runs.
var testEvidence = consensus.KindEvidence{bftengine.Kind}

// doubleCheckpoint is account i's signatures of two checkpoints at height.
func (x *xChild) doubleCheckpoint(i int, height uint64) []byte {
	t := x.c.t
	k := x.keys[x.c.addrs[i]]
	d := gateway.DoubleCheckpoint{Key: k.PublicKey().Bytes()}
	for j, block := range []byte{1, 2} {
		cp := &types.Checkpoint{Subnet: string(x.id), Height: height, BlockHash: common.Hash{block}, Config: 1, AppliedConfig: 1}
		enc, err := types.EncodeCheckpoint(cp)
		if err != nil {
			t.Fatal(err)
		}
		if j == 0 {
			d.A, d.SigA = enc, k.Sign(cp.SigningBytes("devnet"))
		} else {
			d.B, d.SigB = enc, k.Sign(cp.SigningBytes("devnet"))
		}
	}
	return gateway.EncodeDoubleCheckpoint(d)
}

// submitEvidence sends ev from account i with the gas eth_estimateGas gives
// and returns the receipt (which must succeed).
func (x *xChild) submitEvidence(i int, ev []byte) *gethtypes.Receipt {
	t := x.c.t
	t.Helper()
	data := mustPack(t, x.c.gw, "submitEvidence", string(x.id), ev)
	gas, err := x.c.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: x.c.addrs[i], To: &gateway.Address, Data: data}, nil)
	if err != nil {
		t.Fatalf("estimate submitEvidence: %v", err)
	}
	return x.c.run(1, x.c.tx(i, &gateway.Address, new(big.Int), gas, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei)))[0]
}

func (x *xChild) seated(addr common.Address) bool {
	for _, v := range x.c.subnet(string(x.id)).Validators {
		if v.Owner == addr {
			return true
		}
	}
	return false
}

// TestSlashOnChain: evidence submitted as transactions by an account that
// is no validator burns the double signer's collateral (the gateway's
// balance and the chain's supply shrink by it, its owner gets nothing),
// takes its seat with a config change for the child, also reaches a leaver
// whose collateral waits for release, is a cheap no-op when repeated, and
// bad evidence reverts without a trace.
func TestSlashOnChain(t *testing.T) {
	c := newGWChain(t, 8)
	x := newXChild(t, c, "games", 3, []int{1, 2, 3, 4}, eth(10), 1) // config 2: four seats
	owner4 := c.addrs[4]
	before4 := c.balance(owner4)
	_, gwBefore := c.gatewayFingerprint()

	r := x.submitEvidence(6, x.doubleVote(4, 7))
	if names := logNames(c, r.Logs); names != "ValidatorSlashed" {
		t.Fatalf("logs %q", names)
	}
	ev := c.event(r.Logs[0], "ValidatorSlashed")
	if ev["id"] != string(x.id) || ev["owner"] != owner4 || ev["collateralSlashed"].(*big.Int).Cmp(eth(10)) != 0 || ev["reason"] != "double prevote at height 7, round 0" {
		t.Fatalf("ValidatorSlashed %v", ev)
	}
	if r.Logs[0].Topics[1] != common.BytesToHash(owner4.Bytes()) {
		t.Fatalf("owner is not the indexed topic: %v", r.Logs[0].Topics)
	}
	_, gwAfter := c.gatewayFingerprint()
	if new(big.Int).Sub(gwBefore, gwAfter).Cmp(eth(10)) != 0 || c.balance(owner4).Cmp(before4) != 0 {
		t.Fatalf("gateway %s -> %s, owner4 %s -> %s; want 10 coins burned, none returned", gwBefore, gwAfter, before4, c.balance(owner4))
	}
	if got := c.balance(c.addrs[6]); got.Cmp(c.balanceAfterFees(c.addrs[6])) != 0 {
		t.Fatalf("the submitter has %s, want its balance less fees", got)
	}
	sn := c.subnet(string(x.id))
	if x.seated(owner4) || len(sn.Validators) != 3 || sn.ConfigNumber != 3 {
		t.Fatalf("after the slash: %d validators, config %d", len(sn.Validators), sn.ConfigNumber)
	}
	st := x.state()
	msgs, err := gateway.ReadTopDown(st, "/devnet", x.id, 1, 100)
	if err != nil || len(msgs) == 0 {
		t.Fatal(msgs, err)
	}
	if m := msgs[len(msgs)-1]; m.Kind != gateway.KindConfig || m.Config.Number != 3 || m.Config.Op != gateway.OpLeave || m.Config.Validator.Owner != owner4 {
		t.Fatalf("last top-down message %+v, want config 3: owner4 leaves", m)
	}
	assertConserved(t, c)
	t.Logf("gas used: slash by double vote, 4 validators: %d", r.GasUsed)

	// Racing submitters: the same evidence again succeeds, changes nothing, costs little.
	root, bal := c.gatewayFingerprint()
	again := x.submitEvidence(7, x.doubleVote(4, 7))
	if len(again.Logs) != 0 || again.GasUsed*5 > r.GasUsed {
		t.Fatalf("repeated evidence: %d logs, %d gas (first %d)", len(again.Logs), again.GasUsed, r.GasUsed)
	}
	if root2, bal2 := c.gatewayFingerprint(); root2 != root || bal2.Cmp(bal) != 0 {
		t.Fatal("repeated evidence changed the gateway")
	}
	t.Logf("gas used: repeated evidence %d", again.GasUsed)

	// Bad evidence reverts with its reason, in a call and in a block.
	forged := x.doubleVote(1, 8)
	forged[len(forged)-1] ^= 1 // the last byte of B's signature
	data := mustPack(t, c.gw, "submitEvidence", string(x.id), forged)
	c.expectRevert("is not signed by BLS key", c.addrs[7], gateway.Address, nil, data)
	c.expectRevert("has nothing at stake", c.addrs[7], gateway.Address, nil, mustPack(t, c.gw, "submitEvidence", string(x.id), x.doubleVote(4, 9)))
	c.run(0, c.tx(7, &gateway.Address, new(big.Int), 1_000_000, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei)))
	if root2, bal2 := c.gatewayFingerprint(); root2 != root || bal2.Cmp(bal) != 0 {
		t.Fatal("reverted evidence changed the gateway")
	}

	// A leaver waiting for its collateral is still slashable, by a
	// double-signed checkpoint; the release then pays nothing.
	k5 := blsKey(t, 60)
	x.keys[c.addrs[5]] = k5
	c.run(1, c.joinTx(5, string(x.id), k5, eth(10))) // config 4
	c.run(1, c.gwTx(5, nil, "leave", string(x.id)))  // config 5: 10 coins pending
	before5 := c.balance(c.addrs[5])
	_, gwBefore = c.gatewayFingerprint()
	r = x.submitEvidence(6, x.doubleCheckpoint(5, 30))
	if names := logNames(c, r.Logs); names != "ValidatorSlashed" {
		t.Fatalf("logs %q", names)
	}
	ev = c.event(r.Logs[0], "ValidatorSlashed")
	if ev["owner"] != c.addrs[5] || ev["collateralSlashed"].(*big.Int).Cmp(eth(10)) != 0 ||
		!strings.HasPrefix(ev["reason"].(string), "double-signed checkpoint at height 30 (collateral waiting for release") {
		t.Fatalf("ValidatorSlashed %v", ev)
	}
	if _, gwAfter = c.gatewayFingerprint(); new(big.Int).Sub(gwBefore, gwAfter).Cmp(eth(10)) != 0 {
		t.Fatalf("gateway %s -> %s, want 10 coins burned", gwBefore, gwAfter)
	}
	if sn := c.subnet(string(x.id)); sn.ConfigNumber != 5 || len(sn.Validators) != 3 {
		t.Fatalf("slashing a pending release changed the set: config %d, %d seats", sn.ConfigNumber, len(sn.Validators))
	}
	assertConserved(t, c)
	t.Logf("gas used: slash of a pending release by double-signed checkpoint: %d", r.GasUsed)

	// The child applied the leave: the release is paid, and it is worth nothing.
	r = x.submit(6, x.next())
	if names := logNames(c, r.Logs); names != "ValidatorLeft CheckpointCommitted" {
		t.Fatalf("logs %q", names)
	}
	if left := c.event(r.Logs[0], "ValidatorLeft"); left["owner"] != c.addrs[5] || left["collateralReturned"].(*big.Int).Sign() != 0 {
		t.Fatalf("ValidatorLeft %v", left)
	}
	if c.balance(c.addrs[5]).Cmp(before5) != 0 {
		t.Fatalf("the slashed leaver has %s, had %s", c.balance(c.addrs[5]), before5)
	}
	assertConserved(t, c)
}
