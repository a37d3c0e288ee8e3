package evm

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/periodcheck"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/witnesssync"
)

// rigSource serves the fraud rig's child as its (byzantine) nodes would:
// the committed blocks, but a forged block in place of the honest one at
// its height, with the honest block's witness (same parent, same reads).
type rigSource struct {
	r      *fraudRig
	forged map[uint64]*types.Block
	built  map[uint64][]byte // witnesses built already (the benchmark's server cache)
}

func (s *rigSource) block(h uint64) *types.Block {
	if b := s.forged[h]; b != nil {
		return b
	}
	return s.r.blocks[h]
}

func (s *rigSource) Final() *types.Header { return s.block(s.r.child.Head().Height).Header }
func (s *rigSource) BlockByNumber(h uint64) (*types.Block, error) {
	return s.block(h), nil
}
func (s *rigSource) Witness(hash common.Hash) ([]byte, error) {
	for h := range s.r.blocks {
		if s.block(h).Hash() != hash {
			continue
		}
		if w := s.built[h]; w != nil {
			return w, nil
		}
		return s.r.witness(h), nil
	}
	return nil, witnesssync.ErrNotHeld
}

// parentQueue is the parent gateway's queue to the child as of parent
// block ref, read from the parent's head (each message records the parent
// height that queued it), as gateway's fraudQueue reads it.
type parentQueue struct {
	r  *fraudRig
	id types.SubnetID
}

func (q parentQueue) TopDown(ref types.ParentRef, from uint64) ([]gateway.TopDownMsg, error) {
	gs, err := q.r.p.ex.GatewayState(nil)
	if err != nil {
		return nil, err
	}
	msgs, err := gateway.ReadTopDown(gs, "/devnet", q.id, from, 256)
	for i, m := range msgs {
		if m.Height > ref.Height {
			return msgs[:i], err
		}
	}
	return msgs, err
}

// period is the checkpoint enc of the rig's child as a juror on the parent
// judges it.
func (r *fraudRig) period(enc []byte) periodcheck.Period {
	r.t.Helper()
	cp, err := types.DecodeCheckpoint(enc)
	if err != nil {
		r.t.Fatal(err)
	}
	gs, err := r.p.ex.GatewayState(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	cg, err := gateway.ReadChildGenesis(gs, "/devnet", r.x.id)
	if err != nil {
		r.t.Fatal(err)
	}
	return periodcheck.Period{Child: cg, Checkpoint: cp, Queue: parentQueue{r: r, id: r.x.id}}
}

// TestPeriodVerifier: a juror's period verifier, fed by witnesssync from
// the child's store and re-executing with the parent's FraudChecker, finds
// an honest period (one applying a top-down fund) valid, and a period whose
// last block claims a forged state root invalid, with material that
// proveFraud accepts on the parent: the signers are slashed.
func TestPeriodVerifier(t *testing.T) {
	r := newFraudRig(t, 3)
	p, id := r.p, r.x.id
	src := &rigSource{r: r, forged: map[uint64]*types.Block{}}
	v := &periodcheck.Verifier{
		Fetch: witnesssync.NewFetcher(witnesssync.FetcherConfig{Log: slog.New(slog.DiscardHandler),
			Local: func(types.SubnetID) witnesssync.Source { return src }}),
		Checker: p.opts.Fraud,
		Window:  4, // three windows a period
	}
	judge := func(enc []byte) *periodcheck.Verdict {
		t.Helper()
		verdict, err := v.Verify(context.Background(), r.period(enc))
		if err != nil {
			t.Fatal(err)
		}
		return verdict
	}

	r.honest(9)
	p.run(1, p.gwTx(4, eth(2), "fund", string(id), common.Address{0x71}))
	r.honest(10)
	cp1, _ := r.checkpoint(r.blocks[10])
	if got := judge(cp1); !got.Valid || got.Blocks != 10 {
		t.Fatalf("honest period 1..10: %+v", got)
	}

	r.honest(19)
	ex := r.build(20)
	r.commit(ex)
	forgedHeader := *ex.Block.Header
	forgedHeader.StateRoot = common.Hash{0xf0, 0x7e}
	forged := &types.Block{Header: &forgedHeader, Txs: ex.Block.Txs, Evidence: ex.Block.Evidence}
	src.forged[20] = forged
	cp2, bm2 := r.checkpoint(forged)
	got := judge(cp2)
	if got.Valid || got.BadHeight != 20 || !strings.Contains(got.Reason, "state root") || got.Proof == nil || got.Proof.Block.Hash() != forged.Hash() {
		t.Fatalf("period 11..20 with a forged state root at 20: %+v", got)
	}
	headers, block, w, err := got.Proof.Args()
	if err != nil {
		t.Fatal(err)
	}
	ref := gateway.EncodeFraudRef(gateway.FraudRef{Checkpoint: cp2, Bitmap: bm2, Prev: cp1})
	rc := p.run(1, p.tx(6, &gateway.Address, new(big.Int), 30_000_000, mustPack(t, p.gw, "proveFraud", string(id), ref, headers, block, w),
		big.NewInt(params.GWei), big.NewInt(10*params.GWei)))[0]
	if names := logNames(p, rc.Logs); !strings.HasSuffix(names, "FraudProven") {
		t.Fatalf("proveFraud with the verifier's material: logs %q, want FraudProven", names)
	}
	t.Logf("period 11..20: %d blocks, %d bytes fetched; proof: %d header bytes, %d block bytes, %d witness bytes",
		got.Blocks, got.Bytes, len(headers), len(block), len(w))
}

// BenchmarkPeriodVerify measures what a juror spends on a 10-block period
// of transfers: taking the blocks and witnesses (built beforehand, as a
// serving node's cache holds them; witnesssync's BenchmarkFetchPeriod
// times their transfer over p2p) and re-executing every block statelessly:
//
//	go test -run '^$' -bench PeriodVerify -benchtime 5x ./execution/evm
func BenchmarkPeriodVerify(b *testing.B) {
	for _, perBlock := range []int{100, 1000} {
		b.Run(fmt.Sprintf("Transfers%d", perBlock), func(b *testing.B) {
			r := newFraudRig(b, 3)
			r.honest(10)
			r.checkpoint(r.blocks[10])
			for r.child.Head().Height < 20 {
				r.commit(r.build(perBlock))
			}
			enc, _ := r.checkpoint(r.blocks[20])
			period := r.period(enc)
			src := &rigSource{r: r, built: map[uint64][]byte{}}
			for h := uint64(11); h <= 20; h++ {
				src.built[h] = r.witness(h)
			}
			v := &periodcheck.Verifier{Checker: r.p.opts.Fraud, Fetch: witnesssync.NewFetcher(witnesssync.FetcherConfig{
				Log: slog.New(slog.DiscardHandler), Local: func(types.SubnetID) witnesssync.Source { return src }})}
			var (
				got *periodcheck.Verdict
				err error
			)
			for b.Loop() {
				if got, err = v.Verify(context.Background(), period); err != nil || !got.Valid {
					b.Fatalf("%+v, %v", got, err)
				}
			}
			b.ReportMetric(float64(got.Bytes), "bytes/period")
		})
	}
}
