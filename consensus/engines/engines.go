package engines

import (
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/consensus/pow"
	"github.com/aspen-chain/aspen/consensus/solo"
)

func init() {
	consensus.Register(solo.Kind)
	consensus.Register(bft.Kind)
	consensus.Register(pow.Kind)
}
