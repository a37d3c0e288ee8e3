package bft

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/consensustest"
)

// TestSuiteOneValidator runs the shared engine suite: a one-validator set
// finalizes on its own, counting its own votes.
func TestSuiteOneValidator(t *testing.T) {
	keys := testKeys(t, 1)
	vs := testSet(t, keys)
	consensustest.Run(t, func(t *testing.T, genesis common.Hash) consensus.Engine {
		e, err := New(testConfig(vs, keys[0]), 0, genesis)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}, 20)
}
