package solo

import (
	"fmt"

	"github.com/aspen-chain/aspen/consensus"
)

// Kind is the solo engine as a consensus.Kind: one sequencer, instant
// finality, no peers, no certificate (the seal is in the header), no
// evidence of its own (a sequencer can only double-sign checkpoints).
var Kind = consensus.Kind{
	Name:            "solo",
	SingleSequencer: true,
	New: func(cfg consensus.Config) (consensus.Engine, error) {
		// Genesis and the gateway give a solo chain exactly one validator;
		// the sequencer is its first.
		if cfg.Validators == nil || cfg.Validators.Len() == 0 {
			return nil, fmt.Errorf("solo: a solo chain needs its sequencer in the validator set")
		}
		if seq := cfg.Validators.At(0).Address; seq != cfg.Account {
			return nil, fmt.Errorf("%w: the chain names %s, this node holds %s", consensus.ErrNotSequencer, seq, cfg.Account)
		}
		return New(Config{BlockTime: cfg.Timing.BlockTime, IdleInterval: cfg.Timing.IdleInterval}, cfg.Signer, cfg.Height, cfg.Head)
	},
}
