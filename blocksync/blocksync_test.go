package blocksync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/p2p/libp2p"
	"github.com/aspen-chain/aspen/types"
)

const subnet = types.SubnetID("/devnet")

// memChain is a chain of real blocks held in memory.
type memChain struct {
	blocks  []*types.Block // blocks[h] is at height h
	commits map[common.Hash]*types.Commit
}

func (c *memChain) Head() *types.Header {
	if len(c.blocks) == 0 {
		return nil
	}
	return c.blocks[len(c.blocks)-1].Header
}

func (c *memChain) BlockByNumber(h uint64) (*types.Block, error) {
	if h >= uint64(len(c.blocks)) {
		return nil, fmt.Errorf("no block %d", h)
	}
	return c.blocks[h], nil
}

func (c *memChain) Commit(hash common.Hash) (*types.Commit, error) {
	if cm, ok := c.commits[hash]; ok {
		return cm, nil
	}
	return nil, fmt.Errorf("no commit for %s", hash)
}

// newChain builds heights 0..n-1, each with one signed transaction, a
// commit, and evidence of evidenceSize bytes (to make big blocks).
func newChain(t testing.TB, n, evidenceSize int) *memChain {
	t.Helper()
	key, _ := crypto.GenerateKey()
	signer := gethtypes.LatestSignerForChainID(big.NewInt(5))
	to := common.HexToAddress("0x09")
	c := &memChain{commits: map[common.Hash]*types.Commit{}}
	parent := common.Hash{}
	for h := range n {
		tx, err := gethtypes.SignNewTx(key, signer, &gethtypes.DynamicFeeTx{
			ChainID: big.NewInt(5), Nonce: uint64(h), GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(2), Gas: 21000, To: &to,
		})
		if err != nil {
			t.Fatal(err)
		}
		var evidence [][]byte
		if evidenceSize > 0 {
			evidence = [][]byte{bytes.Repeat([]byte{byte(h)}, evidenceSize)}
		}
		txs := gethtypes.Transactions{tx}
		b := &types.Block{
			Header: &types.Header{
				SubnetID: subnet, Height: uint64(h), ParentHash: parent, TimeMs: uint64(1000 * h),
				TxRoot: types.TxRoot(txs), GasLimit: 30_000_000, GasUsed: 21000, BaseFee: big.NewInt(1),
				EvidenceHash: types.EvidenceHash(evidence), Seal: []byte{1, 2, 3},
			},
			Txs:      txs,
			Evidence: evidence,
		}
		cm := &types.Commit{Height: uint64(h), Round: 1, BlockHash: b.Hash(), Signature: bytes.Repeat([]byte{0xaa}, 96)}
		cm.SetSigner(0)
		cm.SetSigner(h % 4)
		c.blocks = append(c.blocks, b)
		c.commits[b.Hash()] = cm
		parent = b.Hash()
	}
	return c
}

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

// pair starts a serving host with chain c and a client connected to it.
func pair(t testing.TB, c Chain) (client, server *libp2p.Host) {
	t.Helper()
	client, server = newHost(t), newHost(t)
	Serve(server, subnet, c)
	if err := client.Connect(context.Background(), server.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	return client, server
}

func checkItems(t *testing.T, c *memChain, items []Item, from uint64, n int) {
	t.Helper()
	if len(items) != n {
		t.Fatalf("got %d items, want %d", len(items), n)
	}
	for i, it := range items {
		want := c.blocks[from+uint64(i)]
		if it.Block.Hash() != want.Hash() || it.Block.Height() != want.Height() {
			t.Fatalf("item %d: block %d %s, want %d %s", i, it.Block.Height(), it.Block.Hash(), want.Height(), want.Hash())
		}
		if len(it.Block.Txs) != 1 || it.Block.Txs[0].Hash() != want.Txs[0].Hash() {
			t.Fatalf("item %d: transactions changed in transit", i)
		}
		if !bytes.Equal(it.Block.Header.Seal, want.Header.Seal) || types.EvidenceHash(it.Block.Evidence) != want.Header.EvidenceHash {
			t.Fatalf("item %d: seal or evidence changed in transit", i)
		}
		wc := c.commits[want.Hash()]
		if it.Commit == nil || it.Commit.BlockHash != want.Hash() || it.Commit.Round != wc.Round ||
			!bytes.Equal(it.Commit.Signers, wc.Signers) || !bytes.Equal(it.Commit.Signature, wc.Signature) {
			t.Fatalf("item %d: commit %+v, want %+v", i, it.Commit, wc)
		}
	}
}

func TestStatusAndFetch(t *testing.T) {
	c := newChain(t, 20, 0)
	client, server := pair(t, c)
	ctx := context.Background()

	height, hash, err := Status(ctx, client, subnet, server.ID())
	if err != nil || height != 19 || hash != c.blocks[19].Hash() {
		t.Fatalf("status: %d %s %v, want 19 %s", height, hash, err, c.blocks[19].Hash())
	}
	items, err := Fetch(ctx, client, subnet, server.ID(), 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, c, items, 1, 5)
	// From genesis, more than there is: everything up to the head.
	items, err = Fetch(ctx, client, subnet, server.ID(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, c, items, 0, 20)
	// Near the head: only what exists.
	items, err = Fetch(ctx, client, subnet, server.ID(), 18, 10)
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, c, items, 18, 2)
	// Unknown heights: an empty list, not an error.
	for _, from := range []uint64{20, 1 << 40} {
		items, err = Fetch(ctx, client, subnet, server.ID(), from, 10)
		if err != nil || len(items) != 0 {
			t.Fatalf("fetch from %d above the head: %d items, %v; want none and no error", from, len(items), err)
		}
	}
	if _, err := Fetch(ctx, client, subnet, server.ID(), 0, 0); err == nil {
		t.Fatal("max 0 accepted")
	}
	// Another subnet is not served.
	if _, err := Fetch(ctx, client, "/other", server.ID(), 0, 1); err == nil {
		t.Fatal("fetched blocks of a subnet the server does not serve")
	}
}

func TestFetchCapsByCountAndSize(t *testing.T) {
	// 300 KiB blocks: three fit in a 1 MiB answer, four do not.
	c := newChain(t, 10, 300<<10)
	client, server := pair(t, c)
	items, err := Fetch(context.Background(), client, subnet, server.ID(), 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, c, items, 2, 3)
	// The server's own cap on count.
	small := newChain(t, MaxBlocksPerRequest+10, 0)
	client, server = pair(t, small)
	items, err = Fetch(context.Background(), client, subnet, server.ID(), 0, MaxBlocksPerRequest+10)
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, small, items, 0, MaxBlocksPerRequest)
}

func TestBlockOverTheCapIsAnErrorNotAHang(t *testing.T) {
	c := newChain(t, 3, p2p.MaxMessageSize)
	client, server := pair(t, c)
	_, err := Fetch(context.Background(), client, subnet, server.ID(), 1, 1)
	if !errors.Is(err, libp2p.ErrRemote) || !strings.Contains(err.Error(), "over the") {
		t.Fatalf("got %v, want the server's error naming the cap", err)
	}
}

func TestEmptyChainStatus(t *testing.T) {
	client, server := pair(t, &memChain{})
	if _, _, err := Status(context.Background(), client, subnet, server.ID()); err == nil || !strings.Contains(err.Error(), ErrNoHead.Error()) {
		t.Fatalf("status of an empty chain: got %v, want %v", err, ErrNoHead)
	}
	items, err := Fetch(context.Background(), client, subnet, server.ID(), 0, 1)
	if err != nil || len(items) != 0 {
		t.Fatalf("fetch from an empty chain: %d items, %v", len(items), err)
	}
}

func TestMalformedRequestsAreAnsweredWithErrors(t *testing.T) {
	client, server := pair(t, newChain(t, 3, 0))
	proto := p2p.BlockSyncProtocol(subnet)
	valid, _ := encode(&request{Kind: kindBlocks, From: 0, Max: 1})
	for name, tc := range map[string]struct {
		msg  []byte
		want string
	}{
		"empty":        {nil, "malformed"},
		"garbage":      {[]byte{version, 0xff, 0x01}, "malformed"},
		"old version":  {append([]byte{9}, valid[1:]...), "version"},
		"unknown kind": {mustEncode(t, &request{Kind: 7}), "kind 7"},
	} {
		_, err := client.Request(context.Background(), server.ID(), proto, tc.msg)
		if !errors.Is(err, libp2p.ErrRemote) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error answer mentioning %q", name, err, tc.want)
		}
	}
	// The server still answers properly afterwards.
	if resp, err := client.Request(context.Background(), server.ID(), proto, valid); err != nil || len(resp) < 2 {
		t.Fatalf("valid request after bad ones: %v", err)
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

// A peer that answers with the wrong heights or too many blocks is caught.
func TestFetchRejectsBadAnswers(t *testing.T) {
	c := newChain(t, 10, 0)
	client, server := newHost(t), newHost(t)
	if err := client.Connect(context.Background(), server.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // the handler runs on the server's goroutines
	var answer []int  // heights the lying server sends
	setAnswer := func(heights []int) { mu.Lock(); answer = heights; mu.Unlock() }
	server.Handle(p2p.BlockSyncProtocol(subnet), func(context.Context, string, []byte) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		var ans blocksAnswer
		for _, h := range answer {
			ans.Items = append(ans.Items, wireItem{Block: c.blocks[h], Commit: c.commits[c.blocks[h].Hash()]})
		}
		return encode(&ans)
	})
	for name, tc := range map[string][]int{
		"gap":          {2, 4},
		"wrong start":  {3, 4},
		"too many":     {2, 3, 4, 5},
		"out of order": {3, 2},
	} {
		setAnswer(tc)
		if _, err := Fetch(context.Background(), client, subnet, server.ID(), 2, 3); !errors.Is(err, ErrBadAnswer) {
			t.Errorf("%s: got %v, want ErrBadAnswer", name, err)
		}
	}
	// A nil commit travels as nil (engines whose seal is the proof).
	mu.Lock()
	answer = []int{2}
	c.commits[c.blocks[2].Hash()] = nil
	mu.Unlock()
	items, err := Fetch(context.Background(), client, subnet, server.ID(), 2, 3)
	if err != nil || len(items) != 1 || items[0].Commit != nil {
		t.Fatalf("nil commit: %+v, %v", items, err)
	}
}

func BenchmarkFetch64(b *testing.B) {
	c := newChain(b, 64, 0)
	client, server := pair(b, c)
	for b.Loop() {
		if _, err := Fetch(context.Background(), client, subnet, server.ID(), 0, 64); err != nil {
			b.Fatal(err)
		}
	}
}
