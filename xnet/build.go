package xnet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// MaxMessagesPerCheckpoint caps the messages one checkpoint carries when
// Params.MaxMessages is zero. The parent executes all of them in one
// submitCheckpoint transaction, so the cap keeps that within a block's gas;
// the size cap (MaxCheckpointBytes) applies as well. It is part of the
// protocol: every validator of a subnet must assemble with the same caps.
const MaxMessagesPerCheckpoint = 2048

var (
	// ErrParams reports assembly parameters that cannot work.
	ErrParams = errors.New("xnet: invalid checkpoint parameters")
	// ErrNotNext reports a checkpoint asked for at a height that does not
	// follow the previous checkpoint by one period.
	ErrNotNext = errors.New("xnet: checkpoint height does not follow the previous checkpoint")
	// ErrView reports a ChildView answer that contradicts itself or the chain
	// of checkpoints: a missing or extra message, a header of another block.
	ErrView = errors.New("xnet: inconsistent child view")
	// ErrMessageTooLarge reports an up-queue message that alone does not fit
	// in a checkpoint, so it could never be carried to the parent.
	ErrMessageTooLarge = errors.New("xnet: cross-message too large for a checkpoint")
	// ErrPruned reports a checkpoint at or below the chain's base, which the
	// chain no longer holds.
	ErrPruned = errors.New("xnet: checkpoint below the chain's base")
	// ErrChainMismatch reports that the parent committed a checkpoint other
	// than the one this node computed for the same height: this node's view
	// of the child differs from what a quorum signed.
	ErrChainMismatch = errors.New("xnet: parent committed a different checkpoint")
)

// Params fixes how a subnet's checkpoints are assembled. All validators of the
// subnet must use the same values.
type Params struct {
	Subnet types.SubnetID
	Period uint64 // blocks between checkpoints (the subnet's checkpointPeriod)
	// MaxMessages caps the messages per checkpoint; zero means
	// MaxMessagesPerCheckpoint.
	MaxMessages int
}

func (p Params) validate() error {
	if _, err := types.ParseSubnetID(string(p.Subnet)); err != nil {
		return fmt.Errorf("%w: %w", ErrParams, err)
	}
	if p.Subnet.IsRoot() {
		return fmt.Errorf("%w: %s is a root and has no parent to checkpoint to", ErrParams, p.Subnet)
	}
	if p.Period == 0 {
		return fmt.Errorf("%w: checkpoint period must be at least one block", ErrParams)
	}
	if p.MaxMessages < 0 {
		return fmt.Errorf("%w: MaxMessages %d is negative", ErrParams, p.MaxMessages)
	}
	return nil
}

func (p Params) maxMessages() uint64 {
	if p.MaxMessages == 0 {
		return MaxMessagesPerCheckpoint
	}
	return uint64(p.MaxMessages)
}

// network is the root network's name, the domain of checkpoint signatures.
func (p Params) network() string {
	id := p.Subnet
	for !id.IsRoot() {
		id = id.Parent()
	}
	return id.Name()
}

// Link is where the chain of checkpoints stands after one checkpoint: what
// the next one builds on. The zero Link is the start, before the first.
//
// UpNonce makes carry-over explicit: a checkpoint at H carries the up-queue
// entries with nonces in (prev.UpNonce, min(UpNonce at H, prev.UpNonce+cap)],
// where the cap is the message count and the size limit, and its Link's
// UpNonce is the last nonce it carried. Entries left out go in the next
// checkpoint. The parent gateway holds the same number as upApplied[child]:
// each committed checkpoint advances it by its message count.
type Link struct {
	Height  uint64      // the checkpoint's height; 0 before the first
	Hash    common.Hash // the checkpoint's Hash; zero before the first
	UpNonce uint64      // the last up-queue nonce carried by it or an earlier checkpoint
}

// Build assembles the checkpoint at height, which must be prev.Height plus
// one period, from the child's final block and gateway state at height. It
// returns the checkpoint, its encoding and its Link (whose Hash is the
// checkpoint's Hash). The result depends only on view's answers at height
// and on prev, so every honest validator builds the same bytes.
func Build(view ChildView, p Params, height uint64, prev Link) (*types.Checkpoint, []byte, Link, error) {
	if err := p.validate(); err != nil {
		return nil, nil, Link{}, err
	}
	if prev.Height%p.Period != 0 || height != prev.Height+p.Period {
		return nil, nil, Link{}, fmt.Errorf("%w: height %d after a checkpoint at %d with period %d: want %d",
			ErrNotNext, height, prev.Height, p.Period, prev.Height+p.Period)
	}
	hdr, err := view.Header(height)
	if err != nil {
		return nil, nil, Link{}, fmt.Errorf("xnet: checkpoint %d: header: %w", height, err)
	}
	if hdr.Height != height || hdr.SubnetID != p.Subnet {
		return nil, nil, Link{}, fmt.Errorf("%w: asked for the header of %s at %d, got %s at %d",
			ErrView, p.Subnet, height, hdr.SubnetID, hdr.Height)
	}
	snap, err := view.Snapshot(height)
	if err != nil {
		return nil, nil, Link{}, fmt.Errorf("xnet: checkpoint %d: gateway snapshot: %w", height, err)
	}
	if snap.UpNonce < prev.UpNonce {
		return nil, nil, Link{}, fmt.Errorf("%w: up queue ends at nonce %d at height %d, but checkpoint %d already carried up to %d",
			ErrView, snap.UpNonce, height, prev.Height, prev.UpNonce)
	}
	cp := &types.Checkpoint{
		Subnet:        string(p.Subnet),
		Height:        height,
		BlockHash:     hdr.Hash(),
		StateRoot:     hdr.StateRoot,
		Prev:          prev.Hash,
		Config:        snap.Config,
		AppliedConfig: snap.AppliedConfig,
		DownApplied:   snap.DownApplied,
	}
	to := min(snap.UpNonce, prev.UpNonce+p.maxMessages())
	if to > prev.UpNonce {
		msgs, err := view.UpMessages(height, prev.UpNonce, to)
		if err != nil {
			return nil, nil, Link{}, fmt.Errorf("xnet: checkpoint %d: up messages (%d, %d]: %w", height, prev.UpNonce, to, err)
		}
		if uint64(len(msgs)) != to-prev.UpNonce {
			return nil, nil, Link{}, fmt.Errorf("%w: asked for up messages (%d, %d] at height %d, got %d",
				ErrView, prev.UpNonce, to, height, len(msgs))
		}
		n, err := fitMessages(cp, msgs, p.Subnet.Parent())
		if err != nil {
			return nil, nil, Link{}, fmt.Errorf("%w: up nonce %d at height %d: %w", ErrMessageTooLarge, prev.UpNonce+1, height, err)
		}
		cp.Messages = msgs[:n:n]
	}
	enc, err := types.EncodeCheckpoint(cp)
	if err != nil {
		return nil, nil, Link{}, fmt.Errorf("xnet: checkpoint %d: %w", height, err)
	}
	// Hash is keccak256 of the encoding: hash the bytes we already have.
	link := Link{Height: height, Hash: gethcrypto.Keccak256Hash(enc), UpNonce: prev.UpNonce + uint64(len(cp.Messages))}
	return cp, enc, link, nil
}

// MaxCheckpointBytes caps a checkpoint's encoding so that its
// submitCheckpoint transaction (the checkpoint, a 96-byte aggregate, the
// bitmap and ABI framing) stays under the 128 KiB a node's pool accepts for
// one transaction (go-ethereum's txMaxSize). types.MaxCheckpointSize, the
// decoder's bound, is far larger.
const MaxCheckpointBytes = 120 << 10

// MaxCheckpointGas is the parent gas a checkpoint's messages may cost
// (messageGas each), leaving room in a 30M-gas parent block for the
// signature check of up to about 100 validators.
const MaxCheckpointGas = 20_000_000

// messageGas is about what the parent's gateway charges to execute m from
// a checkpoint (gateway/gas.go, measured in its tests): a transfer paid out
// there, a message queued on to another hop, a call with its refund
// reserved, or a call queued for another child with its execution there.
func messageGas(m *types.CrossMsg, parent types.SubnetID) uint64 {
	switch {
	case m.Kind == types.KindCall && types.SubnetID(m.DstSubnet) == parent:
		return 900_000
	case m.Kind == types.KindCall && strings.HasPrefix(m.DstSubnet, string(parent)+"/"):
		return 720_000 // queued for another child, which runs it unpaid: the submitter pays its execution
	case types.SubnetID(m.DstSubnet) == parent:
		return 15_000
	}
	return 220_000
}

// fitMessages returns how many of msgs, from the first, fit in cp (which has
// no messages yet) without its encoding exceeding MaxCheckpointBytes
// or its execution on the parent MaxCheckpointGas. The sizes are exact
// lengths of the checkpoint's compact encoding (types.CheckpointMessageSize)
// and the gas a fixed table, so the cut is deterministic.
func fitMessages(cp *types.Checkpoint, msgs []types.CrossMsg, parent types.SubnetID) (int, error) {
	empty, err := rlp.EncodeToBytes(cp)
	if err != nil {
		return 0, err
	}
	// The empty checkpoint's payload holds its messages as an empty list (one
	// byte); a list with payload m takes rlpListSize(m) bytes instead.
	fixed := uint64(len(empty)) - rlpHeaderOf(empty) - 1
	var payload, gas uint64
	for i := range msgs {
		if gas += messageGas(&msgs[i], parent); gas > MaxCheckpointGas && i > 0 {
			return i, nil
		}
		size, err := types.CheckpointMessageSize(cp.Subnet, &msgs[i])
		if err != nil {
			return 0, err
		}
		payload += uint64(size)
		if rlpListSize(fixed+rlpListSize(payload)) > MaxCheckpointBytes {
			if i == 0 {
				return 0, fmt.Errorf("%d bytes encoded, over the checkpoint limit of %d: the gateway must cap message data", size, MaxCheckpointBytes)
			}
			return i, nil
		}
	}
	return len(msgs), nil
}

// rlpListSize is the size of an RLP list whose payload is payload bytes.
func rlpListSize(payload uint64) uint64 { return payload + rlpListHeaderFor(payload) }

// rlpListHeaderFor is the header size of an RLP list with payload bytes.
func rlpListHeaderFor(payload uint64) uint64 {
	if payload < 56 {
		return 1
	}
	n := uint64(1)
	for v := payload; v > 0; v >>= 8 {
		n++
	}
	return n
}

// rlpHeaderOf is the header size of the encoded RLP list enc.
func rlpHeaderOf(enc []byte) uint64 {
	if enc[0] < 0xf8 {
		return 1
	}
	return 1 + uint64(enc[0]-0xf7)
}
