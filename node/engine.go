package node

import (
	"time"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	_ "github.com/aspen-chain/aspen/consensus/engines" // the engines a genesis may name
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// kindEvidence checks child engines' evidence in every gateway this node
// runs: all the kinds the build has, the same on every node of a release.
var kindEvidence gateway.EvidenceVerifier = consensus.KindEvidence(consensus.Kinds())

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

// newEngine makes the subnet's engine of kind k at the chain's head; vs
// decides the next height. The BLS key goes to the engine even without a
// seat in vs: a set change may seat this node later (it then starts voting).
func newEngine(k consensus.Kind, cfg *config.Node, gen *config.Genesis, vs *consensus.ValidatorSet, keys engineKeys, head *types.Header, tick time.Duration) (consensus.Engine, error) {
	bt := cfg.Consensus.BlockTime.Duration
	return k.New(consensus.Config{
		Subnet:     gen.ID(),
		Validators: vs,
		BLSKey:     keys.bls,
		Signer:     keys.account,
		Account:    keys.account.address,
		Height:     head.Height,
		Head:       head.Hash(),
		Timing: consensus.Timing{
			BlockTime:    ticks(bt, tick),
			IdleInterval: ticks(cfg.Consensus.IdleInterval.Duration, tick),
			Propose:      ticks(max(time.Second, 3*bt), tick),
			Prevote:      ticks(max(500*time.Millisecond, bt), tick),
			Precommit:    ticks(max(500*time.Millisecond, bt), tick),
			Delta:        ticks(250*time.Millisecond, tick),
		},
		CheckBody: types.CheckTxRoot, // a relay must not swap a proposal's transactions
	})
}
