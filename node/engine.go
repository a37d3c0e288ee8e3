package node

import (
	"fmt"
	"time"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/consensus/solo"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// validatorSet builds the consensus validator set from a genesis.
func validatorSet(gen *config.Genesis) (*consensus.ValidatorSet, error) {
	vs := make([]consensus.Validator, len(gen.Validators))
	for i, v := range gen.Validators {
		vs[i] = consensus.Validator{Address: v.Address, BLSPublicKey: v.BLSPublicKey, Power: v.VotingPower()}
	}
	return consensus.NewValidatorSet(vs)
}

// engineKeys are the node's keys an engine may sign with.
type engineKeys struct {
	account sequencerKey
	bls     *crypto.BLSSecretKey
}

// newEngine makes the subnet's engine at the chain's head; vs decides the
// next height.
func newEngine(cfg *config.Node, gen *config.Genesis, vs *consensus.ValidatorSet, keys engineKeys, head *types.Header, tick time.Duration) (consensus.Engine, error) {
	switch gen.Engine {
	case "solo":
		if gen.Validators[0].Address != keys.account.address {
			return nil, fmt.Errorf("%w: genesis names %s, this home holds %s", ErrNotSequencer, gen.Validators[0].Address, keys.account.address)
		}
		e, err := solo.New(solo.Config{
			BlockTime:    ticks(cfg.Consensus.BlockTime.Duration, tick),
			IdleInterval: ticks(cfg.Consensus.IdleInterval.Duration, tick),
		}, keys.account, head.Height, head.Hash())
		return e, err
	case "bft":
		// The key goes to the engine even without a seat in vs: a set
		// change may seat this node later (it then starts voting).
		bt := cfg.Consensus.BlockTime.Duration
		var idle uint64 // the root makes a block every block time: it anchors the tree
		if !gen.ID().IsRoot() {
			idle = ticks(cfg.Consensus.IdleInterval.Duration, tick)
		}
		e, err := bft.New(bft.Config{
			Subnet:     gen.ID(),
			Validators: vs,
			Key:        keys.bls,
			Timeouts: bft.Timeouts{
				Propose:   ticks(max(time.Second, 3*bt), tick),
				Prevote:   ticks(max(500*time.Millisecond, bt), tick),
				Precommit: ticks(max(500*time.Millisecond, bt), tick),
				Delta:     ticks(250*time.Millisecond, tick),
			},
			BlockTime:    ticks(bt, tick),
			IdleInterval: idle,
			CheckBody:    evmBody, // a relay must not swap a proposal's transactions
		}, head.Height, head.Hash())
		return e, err
	default:
		return nil, fmt.Errorf("node: engine %q is not available in this build (solo, bft)", gen.Engine)
	}
}
