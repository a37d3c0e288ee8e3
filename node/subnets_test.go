package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
)

// TestChildGenesis: the genesis every node derives for a child holds its
// ID and chain ID, its engine and block time, its validators in join order
// with the power of their collateral, every fund sent before activation
// credited to its recipient (summed per recipient), the parent's activation
// time, and the top-down nonce after the funds; two derivations agree.
func TestChildGenesis(t *testing.T) {
	p := newFakeChain(t, "/testnet")
	alice, bob := common.Address{0xa1}, common.Address{0xb0}
	id := p.id.Child("games")
	p.call(testCreator, 0, "createSubnet", "games", testParams(2, 10))
	p.call(alice, 3, "fund", string(id), alice)
	p.call(bob, 4, "fund", string(id), alice)
	p.call(bob, 5, "fund", string(id), bob)
	k1, k2 := testkeys.BLS(1), testkeys.BLS(2)
	p.call(common.Address{0xa0, 1}, 2e9, "join", string(id), k1.PublicKey().Bytes(), k1.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x")
	p.call(common.Address{0xa0, 2}, 3e9, "join", string(id), k2.PublicKey().Bytes(), k2.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x")
	at := p.commit()
	cg, err := gateway.ReadChildGenesis(p.states[at.Height], p.id, id)
	if err != nil {
		t.Fatal(err)
	}
	if cg.ActivatedAt != at.Height {
		t.Fatalf("activated at %d, want %d", cg.ActivatedAt, at.Height)
	}
	g, err := childGenesis(cg, at)
	if err != nil {
		t.Fatal(err)
	}
	if g.ID() != id || g.ChainID != gateway.ChainIDFor(id) || g.Engine != "bft" || g.BlockTimeMs != 500 || g.GasLimit != 30_000_000 {
		t.Errorf("genesis %s chain %d engine %s block %d ms gas %d, want %s %d bft 500 30000000",
			g.ID(), g.ChainID, g.Engine, g.BlockTimeMs, g.GasLimit, id, gateway.ChainIDFor(id))
	}
	if g.TimestampMs != at.TimeMs {
		t.Errorf("timestamp %d, want the activating parent block's %d", g.TimestampMs, at.TimeMs)
	}
	if len(g.Validators) != 2 ||
		string(g.Validators[0].BLSPublicKey) != string(k1.PublicKey().Bytes()) || g.Validators[0].Address != (common.Address{0xa0, 1}) ||
		string(g.Validators[1].BLSPublicKey) != string(k2.PublicKey().Bytes()) ||
		g.Validators[0].Power != gateway.PowerOf(big.NewInt(2e9)) || g.Validators[1].Power != gateway.PowerOf(big.NewInt(3e9)) {
		t.Errorf("validators %+v, want k1 (2 gwei) then k2 (3 gwei)", g.Validators)
	}
	if len(g.Alloc) != 2 || (*big.Int)(g.Alloc[alice].Balance).Int64() != 7 || (*big.Int)(g.Alloc[bob].Balance).Int64() != 5 {
		t.Errorf("alloc %v, want alice 7 (two funds) and bob 5", g.Alloc)
	}
	if g.TopDownNonce != 3 {
		t.Errorf("top-down nonce %d, want 3: the funds are in the genesis, the child applies from nonce 4", g.TopDownNonce)
	}
	again, err := childGenesis(cg, at)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(g)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Error("two derivations of the same child genesis differ")
	}
	// A fraud proof's re-execution derives the same genesis but for the
	// timestamp of block 0, without the parent's headers.
	fg, err := fraudGenesis(cg)
	if err != nil {
		t.Fatal(err)
	}
	if fg.TimestampMs != 0 {
		t.Errorf("fraud genesis dated %d", fg.TimestampMs)
	}
	fg.TimestampMs = g.TimestampMs
	if f, _ := json.Marshal(fg); string(f) != string(a) {
		t.Errorf("fraud genesis %s differs from the child's %s", f, a)
	}

	// A pow child's depth reaches its genesis: its engine finalizes there.
	pow := *cg
	pow.Params.Engine, pow.Params.Confirmations = gateway.EnginePoW, 9
	pg, err := childGenesis(&pow, at)
	if err != nil || pg.Engine != "pow" || pg.Confirmations != 9 {
		t.Errorf("pow child genesis %+v (%v), want engine pow with 9 confirmations", pg, err)
	}

	solo := *cg
	solo.Params.Engine = gateway.EngineSolo
	if _, err := childGenesis(&solo, at); err == nil {
		t.Error("a solo subnet with two validators got a genesis")
	}
	other := *cg
	other.Params.Engine = 99
	if _, err := childGenesis(&other, at); err == nil {
		t.Error("a subnet of an unknown engine got a genesis")
	}
}

// fakeStarter records what a reconciler starts and stops.
type fakeStarter struct {
	running map[types.SubnetID]bool
	started []types.SubnetID
	stopped []types.SubnetID
	fail    error // returned by start
}

func (f *fakeStarter) start(_ context.Context, parent chainView, gs gateway.StateReader, id types.SubnetID) error {
	f.started = append(f.started, id)
	if _, err := gateway.ReadChildGenesis(gs, parent.ID(), id); err != nil {
		return err // the state handed over must be the one naming the child
	}
	if f.fail != nil {
		return f.fail
	}
	f.running[id] = true
	return nil
}

func (f *fakeStarter) take() []types.SubnetID {
	s := f.started
	f.started = nil
	return s
}

// TestReconcile: the manager starts exactly the active children in which
// this node holds a seat, one level further down too, stops a killed one,
// and retries a failed start only after a backoff that doubles. With
// gateway states that name their content (rooted), the same holds, and an
// unchanged gateway is not read again.
func TestReconcile(t *testing.T) {
	for _, rooted := range []bool{false, true} {
		t.Run(fmt.Sprintf("rooted=%v", rooted), func(t *testing.T) { testReconcile(t, rooted) })
	}
}

func testReconcile(t *testing.T, rooted bool) {
	mine, theirs := testkeys.BLS(1), testkeys.BLS(2)
	root := newFakeChain(t, "/testnet")
	root.rooted = rooted
	seatedID := root.createChild("seated", 10, mine)
	root.createChild("unseated", 10, theirs)
	root.call(testCreator, 0, "createSubnet", "pending", testParams(2, 10)) // never active
	root.commit()
	clock := newFakeClock()
	f := &fakeStarter{running: map[types.SubnetID]bool{}}
	r := newReconciler(reconcilerConfig{
		seated: func(sn *gateway.Subnet) bool {
			for _, v := range sn.Validators {
				if string(v.BLSPublicKey) == string(mine.PublicKey().Bytes()) {
					return true
				}
			}
			return false
		},
		running: func(id types.SubnetID) bool { return f.running[id] },
		start:   f.start,
		stop: func(id types.SubnetID) {
			f.stopped = append(f.stopped, id)
			delete(f.running, id)
		},
		now: clock.now, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ctx := context.Background()

	r.reconcile(ctx, []chainView{root})
	if got := f.take(); len(got) != 1 || got[0] != seatedID {
		t.Fatalf("started %v, want only %s", got, seatedID)
	}
	reads := root.reads
	r.reconcile(ctx, []chainView{root})
	if got := f.take(); len(got) != 0 {
		t.Fatalf("started %v again while it runs", got)
	}
	if rooted && root.reads != reads {
		t.Fatalf("reconcile read %d slots of a gateway whose storage root did not change", root.reads-reads)
	}

	// A grandchild: found on the child's own gateway.
	child := newFakeChain(t, seatedID)
	child.rooted = rooted
	grand := child.createChild("deep", 5, mine)
	child.commit()
	r.reconcile(ctx, []chainView{root, child})
	if got := f.take(); len(got) != 1 || got[0] != grand {
		t.Fatalf("started %v, want the grandchild %s", got, grand)
	}

	// Killed: stopped once.
	root.call(testCreator, 0, "kill", string(seatedID))
	root.commit()
	r.reconcile(ctx, []chainView{root, child})
	r.reconcile(ctx, []chainView{root, child})
	if len(f.stopped) != 1 || f.stopped[0] != seatedID {
		t.Fatalf("stopped %v, want %s once", f.stopped, seatedID)
	}

	// A start that fails is retried after retryStart, then after twice that.
	other := root.createChild("flaky", 10, mine)
	root.commit()
	f.fail = errors.New("test: genesis unreadable")
	for _, step := range []struct {
		advance time.Duration
		starts  int
	}{
		{0, 1},                        // first try fails
		{retryStart - time.Second, 0}, // too soon
		{time.Second, 1},              // retried after retryStart; fails again
		{retryStart, 0},               // the second wait is longer
		{retryStart, 1},               // 2 × retryStart after the second failure
	} {
		clock.advance(step.advance)
		r.reconcile(ctx, []chainView{root})
		if got := f.take(); len(got) != step.starts || (len(got) == 1 && got[0] != other) {
			t.Fatalf("after %v: started %v, want %d start(s) of %s", step.advance, got, step.starts, other)
		}
	}
	// A runtime that fails later waits out its backoff too.
	f.fail = nil
	clock.advance(4 * retryStart)
	r.reconcile(ctx, []chainView{root})
	if got := f.take(); len(got) != 1 {
		t.Fatalf("started %v, want %s after its backoff", got, other)
	}
	delete(f.running, other)
	wait := r.failed(other)
	if wait != 8*retryStart {
		t.Errorf("fourth failure waits %v, want %v", wait, 8*retryStart)
	}
	r.reconcile(ctx, []chainView{root})
	if got := f.take(); len(got) != 0 {
		t.Fatalf("failed runtime restarted at once: %v", got)
	}
	clock.advance(wait)
	r.reconcile(ctx, []chainView{root})
	if got := f.take(); len(got) != 1 {
		t.Fatalf("failed runtime not restarted after its backoff: %v", got)
	}

	// An unreadable parent is skipped, not fatal.
	root.broken = true
	r.reconcile(ctx, []chainView{root})
}

// TestChildRest: an idle subnet's heartbeat leaves its parent a checkpoint
// within the stall window (a period of heartbeats spans at most a quarter
// of it), and never comes faster than its block time or slower than the
// default rest.
func TestChildRest(t *testing.T) {
	for _, c := range []struct {
		name          string
		block, parent time.Duration
		period        uint32
		window        uint64
		want          time.Duration
	}{
		{"default window", 200 * time.Millisecond, time.Second, 10, 100_000, childIdleInterval},
		{"short window", 200 * time.Millisecond, 200 * time.Millisecond, 3, 60, time.Second},
		{"window shorter than a block", 200 * time.Millisecond, 100 * time.Millisecond, 10, 10, 200 * time.Millisecond},
		{"slow chain", time.Minute, time.Second, 1, 100_000, time.Minute},
		{"no window recorded", 200 * time.Millisecond, time.Second, 3, 0, childIdleInterval},
	} {
		got := childRest(c.block, c.parent, c.period, c.window)
		if got != c.want {
			t.Errorf("%s: rest %v, want %v", c.name, got, c.want)
		}
		if c.window != 0 && got > c.block && time.Duration(c.period)*got > time.Duration(c.window)*c.parent/4 {
			t.Errorf("%s: %d heartbeats of %v outlast a quarter of %d parent blocks of %v", c.name, c.period, got, c.window, c.parent)
		}
	}
}
