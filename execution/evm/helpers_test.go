package evm

import (
	"crypto/ecdsa"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// sliceSource is a TxSource over a fixed list, in order.
type sliceSource struct {
	txs    []*gethtypes.Transaction
	from   []common.Address
	i      int
	popped map[common.Address]bool
}

func newSliceSource(signer gethtypes.Signer, txs ...*gethtypes.Transaction) *sliceSource {
	s := &sliceSource{txs: txs, popped: make(map[common.Address]bool)}
	for _, tx := range txs {
		from, err := gethtypes.Sender(signer, tx) // as the mempool does: recover once, cached on tx
		if err != nil {
			// a transaction for another chain, which tests feed on purpose
			from, err = gethtypes.Sender(gethtypes.LatestSignerForChainID(tx.ChainId()), tx)
		}
		if err != nil {
			panic(err)
		}
		s.from = append(s.from, from)
	}
	return s
}

func (s *sliceSource) Peek() (*gethtypes.Transaction, common.Address) {
	for s.i < len(s.txs) && s.popped[s.from[s.i]] {
		s.i++
	}
	if s.i == len(s.txs) {
		return nil, common.Address{}
	}
	return s.txs[s.i], s.from[s.i]
}

func (s *sliceSource) Shift() { s.i++ }

func (s *sliceSource) Pop() {
	s.popped[s.from[s.i]] = true
	s.i++
}

var _ execution.TxSource = (*sliceSource)(nil)

const testChainID = 31337

var (
	proposer    = common.HexToAddress("0x00000000000000000000000000000000c0ffee01")
	initBalance = new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))
)

// testChain is a real chain in a temp dir: store, genesis and executor.
type testChain struct {
	t     testing.TB
	dir   string
	gen   *config.Genesis
	st    *store.Store
	ex    *Executor
	keys  []*ecdsa.PrivateKey
	addrs []common.Address
	nonce []uint64
	opts  Options // the executor's, beside testEvidence
}

func testKey(i int) *ecdsa.PrivateKey { return testkeys.Account(i) }

func testGenesis(accounts int, gasLimit uint64) (*config.Genesis, []*ecdsa.PrivateKey) {
	gen := &config.Genesis{
		SubnetID:    "/devnet",
		ChainID:     testChainID,
		GasLimit:    gasLimit,
		TimestampMs: 1_700_000_000_000,
		Validators:  []config.GenesisValidator{{Address: proposer}},
		Alloc:       make(map[common.Address]config.GenesisAccount),
	}
	gen.SetDefaults()
	var keys []*ecdsa.PrivateKey
	for i := 0; i < accounts; i++ {
		k := testKey(i)
		keys = append(keys, k)
		gen.Alloc[crypto.PubkeyToAddress(k.PublicKey)] = config.GenesisAccount{Balance: (*math.HexOrDecimal256)(new(big.Int).Set(initBalance))}
	}
	return gen, keys
}

func newTestChain(t testing.TB, accounts int, gasLimit uint64) *testChain {
	t.Helper()
	gen, keys := testGenesis(accounts, gasLimit)
	return openTestChain(t, gen, keys)
}

// openTestChain opens a fresh store for gen, whose accounts keys hold.
func openTestChain(t testing.TB, gen *config.Genesis, keys []*ecdsa.PrivateKey) *testChain {
	t.Helper()
	accounts := len(keys)
	c := &testChain{t: t, dir: t.TempDir(), gen: gen, keys: keys, nonce: make([]uint64, accounts)}
	for _, k := range keys {
		c.addrs = append(c.addrs, crypto.PubkeyToAddress(k.PublicKey))
	}
	c.open()
	t.Cleanup(func() { c.st.Close() })
	return c
}

func (c *testChain) open() {
	c.t.Helper()
	st, err := store.Open(c.dir)
	if err != nil {
		c.t.Fatal(err)
	}
	opts := c.opts
	opts.Evidence = testEvidence
	ex, err := New(st, c.gen, opts)
	if err != nil {
		c.t.Fatal(err)
	}
	c.st, c.ex = st, ex
}

func (c *testChain) reopen() {
	c.t.Helper()
	if err := c.st.Close(); err != nil {
		c.t.Fatal(err)
	}
	c.open()
}

// tx signs a dynamic-fee transaction from account i with the next nonce.
func (c *testChain) tx(i int, to *common.Address, value *big.Int, gas uint64, data []byte, tip, feeCap *big.Int) *gethtypes.Transaction {
	tx, err := gethtypes.SignNewTx(c.keys[i], c.ex.Signer(), &gethtypes.DynamicFeeTx{
		ChainID: big.NewInt(testChainID), Nonce: c.nonce[i], To: to, Value: value,
		Gas: gas, GasTipCap: tip, GasFeeCap: feeCap, Data: data,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	c.nonce[i]++
	return tx
}

func (c *testChain) transfer(i int, to common.Address, value int64) *gethtypes.Transaction {
	return c.tx(i, &to, big.NewInt(value), params.TxGas, nil, big.NewInt(params.GWei), big.NewInt(10*params.GWei))
}

func (c *testChain) build(txs ...*gethtypes.Transaction) *execution.Executed {
	c.t.Helper()
	head := c.ex.Head()
	ex, err := c.ex.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1000, Proposer: proposer}, newSliceSource(c.ex.Signer(), txs...))
	if err != nil {
		c.t.Fatal(err)
	}
	return ex
}

func (c *testChain) commit(ex *execution.Executed) {
	c.t.Helper()
	if err := c.ex.Commit(ex, &types.Commit{Height: ex.Block.Height(), BlockHash: ex.Block.Hash()}); err != nil {
		c.t.Fatal(err)
	}
}

// block builds and commits a block with txs and checks every one was included.
func (c *testChain) block(txs ...*gethtypes.Transaction) *execution.Executed {
	c.t.Helper()
	ex := c.build(txs...)
	if len(ex.Block.Txs) != len(txs) {
		c.t.Fatalf("block %d included %d of %d transactions", ex.Block.Height(), len(ex.Block.Txs), len(txs))
	}
	c.commit(ex)
	return ex
}

func (c *testChain) balance(addr common.Address) *big.Int {
	c.t.Helper()
	b, err := c.ex.Balance(nil, addr)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

func parseABI(t testing.TB, s string) abi.ABI {
	a, err := abi.JSON(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustPack(t testing.TB, a abi.ABI, method string, args ...any) []byte {
	b, err := a.Pack(method, args...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
