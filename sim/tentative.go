package sim

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// errNotTentative is the toy application's answer to the tentative-head
// calls: the engines it runs (bft, solo) finalize every block at once, so
// the driver never makes them. A pow chain runs on the real executor.
var errNotTentative = errors.New("sim: the simulated engines finalize at once; no tentative heads")

// tentative is the part of the executor contract for engines with
// probabilistic finality; the real executor implements it when the
// simulator runs one (an EVM tree), the toy application does not.
type tentative interface {
	CommitTentative(e *execution.Executed) error
	Finalize(hash common.Hash, commit *types.Commit) error
	MarkSafe(hash common.Hash) error
	Rewind(height uint64, hash common.Hash) (*types.Header, []*types.Block, error)
}

func (x executor) real() (tentative, bool) {
	if r := x.n.app.real; r != nil {
		t, ok := any(r.exec).(tentative)
		return t, ok
	}
	return nil, false
}

// CommitTentative delegates to the real executor, if any.
func (x executor) CommitTentative(e *execution.Executed) error {
	if t, ok := x.real(); ok {
		if err := t.CommitTentative(e); err != nil {
			return err
		}
		x.tentativeCommitted(e.Block)
		return nil
	}
	return errNotTentative
}

// Finalize delegates to the real executor, if any.
func (x executor) Finalize(hash common.Hash, commit *types.Commit) error {
	if t, ok := x.real(); ok {
		if err := t.Finalize(hash, commit); err != nil {
			return err
		}
		return x.finalized(hash)
	}
	return errNotTentative
}

// MarkSafe delegates to the real executor, if any.
func (x executor) MarkSafe(hash common.Hash) error {
	if t, ok := x.real(); ok {
		return t.MarkSafe(hash)
	}
	return errNotTentative
}

// Rewind delegates to the real executor, if any.
func (x executor) Rewind(height uint64, hash common.Hash) (*types.Header, []*types.Block, error) {
	if t, ok := x.real(); ok {
		if err := x.rewinding(height); err != nil {
			return nil, nil, err
		}
		from := x.n.app.real.exec.Head().Height
		head, dropped, err := t.Rewind(height, hash)
		if err == nil {
			x.rewound(from, head, dropped)
		}
		return head, dropped, err
	}
	return nil, nil, errNotTentative
}
