package xnet

import (
	"github.com/aspen-chain/aspen/types"
)

// ChildView reads a child subnet's final chain: its headers and its gateway
// state after a block. The node implements it over its store. Every method
// is asked only about final heights, whose answers never change; that is
// what makes checkpoints, and so the relayer, deterministic.
type ChildView interface {
	// Header returns the final block header at height.
	Header(height uint64) (*types.Header, error)
	// Snapshot returns the gateway's counters in the state after block height.
	Snapshot(height uint64) (Snapshot, error)
	// UpMessages returns the entries of the gateway's up queue with nonces in
	// (fromNonce, toNonce], in nonce order, as of the state after block
	// height. toNonce never exceeds that state's Snapshot.UpNonce.
	UpMessages(height, fromNonce, toNonce uint64) ([]types.CrossMsg, error)
}

// Snapshot is the part of a child gateway's state a checkpoint reports.
type Snapshot struct {
	Config        uint64 // the config number active at the height: its validators sign
	AppliedConfig uint64 // the newest config the child has applied
	DownApplied   uint64 // the last top-down nonce the child has executed
	UpNonce       uint64 // the nonce of the newest entry in the up queue; 0 if none
}

// SignerView gives the validators that sign a checkpoint: those of the
// child's config, in the order of the parent gateway's
// validators[child][config], since bit i of a certificate's bitmap is
// validator i there. The node implements it from the parent's gateway state
// (or the child's own record of applied configs, which must agree).
type SignerView interface {
	// Signers returns the BLS public keys (48-byte compressed) and powers of
	// config's validators. A config's set never changes, so callers cache it.
	Signers(config uint64) (keys [][]byte, powers []uint64, err error)
}
