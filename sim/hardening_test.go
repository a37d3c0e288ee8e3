package sim

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/types"
)

// swappingRelay stands between the network and one bft engine as a hostile
// relay that wins every race (issue 19, defect 1): before each proposal it
// delivers a copy with the same signed header and another body, which the
// proposer's signature does not cover. Refused counts the copies the engine
// refused with bft.ErrBadBody.
type swappingRelay struct {
	consensus.Engine
	inner   *bft.Engine
	swaps   *int
	refused *int
}

// Evidence forwards to the engine, for the simulator's evidence checks.
func (r swappingRelay) Evidence() []bft.Evidence { return r.inner.Evidence() }

func (r swappingRelay) Step(m consensus.Message) error {
	if pm, ok := m.(consensus.PeerMessage); ok {
		if swapped := swapBody(pm.Payload); swapped != nil {
			*r.swaps++
			if err := r.Engine.Step(consensus.PeerMessage{From: "relay", Payload: swapped}); errors.Is(err, bft.ErrBadBody) {
				*r.refused++
			}
		}
	}
	return r.Engine.Step(m)
}

// swapBody re-encodes a proposal with its body swapped: evidence the header
// does not commit to added, or the evidence it carries stripped. Nil for
// anything that is not a proposal.
func swapBody(payload []byte) []byte {
	m, err := bft.DecodeMessage(payload)
	if err != nil {
		return nil
	}
	p, ok := m.(*bft.Proposal)
	if !ok {
		return nil
	}
	alt := *p
	alt.Block = &types.Block{Header: p.Block.Header, Txs: p.Block.Txs}
	if len(p.Block.Evidence) == 0 {
		alt.Block.Evidence = [][]byte{{0xc0}}
	}
	enc, err := bft.EncodeMessage(&alt)
	if err != nil {
		return nil
	}
	return enc
}

// TestSwappedBodiesDoNotStall runs bft networks in which every proposal
// reaches every node first with a swapped body. Before the fix each node
// held the honest block's hash invalid for the height, dropped the genuine
// copy as a duplicate and prevoted nil: no height was ever decided
// (ErrProgress). Now the swapped copies are refused on receipt and the
// invariants hold, byzantine equivocators and lossy relaying included.
func TestSwappedBodiesDoNotStall(t *testing.T) {
	t.Parallel()
	scenarios := []Scenario{
		{Name: "swap-honest", Nodes: 4, MinDelay: 1, MaxDelay: 3, Heights: 4},
		{Name: "swap-lossy-relay", Nodes: 4, Loss: 0.05, Dup: 0.1, Relay: true, MinDelay: 1, MaxDelay: 6, Heights: 4},
		{Name: "swap-byzantine", Nodes: 4, Byzantine: 1, MinDelay: 1, MaxDelay: 4, Heights: 4},
	}
	for _, sc := range scenarios {
		for seed := uint64(0); seed < 4; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", sc.Name, seed), func(t *testing.T) {
				var swaps, refused int
				f := BFT()
				plain := f.New
				f.New = func(cfg NodeConfig) (consensus.Engine, error) {
					e, err := plain(cfg)
					if err != nil {
						return nil, err
					}
					return swappingRelay{Engine: e, inner: e.(*bft.Engine), swaps: &swaps, refused: &refused}, nil
				}
				res, err := Run(seed, sc, f)
				if err != nil {
					t.Fatal(err)
				}
				if res.Err != nil {
					t.Fatalf("%v", res.Err)
				}
				if swaps == 0 || refused != swaps {
					t.Fatalf("%d swapped copies delivered, %d refused: every one must be refused", swaps, refused)
				}
				if h := res.MinHonestHeight(); h < sc.Heights {
					t.Fatalf("honest nodes reached height %d, want %d", h, sc.Heights)
				}
			})
		}
	}
}
