package evm

import (
	"fmt"
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

func openChild(t *testing.T, parent *gwChain) *Executor {
	gen := &config.Genesis{SubnetID: "/devnet/games", ChainID: gateway.ChainIDFor("/devnet/games"), GasLimit: 30_000_000,
		TimestampMs: 1_700_000_000_000, Validators: []config.GenesisValidator{{Address: proposer}}, Alloc: map[common.Address]config.GenesisAccount{}}
	gen.SetDefaults()
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

func TestTopDownEmitsCrossMsgAppliedAsSystemLogs(t *testing.T) {
	p := activeChild(t)
	to1, to2 := common.Address{0x71}, common.Address{0x72}
	p.run(1, p.gwTx(4, eth(5), "fund", "/devnet/games", to1), p.gwTx(4, eth(7), "fund", "/devnet/games", to2))
	ph := p.ex.Head()
	ref := types.ParentRef{Height: ph.Height, Hash: ph.Hash()}

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
