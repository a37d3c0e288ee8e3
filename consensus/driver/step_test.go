package driver_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/execution"
)

// stepClock is a clock with no timer: a stepped driver must never ask for one.
type stepClock struct {
	t  *testing.T
	ms int64
}

func (c *stepClock) Now() time.Time { return time.UnixMilli(c.ms) }
func (c *stepClock) NewTimer(time.Duration) (<-chan time.Time, func()) {
	c.t.Fatal("a stepped driver asked for a timer")
	return nil, nil
}

// TestSteppedDriverCommitsSynchronously drives the real solo engine, EVM
// executor and mempool from the test's goroutine: nothing happens before
// Start, every commit has happened when the call that caused it returns, and
// a transaction is included exactly when the block time has passed in ticks.
func TestSteppedDriverCommitsSynchronously(t *testing.T) {
	c := newSoloChain(t)
	clock := &stepClock{t: t, ms: 1_700_000_100_000}
	var committed []*execution.Executed
	d := driver.New(driver.Config{Proposer: c.seq, Clock: clock,
		OnCommit: func(e *execution.Executed) {
			c.pool.Reset(headState{c.x, e.Block.Header}, c.x.NextBaseFee(), c.gen.GasLimit, e.Block.Txs)
			committed = append(committed, e)
		},
	}, c.eng, c.x, poolView{c.pool, c.gen.GasLimit}, c.head)

	if err := d.Tick(); !errors.Is(err, driver.ErrNotStarted) {
		t.Fatalf("Tick before Start: %v, want ErrNotStarted", err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	if len(committed) != 1 || d.Head().Height != 1 {
		t.Fatalf("after Start: %d commits, head %d; want block 1 committed at once", len(committed), d.Head().Height)
	}
	if err := d.Start(); !errors.Is(err, driver.ErrStarted) {
		t.Fatalf("second Start: %v, want ErrStarted", err)
	}
	tx := c.transfer(t, 0)
	if err := c.pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	if err := d.HandlePoolChanged(); err != nil {
		t.Fatal(err)
	}
	// Block time is 3 ticks: nothing before the third.
	for i := 1; i <= 3; i++ {
		clock.ms += 100
		if err := d.Tick(); err != nil {
			t.Fatal(err)
		}
		if i < 3 && len(committed) != 1 {
			t.Fatalf("block 2 committed after %d ticks, block time is 3", i)
		}
	}
	if len(committed) != 2 {
		t.Fatalf("%d commits after the block time, want 2", len(committed))
	}
	b := committed[1].Block
	if len(b.Txs) != 1 || b.Txs[0].Hash() != tx.Hash() || d.Head().Hash() != b.Hash() {
		t.Fatalf("block 2 has %d txs, head %s; want the transfer, head at block 2", len(b.Txs), d.Head().Hash())
	}
	if b.Header.TimeMs != uint64(clock.ms) {
		t.Fatalf("block 2 time %d, want the injected clock's %d", b.Header.TimeMs, clock.ms)
	}
	if h, n, _ := c.st.Head(); h != b.Hash() || n != 2 {
		t.Fatalf("store head %d, want block 2", n)
	}
}
