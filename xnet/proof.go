package xnet

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/types"
)

var (
	// ErrMessageNotFound reports a message ID that the checkpoint does not carry.
	ErrMessageNotFound = errors.New("xnet: message not in checkpoint")
	// ErrMessageProof reports a message proof that does not hold. It wraps
	// types.ErrMerkleProof when the Merkle path is what fails.
	ErrMessageProof = errors.New("xnet: invalid message proof")
)

// MessageProof proves that a checkpoint carried a cross-message: the message,
// its position among the checkpoint's messages and the Merkle path from its
// leaf (CrossMsg.Leaf) to the checkpoint's MessagesRoot. It is what
// aspen_getCrossMsgProof returns; numbers and bytes are hex, as in eth_ JSON.
//
// The proof stops at MessagesRoot. A client that wants the whole path to the
// root chain continues (CROSSNET.md, "Proofs and light clients"):
//
//  1. MessagesRoot belongs to the checkpoint the parent committed at
//     CheckpointHeight: read the parent gateway's record of that checkpoint
//     with eth_getProof against a parent block's state root. (Checkpoint.Hash
//     commits to the full message list, not to MessagesRoot, so the parent's
//     gateway must store each committed checkpoint's MessagesRoot, keyed by
//     subnet and height, for this step to need no more than one storage proof;
//     otherwise the client fetches the whole checkpoint, from the
//     submitCheckpoint transaction, and checks its Hash and MessagesRoot.)
//  2. The parent block is final: check its commit certificate against the
//     parent's validator set (bft.VerifyCommit).
//  3. If the parent is not the root, the parent block is itself covered by a
//     checkpoint of the parent's parent: repeat with its StateRoot, up to the
//     root.
type MessageProof struct {
	Subnet           string         `json:"subnet"`
	CheckpointHeight hexutil.Uint64 `json:"checkpointHeight"`
	CheckpointHash   common.Hash    `json:"checkpointHash"`
	MessagesRoot     common.Hash    `json:"messagesRoot"`
	Message          Message        `json:"message"`
	Index            hexutil.Uint64 `json:"index"` // position in the checkpoint's Messages
	Count            hexutil.Uint64 `json:"count"` // len(Messages); the root commits to it
	Proof            []common.Hash  `json:"proof"` // siblings from the leaf up (types.MerkleProof)
}

// Message is types.CrossMsg in JSON with hex fields.
type Message struct {
	ID        common.Hash    `json:"id"`
	SrcSubnet string         `json:"srcSubnet"`
	SrcNonce  hexutil.Uint64 `json:"srcNonce"`
	From      common.Address `json:"from"`
	DstSubnet string         `json:"dstSubnet"`
	To        common.Address `json:"to"`
	Value     *hexutil.Big   `json:"value"`
	Data      hexutil.Bytes  `json:"data"`
	Kind      hexutil.Uint64 `json:"kind"`
	Ref       common.Hash    `json:"ref"`
}

// NewMessage converts m for JSON.
func NewMessage(m *types.CrossMsg) Message {
	out := Message{
		ID: m.ID, SrcSubnet: m.SrcSubnet, SrcNonce: hexutil.Uint64(m.SrcNonce), From: m.From,
		DstSubnet: m.DstSubnet, To: m.To, Value: new(hexutil.Big),
		Data: append(hexutil.Bytes{}, m.Data...), Kind: hexutil.Uint64(m.Kind), Ref: m.Ref,
	}
	if m.Value != nil {
		out.Value = (*hexutil.Big)(new(big.Int).Set(m.Value))
	}
	return out
}

// CrossMsg converts m back, checking what JSON cannot: a value that is
// present and not negative, and a kind that fits its type.
func (m *Message) CrossMsg() (*types.CrossMsg, error) {
	if m.Value == nil || m.Value.ToInt().Sign() < 0 {
		return nil, fmt.Errorf("%w: message value missing or negative", ErrMessageProof)
	}
	if m.Kind > math.MaxUint8 {
		return nil, fmt.Errorf("%w: message kind %d out of range", ErrMessageProof, m.Kind)
	}
	return &types.CrossMsg{
		ID: m.ID, SrcSubnet: m.SrcSubnet, SrcNonce: uint64(m.SrcNonce), From: m.From,
		DstSubnet: m.DstSubnet, To: m.To, Value: new(big.Int).Set(m.Value.ToInt()),
		Data: bytes.Clone(m.Data), Kind: types.MsgKind(m.Kind), Ref: m.Ref,
	}, nil
}

// ProveMessage returns the proof that cp carries the message with ID msgID.
func ProveMessage(cp *types.Checkpoint, msgID common.Hash) (*MessageProof, error) {
	index := -1
	leaves := make([]common.Hash, len(cp.Messages))
	for i := range cp.Messages {
		leaves[i] = cp.Messages[i].Leaf()
		if cp.Messages[i].ID == msgID && index < 0 {
			index = i
		}
	}
	if index < 0 {
		return nil, fmt.Errorf("%w: %s in checkpoint %d of %s (%d messages)", ErrMessageNotFound, msgID, cp.Height, cp.Subnet, len(cp.Messages))
	}
	path, err := types.MerkleProof(leaves, index)
	if err != nil {
		return nil, fmt.Errorf("xnet: proving message %s: %w", msgID, err)
	}
	return &MessageProof{
		Subnet:           cp.Subnet,
		CheckpointHeight: hexutil.Uint64(cp.Height),
		CheckpointHash:   cp.Hash(),
		MessagesRoot:     types.MerkleRoot(leaves),
		Message:          NewMessage(&cp.Messages[index]),
		Index:            hexutil.Uint64(index),
		Count:            hexutil.Uint64(len(leaves)),
		Proof:            path,
	}, nil
}

// VerifyMessageProof checks that p proves its message under root, the
// MessagesRoot of a checkpoint the caller trusts (see MessageProof for how a
// client comes to trust one). The message's ID must be the one its source
// and source nonce give (types.MsgID), so the ID a client looks for is the
// message it gets. Errors wrap ErrMessageProof.
func VerifyMessageProof(p *MessageProof, root common.Hash) error {
	if p == nil {
		return fmt.Errorf("%w: no proof", ErrMessageProof)
	}
	if p.MessagesRoot != root {
		return fmt.Errorf("%w: proof is for messages root %s, want %s", ErrMessageProof, p.MessagesRoot, root)
	}
	m, err := p.Message.CrossMsg()
	if err != nil {
		return err
	}
	if want := types.MsgID(m.SrcSubnet, m.SrcNonce); m.ID != want {
		return fmt.Errorf("%w: message ID %s, but source %q nonce %d gives %s", ErrMessageProof, m.ID, m.SrcSubnet, m.SrcNonce, want)
	}
	if err := types.VerifyMerkleProof(root, m.Leaf(), uint64(p.Index), uint64(p.Count), p.Proof); err != nil {
		return fmt.Errorf("%w: message %s: %w", ErrMessageProof, m.ID, err)
	}
	return nil
}

// VerifyCommittedMessage checks a message proof against a checkpoint the
// parent committed: checkpoint is the encoded checkpoint (as
// aspen_getCrossMsgProof returns it), committed the hash the parent's
// gateway recorded for it (subnet(id).lastCheckpointHash, or a storage proof
// of it by eth_getProof). The checkpoint must hash to committed and carry the
// proof's messages root; then the proof must hold under that root.
func VerifyCommittedMessage(p *MessageProof, checkpoint []byte, committed common.Hash) error {
	cp, err := types.DecodeCheckpoint(checkpoint)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMessageProof, err)
	}
	if h := cp.Hash(); h != committed || h != p.CheckpointHash {
		return fmt.Errorf("%w: checkpoint hashes to %s; the parent committed %s and the proof names %s", ErrMessageProof, h, committed, p.CheckpointHash)
	}
	if cp.Subnet != p.Subnet || cp.Height != uint64(p.CheckpointHeight) {
		return fmt.Errorf("%w: checkpoint is %s at %d, the proof names %s at %d", ErrMessageProof, cp.Subnet, cp.Height, p.Subnet, p.CheckpointHeight)
	}
	return VerifyMessageProof(p, cp.MessagesRoot())
}
