package evm

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// executorParent serves a child the top-down queue from its parent's
// executor, as the node does from the parent's runtime.
type executorParent struct {
	x  *Executor
	st *store.Store
}

func (p executorParent) TopDown(ref types.ParentRef, from uint64) ([]gateway.TopDownMsg, error) {
	h, err := p.st.HeaderByNumber(ref.Height)
	if err != nil || h.Hash() != ref.Hash {
		return nil, fmt.Errorf("parent block %d %s not known: %v", ref.Height, ref.Hash, err)
	}
	gs, err := p.x.GatewayState(h)
	if err != nil {
		return nil, err
	}
	return gateway.ReadTopDown(gs, "/devnet", "/devnet/games", from, 256)
}

// activeChild makes /devnet/games Active on a fresh parent with three joins.
func activeChild(t *testing.T) *gwChain {
	c := newGWChain(t, 6)
	c.run(1, c.gwTx(0, nil, "createSubnet", "games", bft(3, eth(30))))
	c.run(1, c.joinTx(1, "/devnet/games", blsKey(t, 1), eth(10)), c.joinTx(2, "/devnet/games", blsKey(t, 2), eth(10)),
		c.joinTx(3, "/devnet/games", blsKey(t, 3), eth(10)))
	return c
}

// openChild opens /devnet/games from its parent's gateway as a node does:
// the genesis set is the parent's validator list at activation.
func openChild(t testing.TB, parent *gwChain) *Executor {
	gs, err := parent.ex.GatewayState(nil)
	if err != nil {
		t.Fatal(err)
	}
	cg, err := gateway.ReadChildGenesis(gs, "/devnet", "/devnet/games")
	if err != nil {
		t.Fatal(err)
	}
	gen, _ := testChildGenesis(cg)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x, err := New(st, gen, Options{Parent: executorParent{parent.ex, parent.st}})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// testChildGenesis is the genesis of the child cg describes, as openChild
// opens it (a node derives it the same way, dating it by the activation
// block).
func testChildGenesis(cg *gateway.ChildGenesis) (*config.Genesis, error) {
	gen := &config.Genesis{SubnetID: string(cg.ID), ChainID: cg.ChainID, GasLimit: 30_000_000,
		TimestampMs: 1_700_000_000_000, Alloc: map[common.Address]config.GenesisAccount{}, TopDownNonce: cg.FirstTopDownNonce - 1, Engine: "bft"}
	for _, v := range cg.Validators {
		gen.Validators = append(gen.Validators, config.GenesisValidator{Address: v.Owner, BLSPublicKey: v.BLSPublicKey, Power: gateway.PowerOf(v.Collateral)})
	}
	gen.SetDefaults()
	return gen, nil
}

func TestTopDownEmitsCrossMsgAppliedAsSystemLogs(t *testing.T) {
	p := activeChild(t)
	to1, to2 := common.Address{0x71}, common.Address{0x72}
	p.run(1, p.gwTx(4, eth(5), "fund", "/devnet/games", to1), p.gwTx(4, eth(7), "fund", "/devnet/games", to2))
	ph := p.ex.Head()
	ref := types.ParentRef{Height: ph.Height, Hash: ph.Hash()}
	pgs, err := p.ex.GatewayState(ph)
	if err != nil {
		t.Fatal(err)
	}
	if sn, _ := gateway.ReadSubnet(pgs, "/devnet", "/devnet/games"); gateway.TopDownNonce(pgs, "/devnet", "/devnet/games") != sn.TopDownNonce || sn.TopDownNonce != 2 ||
		gateway.TopDownNonce(pgs, "/devnet", "/devnet/nope") != 0 {
		t.Fatalf("TopDownNonce %d, record says %d, want 2", gateway.TopDownNonce(pgs, "/devnet", "/devnet/games"), sn.TopDownNonce)
	}

	child, verifier := openChild(t, p), openChild(t, p)
	head := child.Head()
	ex, err := child.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1000, Proposer: proposer, ParentRef: ref}, newSliceSource(child.Signer()))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.SystemLogs) != 2 {
		t.Fatalf("block applying two funds has %d system logs, want 2 CrossMsgApplied", len(ex.SystemLogs))
	}
	applied := p.gw.Events["CrossMsgApplied"]
	for i, l := range ex.SystemLogs {
		id := gateway.MsgID("/devnet", uint64(i+1))
		if l.Address != gateway.Address || len(l.Topics) != 2 || l.Topics[0] != applied.ID || l.Topics[1] != id {
			t.Fatalf("system log %d = %+v, want CrossMsgApplied(%s)", i, l, id)
		}
		out, err := applied.Inputs.NonIndexed().Unpack(l.Data)
		if err != nil || out[0] != true {
			t.Fatalf("CrossMsgApplied %d data %x: %v %v, want success", i, l.Data, out, err)
		}
		if !gethtypes.BloomLookup(ex.Block.Header.Bloom, id) || !gethtypes.BloomLookup(ex.Block.Header.Bloom, gateway.Address) {
			t.Fatalf("header bloom misses system log %d", i)
		}
		if l.TxHash != types.SystemTxHash(ex.Block.Hash()) || l.TxIndex != 0 || l.Index != uint(i) || l.BlockNumber != 1 {
			t.Fatalf("system log %d derived fields %+v", i, l)
		}
	}
	if err := child.Commit(ex, &types.Commit{Height: 1, BlockHash: ex.Block.Hash()}); err != nil {
		t.Fatal(err)
	}
	if b, _ := child.Balance(nil, to2); b.Cmp(eth(7)) != 0 {
		t.Fatalf("fund of 7 credited %s", b)
	}
	stored, err := child.store.SystemLogs(ex.Block.Hash())
	if err != nil || len(stored) != 2 || stored[1].Topics[1] != ex.SystemLogs[1].Topics[1] || stored[1].BlockHash != ex.Block.Hash() || stored[1].Index != 1 {
		t.Fatalf("stored system logs %v, %v", stored, err)
	}

	// Another validator re-executes the block: same logs, same bloom.
	again, err := verifier.Execute(ex.Block)
	if err != nil {
		t.Fatalf("re-execution refused the block: %v", err)
	}
	if len(again.SystemLogs) != 2 || again.SystemLogs[0].Topics[1] != ex.SystemLogs[0].Topics[1] {
		t.Fatalf("re-execution made system logs %v", again.SystemLogs)
	}
	// A block claiming a bloom without the system logs is refused.
	forged := &types.Block{Header: ex.Block.Header.Copy(), Txs: ex.Block.Txs}
	forged.Header.Bloom = gethtypes.Bloom{}
	if _, err := openChild(t, p).Execute(forged); err == nil {
		t.Fatal("a block whose bloom omits its system logs executed")
	}
}

// childBlock builds, checks by re-execution elsewhere, and commits one child
// block referencing the parent's head.
func childBlock(t *testing.T, p *gwChain, child, verifier *Executor) *execution.Executed {
	t.Helper()
	ph, head := p.ex.Head(), child.Head()
	ex, err := child.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1000, Proposer: proposer,
		ParentRef: types.ParentRef{Height: ph.Height, Hash: ph.Hash()}}, newSliceSource(child.Signer()))
	if err != nil {
		t.Fatal(err)
	}
	again, err := verifier.Execute(ex.Block)
	if err != nil {
		t.Fatalf("another validator refused child block %d: %v", ex.Block.Height(), err)
	}
	for _, x := range []struct {
		e  *Executor
		ex *execution.Executed
	}{{child, ex}, {verifier, again}} {
		if err := x.e.Commit(x.ex, &types.Commit{Height: ex.Block.Height(), BlockHash: ex.Block.Hash()}); err != nil {
			t.Fatal(err)
		}
	}
	return ex
}

func ownSet(t *testing.T, x *Executor) (uint64, []types.Validator) {
	t.Helper()
	gs, err := x.GatewayState(nil)
	if err != nil {
		t.Fatal(err)
	}
	n, vs, err := gateway.ReadOwnSet(gs)
	if err != nil {
		t.Fatal(err)
	}
	return n, vs
}

// TestConfigChangesMoveTheChildsValidatorSet: joins, stakes and leaves on
// the parent reach the child in order; the block that applies them names
// the next set in its header, in the parent's seat order, and a block that
// lies about it is refused.
func TestConfigChangesMoveTheChildsValidatorSet(t *testing.T) {
	p := activeChild(t)
	child, verifier := openChild(t, p), openChild(t, p)
	if n, vs := ownSet(t, child); n != 1 || len(vs) != 3 || vs[0].Address != p.addrs[1] || vs[0].Power != gateway.PowerOf(eth(10)) {
		t.Fatalf("genesis set: config %d %+v", n, vs)
	}
	if ex := childBlock(t, p, child, verifier); ex.Block.Header.NextValidators != nil {
		t.Fatal("a block without config changes names a next set")
	}

	p.run(1, p.joinTx(5, "/devnet/games", blsKey(t, 5), eth(10)))
	p.run(1, p.gwTx(2, eth(5), "stake", "/devnet/games"))
	p.run(1, p.gwTx(1, nil, "leave", "/devnet/games"))
	ex := childBlock(t, p, child, verifier)
	next := ex.Block.Header.NextValidators
	parent := p.subnet("/devnet/games")
	if len(next) != 3 || len(parent.Validators) != 3 || parent.ConfigNumber != 4 {
		t.Fatalf("after join, stake, leave: child names %d seats, parent holds %d at config %d", len(next), len(parent.Validators), parent.ConfigNumber)
	}
	for i, v := range parent.Validators {
		if next[i].Address != v.Owner || string(next[i].BLSPublicKey) != string(v.BlsPublicKey) || next[i].Power != gateway.PowerOf(v.Collateral) {
			t.Fatalf("seat %d: child %+v, parent %+v (orders must match for signer bitmaps)", i, next[i], v)
		}
	}
	if n, _ := ownSet(t, child); n != 4 {
		t.Fatalf("child at config %d, want 4", n)
	}

	// A proposer that drops a seat from the next set is caught.
	p.run(1, p.gwTx(3, eth(1), "stake", "/devnet/games"))
	ph, head := p.ex.Head(), child.Head()
	honest, err := child.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1000, Proposer: proposer,
		ParentRef: types.ParentRef{Height: ph.Height, Hash: ph.Hash()}}, newSliceSource(child.Signer()))
	if err != nil || len(honest.Block.Header.NextValidators) != 3 {
		t.Fatalf("stake block: %v, next %v", err, honest.Block.Header.NextValidators)
	}
	forged := &types.Block{Header: honest.Block.Header.Copy()}
	forged.Header.NextValidators = forged.Header.NextValidators[:2]
	if _, err := verifier.Execute(forged); err == nil {
		t.Fatal("a block naming a next set its config changes do not lead to executed")
	}
}

// TestTopDownWorkStaysWithinTheBlockGasLimit (issue 19, defect 11): a
// child block applies queued calls only while their gas fits in half its
// gas limit, and its transactions get only what that work left; the rest of
// the queue follows in the next blocks. Each call was paid for on the
// parent when it was sent.
func TestTopDownWorkStaysWithinTheBlockGasLimit(t *testing.T) {
	p := activeChild(t)
	p.run(1, p.gwTx(4, eth(1), "fund", "/devnet/games", p.addrs[5]))
	child, verifier := openChild(t, p), openChild(t, p)
	childBlock(t, p, child, verifier)
	applied := func() uint64 {
		gs, err := child.GatewayState(nil)
		if err != nil {
			t.Fatal(err)
		}
		return gateway.AppliedTopDown(gs)
	}
	first := applied()

	const calls = 40
	for b := 0; b < 2; b++ {
		var txs []*gethtypes.Transaction
		for i := 0; i < calls/2; i++ {
			txs = append(txs, p.gwTx(4, nil, "send", "/devnet/games", common.Address{0xca}, []byte{1}))
		}
		p.run(1, txs...)
	}

	// A transaction that needs more than half the child's gas limit.
	heavy := p.childTx(t, child, 5, 20_000_000)
	ph, head := p.ex.Head(), child.Head()
	ex, err := child.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1000, Proposer: proposer,
		ParentRef: types.ParentRef{Height: ph.Height, Hash: ph.Hash()}}, newSliceSource(child.Signer(), heavy))
	if err != nil {
		t.Fatal(err)
	}
	again, err := verifier.Execute(ex.Block)
	if err != nil {
		t.Fatalf("another validator refused the block: %v", err)
	}
	if err := child.Commit(ex, &types.Commit{Height: ex.Block.Height(), BlockHash: ex.Block.Hash()}); err != nil {
		t.Fatal(err)
	}
	if err := verifier.Commit(again, &types.Commit{Height: ex.Block.Height(), BlockHash: ex.Block.Hash()}); err != nil {
		t.Fatal(err)
	}
	n := applied() - first
	limit := topDownBudget(head.GasLimit) / gateway.CrossMsgCallGas
	t.Logf("one block applied %d of %d queued calls (at most %d fit its top-down budget)", n, calls, limit)
	if n == 0 || n > limit {
		t.Fatalf("one block applied %d of %d queued calls, want 1 to %d", n, calls, limit)
	}
	if len(ex.Block.Txs) != 0 {
		t.Fatal("a 20M-gas transaction ran in a 30M block after the top-down work took its share")
	}
	for i := 0; i < 3 && applied()-first < calls; i++ {
		childBlock(t, p, child, verifier)
	}
	if got := applied() - first; got != calls {
		t.Fatalf("%d of %d calls applied after three more blocks", got, calls)
	}
}

// TestSendingACallDownPaysItsExecution: a call queued for a child costs the
// sender CrossMsgCallGas more on the parent than the same message without
// a call, since the child runs it before its transactions, unpaid.
func TestSendingACallDownPaysItsExecution(t *testing.T) {
	p := activeChild(t)
	transfer := p.run(1, p.gwTx(4, eth(1), "send", "/devnet/games", common.Address{0xca}, []byte{}))[0].GasUsed
	call := p.run(1, p.gwTx(4, eth(1), "send", "/devnet/games", common.Address{0xca}, []byte{1}))[0].GasUsed
	t.Logf("gas used: send of a transfer %d, of a call %d", transfer, call)
	if call < transfer+gateway.CrossMsgCallGas {
		t.Fatalf("a call down costs %d gas, a transfer %d: the call's execution on the child is not paid", call, transfer)
	}
}

// childTx signs a plain transfer of account i on the child with gas limit gas.
func (c *gwChain) childTx(t *testing.T, child *Executor, i int, gas uint64) *gethtypes.Transaction {
	t.Helper()
	to := common.Address{0x70}
	tx, err := gethtypes.SignNewTx(c.keys[i], child.Signer(), &gethtypes.DynamicFeeTx{
		ChainID: child.Signer().ChainID(), Nonce: 0, To: &to, Value: common.Big1,
		Gas: gas, GasTipCap: common.Big1, GasFeeCap: big.NewInt(10e9),
	})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}
