package blocksync

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

// version is the first byte of every request and answer. A peer that
// changes the format bumps it; an unknown version is answered with an error.
const version byte = 1

// Request kinds.
const (
	kindStatus uint8 = iota // answer: statusAnswer
	kindBlocks              // answer: blocksAnswer
)

// MaxBlocksPerRequest caps how many blocks one answer carries, whatever the
// requester asked for; the p2p.MaxMessageSize cap may cut it shorter.
const MaxBlocksPerRequest = 256

// answerOverhead is room for the version byte and two RLP list headers
// around the items of a blocks answer.
const answerOverhead = 16

var (
	// ErrVersion reports a message in a format version we do not speak.
	ErrVersion = errors.New("blocksync: unsupported message version")
	// ErrMalformed reports a message that does not decode.
	ErrMalformed = errors.New("blocksync: malformed message")
	// ErrBadAnswer reports an answer that breaks the protocol (wrong
	// heights, too many blocks); the peer is faulty or lying.
	ErrBadAnswer = errors.New("blocksync: bad answer")
)

// request asks for the peer's head (kindStatus) or for up to Max blocks from
// height From (kindBlocks).
type request struct {
	Kind uint8
	From uint64
	Max  uint64
}

type statusAnswer struct {
	Height uint64
	Hash   common.Hash
}

// wireItem is one block and its commit; a nil Commit travels as an empty list.
type wireItem struct {
	Block  *types.Block
	Commit *types.Commit `rlp:"nil"`
}

type blocksAnswer struct {
	Items []wireItem
}

// rawBlocksAnswer is blocksAnswer with each item already encoded, so the
// server can count bytes as it adds blocks.
type rawBlocksAnswer struct {
	Items []rlp.RawValue
}

func encode(v any) ([]byte, error) {
	enc, err := rlp.EncodeToBytes(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{version}, enc...), nil
}

func decode(msg []byte, v any) error {
	if len(msg) == 0 {
		return fmt.Errorf("%w: empty", ErrMalformed)
	}
	if msg[0] != version {
		return fmt.Errorf("%w: %d (this node speaks %d)", ErrVersion, msg[0], version)
	}
	if err := rlp.DecodeBytes(msg[1:], v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

// itemBudget is how many bytes of encoded items fit in one answer.
const itemBudget = p2p.MaxMessageSize - answerOverhead
