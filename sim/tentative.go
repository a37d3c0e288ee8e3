package sim

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// errNotTentative is the toy application's answer to the tentative-head
// calls: the simulated engines (bft, solo) finalize every block at once, so
// the driver never makes them.
var errNotTentative = errors.New("sim: the simulated engines finalize at once; no tentative heads")

// CommitTentative is refused: see errNotTentative.
func (executor) CommitTentative(*execution.Executed) error { return errNotTentative }

// Finalize is refused: see errNotTentative.
func (executor) Finalize(common.Hash, *types.Commit) error { return errNotTentative }

// MarkSafe is refused: see errNotTentative.
func (executor) MarkSafe(common.Hash) error { return errNotTentative }

// Rewind is refused: see errNotTentative.
func (executor) Rewind(uint64, common.Hash) (*types.Header, []*types.Block, error) {
	return nil, nil, errNotTentative
}
