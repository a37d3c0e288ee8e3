package node

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/blocksync"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

// syncHost is one honest peer "p" serving block sync in-process; onRequest
// runs before each answer (the n-th request, from 1).
type syncHost struct {
	p2p.Host
	handler   p2p.RequestHandler
	requests  int
	onRequest func(n int)
}

func (h *syncHost) Handle(_ string, r p2p.RequestHandler) { h.handler = r }
func (h *syncHost) TopicPeers(string) []string            { return []string{"p"} }
func (h *syncHost) Request(ctx context.Context, peer, _ string, req []byte) ([]byte, error) {
	h.requests++
	h.onRequest(h.requests)
	return h.handler(ctx, peer, req)
}

// servedChain is the peer's chain: blocks by height with their commits.
type servedChain struct {
	blocks  map[uint64]*types.Block
	commits map[common.Hash]*types.Commit
	head    *types.Header
}

func (c *servedChain) Head() *types.Header { return c.head }
func (c *servedChain) BlockByNumber(h uint64) (*types.Block, error) {
	return c.blocks[h], nil
}
func (c *servedChain) Commit(hash common.Hash) (*types.Commit, error) { return c.commits[hash], nil }

// TestSyncDoesNotBanHonestPeerWhenSetMovesDuringFetch: the set that checks
// fetched blocks is the one deciding the height they start at. Before, the
// syncer took the start from the head before the fetch and the set after
// it: a commit that changed the set while the fetch ran (up to 10 s) made
// the honest peer's genuine blocks fail and banned it at once as a liar.
func TestSyncDoesNotBanHonestPeerWhenSetMovesDuringFetch(t *testing.T) {
	keys := gossipKeys(t, 4)
	setA := gossipSet(t, keys)
	setB := gossipSet(t, gossipKeys(t, 8)[4:]) // other keys
	b, c := certifiedBlock(t, keys)
	peer := &servedChain{blocks: map[uint64]*types.Block{3: b}, commits: map[common.Hash]*types.Commit{b.Hash(): c}, head: b.Header}

	ch := &chain{id: gossipSubnet, commits: make(chan struct{}, 1)}
	ch.head.Store(&types.Header{SubnetID: gossipSubnet, Height: 2})
	vals := setA
	host := &syncHost{}
	host.onRequest = func(n int) {
		if n == 2 { // the fetch: meanwhile consensus commits and the set moves
			ch.head.Store(&types.Header{SubnetID: gossipSubnet, Height: 5})
			vals = setB
		}
	}
	blocksync.Serve(host, gossipSubnet, peer)
	s := &syncer{id: gossipSubnet, kind: bft.Kind, host: host, log: n0Log(), metrics: newMetrics(), chain: ch,
		vals: func() *consensus.ValidatorSet { return vals }, final: ch.head.Load,
		deliver: func([]driver.Synced) {},
		wanted:  make(chan uint64, 1), book: newPeerBook(func() time.Time { return time.Unix(1_700_000_000, 0) })}
	s.once(context.Background())
	if s.book.banned("p") {
		t.Fatal("honest peer banned: its blocks were checked against a set that moved during the fetch")
	}
}

// TestSyncPollBacksOff: a syncer that finds nobody ahead looks again at
// growing intervals up to pollMax; one that fetched or was asked for looks
// again at pollMin.
func TestSyncPollBacksOff(t *testing.T) {
	wait, seen := pollMin, []time.Duration{}
	for i := 0; i < 6; i++ {
		wait = nextPoll(wait, false)
		seen = append(seen, wait)
	}
	want := []time.Duration{6 * time.Second, 12 * time.Second, 24 * time.Second, 24 * time.Second, 24 * time.Second, 24 * time.Second}
	if !slices.Equal(seen, want) {
		t.Fatalf("idle polls wait %v, want %v", seen, want)
	}
	if got := nextPoll(pollMax, true); got != pollMin {
		t.Fatalf("after a fetch the next poll waits %v, want %v", got, pollMin)
	}
}
