package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// brokenEngine fails its first input, as an engine over broken storage would.
type brokenEngine struct{}

var errBroken = errors.New("test: engine broken")

func (brokenEngine) Step(consensus.Message) error { return errBroken }
func (brokenEngine) Tick()                        {}
func (brokenEngine) NextTick() uint64             { return consensus.NoTick }
func (brokenEngine) HasReady() bool               { return false }
func (brokenEngine) Ready() consensus.Ready       { return consensus.Ready{} }
func (brokenEngine) Advance()                     {}

// waitHeads waits until rt commits n more blocks; it fails the test if
// none comes within a generous bound (the chain makes one every 50 ms).
func waitHeads(t *testing.T, rt *runtime, n int) {
	t.Helper()
	ch := make(chan *types.Header, 16)
	defer rt.heads.Subscribe(ch)()
	timeout := time.After(30 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-ch:
		case <-rt.done:
			t.Fatalf("%s stopped after a child failed", rt.id)
		case <-timeout:
			t.Fatalf("%s committed %d of %d blocks after a child failed: the node stopped", rt.id, i, n)
		}
	}
}

// TestChildFailureStopsOnlyTheChild: a child runtime whose driver fails is
// stopped alone and reported (metric); the root chain goes on making blocks
// and Run does not return. Before, the child's error reached Run, which shut
// the whole node down: the root validator and every other subnet with it.
func TestChildFailureStopsOnlyTheChild(t *testing.T) {
	cfg, _, seq := newTestHome(t, 50*time.Millisecond)
	n, stop := startNode(t, cfg)
	id := types.SubnetID("/testnet/broken")
	g := &config.Genesis{
		SubnetID: string(id), ChainID: gateway.ChainIDFor(id), GasLimit: 30_000_000, Engine: "solo",
		TimestampMs: 1_700_000_000_000, Validators: []config.GenesisValidator{{Address: seq}},
		Alloc: map[common.Address]config.GenesisAccount{},
	}
	g.SetDefaults()
	child, err := openRuntime(cfg, g, n.keys, nil, n.log, n.metrics, n.root)
	if err != nil {
		t.Fatal(err)
	}
	child.driver = driver.New(driver.Config{Tick: 10 * time.Millisecond, Log: child.log}, brokenEngine{}, child.exec, poolAdapter{child}, child.head.Load())
	n.launch(context.Background(), child)
	<-child.done
	waitHeads(t, n.root, 3)
	if n.runtime(id) != nil {
		t.Errorf("failed child %s still listed as running", id)
	}
	if got := counterValue(t, n.metrics, "aspen_subnet_failures_total", string(id)); got != 1 {
		t.Errorf("aspen_subnet_failures_total{subnet=%q} = %v, want 1", id, got)
	}
	if n.children.due(id) {
		t.Errorf("failed child %s may be started again at once; want a backoff", id)
	}
	stop()
}

// counterValue reads one labelled series of the node's registry.
func counterValue(t *testing.T, m *metrics, name, subnet string) float64 {
	t.Helper()
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "subnet" && l.GetValue() == subnet {
					return s.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestRootFailureStopsNode: the root chain's failure still stops the node:
// Run returns its error.
func TestRootFailureStopsNode(t *testing.T) {
	cfg, _, _ := newTestHome(t, 50*time.Millisecond)
	n, err := New(cfg, n0Log())
	if err != nil {
		t.Fatal(err)
	}
	root := n.root
	root.driver = driver.New(driver.Config{Tick: 10 * time.Millisecond, Log: root.log}, brokenEngine{}, root.exec, poolAdapter{root}, root.head.Load())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, errBroken) {
			t.Fatalf("Run returned %v, want the root's failure %v", err, errBroken)
		}
	case <-time.After(30 * time.Second):
		cancel()
		<-done
		t.Fatal("the root failed and the node kept running")
	}
}

func n0Log() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestChildFailureStopsItsChildren: when a child fails, the runtimes below
// it on this node stop too. Before, a grandchild kept running on its failed
// parent's closed storage and stale runtime (its top-down reads, relay and
// wake-ups pointing at a runtime that no longer ran), and was never
// restarted on the new one since it was listed as running.
func TestChildFailureStopsItsChildren(t *testing.T) {
	cfg, _, seq := newTestHome(t, 50*time.Millisecond)
	n, stop := startNode(t, cfg)
	gen := func(id types.SubnetID) *config.Genesis {
		g := &config.Genesis{
			SubnetID: string(id), ChainID: gateway.ChainIDFor(id), GasLimit: 30_000_000, Engine: "solo",
			TimestampMs: 1_700_000_000_000, Validators: []config.GenesisValidator{{Address: seq}},
			Alloc: map[common.Address]config.GenesisAccount{},
		}
		g.SetDefaults()
		return g
	}
	id, leaf := types.SubnetID("/testnet/broken"), types.SubnetID("/testnet/broken/leaf")
	child, err := openRuntime(cfg, gen(id), n.keys, nil, n.log, n.metrics, n.root)
	if err != nil {
		t.Fatal(err)
	}
	child.driver = driver.New(driver.Config{Tick: 10 * time.Millisecond, Log: child.log}, brokenEngine{}, child.exec, poolAdapter{child}, child.head.Load())
	grand, err := openRuntime(cfg, gen(leaf), n.keys, nil, n.log, n.metrics, child)
	if err != nil {
		t.Fatal(err)
	}
	n.launch(context.Background(), grand)
	n.launch(context.Background(), child)
	<-child.done
	if n.runtime(leaf) != nil {
		t.Errorf("%s still runs below its failed parent %s", leaf, id)
	}
	grand.cancel() // Run stops only the runtimes it launched
	stop()
}
