package driver_test

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/types"
)

// onceEngine hands out one scripted Ready.
type onceEngine struct {
	rd   consensus.Ready
	done bool
}

func (e *onceEngine) Step(consensus.Message) error { return nil }
func (e *onceEngine) Tick()                        {}
func (e *onceEngine) NextTick() uint64             { return consensus.NoTick }
func (e *onceEngine) HasReady() bool               { return !e.done }
func (e *onceEngine) Ready() consensus.Ready       { return e.rd }
func (e *onceEngine) Advance()                     { e.done = true }

// TestHeadMoveOffTheChainIsFatal: a head move the committed chain cannot
// follow (a rewind above the head, a block not on the head) stops the driver
// with ErrHeadMove before anything is executed or committed.
func TestHeadMoveOffTheChainIsFatal(t *testing.T) {
	head := &types.Header{Height: 3, TimeMs: 3000}
	stray := &types.Block{Header: &types.Header{Height: 4, ParentHash: common.Hash{9}}}
	for name, m := range map[string]*consensus.HeadMove{
		"rewind above the head": {Rewind: &consensus.BlockID{Height: 5, Hash: common.Hash{5}}},
		"block off the head":    {Blocks: []*types.Block{stray}},
	} {
		t.Run(name, func(t *testing.T) {
			// okExecutor's nil Executor panics on any commit or rewind.
			d := driver.New(driver.Config{Clock: &stepClock{t: t}}, &onceEngine{rd: consensus.Ready{Head: m}}, okExecutor{}, emptyPool{}, head)
			if err := d.Start(); !errors.Is(err, driver.ErrHeadMove) {
				t.Fatalf("Start: %v, want ErrHeadMove", err)
			}
			if d.Head() != head {
				t.Fatal("the head moved")
			}
		})
	}
}
