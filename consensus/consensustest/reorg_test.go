package consensustest_test

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

var sink0 = common.HexToAddress("0xdead")

// mine builds a block with txs on the chain's head (as a peer that found it
// would), commits it as tentative and returns it.
func (c *chain) mine(txs ...*gethtypes.Transaction) *types.Block {
	c.t.Helper()
	for _, err := range c.pool.AddBatch(txs) {
		if err != nil {
			c.t.Fatal(err)
		}
	}
	head := c.x.Head()
	e, err := c.x.Build(head, execution.Attributes{TimeMs: head.TimeMs + 777, Proposer: common.Address{0xbe}}, c.pool.Source())
	if err != nil {
		c.t.Fatal(err)
	}
	if len(e.Block.Txs) != len(txs) {
		c.t.Fatalf("peer block %d holds %d of %d txs", e.Block.Height(), len(e.Block.Txs), len(txs))
	}
	if err := c.x.CommitTentative(e); err != nil {
		c.t.Fatal(err)
	}
	c.resetPool(e.Block.Header, e.Block.Txs)
	return e.Block
}

// adopt executes and commits a block someone else built.
func (c *chain) adopt(b *types.Block) {
	c.t.Helper()
	e, err := c.x.Execute(b)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.x.CommitTentative(e); err != nil {
		c.t.Fatal(err)
	}
	c.resetPool(b.Header, b.Txs)
}

func (c *chain) balance(a common.Address) int64 {
	c.t.Helper()
	b, err := c.x.Balance(nil, a)
	if err != nil {
		c.t.Fatal(err)
	}
	return b.Int64()
}

// reorgRig is a node under test (real driver, executor, store and pool
// running depthEngine) and a peer chain from the same genesis that mines
// competing branches.
type reorgRig struct {
	t     *testing.T
	node  *chain
	peer  *chain
	eng   *depthEngine
	d     *driver.Driver
	clock *fixedClock
	final uint64 // the highest finalized height seen: it must never go down
}

func newReorgRig(t *testing.T, depth uint64) *reorgRig {
	// The executor does not read the engine name; any registered one does.
	gen := testGenesis("solo", []config.GenesisValidator{{Address: common.Address{0xbe}}})
	r := &reorgRig{t: t, node: newChain(t, gen), peer: newChain(t, gen), clock: &fixedClock{ms: 1_700_000_100_000}}
	r.eng = newDepthEngine(depth, r.node.x.Head().Hash())
	r.d = driver.New(r.node.driverConfig(r.clock), r.eng, r.node.x, poolView{r.node}, r.node.x.Head())
	if err := r.d.Start(); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkFinality fails if the finalized block ever moved backwards.
func (r *reorgRig) checkFinality() {
	r.t.Helper()
	_, _, final := r.node.pointers()
	if final < r.final {
		r.t.Fatalf("finalized moved backwards from %d to %d", r.final, final)
	}
	r.final = final
}

// mineHere has the node under test build one block from its pool.
func (r *reorgRig) mineHere(txs ...*gethtypes.Transaction) *types.Block {
	r.t.Helper()
	for _, err := range r.node.pool.AddBatch(txs) {
		if err != nil {
			r.t.Fatal(err)
		}
	}
	r.eng.mine = true
	r.clock.ms += 1000
	if err := r.d.Tick(); err != nil {
		r.t.Fatal(err)
	}
	r.checkFinality()
	head := r.node.x.Head()
	b, err := r.node.st.BlockByHash(head.Hash())
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// expect checks the store's head, safe and final blocks.
func (r *reorgRig) expect(step string, head, safe, final *types.Block) {
	r.t.Helper()
	for _, p := range []struct {
		name string
		get  func() (common.Hash, uint64, bool)
		want *types.Block
	}{{"head", r.node.st.Head, head}, {"safe", r.node.st.Safe, safe}, {"finalized", r.node.st.Finalized, final}} {
		if h, n, _ := p.get(); h != p.want.Hash() {
			r.t.Fatalf("%s: %s is block %d %s, want %d %s", step, p.name, n, h, p.want.Height(), p.want.Hash())
		}
	}
	if r.d.Head().Hash() != head.Hash() || r.node.x.Head().Hash() != head.Hash() {
		r.t.Fatalf("%s: driver head %d, executor head %d, want %d", step, r.d.Head().Height, r.node.x.Head().Height, head.Height())
	}
}

// TestReorgThroughTheDriver scripts an engine with probabilistic finality
// (final at depth 2) through the real driver, executor, store and mempool:
// it mines three blocks, then adopts a longer branch a peer mined from block
// 1. After the switch the head, state, receipts and transaction index are
// the new branch's; the transaction only the dropped branch held is back in
// the pool (and is mined next), the one both branches hold is not; finality
// never moves backwards; and a (broken) engine's switch to a branch forking
// below the final block is refused without changing anything.
func TestReorgThroughTheDriver(t *testing.T) {
	r := newReorgRig(t, 2)
	n, p := r.node, r.peer
	genesis, _ := n.st.BlockByNumber(0)

	a := n.transfer(0, 0, 1)
	b := n.transfer(0, 1, 2)
	c := n.transfer(1, 0, 4)
	a1 := r.mineHere(a)
	r.expect("after A1", a1, genesis, genesis)
	a2 := r.mineHere(b)
	r.expect("after A2", a2, a1, genesis)
	a3 := r.mineHere(c)
	r.expect("after A3", a3, a2, a1)
	if got := n.balance(sink0); got != 7 {
		t.Fatalf("balance %d on branch A, want 7", got)
	}
	for i, blk := range []*types.Block{a1, a2, a3} {
		if len(blk.Txs) != 1 {
			t.Fatalf("A%d holds %d txs, want 1", i+1, len(blk.Txs))
		}
	}

	// The peer mined another branch on A1: B2 holds b (as A2 did) and a tx
	// of its own, B3 and B4 more; c (A3's) is on no block of it.
	p.adopt(a1)
	d1, d2 := n.transfer(2, 0, 8), n.transfer(2, 1, 16)
	b2 := p.mine(b, d1)
	b3 := p.mine(d2)
	b4 := p.mine()
	if err := r.d.HandlePeer(branchMessage(b2, b3, b4)); err != nil {
		t.Fatal(err)
	}
	r.checkFinality()
	r.expect("after the switch to B", b4, b3, b2)
	if got, want := n.balance(sink0), int64(1+2+8+16); got != want {
		t.Fatalf("balance %d after the switch, want branch B's %d", got, want)
	}
	if n.x.Head().StateRoot != b4.Header.StateRoot {
		t.Fatal("state root differs from the peer's for the same block")
	}
	for _, blk := range []*types.Block{a2, a3} {
		if _, err := n.x.Receipts(blk.Hash()); err == nil {
			t.Fatalf("receipts of dropped block %d still served", blk.Height())
		}
		if _, err := n.st.BlockByHash(blk.Hash()); err == nil {
			t.Fatalf("dropped block %d still stored", blk.Height())
		}
	}
	if rs, err := n.x.Receipts(b2.Hash()); err != nil || len(rs) != 2 {
		t.Fatalf("receipts of B2: %d, %v", len(rs), err)
	}
	if loc, found, _ := n.st.TxLookup(b.Hash()); !found || loc.BlockHash != b2.Hash() {
		t.Fatalf("tx b is at %v (found %v), want in B2", loc.BlockHash, found)
	}
	if _, found, _ := n.st.TxLookup(c.Hash()); found {
		t.Fatal("tx c of the dropped A3 is still indexed")
	}
	if n.pool.Get(c.Hash()) == nil {
		t.Fatal("tx c of the dropped A3 is not back in the pool")
	}
	if n.pool.Get(b.Hash()) != nil {
		t.Fatal("tx b, which the new branch includes, is back in the pool")
	}
	if pending, queued := n.pool.Stats(); pending != 1 || queued != 0 {
		t.Fatalf("pool holds %d pending and %d queued, want c alone", pending, queued)
	}

	// The reinjected transaction is mined on the new branch.
	b5 := r.mineHere()
	if len(b5.Txs) != 1 || b5.Txs[0].Hash() != c.Hash() {
		t.Fatalf("B5 holds %d txs, want the reinjected c", len(b5.Txs))
	}
	r.expect("after B5", b5, b4, b3)

	// A broken engine adopts a longer branch forking at A1, below the final
	// B3: the driver refuses to rewind and nothing changes.
	r.eng.ignoreFinal = true
	if _, _, err := p.x.Rewind(1, a1.Hash()); err != nil {
		t.Fatal(err)
	}
	var deep []*types.Block
	for i := 0; i < 6; i++ {
		deep = append(deep, p.mine())
	}
	err := r.d.HandlePeer(branchMessage(deep...))
	if !errors.Is(err, execution.ErrRewindFinal) {
		t.Fatalf("switch below the final block: %v, want ErrRewindFinal", err)
	}
	r.checkFinality()
	r.expect("after the refused switch", b5, b4, b3)
	if got, want := n.balance(sink0), int64(1+2+8+16+4); got != want {
		t.Fatalf("balance %d after the refused switch, want %d", got, want)
	}
	if rs, err := n.x.Receipts(b3.Hash()); err != nil || len(rs) != 1 {
		t.Fatalf("final block B3 lost its receipts: %v", err)
	}
}

// TestHeadMoveStopsAtAnInvalidBlock: a branch whose second block lies about
// its state is committed up to the block before it; the engine is told the
// block is invalid, and finality it counted on the bad block is not acted on.
func TestHeadMoveStopsAtAnInvalidBlock(t *testing.T) {
	r := newReorgRig(t, 2)
	n, p := r.node, r.peer
	a1 := r.mineHere(n.transfer(0, 0, 1))
	p.adopt(a1)
	b2 := p.mine(n.transfer(1, 0, 2))
	bad := p.mine(n.transfer(1, 1, 4))
	forged := &types.Block{Header: bad.Header.Copy(), Txs: bad.Txs}
	forged.Header.StateRoot = common.Hash{0xba, 0xd}
	b4 := &types.Block{Header: bad.Header.Copy()}
	b4.Header.Height, b4.Header.ParentHash = 4, forged.Hash()
	if err := r.d.HandlePeer(branchMessage(b2, forged, b4)); err != nil {
		t.Fatal(err)
	}
	r.checkFinality()
	genesis, _ := n.st.BlockByNumber(0)
	r.expect("after the bad branch", b2, a1, genesis)
	if got := n.balance(sink0); got != 3 {
		t.Fatalf("balance %d, want A1 and B2's 3", got)
	}
	if tip := r.eng.tip(); tip.Hash != b2.Hash() {
		t.Fatalf("engine's tip is %d, want B2 after the verdict", tip.Height)
	}
}
