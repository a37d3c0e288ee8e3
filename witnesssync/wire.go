package witnesssync

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

// version is the first byte of every request and answer. A peer that
// changes the format bumps it (and p2p.WitnessProtocol's /1); an unknown
// version is answered with CodeMalformed.
const version byte = 1

// Caps. A witness of a block of 1 000 transfers is about 200 KB, so one
// answer (p2p.MaxMessageSize, 1 MiB) carries a few such blocks and many
// small ones; the server stops before the block that would take it over,
// and the requester asks again from there.
const (
	// MaxRequestBytes bounds a request, checked before it is decoded: a
	// subnet ID, two numbers and the framing.
	MaxRequestBytes = 512
	// MaxBlocksPerRequest caps the blocks of one answer, whatever was asked.
	MaxBlocksPerRequest = 64
	// MaxItemBytes is the largest block with its witness the protocol
	// carries: one item alone in an answer. A block whose witness is
	// bigger is refused with CodeTooLarge (a chunked version 2 would lift
	// it; proveFraud itself takes witnesses up to 16 MiB).
	MaxItemBytes = p2p.MaxMessageSize - answerOverhead
	// MaxPeriodBlocks caps one FetchPeriod: at most this many blocks and
	// witnesses are held at once (256 × ~200 KB ≈ 50 MB for blocks of
	// 1 000 transfers). A longer checkpoint period is fetched in windows.
	MaxPeriodBlocks = 256
	// maxText bounds an answer's explanation.
	maxText = 256
	// answerOverhead is room for the version byte, the code, the text and
	// the RLP list headers around an answer's items.
	answerOverhead = 1 + 16 + maxText + 16
)

// Code says how a server answered a request.
type Code uint8

const (
	CodeOK            Code = iota // the items follow
	CodeUnknownSubnet             // this node does not run the subnet
	CodeNotHeld                   // the first block asked for is not final here, or its parent state is gone
	CodeBusy                      // every witness build is taken; ask again shortly or ask another peer
	CodeRateLimited               // the requester is over its rate or concurrency limit here
	CodeMalformed                 // the request did not decode or asked for nothing
	CodeTooLarge                  // the first block with its witness is over MaxItemBytes
	CodeBanned                    // the requester sent malformed requests and is refused for a while
	CodeInternal                  // the server failed (its store): nobody's fault
)

var (
	// ErrVersion reports a message in a format version we do not speak.
	ErrVersion = errors.New("witnesssync: unsupported message version")
	// ErrMalformed reports a message that does not decode or breaks a cap.
	ErrMalformed = errors.New("witnesssync: malformed message")
	// ErrBadAnswer reports an answer that breaks the protocol or does not
	// check (wrong heights, blocks that do not link, an item the caller's
	// Check refuses): the peer is faulty or lying, and is banned.
	ErrBadAnswer = errors.New("witnesssync: bad answer")

	// Refusals, one per answer code: the peer is honest but cannot help.
	ErrUnknownSubnet = errors.New("witnesssync: the peer does not run the subnet")
	ErrNotHeld       = errors.New("witnesssync: the peer does not hold the block or its parent state")
	ErrBusy          = errors.New("witnesssync: the peer is busy building other witnesses")
	ErrRateLimited   = errors.New("witnesssync: over the peer's rate limit")
	ErrRefused       = errors.New("witnesssync: the peer refused the request as malformed")
	ErrTooLarge      = errors.New("witnesssync: the block with its witness is over the protocol's item cap")
	ErrBanned        = errors.New("witnesssync: the peer bans this node for malformed requests")
	ErrRemote        = errors.New("witnesssync: the peer failed to answer")
)

// codeErrs maps every refusal code to the error a requester sees.
var codeErrs = map[Code]error{
	CodeUnknownSubnet: ErrUnknownSubnet, CodeNotHeld: ErrNotHeld, CodeBusy: ErrBusy,
	CodeRateLimited: ErrRateLimited, CodeMalformed: ErrRefused, CodeTooLarge: ErrTooLarge,
	CodeBanned: ErrBanned, CodeInternal: ErrRemote,
}

// request asks for Count blocks of Subnet from height From with their
// witnesses: Count 1 is one block, more a range (a checkpoint period).
type request struct {
	Subnet string
	From   uint64
	Count  uint64
}

// wireItem is one block and its witness (an execution/witness encoding).
type wireItem struct {
	Block   *types.Block
	Witness []byte
}

// answer is a code, why (for a refusal) and, for CodeOK, the items.
type answer struct {
	Code  uint8
	Text  string
	Items []wireItem
}

// rawAnswer is answer with each item already encoded, so the server counts
// bytes as it adds items.
type rawAnswer struct {
	Code  uint8
	Text  string
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

// decodeRequest decodes and checks a request: size first, then shape.
func decodeRequest(msg []byte) (*request, error) {
	if len(msg) > MaxRequestBytes {
		return nil, fmt.Errorf("%w: request of %d bytes, over %d", ErrMalformed, len(msg), MaxRequestBytes)
	}
	var req request
	if err := decode(msg, &req); err != nil {
		return nil, err
	}
	if _, err := types.ParseSubnetID(req.Subnet); err != nil {
		return nil, fmt.Errorf("%w: subnet: %w", ErrMalformed, err)
	}
	if req.Count == 0 {
		return nil, fmt.Errorf("%w: asks for 0 blocks", ErrMalformed)
	}
	if req.From == 0 {
		return nil, fmt.Errorf("%w: asks from block 0, which has no witness", ErrMalformed)
	}
	return &req, nil
}

// refusal encodes an answer with code and text (cut to maxText).
func refusal(code Code, text string) []byte {
	if len(text) > maxText {
		text = text[:maxText]
	}
	enc, err := encode(&rawAnswer{Code: uint8(code), Text: text})
	if err != nil {
		panic(err) // a uint8, a string and an empty list always encode
	}
	return enc
}
