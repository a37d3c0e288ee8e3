package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/mempool"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// TestChildSeesOnlyTheParentsFinalBlocks: a parent whose head is tentative
// above its final block (an engine with probabilistic finality) shows its
// children and the subnet manager the final block only: the child's parent
// reference, the top-down messages it may read, its parentWork and the
// subnets reconcile starts ignore what the tentative blocks hold, until
// they are final.
func TestChildSeesOnlyTheParentsFinalBlocks(t *testing.T) {
	mine := testkeys.BLS(1)
	parent := newFakeChain(t, "/testnet")
	id := parent.createChild("c", 10, mine)
	final := parent.commit()
	cg, err := gateway.ReadChildGenesis(parent.states[final.Height], parent.id, id)
	if err != nil {
		t.Fatal(err)
	}
	child := newFakeChain(t, id)
	applyTopDown(child, cg.FirstTopDownNonce-1)
	child.commit()

	// Tentative parent blocks: a fund for the child and a new subnet.
	parent.call(common.Address{0xf0}, 7, "fund", string(id), common.Address{0xf1})
	other := parent.createChild("late", 10, mine)
	tip := parent.commitTentative()
	parent.commitTentative()

	rt := &runtime{parent: parent}
	if ref := rt.parentRef(); ref.Height != final.Height || ref.Hash != final.Hash() {
		t.Fatalf("parent reference %d %s, want the final block %d %s", ref.Height, ref.Hash, final.Height, final.Hash())
	}
	if parentWork(child, parent, 10) {
		t.Fatal("a fund in a tentative parent block is work")
	}
	pc := parentChain{parent: parent, child: id}
	if _, err := pc.TopDown(types.ParentRef{Height: tip.Height, Hash: tip.Hash()}, cg.FirstTopDownNonce); !errors.Is(err, ErrNotFinal) {
		t.Fatalf("top-down messages of a tentative parent block: %v, want ErrNotFinal", err)
	}
	f := &fakeStarter{running: map[types.SubnetID]bool{}}
	r := newReconciler(reconcilerConfig{
		seated:  func(*gateway.Subnet) bool { return true },
		running: func(id types.SubnetID) bool { return f.running[id] },
		start:   f.start,
		stop:    func(id types.SubnetID) { delete(f.running, id) },
		now:     newFakeClock().now, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	r.reconcile(context.Background(), []chainView{parent})
	if got := f.take(); len(got) != 1 || got[0] != id {
		t.Fatalf("started %v, want only %s (%s is in a tentative block)", got, id, other)
	}

	// Final: everything shows.
	parent.tentative = 0
	if ref := rt.parentRef(); ref.Height != parent.Head().Height {
		t.Fatalf("parent reference %d after finality, want the head %d", ref.Height, parent.Head().Height)
	}
	if !parentWork(child, parent, 10) {
		t.Fatal("a final fund is no work")
	}
	r.reconcile(context.Background(), []chainView{parent})
	if got := f.take(); len(got) != 1 || got[0] != other {
		t.Fatalf("started %v, want %s once final", got, other)
	}
}

// bareRuntime is a root runtime with its real store, executor and pool and
// no engine, driver or network: the test plays the driver.
func bareRuntime(t *testing.T) *runtime {
	t.Helper()
	gen := &config.Genesis{SubnetID: "/testnet", ChainID: 31337, GasLimit: 30_000_000, Engine: "solo",
		TimestampMs: 1_700_000_000_000, Validators: []config.GenesisValidator{{Address: testkeys.Address(0)}}}
	gen.SetDefaults()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x, err := evm.New(st, gen, evm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rt := &runtime{chain: chain{id: gen.ID(), gen: gen, log: slog.New(slog.NewTextHandler(io.Discard, nil)), store: st, exec: x,
		commits: make(chan struct{}, 1)}, metrics: newMetrics(), kind: consensus.Kind{SingleSequencer: true}}
	rt.head.Store(x.Head())
	rt.pool = mempool.New(mempool.Config{}, gen.ChainIDBig(), rt.stateAt(x.Head()))
	vs, err := rt.validatorsAt(x.Head())
	if err != nil {
		t.Fatal(err)
	}
	rt.setValidators(vs)
	return rt
}

// commitTentative builds an empty block on rt's head, commits it not final
// and hands it to onCommit with logs, as the driver does for a tentative head.
func commitTentative(t *testing.T, rt *runtime, logs ...*gethtypes.Log) *types.Header {
	t.Helper()
	head := rt.head.Load()
	e, err := rt.exec.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1000, Proposer: testkeys.Address(0)}, rt.pool.Source())
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.exec.CommitTentative(e); err != nil {
		t.Fatal(err)
	}
	for _, l := range logs {
		l.BlockHash, l.BlockNumber = e.Block.Hash(), e.Block.Height()
	}
	e.SystemLogs = logs
	rt.onCommit(e)
	return e.Block.Header
}

// TestTentativeHeadOnTheRealChain: with the store's head tentative, the
// chain shows other runtimes its finalized block only; after a rewind the
// validator set deciding the next block is the new head's again (not the
// one a dropped block named), and log subscribers get the dropped block's
// logs once more, marked removed, without the originals changing.
func TestTentativeHeadOnTheRealChain(t *testing.T) {
	rt := bareRuntime(t)
	genesis := rt.head.Load()
	want := rt.vals.Load().All()
	logs := make(chan []*gethtypes.Log, 4)
	defer rt.logs.Subscribe(logs)()

	l := &gethtypes.Log{Address: common.Address{0x99}, Topics: []common.Hash{{0x70}}, Data: []byte{1}}
	h1 := commitTentative(t, rt, l)
	if got := <-logs; len(got) != 1 || got[0] != l {
		t.Fatalf("commit sent %v, want the block's log", got)
	}
	// Block 1 named another set, as onCommit applies a header's NextValidators.
	other, err := consensus.NewValidatorSet([]types.Validator{{Address: common.Address{0xee}, Power: 1}})
	if err != nil {
		t.Fatal(err)
	}
	rt.setValidators(other)

	if _, err := rt.HeaderAt(h1.Height); !errors.Is(err, ErrNotFinal) {
		t.Fatalf("tentative block %d: %v, want ErrNotFinal", h1.Height, err)
	}
	if _, err := rt.GatewayAt(h1.Height); !errors.Is(err, ErrNotFinal) {
		t.Fatalf("gateway after tentative block %d: %v, want ErrNotFinal", h1.Height, err)
	}
	child := &runtime{parent: &rt.chain}
	if ref := child.parentRef(); ref.Height != genesis.Height || ref.Hash != genesis.Hash() {
		t.Fatalf("a child references parent block %d, want the final genesis", ref.Height)
	}

	head, dropped, err := rt.exec.Rewind(genesis.Height, genesis.Hash())
	if err != nil {
		t.Fatal(err)
	}
	rt.onRewind(head, dropped)
	got := rt.vals.Load().All()
	if len(got) != len(want) || got[0].Address != want[0].Address {
		t.Fatalf("validators after the rewind %v, want the genesis set %v", got, want)
	}
	select {
	case removed := <-logs:
		if len(removed) != 1 || !removed[0].Removed || removed[0].BlockHash != h1.Hash() || removed[0].Address != l.Address || removed[0].BlockTimestamp != h1.Time() {
			t.Fatalf("after the rewind %+v, want block %d's log removed", removed, h1.Height)
		}
	default:
		t.Fatal("no removed logs after the rewind")
	}
	if l.Removed {
		t.Fatal("the log subscribers got first was changed")
	}

	// A new branch, finalized: nothing of it is kept for a later rewind.
	h1b := commitTentative(t, rt, &gethtypes.Log{Address: common.Address{0x97}})
	if err := rt.exec.Finalize(h1b.Hash(), nil); err != nil {
		t.Fatal(err)
	}
	commitTentative(t, rt, &gethtypes.Log{Address: common.Address{0x98}})
	if n := len(rt.tentative); n != 1 {
		t.Fatalf("%d blocks' logs kept, want the one tentative block's", n)
	}
	if f := rt.Final(); f.Hash() != h1b.Hash() {
		t.Fatalf("final block %d, want %d", f.Height, h1b.Height)
	}
}
