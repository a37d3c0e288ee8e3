package pow

import (
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// Kind is the pow engine as a consensus.Kind: anyone may mine (no
// validators, no keys), finality at a depth (DefaultConfirmations unless
// the chain's config says otherwise), blocks sealed by a Miner, peer
// messages checked by their work, no certificate and no evidence.
var Kind = consensus.Kind{
	Name:     "pow",
	Finality: consensus.Finality{Depth: DefaultConfirmations},
	New: func(cfg consensus.Config) (consensus.Engine, error) {
		c := engineConfig(cfg)
		c.QuietTicks = quietBlocks * cfg.Timing.BlockTime
		return New(c, cfg.Height, cfg.Head, cfg.HeadHeader, cfg.Tentative)
	},
	NewSealer:    func(threads int) consensus.Sealer { return NewMiner(threads) },
	CheckMessage: CheckMessage,
	DecodeGossip: DecodeGossip,
	CheckHeader: func(parent, h *types.Header, cfg consensus.Config) error {
		c := engineConfig(cfg)
		return CheckHeader(parent, h, c.BlockTimeMs, c.MinDifficulty)
	},
}

// engineConfig is the engine's Config for a chain's consensus.Config, with
// the defaults filled in.
func engineConfig(cfg consensus.Config) Config {
	return Config{
		Subnet: cfg.Subnet, Mine: cfg.Mine, Confirmations: cfg.Confirmations,
		BlockTimeMs: cfg.BlockTimeMs, MinDifficulty: cfg.Difficulty, CheckBody: cfg.CheckBody,
	}.withDefaults()
}

// quietBlocks is how many block times a node that mines listens for peers
// after it starts before it mines alone (Config.QuietTicks).
const quietBlocks = 3
