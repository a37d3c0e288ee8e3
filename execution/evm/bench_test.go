package evm

import (
	"crypto/ecdsa"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/pebble"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// Benchmarks build and commit (to Pebble, synced) blocks of presigned
// transactions, and import the very same transactions into go-ethereum for
// comparison:
//
//	go test -run '^$' -bench . ./execution/evm
//
// Each iteration is one block; tx/s and Mgas/s are over the timed blocks.

const benchGasLimit = 30_000_000

var (
	benchTip    = big.NewInt(params.GWei)
	benchFeeCap = big.NewInt(100 * params.GWei)
)

// workload is a chain's genesis and its blocks of signed transactions.
type workload struct {
	gen    *config.Genesis
	keys   []*ecdsa.PrivateKey
	nonce  []uint64
	signer gethtypes.Signer
	setup  [][]*gethtypes.Transaction // committed before the timer starts
	blocks [][]*gethtypes.Transaction // timed
}

func newWorkload(accounts int) *workload {
	gen, keys := testGenesis(accounts, benchGasLimit)
	return &workload{gen: gen, keys: keys, nonce: make([]uint64, accounts),
		signer: gethtypes.LatestSignerForChainID(big.NewInt(testChainID))}
}

func (w *workload) sign(b *testing.B, i int, to *common.Address, value *big.Int, gas uint64, data []byte) *gethtypes.Transaction {
	tx, err := gethtypes.SignNewTx(w.keys[i], w.signer, &gethtypes.DynamicFeeTx{
		ChainID: big.NewInt(testChainID), Nonce: w.nonce[i], To: to, Value: value,
		Gas: gas, GasTipCap: benchTip, GasFeeCap: benchFeeCap, Data: data,
	})
	if err != nil {
		b.Fatal(err)
	}
	w.nonce[i]++
	return tx
}

// transferWorkload: blocks of 1000 plain transfers, each from its own account
// to a fresh address.
func transferWorkload(b *testing.B, blocks int) *workload {
	const perBlock = 1000
	w := newWorkload(perBlock)
	for n := 0; n < blocks; n++ {
		var txs []*gethtypes.Transaction
		for i := 0; i < perBlock; i++ {
			to := common.BigToAddress(big.NewInt(int64(1_000_000 + n*perBlock + i)))
			txs = append(txs, w.sign(b, i, &to, big.NewInt(1), params.TxGas, nil))
		}
		w.blocks = append(w.blocks, txs)
	}
	return w
}

// contractMixWorkload: an ERC20 (testdata/Token.sol) deployed and spread to
// 250 accounts before the timer; then blocks of 250 calls, half token
// transfers to fresh addresses (a new storage slot each), half scribble(3)
// (three storage writes each).
func contractMixWorkload(b *testing.B, blocks int) *workload {
	const accounts = 250
	w := newWorkload(accounts)
	tok := parseABI(b, tokenABI)
	deploy := w.sign(b, 0, nil, new(big.Int), 2_000_000, hexutil.MustDecode(tokenBytecode))
	token := crypto.CreateAddress(crypto.PubkeyToAddress(w.keys[0].PublicKey), deploy.Nonce())
	var spread []*gethtypes.Transaction
	for i := 1; i < accounts; i++ {
		data := mustPack(b, tok, "transfer", crypto.PubkeyToAddress(w.keys[i].PublicKey), big.NewInt(1e18))
		spread = append(spread, w.sign(b, 0, &token, new(big.Int), 100_000, data))
	}
	w.setup = [][]*gethtypes.Transaction{{deploy}, spread}
	scribble := mustPack(b, tok, "scribble", big.NewInt(3))
	for n := 0; n < blocks; n++ {
		var txs []*gethtypes.Transaction
		for i := 0; i < accounts; i++ {
			if (n+i)%2 == 0 {
				to := common.BigToAddress(big.NewInt(int64(1_000_000 + n*accounts + i)))
				txs = append(txs, w.sign(b, i, &token, new(big.Int), 100_000, mustPack(b, tok, "transfer", to, big.NewInt(1))))
			} else {
				txs = append(txs, w.sign(b, i, &token, new(big.Int), 200_000, scribble))
			}
		}
		w.blocks = append(w.blocks, txs)
	}
	return w
}

// runAspen builds and commits every block of w, timing the non-setup ones.
func runAspen(b *testing.B, w *workload) {
	c := &testChain{t: b, dir: b.TempDir(), gen: w.gen, keys: w.keys}
	c.open()
	defer c.st.Close()
	sources := make([]*sliceSource, len(w.blocks)) // senders recovered up front, as the mempool does
	for i, txs := range w.blocks {
		sources[i] = newSliceSource(c.ex.Signer(), txs...)
	}
	buildCommit := func(src *sliceSource, want int) uint64 {
		head := c.ex.Head()
		ex, err := c.ex.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1000, Proposer: proposer}, src)
		if err != nil {
			b.Fatal(err)
		}
		if len(ex.Block.Txs) != want {
			b.Fatalf("block %d included %d of %d transactions", ex.Block.Height(), len(ex.Block.Txs), want)
		}
		if err := c.ex.Commit(ex, &types.Commit{Height: ex.Block.Height(), BlockHash: ex.Block.Hash()}); err != nil {
			b.Fatal(err)
		}
		return ex.Block.Header.GasUsed
	}
	for _, txs := range w.setup {
		buildCommit(newSliceSource(c.ex.Signer(), txs...), len(txs))
	}
	var gas uint64
	var txs int
	b.ResetTimer()
	for i, src := range sources {
		gas += buildCommit(src, len(w.blocks[i]))
		txs += len(w.blocks[i])
	}
	b.StopTimer()
	report(b, txs, gas)
}

func report(b *testing.B, txs int, gas uint64) {
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(txs)/secs, "tx/s")
	b.ReportMetric(float64(gas)/1e6/secs, "Mgas/s")
}

func BenchmarkBuildTransfers(b *testing.B) {
	runAspen(b, transferWorkload(b, b.N))
}

func BenchmarkBuildContractMix(b *testing.B) {
	runAspen(b, contractMixWorkload(b, b.N))
}

// BenchmarkGethInsertChain imports the same workloads into go-ethereum's
// BlockChain on Pebble: "default" is a geth full node (state flushed to disk
// every few minutes or at shutdown, snapshots on); "archive" writes every
// block's state like Aspen does, though without syncing.
func BenchmarkGethInsertChain(b *testing.B) {
	for _, mode := range []struct {
		name    string
		archive bool
	}{{"default", false}, {"archive", true}} {
		for _, load := range []struct {
			name string
			make func(*testing.B, int) *workload
		}{{"Transfers", transferWorkload}, {"ContractMix", contractMixWorkload}} {
			b.Run(load.name+"/"+mode.name, func(b *testing.B) {
				runGeth(b, load.make(b, b.N), mode.archive)
			})
		}
	}
}

func runGeth(b *testing.B, w *workload, archive bool) {
	alloc := gethtypes.GenesisAlloc{
		params.BeaconRootsAddress:        {Nonce: 1, Code: params.BeaconRootsCode, Balance: new(big.Int)},
		params.HistoryStorageAddress:     {Nonce: 1, Code: params.HistoryStorageCode, Balance: new(big.Int)},
		params.WithdrawalQueueAddress:    {Nonce: 1, Code: params.WithdrawalQueueCode, Balance: new(big.Int)},
		params.ConsolidationQueueAddress: {Nonce: 1, Code: params.ConsolidationQueueCode, Balance: new(big.Int)},
	}
	for addr, acc := range w.gen.Alloc {
		alloc[addr] = gethtypes.Account{Balance: (*big.Int)(acc.Balance)}
	}
	gspec := &core.Genesis{
		Config:     ChainConfig(big.NewInt(testChainID)),
		GasLimit:   benchGasLimit,
		BaseFee:    big.NewInt(params.GWei),
		Difficulty: new(big.Int),
		Timestamp:  w.gen.TimestampMs / 1000,
		Alloc:      alloc,
	}
	engine := beacon.New(ethash.NewFaker())
	all := append(append([][]*gethtypes.Transaction{}, w.setup...), w.blocks...)
	_, blocks, _ := core.GenerateChainWithGenesis(gspec, engine, len(all), func(i int, g *core.BlockGen) {
		g.SetCoinbase(proposer)
		for _, tx := range all[i] {
			g.AddTx(tx)
		}
	})
	for i, blk := range blocks {
		if len(blk.Transactions()) != len(all[i]) {
			b.Fatalf("geth block %d has %d of %d transactions", i, len(blk.Transactions()), len(all[i]))
		}
	}
	kv, err := pebble.New(b.TempDir(), 64, 256, "", false)
	if err != nil {
		b.Fatal(err)
	}
	db := rawdb.NewDatabase(kv)
	defer db.Close()
	cfg := core.DefaultConfig().WithArchive(archive)
	chain, err := core.NewBlockChain(db, gspec, engine, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer chain.Stop()
	if _, err := chain.InsertChain(blocks[:len(w.setup)]); err != nil {
		b.Fatal(err)
	}
	timed := blocks[len(w.setup):]
	var gas uint64
	var txs int
	for _, blk := range timed {
		gas += blk.GasUsed()
		txs += len(blk.Transactions())
	}
	b.ResetTimer()
	if _, err := chain.InsertChain(timed); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	report(b, txs, gas)
}
