package consensustest_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/consensus/pow"
	"github.com/aspen-chain/aspen/types"
)

// powNode is one miner: the real pow engine, driver, executor, store and
// pool, stepped from the test, with a sealer that holds the newest request
// until the test says the nonce was found, and an outbox for the network.
type powNode struct {
	t      *testing.T
	name   string
	c      *chain
	eng    *pow.Engine
	d      *driver.Driver
	clock  *fixedClock
	sealer *heldSealer
	out    *outbox
	final  uint64 // highest finalized height seen: it must never go down
}

// heldSealer is a simulator-like Sealer: it keeps the newest request.
type heldSealer struct{ req *types.Block }

func (s *heldSealer) Seal(b *types.Block, _ func(*types.Block)) { s.req = b }
func (s *heldSealer) Stop()                                     { s.req = nil }

// outbox is a transport that queues what a node sends.
type outbox struct{ msgs []consensus.Outbound }

func (o *outbox) Broadcast(p []byte) error {
	o.msgs = append(o.msgs, consensus.Outbound{Payload: p})
	return nil
}
func (o *outbox) Send(to string, p []byte) error {
	o.msgs = append(o.msgs, consensus.Outbound{To: to, Payload: p})
	return nil
}

func newPowNode(t *testing.T, name string, gen *config.Genesis) *powNode {
	n := &powNode{t: t, name: name, c: newChain(t, gen), clock: &fixedClock{ms: 1_700_000_100_000}, sealer: &heldSealer{}, out: &outbox{}}
	head := n.c.x.Head()
	eng, err := pow.Kind.New(consensus.Config{Subnet: gen.ID(), Height: head.Height, Head: head.Hash(), HeadHeader: head,
		Mine: true, Confirmations: 3, BlockTimeMs: 1000, Difficulty: 1, CheckBody: types.CheckTxRoot})
	if err != nil {
		t.Fatal(err)
	}
	n.eng = eng.(*pow.Engine)
	cfg := n.c.driverConfig(n.clock)
	cfg.Proposer = common.Address{byte(len(name))}
	cfg.Sealer, cfg.Transport = n.sealer, n.out
	cfg.OnStepError = func(err error) { t.Errorf("%s: engine refused a message: %v", name, err) }
	n.d = driver.New(cfg, eng, n.c.x, poolView{n.c}, head)
	if err := n.d.Start(); err != nil {
		t.Fatal(err)
	}
	return n
}

// mine has the sealer find the nonce of the block it was asked to seal.
func (n *powNode) mine() *types.Block {
	n.t.Helper()
	b := n.sealer.req
	if b == nil {
		n.t.Fatalf("%s: nothing to seal", n.name)
	}
	sealed := &types.Block{Header: b.Header.Copy(), Txs: b.Txs}
	sealed.Header.Seal = pow.Nonce(0)
	n.sealer.req = nil
	n.clock.ms += 1000
	if err := n.d.HandleSealed(sealed); err != nil {
		n.t.Fatal(err)
	}
	n.check()
	if n.d.Head().Hash() != sealed.Hash() {
		n.t.Fatalf("%s: mined block %d is not the head", n.name, sealed.Height())
	}
	return sealed
}

// ticks steps the driver n ticks (the engine rebuilds its block for
// transactions that arrived after it was built).
func (n *powNode) ticks(k int) {
	n.t.Helper()
	if err := n.d.HandlePoolChanged(); err != nil {
		n.t.Fatal(err)
	}
	for i := 0; i < k; i++ {
		n.clock.ms += 10
		if err := n.d.Tick(); err != nil {
			n.t.Fatal(err)
		}
	}
}

func (n *powNode) check() {
	n.t.Helper()
	_, _, final := n.c.pointers()
	if final < n.final {
		n.t.Fatalf("%s: finalized moved backwards from %d to %d", n.name, n.final, final)
	}
	n.final = final
}

// exchange delivers what both nodes sent until neither has more to say.
func exchange(t *testing.T, a, b *powNode) {
	t.Helper()
	for round := 0; len(a.out.msgs)+len(b.out.msgs) > 0; round++ {
		if round > 50 {
			t.Fatal("the nodes keep talking")
		}
		for _, p := range [][2]*powNode{{a, b}, {b, a}} {
			from, to := p[0], p[1]
			msgs := from.out.msgs
			from.out.msgs = nil
			for _, m := range msgs {
				if err := to.d.HandlePeer(consensus.PeerMessage{From: from.name, Payload: m.Payload}); err != nil {
					t.Fatal(err)
				}
				to.check()
			}
		}
	}
}

// TestPowPartitionHeals runs two pow miners through the real driver,
// executor, store and pool. Connected, they share a chain; partitioned,
// each mines its own branch, the lighter A with a transaction of its own;
// healed, A learns B's heavier branch from one announcement (asking B for
// the ancestors it lacks), rewinds its branch and switches: its head,
// state and finality are B's, its dropped transaction is back in its pool
// and is mined next on B's branch, and no node's finality moved backwards.
func TestPowPartitionHeals(t *testing.T) {
	gen := testGenesis("solo", []config.GenesisValidator{{Address: common.Address{0xbe}}})
	a, b := newPowNode(t, "a", gen), newPowNode(t, "b", gen)

	a.mine()
	exchange(t, a, b)
	b.sealer.req = nil // b's own build on genesis lost the race; it builds on a's block now
	b.ticks(1)
	shared := a.mine()
	exchange(t, a, b)
	if b.d.Head().Hash() != shared.Hash() {
		t.Fatalf("b's head is %d, want the shared block 2", b.d.Head().Height)
	}

	// Partition: a mines two blocks, the first with tx, b four.
	tx := a.c.transfer(0, 0, 5)
	if err := a.c.pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	a.ticks(10)
	a3 := a.mine()
	if len(a3.Txs) != 1 {
		t.Fatalf("a's block 3 holds %d txs, want the one sent", len(a3.Txs))
	}
	a.mine()
	other := b.c.transfer(1, 0, 7)
	if err := b.c.pool.Add(other); err != nil {
		t.Fatal(err)
	}
	b.ticks(10)
	var bBranch []*types.Block
	for i := 0; i < 4; i++ {
		bBranch = append(bBranch, b.mine())
	}
	a.out.msgs, b.out.msgs = nil, nil // lost in the partition
	if _, _, final := a.c.pointers(); final != 1 {
		t.Fatalf("a's final block is %d on its own branch, want 1", final)
	}

	// Heal: b's next block reaches a.
	b7 := b.mine()
	exchange(t, a, b)
	if a.d.Head().Hash() != b7.Hash() || a.eng.Best().Hash != b7.Hash() {
		t.Fatalf("a's head is block %d, want b's 7", a.d.Head().Height)
	}
	if a.c.x.Head().StateRoot != b7.Header.StateRoot {
		t.Fatal("a's state differs from b's for the same head")
	}
	if _, found, _ := a.c.st.TxLookup(tx.Hash()); found {
		t.Fatal("a's dropped transaction is still indexed")
	}
	if a.c.pool.Get(tx.Hash()) == nil {
		t.Fatal("a's dropped transaction is not back in its pool")
	}
	if loc, found, _ := a.c.st.TxLookup(other.Hash()); !found || loc.BlockHash != bBranch[0].Hash() {
		t.Fatal("b's transaction is not indexed in b's block 3 on a")
	}
	if got, want := a.c.balance(sink0), int64(7); got != want {
		t.Fatalf("balance %d on a after the switch, want b's %d", got, want)
	}
	head, safe, final := a.c.pointers()
	if head != 7 || final != 4 || safe < final || safe > head {
		t.Fatalf("a: head %d safe %d final %d, want 7, between, 4", head, safe, final)
	}
	if fin, _ := a.c.st.BlockByNumber(4); fin == nil || fin.Hash() != bBranch[1].Hash() {
		t.Fatal("a's final block 4 is not b's")
	}

	// a mines the returned transaction on b's branch; b follows.
	a.ticks(10)
	a8 := a.mine()
	if len(a8.Txs) != 1 || a8.Txs[0].Hash() != tx.Hash() {
		t.Fatalf("a's block 8 holds %d txs, want the reinjected one", len(a8.Txs))
	}
	exchange(t, a, b)
	if b.d.Head().Hash() != a8.Hash() {
		t.Fatalf("b's head is %d, want a's block 8", b.d.Head().Height)
	}
	if got := b.c.balance(sink0); got != 12 {
		t.Fatalf("balance %d on b, want 12", got)
	}
}
