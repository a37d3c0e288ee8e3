package driver_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/types"
)

// restingEngine has work every `every` ticks (a heartbeat, say) and reports
// each input it gets on events, so the test sees them in order.
type restingEngine struct {
	every, elapsed uint64
	events         chan string
	ready          consensus.Ready
	// early, when set, makes the engine send on the first tick whatever
	// NextTick said: an engine that breaks its word.
	early bool
}

func (e *restingEngine) Tick() {
	e.elapsed++
	e.events <- "tick"
	if e.elapsed%e.every == 0 || e.early {
		e.ready.Send = []consensus.Outbound{{Payload: []byte{1}}}
	}
}
func (e *restingEngine) NextTick() uint64 { return e.every - e.elapsed%e.every }
func (e *restingEngine) Step(m consensus.Message) error {
	e.events <- fmt.Sprintf("%T", m)
	return nil
}
func (e *restingEngine) HasReady() bool         { return !e.ready.IsEmpty() }
func (e *restingEngine) Ready() consensus.Ready { return e.ready }
func (e *restingEngine) Advance()               { e.ready = consensus.Ready{} }

type nullTransport struct{}

func (nullTransport) Broadcast([]byte) error    { return nil }
func (nullTransport) Send(string, []byte) error { return nil }

// TestRunSleepsUntilTheEngineHasWork: an engine with work every 5 ticks gets
// no wake in between (one timer armed, no tick delivered while the clock
// moves 4 ticks), its 5 ticks at once when the 5th is due, and, when a peer
// message comes 2 ticks later, those 2 ticks before the message: the same
// inputs in the same order as under a ticker that woke it every tick.
func TestRunSleepsUntilTheEngineHasWork(t *testing.T) {
	clock := &manualClock{}
	eng := &restingEngine{every: 5, events: make(chan string, 64)}
	d := driver.New(driver.Config{Clock: clock, Transport: nullTransport{}}, eng, nil, emptyPool{}, &types.Header{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	if e := <-eng.events; e != "consensus.PoolStatus" { // Start
		t.Fatalf("first input %q, want the pool status of Start", e)
	}
	for i := 0; i < 4; i++ {
		clock.tick()
	}
	select {
	case e := <-eng.events:
		t.Fatalf("engine got %q while the clock moved 4 of its 5 quiet ticks", e)
	default:
	}
	if n := clock.timers(); n != 1 {
		t.Fatalf("driver armed %d timers over 4 quiet ticks, want 1", n)
	}
	clock.tick() // the 5th: due
	for i := 0; i < 5; i++ {
		if e := <-eng.events; e != "tick" {
			t.Fatalf("event %d after the 5th tick: %q, want tick", i, e)
		}
	}
	clock.tick()
	clock.tick()
	if !d.Deliver(consensus.PeerMessage{From: "p", Payload: []byte{2}}) {
		t.Fatal("inbox full")
	}
	for i, want := range []string{"tick", "tick", "consensus.PeerMessage"} {
		if e := <-eng.events; e != want {
			t.Fatalf("event %d after the peer message: %q, want %q (elapsed ticks come first)", i, e, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestStrictTicksCatchesAnEarlyEngine: an engine that acts on a tick it
// said was quiet stops a strict stepped driver with ErrEarlyTick; a tick
// the engine named is fine.
func TestStrictTicksCatchesAnEarlyEngine(t *testing.T) {
	for _, early := range []bool{false, true} {
		eng := &restingEngine{every: 1, events: make(chan string, 64), early: early}
		if early {
			eng.every = 3
		}
		d := driver.New(driver.Config{Clock: &stepClock{t: t}, Transport: nullTransport{}, StrictTicks: true}, eng, nil, emptyPool{}, &types.Header{})
		if err := d.Start(); err != nil {
			t.Fatal(err)
		}
		err := d.Tick()
		if early && !errors.Is(err, driver.ErrEarlyTick) {
			t.Fatalf("early engine: Tick returned %v, want ErrEarlyTick", err)
		}
		if !early && err != nil {
			t.Fatalf("engine acting on the tick it named: %v", err)
		}
	}
}
