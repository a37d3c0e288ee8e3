package evm

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/witness"
	"github.com/aspen-chain/aspen/types"
)

// BenchmarkWitness measures, for one block of each workload, the witness
// size and the time to build it, to execute the block normally (Execute on
// the committed parent state, Pebble) and statelessly (decode + Verify):
//
//	go test -run '^$' -bench Witness -benchtime 20x ./execution/evm
func BenchmarkWitness(b *testing.B) {
	for _, load := range []struct {
		name string
		make func(*testing.B) *workload
	}{
		{"Transfers100", func(b *testing.B) *workload { return transfersOf(b, 100) }},
		{"Transfers1000", func(b *testing.B) *workload { return transfersOf(b, 1000) }},
		{"ERC20Mix250", func(b *testing.B) *workload { return contractMixWorkload(b, 1) }},
	} {
		b.Run(load.name, func(b *testing.B) {
			w := load.make(b)
			c := &testChain{t: b, dir: b.TempDir(), gen: w.gen, keys: w.keys}
			c.open()
			defer c.st.Close()
			var block *types.Block
			for _, txs := range append(w.setup, w.blocks...) {
				head := c.ex.Head()
				ex, err := c.ex.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1000, Proposer: proposer}, newSliceSource(c.ex.Signer(), txs...))
				if err != nil || len(ex.Block.Txs) != len(txs) {
					b.Fatalf("block of %d txs: %d included, %v", len(txs), len(ex.Block.Txs), err)
				}
				c.commit(ex)
				block = ex.Block
			}
			wit, err := c.ex.Witness(block.Hash())
			if err != nil {
				b.Fatal(err)
			}
			enc, err := wit.Encode()
			if err != nil {
				b.Fatal(err)
			}
			s, err := NewStateless(c.gen, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Run("Build", func(b *testing.B) {
				for b.Loop() {
					if _, err := c.ex.Witness(block.Hash()); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Execute", func(b *testing.B) {
				for b.Loop() {
					if _, err := c.ex.Execute(block); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Stateless", func(b *testing.B) {
				for b.Loop() {
					w, err := witness.Decode(enc, witness.Limits{})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := s.Verify(w, block); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(enc)), "witness-bytes")
				b.ReportMetric(float64(len(wit.Nodes)), "nodes")
				b.ReportMetric(float64(len(enc))/float64(len(block.Txs)), "bytes/tx")
			})
		})
	}
}

// transfersOf is one block of n plain transfers, each from its own account
// to a fresh address.
func transfersOf(b *testing.B, n int) *workload {
	w := newWorkload(n)
	var txs []*gethtypes.Transaction
	for i := 0; i < n; i++ {
		to := common.BigToAddress(big.NewInt(int64(1_000_000 + i)))
		txs = append(txs, w.sign(b, i, &to, big.NewInt(1), params.TxGas, nil))
	}
	w.blocks = [][]*gethtypes.Transaction{txs}
	return w
}
