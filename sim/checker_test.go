package sim

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// tampered wraps an engine and rewrites what it asks the driver to do: the
// deliberately broken engines that prove each invariant check can fail.
type tampered struct {
	inner consensus.Engine
	// ready rewrites each Ready; it must give the same result until Advance.
	ready func(rd *consensus.Ready)
	// built sees every block the application built for this engine.
	built func(b *types.Block)
	extra []consensus.Final
}

func (w *tampered) Step(m consensus.Message) error {
	if b, ok := m.(consensus.Built); ok && w.built != nil {
		w.built(b.Block)
	}
	return w.inner.Step(m)
}
func (w *tampered) Tick()            { w.inner.Tick() }
func (w *tampered) NextTick() uint64 { return w.inner.NextTick() }
func (w *tampered) HasReady() bool   { return w.inner.HasReady() || len(w.extra) > 0 }
func (w *tampered) Advance()         { w.inner.Advance(); w.extra = nil }
func (w *tampered) Ready() consensus.Ready {
	rd := w.inner.Ready()
	rd.Final = append(append([]consensus.Final(nil), rd.Final...), w.extra...)
	if w.ready != nil {
		w.ready(&rd)
	}
	return rd
}

// brokenBFT is BFT with each engine wrapped by wrap.
func brokenBFT(wrap func(cfg NodeConfig, w *tampered)) EngineFactory {
	f := BFT()
	inner := f.New
	f.New = func(cfg NodeConfig) (consensus.Engine, error) {
		e, err := inner(cfg)
		if err != nil {
			return nil, err
		}
		w := &tampered{inner: e}
		wrap(cfg, w)
		return w, nil
	}
	return f
}

var honest4 = Scenario{Name: "honest4", Nodes: 4, MinDelay: 1, MaxDelay: 3, Heights: 4, MaxTicks: 300}

// TestCatchesSelfFinalizing: an engine that finalizes the block it built
// without any votes must fail Validity (its commit does not verify) or
// Agreement.
func TestCatchesSelfFinalizing(t *testing.T) {
	f := brokenBFT(func(_ NodeConfig, w *tampered) {
		w.built = func(b *types.Block) {
			w.extra = append(w.extra, consensus.Final{Block: b, Commit: &types.Commit{Height: b.Height(), BlockHash: b.Hash()}})
		}
	})
	_, err := Run(3, honest4, f)
	if !errors.Is(err, ErrValidity) && !errors.Is(err, ErrAgreement) {
		t.Fatalf("self-finalizing engine: got %v, want a validity or agreement violation", err)
	}
	var fail *Failure
	if !errors.As(err, &fail) || fail.Seed != 3 {
		t.Fatalf("failure does not name its seed: %v", err)
	}
}

// TestCatchesForks: engines that never send proposals and finalize what they built
// with a forged but valid certificate (the test knows every key) each end up
// on their own block: Agreement must fail, since Validity holds.
func TestCatchesForks(t *testing.T) {
	const seed = 5
	var keys []*crypto.BLSSecretKey
	for i := 0; i < honest4.Nodes; i++ {
		k, err := deriveKey(seed, i)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	f := brokenBFT(func(cfg NodeConfig, w *tampered) {
		// Proposals never leave, so every round's proposer builds its own
		// block at the same height.
		w.ready = func(rd *consensus.Ready) {
			var out []consensus.Outbound
			for _, o := range rd.Send {
				if m, err := bft.DecodeMessage(o.Payload); err == nil {
					if _, ok := m.(*bft.Proposal); ok {
						continue
					}
				}
				out = append(out, o)
			}
			rd.Send = out
		}
		w.built = func(b *types.Block) {
			c := &types.Commit{Height: b.Height(), BlockHash: b.Hash()}
			var sigs [][]byte
			for i, k := range keys {
				c.SetSigner(i)
				sigs = append(sigs, k.Sign(bft.VoteSignBytes(cfg.Subnet, bft.Precommit, c.Height, 0, c.BlockHash)))
			}
			agg, err := crypto.AggregateSignatures(sigs)
			if err != nil {
				t.Fatal(err)
			}
			c.Signature = agg
			w.extra = append(w.extra, consensus.Final{Block: b, Commit: c})
		}
	})
	if _, err := Run(seed, honest4, f); !errors.Is(err, ErrAgreement) {
		t.Fatalf("forking engines: got %v, want an agreement violation", err)
	}
	// Two solo sequencers are the same fork without any cryptography.
	if _, err := Run(seed, Scenario{Nodes: 2, Heights: 3}, Solo()); !errors.Is(err, ErrAgreement) {
		t.Fatalf("two solo sequencers: got %v, want an agreement violation", err)
	}
}

// TestCatchesDoubleSigning: an honest node that sends, beside each of its
// votes, a validly signed vote for another block must fail No double signing.
func TestCatchesDoubleSigning(t *testing.T) {
	f := brokenBFT(func(cfg NodeConfig, w *tampered) {
		w.ready = func(rd *consensus.Ready) {
			var out []consensus.Outbound
			for _, o := range rd.Send {
				out = append(out, o)
				m, err := bft.DecodeMessage(o.Payload)
				if v, ok := m.(*bft.Vote); err == nil && ok && int(v.Validator) == cfg.Index {
					alt := *v
					alt.BlockHash = common.Hash{0xba, 0xd}
					bft.SignVote(cfg.Key, cfg.Subnet, &alt)
					enc, _ := bft.EncodeMessage(&alt)
					out = append(out, consensus.Outbound{Payload: enc})
				}
			}
			rd.Send = out
		}
	})
	if _, err := Run(7, honest4, f); !errors.Is(err, ErrDoubleSign) {
		t.Fatalf("double-signing engine: got %v, want a double-signing violation", err)
	}
}

// TestCatchesStall: engines whose messages never leave must fail Progress.
func TestCatchesStall(t *testing.T) {
	f := brokenBFT(func(_ NodeConfig, w *tampered) { w.ready = func(rd *consensus.Ready) { rd.Send = nil } })
	if _, err := Run(9, honest4, f); !errors.Is(err, ErrProgress) {
		t.Fatalf("silent engines: got %v, want a progress violation", err)
	}
}

// TestCatchesLostEvidence: engines that keep no evidence (the wrapper hides
// Evidence() and strips it from build requests) while a byzantine validator
// equivocates must fail the evidence check.
func TestCatchesLostEvidence(t *testing.T) {
	t.Parallel()
	f := brokenBFT(func(_ NodeConfig, w *tampered) {
		w.ready = func(rd *consensus.Ready) {
			if rd.Build != nil {
				b := *rd.Build
				b.Evidence = nil
				rd.Build = &b
			}
		}
	})
	sc := Scenario{Name: "byz", Nodes: 4, Byzantine: 1, MinDelay: 1, MaxDelay: 3, Heights: 4}
	if _, err := Run(13, sc, f); !errors.Is(err, ErrNoEvidence) {
		t.Fatalf("evidence-losing engines: got %v, want ErrNoEvidence", err)
	}
	// Unbroken, the same run finds the evidence (whether or not it also
	// makes progress: see the pending scenarios).
	res, err := Run(13, sc, BFT())
	if errors.Is(err, ErrNoEvidence) || !res.EvidenceDue || !res.EvidenceSeen {
		t.Fatalf("bft with a byzantine validator: err %v, evidence due %v seen %v", err, res.EvidenceDue, res.EvidenceSeen)
	}
}
