package gateway

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// LastCheckpointHashSlot is the storage slot of the gateway of chain self
// that holds the hash of the newest checkpoint of its child id it committed.
// A light client proves that word with eth_getProof against a state root it
// trusts, so it computes the slot itself rather than taking one from a server.
func LastCheckpointHashSlot(self, id types.SubnetID) (common.Hash, error) {
	name, err := childName(self, id)
	if err != nil {
		return common.Hash{}, err
	}
	return fieldSlot(name, fLastCkptHash), nil
}
