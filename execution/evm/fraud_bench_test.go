package evm

import (
	"context"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// BenchmarkFraudCheckTransition times the re-execution of a forged child
// block of n transfers (FraudChecker.CheckTransition, the heavy part of a
// fraud proof) and reports the gas proveFraud charges for the whole proof
// and the rate that charge buys (gas per second of re-execution).
func BenchmarkFraudCheckTransition(b *testing.B) {
	for _, n := range []int{1, 100, 600} {
		b.Run(fmt.Sprintf("transfers=%d", n), func(b *testing.B) {
			r := newFraudRig(b, 3)
			r.honest(9)
			ex := r.build(n)
			r.commit(ex)
			h := *ex.Block.Header
			h.StateRoot = common.Hash{0xf0, 0x7e}
			forged := &types.Block{Header: &h, Txs: ex.Block.Txs, Evidence: ex.Block.Evidence}
			cp, bm := r.checkpoint(forged)
			w := r.witness(10)
			gs, err := r.p.ex.GatewayState(nil)
			if err != nil {
				b.Fatal(err)
			}
			cg, err := gateway.ReadChildGenesis(gs, "/devnet", r.x.id)
			if err != nil {
				b.Fatal(err)
			}
			enc, err := types.EncodeBlock(forged)
			if err != nil {
				b.Fatal(err)
			}
			data := mustPack(b, r.p.gw, "proveFraud", string(r.x.id), gateway.EncodeFraudRef(gateway.FraudRef{Checkpoint: cp, Bitmap: bm}), []byte{}, enc, w)
			gas, err := r.p.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: r.p.addrs[6], To: &gateway.Address, Data: data}, nil)
			if err != nil {
				b.Fatal(err)
			}
			f := &FraudChecker{Genesis: testChildGenesis, Opts: Options{Evidence: testEvidence}}
			queue := executorParent{r.p.ex, r.p.st}
			b.ResetTimer()
			for range b.N {
				fault, err := f.CheckTransition(cg, forged, w, queue)
				if err != nil || fault == nil {
					b.Fatalf("fault %v, err %v", fault, err)
				}
			}
			b.ReportMetric(float64(gas), "gas/proof")
			b.ReportMetric(float64(gas)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mgas/s")
		})
	}
}
