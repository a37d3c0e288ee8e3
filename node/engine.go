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

// engineConfig is the consensus.Config of gen's chain on this node, on the
// chain's final block with the tentative blocks above it (probabilistic
// finality only); vs decides the next height. The BLS key goes to the
// engine even without a seat in vs: a set change may seat this node later
// (it then starts voting).
func engineConfig(cfg *config.Node, gen *config.Genesis, vs *consensus.ValidatorSet, keys engineKeys, final *types.Header, tentative []*types.Block, tick time.Duration) consensus.Config {
	bt := cfg.Consensus.BlockTime.Duration
	return consensus.Config{
		Subnet:        gen.ID(),
		Validators:    vs,
		BLSKey:        keys.bls,
		Signer:        keys.account,
		Account:       keys.account.address,
		Height:        final.Height,
		Head:          final.Hash(),
		HeadHeader:    final,
		Tentative:     tentative,
		Mine:          cfg.Mining.Enabled,
		Confirmations: gen.Confirmations,
		BlockTimeMs:   gen.BlockTimeMs,
		Difficulty:    gen.Difficulty,
		Timing: consensus.Timing{
			BlockTime:    ticks(bt, tick),
			IdleInterval: ticks(cfg.Consensus.IdleInterval.Duration, tick),
			Propose:      ticks(max(time.Second, 3*bt), tick),
			Prevote:      ticks(max(500*time.Millisecond, bt), tick),
			Precommit:    ticks(max(500*time.Millisecond, bt), tick),
			Delta:        ticks(250*time.Millisecond, tick),
		},
		CheckBody: types.CheckTxRoot, // a relay must not swap a proposal's transactions
	}
}
