package evm

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/witness"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// fraudRig is a parent chain that checks fraud proofs with the real
// stateless executor, and its child /devnet/games run by a real executor
// whose validators' BLS keys the test holds.
type fraudRig struct {
	t      testing.TB
	p      *gwChain
	x      *xChild
	child  *Executor
	nonce  uint64 // of the child account p.addrs[0]
	blocks map[uint64]*types.Block
	n      int // validators: accounts 1..n; n+1..n+4 are other users
}

// newFraudRig opens the parent and the child, whose validators are accounts
// 1 to n with 10 coins each; account n+1 funds the child's account 0.
func newFraudRig(t testing.TB, n int) *fraudRig {
	p := newGWChain(t, n+5)
	p.opts = Options{Fraud: &FraudChecker{Genesis: testChildGenesis, Opts: Options{Evidence: testEvidence}}}
	p.reopen()
	vals := make([]int, n)
	for i := range vals {
		vals[i] = i + 1
	}
	x := newXChild(t, p, "games", 3, vals, eth(10), 1)
	p.run(1, p.gwTx(n+1, eth(100), "fund", string(x.id), p.addrs[0]))
	r := &fraudRig{t: t, p: p, x: x, child: openChild(t, p), blocks: map[uint64]*types.Block{}, n: n}
	// The joins' config changes come first in the child's queue, as many
	// a block as its top-down budget holds; then the fund.
	for r.child.Head().Height < 8 {
		if b, err := r.child.Balance(nil, p.addrs[0]); err != nil || b.Sign() > 0 {
			return r
		}
		r.commit(r.build(0))
	}
	t.Fatal("the child's account was not funded in 8 blocks")
	return nil
}

// build builds the child's next block with n transfers from p.addrs[0],
// referencing the parent's head; the caller commits it (or not).
func (r *fraudRig) build(n int) *execution.Executed {
	r.t.Helper()
	var txs []*gethtypes.Transaction
	for i := range n {
		tx, err := gethtypes.SignNewTx(r.p.keys[0], r.child.Signer(), &gethtypes.DynamicFeeTx{
			ChainID: r.child.Signer().ChainID(), Nonce: r.nonce, To: &common.Address{0xd0, byte(i), byte(i >> 8)}, Value: big.NewInt(1),
			Gas: params.TxGas, GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(10 * params.GWei),
		})
		if err != nil {
			r.t.Fatal(err)
		}
		r.nonce++
		txs = append(txs, tx)
	}
	ph, head := r.p.ex.Head(), r.child.Head()
	ex, err := r.child.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1000, Proposer: proposer,
		ParentRef: types.ParentRef{Height: ph.Height, Hash: ph.Hash()}}, newSliceSource(r.child.Signer(), txs...))
	if err != nil || len(ex.Block.Txs) != n {
		r.t.Fatalf("child block: %v (%d of %d transactions)", err, len(ex.Block.Txs), n)
	}
	return ex
}

func (r *fraudRig) commit(ex *execution.Executed) {
	r.t.Helper()
	if err := r.child.Commit(ex, &types.Commit{Height: ex.Block.Height(), BlockHash: ex.Block.Hash()}); err != nil {
		r.t.Fatal(err)
	}
	r.blocks[ex.Block.Height()] = ex.Block
}

// honest commits child blocks up to height, each with one transfer.
func (r *fraudRig) honest(height uint64) {
	for r.child.Head().Height < height {
		r.commit(r.build(1))
	}
}

// checkpoint commits, on the parent, the checkpoint of the child's block b
// signed by the whole config, and returns it encoded with its bitmap.
func (r *fraudRig) checkpoint(b *types.Block) (enc, bitmap []byte) {
	r.t.Helper()
	cp := r.x.next()
	if cp.Height != b.Height() {
		r.t.Fatalf("the next checkpoint is at %d, block at %d", cp.Height, b.Height())
	}
	gs, err := r.child.GatewayState(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	cp.BlockHash, cp.StateRoot, cp.DownApplied = b.Hash(), b.Header.StateRoot, gateway.AppliedTopDown(gs)
	data := r.x.input(cp)
	args, err := r.p.gw.Methods["submitCheckpoint"].Inputs.Unpack(data[4:])
	if err != nil {
		r.t.Fatal(err)
	}
	tx := r.p.tx(r.n+2, &gateway.Address, new(big.Int), 2_000_000, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei))
	if names := logNames(r.p, r.p.run(1, tx)[0].Logs); names != "CheckpointCommitted" {
		r.t.Fatalf("checkpoint at %d: logs %q", cp.Height, names)
	}
	return args[0].([]byte), args[2].([]byte)
}

// witness is the encoded witness of the committed child block at height.
func (r *fraudRig) witness(height uint64) []byte {
	r.t.Helper()
	enc, err := witnessOf(r.t, r.child, r.blocks[height].Hash()).Encode()
	if err != nil {
		r.t.Fatal(err)
	}
	return enc
}

func mustRLPBytes(t testing.TB, v any) []byte {
	t.Helper()
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFraudProofOnChain: a checkpoint signed by the child's whole quorum over
// a block whose header claims a state root its transactions do not give is
// proven fraudulent on the parent with the block's witness: the signers'
// collateral is slashed (10% to the prover, the rest burned), the child is
// frozen with its claims moved back to the honest checkpoint before, and
// FraudProven is emitted. A proof against an honest block, a tampered
// witness, a body that is not the header's, or a checkpoint the parent never
// committed reverts; a second proof changes nothing.
func TestFraudProofOnChain(t *testing.T) {
	const transfers = 50
	r := newFraudRig(t, 3)
	p, id := r.p, string(r.x.id)
	prove := func(ref, headers []byte, b *types.Block, w []byte) []byte {
		enc, err := types.EncodeBlock(b)
		if err != nil {
			t.Fatal(err)
		}
		return mustPack(t, p.gw, "proveFraud", id, ref, headers, enc, w)
	}

	// Checkpoint 1 at child height 10 is honest; block 10 applies a fund.
	r.honest(9)
	p.run(1, p.gwTx(4, eth(2), "fund", id, common.Address{0x71}))
	r.honest(10)
	cp1, bm1 := r.checkpoint(r.blocks[10])
	ref1 := gateway.EncodeFraudRef(gateway.FraudRef{Checkpoint: cp1, Bitmap: bm1})
	p.expectRevert("no fraud: block 10 re-executes", p.addrs[6], gateway.Address, nil, prove(ref1, nil, r.blocks[10], r.witness(10)))
	// The block reads the parent's queue from the parent's gateway, never
	// from the witness: a witness that hides the fund proves nothing.
	w10, err := witness.Decode(r.witness(10), witness.Limits{})
	if err != nil || w10.TopDown == nil || len(w10.TopDown.Msgs) != 1 {
		t.Fatalf("witness of block 10: %v, top-down read %+v; want the fund", err, w10.TopDown)
	}
	w10.TopDown.Msgs = nil
	hidden, err := w10.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p.expectRevert("no fraud: block 10 re-executes", p.addrs[6], gateway.Address, nil, prove(ref1, nil, r.blocks[10], hidden))
	// An earlier block, linked to the checkpoint by the headers above it.
	above := mustRLPBytes(t, []*types.Header{r.blocks[10].Header, r.blocks[9].Header, r.blocks[8].Header, r.blocks[7].Header, r.blocks[6].Header})
	p.expectRevert("no fraud: block 5 re-executes", p.addrs[6], gateway.Address, nil, prove(ref1, above, r.blocks[5], r.witness(5)))
	p.expectRevert("hashes to", p.addrs[6], gateway.Address, nil, prove(ref1, above, r.blocks[4], r.witness(4)))

	// Block 20 is byzantine: its header claims a state root its
	// transactions do not give. The honest block is committed (for its
	// witness, which is the forged one's too: same parent, same reads).
	r.honest(19)
	ex := r.build(transfers)
	r.commit(ex)
	forgedHeader := *ex.Block.Header
	forgedHeader.StateRoot = common.Hash{0xf0, 0x7e}
	forged := &types.Block{Header: &forgedHeader, Txs: ex.Block.Txs, Evidence: ex.Block.Evidence}
	cp2, bm2 := r.checkpoint(forged)
	ref2 := gateway.EncodeFraudRef(gateway.FraudRef{Checkpoint: cp2, Bitmap: bm2, Prev: cp1})
	w20 := r.witness(20)

	// Proofs that are not proofs revert.
	p.expectRevert("no checkpoint", p.addrs[6], gateway.Address, nil,
		prove(gateway.EncodeFraudRef(gateway.FraudRef{Checkpoint: cp2, Bitmap: []byte{0x03}, Prev: cp1}), nil, forged, w20))
	p.expectRevert("give no previous", p.addrs[6], gateway.Address, nil, prove(gateway.EncodeFraudRef(gateway.FraudRef{Checkpoint: cp1, Bitmap: bm1, Prev: cp1}), nil, r.blocks[10], r.witness(10)))
	p.expectRevert("vouched for by the checkpoint at height 10", p.addrs[6], gateway.Address, nil,
		prove(ref2, mustRLPBytes(t, []*types.Header{&forgedHeader, r.blocks[19].Header, r.blocks[18].Header, r.blocks[17].Header, r.blocks[16].Header,
			r.blocks[15].Header, r.blocks[14].Header, r.blocks[13].Header, r.blocks[12].Header, r.blocks[11].Header}), r.blocks[10], r.witness(10)))
	dw, err := witness.Decode(w20, witness.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	last := dw.Nodes[len(dw.Nodes)-1]
	dw.Nodes[len(dw.Nodes)-1] = append(append([]byte{}, last[:len(last)-1]...), last[len(last)-1]^1)
	tampered, err := dw.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p.expectRevert("not a proof", p.addrs[6], gateway.Address, nil, prove(ref2, nil, forged, tampered))
	p.expectRevert("not a proof", p.addrs[6], gateway.Address, nil, prove(ref2, nil, &types.Block{Header: &forgedHeader, Txs: forged.Txs[1:]}, w20))
	p.expectRevert("not a proof", p.addrs[6], gateway.Address, nil, prove(ref2, nil, forged, r.witness(19)))

	// The proof lands.
	proverBefore := p.balance(p.addrs[6])
	_, gwBefore := p.gatewayFingerprint()
	data := prove(ref2, nil, forged, w20)
	gas, err := p.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: p.addrs[6], To: &gateway.Address, Data: data}, nil)
	if err != nil {
		t.Fatalf("estimate proveFraud: %v", err)
	}
	rc := p.run(1, p.tx(6, &gateway.Address, new(big.Int), gas, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei)))[0]
	if names := logNames(p, rc.Logs); names != "SubnetFrozen ValidatorSlashed ValidatorSlashed ValidatorSlashed FraudProven" {
		t.Fatalf("logs %q", names)
	}
	fp := p.event(rc.Logs[4], "FraudProven")
	if fp["id"] != id || fp["checkpointHeight"] != uint64(20) || fp["blockHeight"] != uint64(20) || fp["prover"] != p.addrs[6] ||
		fp["collateralSlashed"].(*big.Int).Cmp(eth(30)) != 0 || fp["reward"].(*big.Int).Cmp(eth(3)) != 0 || !strings.Contains(fp["reason"].(string), "state root") {
		t.Fatalf("FraudProven %v", fp)
	}
	if fz := p.event(rc.Logs[0], "SubnetFrozen"); fz["lastCheckpointHeight"] != uint64(10) || fz["stateRoot"] != [32]byte(r.blocks[10].Header.StateRoot) {
		t.Fatalf("SubnetFrozen %v: claims must fall back to the honest checkpoint 10", fz)
	}
	_, gwAfter := p.gatewayFingerprint()
	if new(big.Int).Sub(gwBefore, gwAfter).Cmp(eth(30)) != 0 {
		t.Fatalf("gateway %s -> %s, want the 30 coins of collateral gone", gwBefore, gwAfter)
	}
	if got, want := p.balance(p.addrs[6]), new(big.Int).Add(proverBefore, eth(3)); new(big.Int).Add(got, new(big.Int).Mul(new(big.Int).SetUint64(rc.GasUsed), rc.EffectiveGasPrice)).Cmp(want) != 0 {
		t.Fatalf("prover has %s, want %s less fees", got, want)
	}
	if sn := p.subnet(id); len(sn.Validators) != 0 {
		t.Fatalf("%d validators keep their seats", len(sn.Validators))
	}
	claim := p.view("claimRoot", id)
	if claim[0] != true || claim[1] != uint64(10) || claim[2] != [32]byte(r.blocks[10].Header.StateRoot) {
		t.Fatalf("claimRoot %v: want frozen at checkpoint 10's root", claim)
	}
	assertConserved(t, p)
	t.Logf("gas used: fraud proof of a block of %d transfers (witness %d bytes, 3 signers): %d", transfers, len(w20), rc.GasUsed)

	// No checkpoint is taken again; a second proof changes nothing.
	r.honest(29)
	next, err := types.EncodeCheckpoint(&types.Checkpoint{Subnet: id, Height: 30, BlockHash: r.blocks[29].Hash(), Prev: common.Hash{1}, Config: 1, AppliedConfig: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.expectRevert("a fraud proof showed its checkpoint at height 20", p.addrs[5], gateway.Address, nil, mustPack(t, p.gw, "submitCheckpoint", next, []byte{1}, []byte{7}))
	root, bal := p.gatewayFingerprint()
	again := p.run(1, p.tx(7, &gateway.Address, new(big.Int), gas, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei)))[0]
	if len(again.Logs) != 0 {
		t.Fatalf("second proof: logs %q", logNames(p, again.Logs))
	}
	if root2, bal2 := p.gatewayFingerprint(); root2 != root || bal2.Cmp(bal) != 0 {
		t.Fatal("a second proof changed the gateway")
	}
}

// forge builds the child's next block with a header claiming a state root
// its transactions do not give, commits the honest one (whose witness is
// the forged one's too) and returns the forged block.
func (r *fraudRig) forge() *types.Block {
	ex := r.build(1)
	r.commit(ex)
	h := *ex.Block.Header
	h.StateRoot = common.Hash{0xf0, 0x7e}
	return &types.Block{Header: &h, Txs: ex.Block.Txs, Evidence: ex.Block.Evidence}
}

// TestFraudProofSlashesLargeSetsInBatches: a checkpoint of 40 signers is
// slashed 32 signers per call: the proof takes the first batch, a second
// call naming the same checkpoint (no block, no witness: nothing is
// re-executed) the rest, including the
// collateral of a signer that left after signing and waits for release;
// a third changes nothing.
func TestFraudProofSlashesLargeSetsInBatches(t *testing.T) {
	if gateway.MaxFraudSlashes >= 40 {
		t.Fatalf("MaxFraudSlashes %d: the test wants more signers than one call slashes", gateway.MaxFraudSlashes)
	}
	r := newFraudRig(t, 40)
	p, id := r.p, string(r.x.id)
	r.honest(9)
	forged := r.forge()
	cp, bm := r.checkpoint(forged)
	// The signer in the last seat leaves: 10 coins wait for release.
	p.run(1, p.gwTx(40, nil, "leave", id))
	if sn := p.subnet(id); len(sn.Validators) != 39 {
		t.Fatalf("%d seats after a leave", len(sn.Validators))
	}
	blockEnc, err := types.EncodeBlock(forged)
	if err != nil {
		t.Fatal(err)
	}
	ref := gateway.EncodeFraudRef(gateway.FraudRef{Checkpoint: cp, Bitmap: bm})
	data := mustPack(t, p.gw, "proveFraud", id, ref, []byte{}, blockEnc, r.witness(10))
	send := func(from int) *gethtypes.Receipt {
		t.Helper()
		gas, err := p.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: p.addrs[from], To: &gateway.Address, Data: data}, nil)
		if err != nil {
			t.Fatalf("estimate proveFraud: %v", err)
		}
		return p.run(1, p.tx(from, &gateway.Address, new(big.Int), gas, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei)))[0]
	}
	count := func(logs []*gethtypes.Log, name string) int {
		n := 0
		for _, f := range strings.Fields(logNames(p, logs)) {
			if f == name {
				n++
			}
		}
		return n
	}
	_, gw0 := p.gatewayFingerprint()
	first := send(43)
	if n := count(first.Logs, "ValidatorSlashed"); n != gateway.MaxFraudSlashes || count(first.Logs, "FraudProven") != 1 {
		t.Fatalf("first call: %d slashed (want %d), logs %q", n, gateway.MaxFraudSlashes, logNames(p, first.Logs))
	}
	if sn := p.subnet(id); len(sn.Validators) != 39-gateway.MaxFraudSlashes {
		t.Fatalf("after the first batch %d seats, want %d", len(sn.Validators), 39-gateway.MaxFraudSlashes)
	}
	// Until the rest are slashed, no signer leaves with its collateral and
	// the creator cannot kill the child to pay them.
	var left common.Address
	for _, v := range p.subnet(id).Validators {
		left = v.Owner
	}
	p.expectRevert("8 signers of a fraudulent checkpoint still to slash", left, gateway.Address, nil, mustPack(t, p.gw, "leave", id))
	p.expectRevert("still to slash", p.addrs[0], gateway.Address, nil, mustPack(t, p.gw, "kill", id))
	// Once proven, the rest needs the checkpoint reference only.
	data = mustPack(t, p.gw, "proveFraud", id, ref, []byte{}, []byte{}, []byte{})
	before := p.balance(p.addrs[44])
	second := send(44)
	if n := count(second.Logs, "ValidatorSlashed"); n != 40-gateway.MaxFraudSlashes || count(second.Logs, "FraudProven") != 0 {
		t.Fatalf("second call: %d slashed (want %d), logs %q", n, 40-gateway.MaxFraudSlashes, logNames(p, second.Logs))
	}
	fee := new(big.Int).Mul(new(big.Int).SetUint64(second.GasUsed), second.EffectiveGasPrice)
	reward := new(big.Int).Mul(eth(1), big.NewInt(int64(40-gateway.MaxFraudSlashes))) // 10% of 10 coins each
	if got := new(big.Int).Add(p.balance(p.addrs[44]), fee); got.Cmp(new(big.Int).Add(before, reward)) != 0 {
		t.Fatalf("the second caller has %s before fees, want %s", got, new(big.Int).Add(before, reward))
	}
	if sn := p.subnet(id); len(sn.Validators) != 0 {
		t.Fatalf("%d seats left", len(sn.Validators))
	}
	_, gw1 := p.gatewayFingerprint()
	if new(big.Int).Sub(gw0, gw1).Cmp(eth(400)) != 0 {
		t.Fatalf("gateway %s -> %s: want all 40 collaterals gone, the leaver's pending release too", gw0, gw1)
	}
	assertConserved(t, p)
	third := send(44)
	if len(third.Logs) != 0 {
		t.Fatalf("third call: logs %q", logNames(p, third.Logs))
	}
	p.run(1, p.gwTx(0, nil, "kill", id))
	t.Logf("gas used: fraud proof slashing %d of 40 signers: %d; the remaining %d: %d; a third call: %d",
		gateway.MaxFraudSlashes, first.GasUsed, 40-gateway.MaxFraudSlashes, second.GasUsed, third.GasUsed)
}
