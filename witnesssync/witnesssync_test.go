package witnesssync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/p2p/libp2p"
	"github.com/aspen-chain/aspen/types"
)

const subnet = types.SubnetID("/devnet/kid")

// memSource is a chain of blocks held in memory whose "witnesses" are
// witnessSize bytes derived from each block's hash (fakeWitness); tamper,
// when set, changes what it serves.
type memSource struct {
	blocks      []*types.Block // blocks[h] is at height h
	witnessSize int
	tamper      func(h uint64, w []byte) []byte
	builds      atomic.Int64
}

func (c *memSource) Final() *types.Header { return c.blocks[len(c.blocks)-1].Header }

func (c *memSource) BlockByNumber(h uint64) (*types.Block, error) {
	if h >= uint64(len(c.blocks)) {
		return nil, fmt.Errorf("no block %d", h)
	}
	return c.blocks[h], nil
}

func (c *memSource) Witness(hash common.Hash) ([]byte, error) {
	c.builds.Add(1)
	for _, b := range c.blocks {
		if b.Hash() == hash {
			w := fakeWitness(hash, c.witnessSize)
			if c.tamper != nil {
				w = c.tamper(b.Height(), w)
			}
			return w, nil
		}
	}
	return nil, fmt.Errorf("%w: no block %s", ErrNotHeld, hash)
}

func fakeWitness(hash common.Hash, size int) []byte {
	return bytes.Repeat(crypto.Keccak256(hash[:]), size/32+1)[:size]
}

// checkFake is the Check of fake witnesses: each must be its block's.
func checkFake(size int) Check {
	return func(it Item) error {
		if !bytes.Equal(it.Witness, fakeWitness(it.Block.Hash(), size)) {
			return fmt.Errorf("%w: witness of block %d is not its own", ErrBadItem, it.Block.Height())
		}
		return nil
	}
}

// newSource builds heights 0..n-1 of subnet; seed tells two chains apart.
func newSource(n, witnessSize int, seed byte) *memSource {
	c := &memSource{witnessSize: witnessSize}
	parent := common.Hash{seed}
	for h := range n {
		b := &types.Block{Header: &types.Header{
			SubnetID: subnet, Height: uint64(h), ParentHash: parent, TimeMs: uint64(1000 * h),
			GasLimit: 30_000_000, BaseFee: big.NewInt(1), StateRoot: common.Hash{seed, byte(h)},
		}}
		c.blocks = append(c.blocks, b)
		parent = b.Hash()
	}
	return c
}

func (c *memSource) hash(h uint64) common.Hash { return c.blocks[h].Hash() }

func newHost(t testing.TB) *libp2p.Host {
	t.Helper()
	key, err := libp2p.LoadOrGenerateIdentityKey(t.TempDir() + "/identity.key")
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(context.Background(), libp2p.Config{
		Key: key, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// server starts a host serving src for subnet with cfg, connected to client.
func server(t testing.TB, client *libp2p.Host, src Source, cfg ServerConfig) (*libp2p.Host, *Server) {
	t.Helper()
	h := newHost(t)
	cfg.Sources = sourcesOf(src)
	cfg.Log = slog.New(slog.DiscardHandler)
	s := Serve(h, cfg)
	if err := client.Connect(context.Background(), h.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	return h, s
}

// sourcesOf serves src as subnet and nothing else.
func sourcesOf(src Source) func(types.SubnetID) Source {
	return func(id types.SubnetID) Source {
		if id == subnet {
			return src
		}
		return nil
	}
}

func fetcher(client p2p.Host, peers ...string) *Fetcher {
	return NewFetcher(FetcherConfig{Host: client, Log: slog.New(slog.DiscardHandler),
		Peers: func(types.SubnetID) []string { return peers },
		Wait:  func(context.Context, time.Duration) error { return nil }})
}

// TestRoundTrip: one block and a range travel over real libp2p hosts, and a
// period fetched with FetchPeriod links to the hash asked for.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	src := newSource(12, 1000, 1)
	client := newHost(t)
	srv, _ := server(t, client, src, ServerConfig{})
	ctx := context.Background()

	one, err := Fetch(ctx, client, srv.ID(), subnet, 5, 1)
	if err != nil || len(one) != 1 || one[0].Block.Hash() != src.hash(5) || !bytes.Equal(one[0].Witness, fakeWitness(src.hash(5), 1000)) {
		t.Fatalf("block 5: %d items, %v", len(one), err)
	}
	items, err := fetcher(client, srv.ID()).FetchPeriod(ctx, subnet, 1, 10, src.hash(10), checkFake(1000))
	if err != nil || len(items) != 10 {
		t.Fatalf("period 1..10: %d items, %v", len(items), err)
	}
	for i, it := range items {
		if it.Block.Hash() != src.hash(uint64(i+1)) {
			t.Fatalf("item %d is block %d %s", i, it.Block.Height(), it.Block.Hash())
		}
	}
	// The cache served the second request of blocks built before.
	before := src.builds.Load()
	if _, err := Fetch(ctx, client, srv.ID(), subnet, 1, 10); err != nil || src.builds.Load() != before {
		t.Fatalf("cached blocks built again: %d builds after %d, %v", src.builds.Load(), before, err)
	}
}

// TestSizeCaps: an answer stops before the block that would take it over
// the message cap, FetchPeriod asks again from there, and a block whose
// witness alone is over the item cap is refused with its code.
func TestSizeCaps(t *testing.T) {
	t.Parallel()
	const size = 300 << 10 // a witness of ~1 500 transfers
	src := newSource(8, size, 1)
	client := newHost(t)
	srv, _ := server(t, client, src, ServerConfig{})
	ctx := context.Background()
	items, err := Fetch(ctx, client, srv.ID(), subnet, 1, 7)
	if err != nil || len(items) != 3 {
		t.Fatalf("7 blocks of %d-byte witnesses: %d in one answer, %v; want 3 under the 1 MiB cap", size, len(items), err)
	}
	got, err := fetcher(client, srv.ID()).FetchPeriod(ctx, subnet, 1, 7, src.hash(7), checkFake(size))
	if err != nil || len(got) != 7 {
		t.Fatalf("period of big blocks: %d items, %v", len(got), err)
	}

	huge := newSource(3, MaxItemBytes, 2)
	srv2, _ := server(t, client, huge, ServerConfig{})
	if _, err := Fetch(ctx, client, srv2.ID(), subnet, 1, 1); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "over the") {
		t.Fatalf("block over the item cap: %v, want ErrTooLarge", err)
	}
	if _, err := fetcher(client).FetchPeriod(ctx, subnet, 1, MaxPeriodBlocks+1, common.Hash{}, nil); !errors.Is(err, ErrPeriod) {
		t.Fatalf("period over MaxPeriodBlocks: %v", err)
	}
}

// TestRefusals: unknown subnets, heights not held, peers over their rate,
// and malformed requests each get their code; a peer that sends malformed
// requests is banned by the server.
func TestRefusals(t *testing.T) {
	t.Parallel()
	src := newSource(5, 100, 1)
	client := newHost(t)
	now := time.Unix(1_700_000_000, 0)
	srv, _ := server(t, client, src, ServerConfig{PeerBurst: 6, PeerRate: 1, Now: func() time.Time { return now }})
	ctx := context.Background()
	if _, err := Fetch(ctx, client, srv.ID(), "/devnet/other", 1, 1); !errors.Is(err, ErrUnknownSubnet) || !strings.Contains(err.Error(), "does not run /devnet/other") {
		t.Fatalf("unknown subnet: %v", err)
	}
	if _, err := Fetch(ctx, client, srv.ID(), subnet, 5, 1); !errors.Is(err, ErrNotHeld) || !strings.Contains(err.Error(), "final head 4") {
		t.Fatalf("height above the head: %v", err)
	}
	// The bucket holds 6 blocks: 4 now, 2 more, then none.
	if items, err := Fetch(ctx, client, srv.ID(), subnet, 1, 4); err != nil || len(items) != 4 {
		t.Fatalf("4 blocks: %d, %v", len(items), err)
	}
	if items, err := Fetch(ctx, client, srv.ID(), subnet, 1, 4); err != nil || len(items) != 2 {
		t.Fatalf("4 blocks asked with 2 tokens left: %d served, %v; want 2", len(items), err)
	}
	if _, err := Fetch(ctx, client, srv.ID(), subnet, 1, 1); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("over the rate: %v", err)
	}
	now = now.Add(2 * time.Second) // 2 tokens back
	if items, err := Fetch(ctx, client, srv.ID(), subnet, 1, 4); err != nil || len(items) != 2 {
		t.Fatalf("after 2 s: %d served, %v; want 2", len(items), err)
	}

	raw := func(msg []byte) error {
		resp, err := client.Request(ctx, srv.ID(), p2p.WitnessProtocol, msg)
		if err != nil {
			return err
		}
		_, err = decodeAnswer(resp, srv.ID(), subnet, 1, 1)
		return err
	}
	now = now.Add(time.Hour)
	for i, bad := range [][]byte{{version, 0xc0}, {7, 0xc0}, mustEncode(t, &request{Subnet: string(subnet), From: 1})} {
		if err := raw(bad); !errors.Is(err, ErrRefused) {
			t.Fatalf("malformed request %d: %v, want ErrRefused", i, err)
		}
	}
	if _, err := Fetch(ctx, client, srv.ID(), subnet, 1, 1); !errors.Is(err, ErrBanned) {
		t.Fatalf("after %d malformed requests: %v, want ErrBanned", maxStrikes, err)
	}
	now = now.Add(banFor + time.Second)
	if _, err := Fetch(ctx, client, srv.ID(), subnet, 1, 1); err != nil {
		t.Fatalf("after the ban: %v", err)
	}
}

func mustEncode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLiarsBannedHonestServes: a peer serving a tampered witness and a
// peer serving a chain that does not end at the trusted hash are each
// refused and banned, and the period comes from the honest peer after them;
// a Check error that is nobody's fault stops the fetch without a ban.
func TestLiarsBannedHonestServes(t *testing.T) {
	t.Parallel()
	const size = 500
	honest := newSource(11, size, 1)
	tampered := newSource(11, size, 1)
	tampered.tamper = func(h uint64, w []byte) []byte {
		if h == 7 {
			w = bytes.Clone(w)
			w[100] ^= 1
		}
		return w
	}
	fork := newSource(11, size, 9) // links, but to another chain
	client := newHost(t)
	liar1, _ := server(t, client, tampered, ServerConfig{})
	liar2, _ := server(t, client, fork, ServerConfig{})
	good, _ := server(t, client, honest, ServerConfig{})
	f := fetcher(client, liar1.ID(), liar2.ID(), good.ID())
	items, err := f.FetchPeriod(context.Background(), subnet, 3, 10, honest.hash(10), checkFake(size))
	if err != nil || len(items) != 8 || items[7].Block.Hash() != honest.hash(10) {
		t.Fatalf("period from the honest peer: %d items, %v", len(items), err)
	}
	for _, p := range []*libp2p.Host{liar1, liar2} {
		if !f.Banned(p.ID()) {
			t.Fatalf("peer %s served a period that does not check and is not banned", p.ID())
		}
	}
	if f.Banned(good.ID()) {
		t.Fatal("the honest peer is banned")
	}
	// Banned peers are not asked again: the next fetch asks the honest one first.
	before := tampered.builds.Load()
	if _, err := f.FetchPeriod(context.Background(), subnet, 1, 2, honest.hash(2), checkFake(size)); err != nil || tampered.builds.Load() != before {
		t.Fatalf("second fetch: %v, banned peer asked (%d builds after %d)", err, tampered.builds.Load(), before)
	}

	stop := errors.New("parent chain behind")
	f2 := fetcher(client, good.ID())
	_, err = f2.FetchPeriod(context.Background(), subnet, 1, 2, honest.hash(2), func(Item) error { return stop })
	if !errors.Is(err, stop) || f2.Banned(good.ID()) {
		t.Fatalf("a Check's own failure: %v (banned: %v); want it returned, no ban", err, f2.Banned(good.ID()))
	}
	// Nobody serves: the error lists every source.
	_, err = fetcher(client, liar2.ID()).FetchPeriod(context.Background(), subnet, 1, 2, honest.hash(2), nil)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), liar2.ID()) {
		t.Fatalf("no honest source: %v", err)
	}
}

// TestLocalFirst: a node that runs the subnet reads its own store and asks
// no peer; a local store that cannot serve falls back to peers.
func TestLocalFirst(t *testing.T) {
	t.Parallel()
	src := newSource(6, 64, 1)
	f := NewFetcher(FetcherConfig{Local: func(types.SubnetID) Source { return src }, Log: slog.New(slog.DiscardHandler)})
	items, err := f.FetchPeriod(context.Background(), subnet, 1, 5, src.hash(5), checkFake(64))
	if err != nil || len(items) != 5 {
		t.Fatalf("from the local store: %d items, %v", len(items), err)
	}
	short := newSource(3, 64, 1)
	client := newHost(t)
	srv, _ := server(t, client, src, ServerConfig{})
	f = NewFetcher(FetcherConfig{Host: client, Local: func(types.SubnetID) Source { return short }, Log: slog.New(slog.DiscardHandler),
		Peers: func(types.SubnetID) []string { return []string{srv.ID()} }})
	if items, err := f.FetchPeriod(context.Background(), subnet, 1, 5, src.hash(5), checkFake(64)); err != nil || len(items) != 5 {
		t.Fatalf("local store behind, peer serves: %d items, %v", len(items), err)
	}
}

// BenchmarkFetchPeriod measures the wire part of a juror's fetch: a period
// of 10 blocks with witnesses of a block of 1 000 transfers (~260 KB) over
// two real libp2p hosts on loopback, witnesses served from the cache:
//
//	go test -run '^$' -bench FetchPeriod -benchtime 20x ./witnesssync
func BenchmarkFetchPeriod(b *testing.B) {
	const size = 260 << 10
	src := newSource(11, size, 1)
	client := newHost(b)
	srv, _ := server(b, client, src, ServerConfig{CacheBytes: 64 << 20, PeerRate: 1e6, PeerBurst: 1e6})
	f := fetcher(client, srv.ID())
	for b.Loop() {
		if _, err := f.FetchPeriod(context.Background(), subnet, 1, 10, src.hash(10), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10*size), "witness-bytes/period")
}
