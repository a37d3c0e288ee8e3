package evm

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestQueriesDuringCommits reads the head state from another goroutine while
// blocks are committed: every read must succeed (no "missing trie node" while
// a block's state moves from the trie cache into the store's batch) and the
// balance never goes backwards.
func TestQueriesDuringCommits(t *testing.T) {
	c := newTestChain(t, 1, 30_000_000)
	to := common.Address{8}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var readErr error
	go func() {
		defer wg.Done()
		var last int64
		for {
			select {
			case <-done:
				return
			default:
			}
			b, err := c.ex.Balance(nil, to)
			if err != nil {
				readErr = err
				return
			}
			if b.Int64() < last {
				readErr = fmt.Errorf("balance went backwards: %s after %d", b, last)
				return
			}
			last = b.Int64()
		}
	}()
	for i := 0; i < 30; i++ {
		c.block(c.transfer(0, to, 1))
	}
	close(done)
	wg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	if got := c.balance(to); got.Int64() != 30 {
		t.Fatalf("balance %s, want 30", got)
	}
}
