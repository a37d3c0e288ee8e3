package evm

import (
	"bytes"
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/execution/witness"
	"github.com/aspen-chain/aspen/types"
)

// blockhashProbe stores BLOCKHASH(NUMBER-5) in slot 0 when called:
// PUSH1 5 NUMBER SUB BLOCKHASH PUSH1 0 SSTORE STOP.
var (
	blockhashProbe     = common.Address{0xb1, 0x0c}
	blockhashProbeCode = []byte{0x60, 0x05, 0x43, 0x03, 0x40, 0x60, 0x00, 0x55, 0x00}
)

// witnessChain is a test chain whose genesis also holds blockhashProbe.
func witnessChain(t testing.TB, accounts int) *testChain {
	t.Helper()
	gen, keys := testGenesis(accounts, 30_000_000)
	gen.Alloc[blockhashProbe] = config.GenesisAccount{Code: blockhashProbeCode}
	return openTestChain(t, gen, keys)
}

// witnessOf builds block hash's witness on c and passes it through its
// encoding, as a verifier elsewhere receives it.
func witnessOf(t testing.TB, x *Executor, hash common.Hash) *witness.Witness {
	t.Helper()
	w, err := x.Witness(hash)
	if err != nil {
		t.Fatalf("witness of %s: %v", hash, err)
	}
	enc, err := w.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := witness.Decode(enc, witness.Limits{})
	if err != nil {
		t.Fatalf("decoding a witness just encoded: %v", err)
	}
	return back
}

func statelessFor(t testing.TB, gen *config.Genesis) *Stateless {
	t.Helper()
	s, err := NewStateless(gen, Options{Evidence: testEvidence})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// randomBlocks commits blocks of a random mix of transfers (to known and
// fresh accounts), token transfers and scribbles (storage writes), contract
// creations, BLOCKHASH reads and a gateway call, and returns them.
func randomBlocks(t *testing.T, c *testChain, rng *rand.Rand, n int) []*types.Block {
	tok := parseABI(t, tokenABI)
	deploy := c.tx(0, nil, new(big.Int), 2_000_000, hexutil.MustDecode(tokenBytecode), big.NewInt(params.GWei), big.NewInt(10*params.GWei))
	token := crypto.CreateAddress(c.addrs[0], deploy.Nonce())
	var blocks []*types.Block
	blocks = append(blocks, c.block(deploy).Block)
	var spread []*gethtypes.Transaction
	for i := 1; i < len(c.keys); i++ {
		spread = append(spread, c.tx(0, &token, new(big.Int), 100_000, mustPack(t, tok, "transfer", c.addrs[i], big.NewInt(1e18)), big.NewInt(params.GWei), big.NewInt(10*params.GWei)))
	}
	blocks = append(blocks, c.block(spread...).Block)
	tip, cap := big.NewInt(params.GWei), big.NewInt(10*params.GWei)
	for b := 0; b < n; b++ {
		var txs []*gethtypes.Transaction
		for i := range c.keys {
			switch rng.IntN(7) {
			case 0:
				txs = append(txs, c.transfer(i, c.addrs[rng.IntN(len(c.addrs))], rng.Int64N(1e9)+1))
			case 1:
				txs = append(txs, c.transfer(i, common.BigToAddress(big.NewInt(rng.Int64N(1<<40)+1<<41)), 1))
			case 2:
				to := c.addrs[rng.IntN(len(c.addrs))]
				txs = append(txs, c.tx(i, &token, new(big.Int), 100_000, mustPack(t, tok, "transfer", to, big.NewInt(rng.Int64N(1000)+1)), tip, cap))
			case 3:
				txs = append(txs, c.tx(i, &token, new(big.Int), 300_000, mustPack(t, tok, "scribble", big.NewInt(rng.Int64N(4)+1)), tip, cap))
			case 4:
				// Creation code returning a one-byte contract (STOP).
				txs = append(txs, c.tx(i, nil, new(big.Int), 100_000, []byte{0x60, 0x00, 0x60, 0x00, 0x53, 0x60, 0x01, 0x60, 0x00, 0xf3}, tip, cap))
			case 5:
				txs = append(txs, c.tx(i, &blockhashProbe, new(big.Int), 100_000, nil, tip, cap))
			case 6:
				txs = append(txs, c.tx(i, &token, new(big.Int), 200_000, mustPack(t, tok, "gatewaySubnet"), tip, cap))
			}
		}
		blocks = append(blocks, c.block(txs...).Block)
	}
	return blocks
}

// TestWitnessReexecutesRandomBlocks: every block executed normally executes
// again from its witness alone to the same state root.
func TestWitnessReexecutesRandomBlocks(t *testing.T) {
	c := witnessChain(t, 12)
	blocks := randomBlocks(t, c, rand.New(rand.NewPCG(1, 2)), 10)
	s := statelessFor(t, c.gen)
	sawBlockhash := false
	for _, b := range blocks {
		w := witnessOf(t, c.ex, b.Hash())
		root, err := s.Verify(w, b)
		if err != nil {
			t.Fatalf("block %d: stateless re-execution failed: %v", b.Height(), err)
		}
		if root != b.Header.StateRoot {
			t.Fatalf("block %d: stateless root %s, header %s", b.Height(), root, b.Header.StateRoot)
		}
		if len(w.Nodes) == 0 || w.Parent().Hash() != b.Header.ParentHash {
			t.Fatalf("block %d: witness with %d nodes for parent %s", b.Height(), len(w.Nodes), w.Parent().Hash())
		}
		sawBlockhash = sawBlockhash || len(w.Headers) > 1
	}
	if !sawBlockhash {
		t.Fatal("no witness carried an ancestor header: the BLOCKHASH probe never ran")
	}
}

// TestWitnessRefusesWhatIsMissingOrWrong breaks a good witness (or its
// block) in each way and checks the verifier names what is wrong.
func TestWitnessRefusesWhatIsMissingOrWrong(t *testing.T) {
	c := witnessChain(t, 6)
	tok := parseABI(t, tokenABI)
	blocks := randomBlocks(t, c, rand.New(rand.NewPCG(3, 4)), 6)
	token := crypto.CreateAddress(c.addrs[0], 0)
	tip, cap := big.NewInt(params.GWei), big.NewInt(10*params.GWei)
	b := c.block(
		c.tx(1, &token, new(big.Int), 300_000, mustPack(t, tok, "scribble", big.NewInt(3)), tip, cap),
		c.tx(2, &blockhashProbe, new(big.Int), 100_000, nil, tip, cap),
		c.transfer(3, common.Address{0xfe, 0xed}, 5),
	).Block
	s := statelessFor(t, c.gen)
	good := witnessOf(t, c.ex, b.Hash())
	if _, err := s.Verify(good, b); err != nil {
		t.Fatalf("the intact witness fails: %v", err)
	}
	clone := func() *witness.Witness {
		w := *good
		w.Headers = append([]*types.Header(nil), good.Headers...)
		w.Nodes = append([][]byte(nil), good.Nodes...)
		w.Codes = append([][]byte(nil), good.Codes...)
		return &w
	}
	expect := func(name string, w *witness.Witness, blk *types.Block, want error, says string) {
		t.Helper()
		_, err := s.Verify(w, blk)
		if !errors.Is(err, want) || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: got %v, want %v saying %q", name, err, want, says)
		}
	}

	// Every node is needed: without any one, the run misses it.
	for i := range good.Nodes {
		w := clone()
		w.Nodes = append(w.Nodes[:i:i], w.Nodes[i+1:]...)
		expect("without node "+string(rune('0'+i%10)), w, b, ErrWitnessIncomplete, "missing trie node")
	}
	w := clone()
	i := len(w.Nodes) / 2
	w.Nodes[i] = bytes.Clone(w.Nodes[i])
	w.Nodes[i][len(w.Nodes[i])-1] ^= 1
	expect("tampered node", w, b, ErrWitnessIncomplete, "missing trie node")

	w = clone()
	w.Codes = nil
	expect("without code", w, b, ErrWitnessIncomplete, "code")

	w = clone()
	if len(w.Headers) < 2 {
		t.Fatal("the BLOCKHASH probe's witness has no ancestor header")
	}
	w.Headers = w.Headers[:len(w.Headers)-1]
	expect("without the oldest header", w, b, ErrWitnessIncomplete, "BLOCKHASH")

	w = clone()
	w.Headers[0] = w.Headers[0].Copy()
	w.Headers[0].GasUsed++
	expect("another parent", w, b, ErrWitnessMismatch, "witness is for a child of block")

	swapped := &types.Block{Header: b.Header, Txs: append(gethtypes.Transactions{c.transfer(4, common.Address{1}, 1)}, b.Txs[1:]...)}
	expect("transactions changed", good, swapped, ErrWitnessMismatch, "tx root")

	resealed := &types.Block{Header: b.Header.Copy(), Txs: b.Txs[:2]}
	resealed.Header.TxRoot = types.TxRoot(resealed.Txs)
	expect("a transaction dropped, tx root redone", good, resealed, ErrWitnessMismatch, "header says")

	lying := &types.Block{Header: b.Header.Copy(), Txs: b.Txs}
	lying.Header.StateRoot = common.Hash{0xba, 0xd}
	expect("a wrong state root", good, lying, ErrWitnessMismatch, "state root")

	older := witnessOf(t, c.ex, blocks[len(blocks)-1].Hash())
	expect("another block's witness", older, b, ErrWitnessMismatch, "witness is for a child of block")
}

// TestWitnessCarriesTopDownMessages: a child block that applies its parent's
// messages (a fund and a delivered call) re-executes from its witness, which
// must carry those messages; without them the verifier says so.
func TestWitnessCarriesTopDownMessages(t *testing.T) {
	p := activeChild(t)
	p.run(1, p.gwTx(4, eth(5), "fund", "/devnet/games", common.Address{0x71}),
		p.gwTx(4, eth(1), "send", "/devnet/games", common.Address{0xca}, []byte{1}))
	child, verifier := openChild(t, p), openChild(t, p)
	ex := childBlock(t, p, child, verifier)
	w := witnessOf(t, child, ex.Block.Hash())
	if w.TopDown == nil || len(w.TopDown.Msgs) == 0 {
		t.Fatalf("witness of a block applying top-down messages carries %+v", w.TopDown)
	}
	s := statelessFor(t, child.genesis)
	root, err := s.Verify(w, ex.Block)
	if err != nil || root != ex.Block.Header.StateRoot {
		t.Fatalf("stateless child block: root %s, %v; want %s", root, err, ex.Block.Header.StateRoot)
	}
	bare := *w
	bare.TopDown = nil
	if _, err := s.Verify(&bare, ex.Block); !errors.Is(err, ErrWitnessIncomplete) || !strings.Contains(err.Error(), "parent's queue") {
		t.Fatalf("witness without the parent's messages: %v", err)
	}
	fewer := *w
	fewer.TopDown = &witness.TopDown{Ref: w.TopDown.Ref, From: w.TopDown.From, Msgs: w.TopDown.Msgs[:len(w.TopDown.Msgs)-1]}
	if _, err := s.Verify(&fewer, ex.Block); !errors.Is(err, ErrWitnessMismatch) && !errors.Is(err, ErrWitnessIncomplete) {
		t.Fatalf("witness dropping a parent message verified: %v", err)
	}
}

// TestWitnessNeedsTheParentState: a node without the parent's state says so.
func TestWitnessNeedsTheParentState(t *testing.T) {
	c := witnessChain(t, 2)
	b1 := c.block(c.transfer(0, c.addrs[1], 1)).Block
	b2 := c.block(c.transfer(1, c.addrs[0], 1)).Block
	if _, err := c.ex.Witness(b1.Header.ParentHash); err == nil || !strings.Contains(err.Error(), "block 0 has no witness") {
		t.Fatalf("witness of genesis: %v", err)
	}
	// Drop block 1's state root node, as a pruning node would.
	if err := c.st.KV().Delete(b1.Header.StateRoot.Bytes()); err != nil {
		t.Fatal(err)
	}
	c.reopen() // no clean cache holding it
	if _, err := c.ex.Witness(b2.Hash()); !errors.Is(err, ErrNoParentState) {
		t.Fatalf("witness without the parent state: %v", err)
	}
	if _, err := c.ex.Witness(common.Hash{1}); err == nil {
		t.Fatal("witness of an unknown block")
	}
}
