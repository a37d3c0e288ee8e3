package pow_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/consensustest"
	"github.com/aspen-chain/aspen/consensus/pow"
)

func TestSharedSuite(t *testing.T) {
	consensustest.RunProbabilistic(t, func(t *testing.T, genesis common.Hash) consensus.Engine {
		e, err := pow.New(pow.Config{Mine: true, Confirmations: 4, MinDifficulty: 1, BlockTimeMs: 1000}, 0, genesis, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}, 4, 50)
}
