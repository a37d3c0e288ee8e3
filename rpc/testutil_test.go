package rpc

import (
	"fmt"
	"sync"
	"testing"
	"time"

	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/rpc/internal/memback"
	"github.com/aspen-chain/aspen/types"
)

var _ Backend = (*memback.Chain)(nil)

const testSubnet = types.SubnetID("/devnet")

// manualClock is a Clock tests move by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testConfig has a manual clock and sequential filter IDs, so runs repeat.
func testConfig() (Config, *manualClock) {
	clock := &manualClock{now: time.Unix(1_700_000_000, 0)}
	var mu sync.Mutex
	n := 0
	return Config{
		Clock:   clock,
		Version: "v0.1.0",
		idgen: func() gethrpc.ID {
			mu.Lock()
			defer mu.Unlock()
			n++
			return gethrpc.ID(fmt.Sprintf("0x%x", n))
		},
	}, clock
}

// newTestHandler serves a populated in-memory chain at /devnet (and /).
func newTestHandler(t *testing.T) (*Handler, *memback.Chain, memback.Fixture, *manualClock) {
	t.Helper()
	chain, fx := memback.Populate(testSubnet, 1337)
	cfg, clock := testConfig()
	h, err := NewHandler(map[types.SubnetID]Backend{testSubnet: chain}, testSubnet, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h, chain, fx, clock
}
