package sim

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/types"
)

// setChange is a bft network whose block at height at names a new set: the
// same validators, every one moved one seat down (seat j gets the validator
// of seat j+1, the first goes last), as when a leave moves the last seat.
// It adapts the factory's checks to the set of each height and names
// validators by key, since seats move.
type setChange struct {
	at      uint64
	subnet  types.SubnetID
	first   *consensus.ValidatorSet
	rotated *consensus.ValidatorSet
	keys    map[string]int // BLS key -> simulator node index
}

func (c *setChange) setFor(height uint64) *consensus.ValidatorSet {
	if height > c.at {
		return c.rotated
	}
	return c.first
}

func (c *setChange) factory() EngineFactory {
	f := BFT()
	plain := f.New
	f.New = func(cfg NodeConfig) (consensus.Engine, error) {
		if c.first == nil {
			all := cfg.Validators.All()
			rot, err := consensus.NewValidatorSet(append(all[1:], all[0]))
			if err != nil {
				return nil, err
			}
			c.first, c.rotated, c.subnet = cfg.Validators, rot, cfg.Subnet
			c.keys = map[string]int{}
			for i, v := range all {
				c.keys[string(v.BLSPublicKey)] = i
			}
		}
		cfg.Validators = c.setFor(cfg.Height + 1) // a restart after the change
		e, err := plain(cfg)
		if err != nil {
			return nil, err
		}
		return &setChangeEngine{Engine: e, inner: e.(*bft.Engine), c: c}, nil
	}
	f.OnBuilt = func(_ int, b *types.Block) {
		if b.Height() == c.at {
			b.Header.NextValidators = c.rotated.All()
		}
	}
	f.VerifyCommit = func(_ *consensus.ValidatorSet, subnet types.SubnetID, cm *types.Commit) error {
		return bft.VerifyCommit(c.setFor(cm.Height), subnet, cm)
	}
	f.BlockEvidence = func(_ *consensus.ValidatorSet, subnet types.SubnetID, data []byte) (int, error) {
		ev, err := bft.DecodeEvidence(data)
		if err != nil {
			return 0, err
		}
		// A block is checked against its own height's set; which one that
		// was does not matter here: the key that signed both votes is the
		// equivocator, whatever its seat.
		for key, i := range c.keys {
			if bft.VerifyDoubleVote([]byte(key), subnet, ev.A, ev.B) == nil {
				return i, nil
			}
		}
		return 0, fmt.Errorf("evidence signed by no validator's key")
	}
	f.Accused = func(e consensus.Engine) []int {
		se, ok := e.(*setChangeEngine)
		if !ok {
			return nil
		}
		vs := se.inner.Validators()
		var who []int
		for _, ev := range se.inner.Evidence() {
			// Pending evidence is indexed by seat in the engine's current set.
			who = append(who, c.keys[string(vs.At(int(ev.A.Validator)).BLSPublicKey)])
		}
		return who
	}
	return f
}

// setChangeEngine tells its engine about the set change when block sync
// carries it past the changing block (the simulator's Synced names no set).
type setChangeEngine struct {
	consensus.Engine
	inner *bft.Engine
	c     *setChange
}

func (e *setChangeEngine) Step(m consensus.Message) error {
	if s, ok := m.(consensus.Synced); ok && e.inner.Height() <= e.c.at && s.Height >= e.c.at {
		s.NextValidators = e.c.rotated.All()
		m = s
	}
	return e.Engine.Step(m)
}

// TestSetChangeWithPendingEvidence is issue 19, defect 2 in the simulator: a
// byzantine validator equivocates on every proposal and vote while block 2
// moves every validator's seat. Evidence seen under the first set and still
// pending at the change must land in blocks of the new set, indexed by the
// equivocator's new seat. Before the fix every proposer included evidence
// with the old seat, every peer refused the block, and no height after the
// change was decided (ErrProgress).
func TestSetChangeWithPendingEvidence(t *testing.T) {
	t.Parallel()
	sc := Scenario{Name: "setchange-byzantine", Nodes: 4, Byzantine: 1, MinDelay: 1, MaxDelay: 4, Heights: 8}
	for seed := uint64(0); seed < 6; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			c := &setChange{at: 2}
			res, err := Run(seed, sc, c.factory())
			if err != nil {
				t.Fatal(err)
			}
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if !res.EvidenceSeen {
				t.Fatal("no evidence of the byzantine validator was held or included")
			}
			if h := res.MinHonestHeight(); h < sc.Heights {
				t.Fatalf("honest nodes reached height %d, want %d", h, sc.Heights)
			}
			if c.first == nil || bytes.Equal(c.first.At(0).BLSPublicKey, c.rotated.At(0).BLSPublicKey) {
				t.Fatal("the set did not move")
			}
		})
	}
}
