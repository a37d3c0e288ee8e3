package gateway

import (
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

// CheckpointView is a child's own final chain as checkpoint assembly reads
// it (xnet.ChildView): headers, and in the state after each block the
// gateway's counters and up queue. The node and the simulator both build
// checkpoints through it, so they read the gateway's storage one way.
type CheckpointView struct {
	Subnet   types.SubnetID
	HeaderAt func(height uint64) (*types.Header, error) // a final header
	StateAt  func(height uint64) (StateReader, error)   // the gateway's state after it
}

var _ xnet.ChildView = CheckpointView{}

// Header returns the final header at height.
func (v CheckpointView) Header(h uint64) (*types.Header, error) { return v.HeaderAt(h) }

// Snapshot returns the counters a checkpoint at h reports. The set after
// block h signs its checkpoint: the newest config the child applied.
func (v CheckpointView) Snapshot(h uint64) (xnet.Snapshot, error) {
	gs, err := v.StateAt(h)
	if err != nil {
		return xnet.Snapshot{}, err
	}
	config, _, err := ReadOwnSet(gs)
	if err != nil {
		return xnet.Snapshot{}, err
	}
	return xnet.Snapshot{Config: config, AppliedConfig: config, DownApplied: AppliedTopDown(gs), UpNonce: UpNonce(gs)}, nil
}

// UpMessages returns the up queue's entries with nonces in (from, to] as of
// the state after block h.
func (v CheckpointView) UpMessages(h, from, to uint64) ([]types.CrossMsg, error) {
	gs, err := v.StateAt(h)
	if err != nil {
		return nil, err
	}
	return ReadUp(gs, v.Subnet, from+1, int(to-from))
}
