package types

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// Checkpoint is a child subnet's signed summary of its chain at Height, which
// its parent's gateway commits (CROSSNET.md, "Bottom-up"). Its RLP encoding is
// the list of its fields in this order, the messages in a compact form
// (checkpointwire.go).
type Checkpoint struct {
	Subnet        string // the child's subnet ID, e.g. "/devnet/games"
	Height        uint64 // a multiple of the subnet's checkpoint period
	BlockHash     common.Hash
	StateRoot     common.Hash
	Prev          common.Hash // Hash of the previous checkpoint; zero for the first
	Config        uint64      // the config number whose validators sign it
	AppliedConfig uint64      // the newest config the child has applied
	DownApplied   uint64      // the child's downApplied at Height
	Messages      []CrossMsg  // up entries with nonces (last checkpointed, newest at Height]
}

// MaxCheckpointSize bounds a checkpoint's encoding. A node neither encodes
// nor decodes a larger one, so whoever assembles checkpoints must carry
// messages over to the next one before reaching it.
const MaxCheckpointSize = 1 << 20

// CheckpointSigningTag opens the bytes validators sign for a checkpoint.
const CheckpointSigningTag = "aspen/checkpoint/v1"

// ErrInvalidCheckpoint reports bytes that are not one well-formed checkpoint.
var ErrInvalidCheckpoint = errors.New("types: invalid checkpoint")

// EncodeCheckpoint returns the checkpoint's RLP encoding, or an error wrapping
// ErrInvalidCheckpoint if it exceeds MaxCheckpointSize or a message's Value is
// negative.
func EncodeCheckpoint(c *Checkpoint) ([]byte, error) {
	enc, err := rlp.EncodeToBytes(c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCheckpoint, err)
	}
	if len(enc) > MaxCheckpointSize {
		return nil, fmt.Errorf("%w: %d bytes with %d messages, over the limit of %d: carry messages over to the next checkpoint",
			ErrInvalidCheckpoint, len(enc), len(c.Messages), MaxCheckpointSize)
	}
	return enc, nil
}

// DecodeCheckpoint parses exactly one RLP-encoded checkpoint of at most
// MaxCheckpointSize bytes. The decoder accepts only canonical RLP, so
// re-encoding the result gives data back and Hash is the hash of data.
func DecodeCheckpoint(data []byte) (*Checkpoint, error) {
	if len(data) > MaxCheckpointSize {
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %d", ErrInvalidCheckpoint, len(data), MaxCheckpointSize)
	}
	c := new(Checkpoint)
	if err := rlp.DecodeBytes(data, c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCheckpoint, err)
	}
	return c, nil
}

// Hash is keccak256(rlp(c)): it names the checkpoint in the parent's state,
// in the next checkpoint's Prev and in signature gossip. It panics if a
// message's Value is negative, which no decoded checkpoint has.
func (c *Checkpoint) Hash() common.Hash { return crypto.Keccak256Hash(mustRLP(c)) }

// MessagesRoot is the Merkle root (MerkleRoot) of the messages' leaves
// (CrossMsg.Leaf), in order; the zero hash for none. A message's inclusion
// is proved with MerkleProof against it.
func (c *Checkpoint) MessagesRoot() common.Hash {
	if len(c.Messages) == 0 {
		return common.Hash{}
	}
	leaves := make([]common.Hash, len(c.Messages))
	for i := range c.Messages {
		leaves[i] = c.Messages[i].Leaf()
	}
	return MerkleRoot(leaves)
}

// SigningBytes is what each validator signs with its BLS key:
// keccak256("aspen/checkpoint/v1" ‖ network ‖ rlp(c)). network is the name of
// the root network the subnet belongs to, without a slash (e.g. "devnet" for
// "/devnet/games"), so a signature made for one network is no use on another.
// Names hold only a-z, 0-9 and '-', all below 0x80, and an RLP list starts at
// 0xc0, so the concatenation is unambiguous. It panics if network is not a
// valid name (ValidateName): that is a configuration bug, caught at startup.
func (c *Checkpoint) SigningBytes(network string) []byte {
	if err := ValidateName(network); err != nil {
		panic("types: checkpoint signing network: " + err.Error())
	}
	return crypto.Keccak256([]byte(CheckpointSigningTag), []byte(network), mustRLP(c))
}

// CheckpointSignature is one validator's signature of a checkpoint, gossiped
// on /aspen/<subnet>/checkpoint for aggregation. Hash names the checkpoint
// (Checkpoint.Hash); Signature is the BLS signature of its SigningBytes by
// validator Validator (index in the validator set of the checkpoint's Config).
type CheckpointSignature struct {
	Subnet    string
	Height    uint64
	Hash      common.Hash
	Validator uint32
	Signature []byte
}

// MaxCheckpointSignatureSize bounds a checkpoint signature's encoding: a
// 96-byte signature, a hash, small integers and a subnet path.
const MaxCheckpointSignatureSize = 1024

// ErrInvalidCheckpointSignature reports bytes that are not one well-formed
// checkpoint signature message.
var ErrInvalidCheckpointSignature = errors.New("types: invalid checkpoint signature message")

// EncodeCheckpointSignature returns s's RLP encoding.
func EncodeCheckpointSignature(s *CheckpointSignature) ([]byte, error) {
	enc, err := rlp.EncodeToBytes(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCheckpointSignature, err)
	}
	if len(enc) > MaxCheckpointSignatureSize {
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %d", ErrInvalidCheckpointSignature, len(enc), MaxCheckpointSignatureSize)
	}
	return enc, nil
}

// DecodeCheckpointSignature parses exactly one RLP-encoded checkpoint
// signature message of at most MaxCheckpointSignatureSize bytes. It checks the
// shape only; the receiver verifies the signature.
func DecodeCheckpointSignature(data []byte) (*CheckpointSignature, error) {
	if len(data) > MaxCheckpointSignatureSize {
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %d", ErrInvalidCheckpointSignature, len(data), MaxCheckpointSignatureSize)
	}
	s := new(CheckpointSignature)
	if err := rlp.DecodeBytes(data, s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCheckpointSignature, err)
	}
	return s, nil
}
