package pow

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// The wire protocol. A payload is a version byte, a kind byte and the
// kind's RLP body:
//
//   - announce: a block the sender holds as its best tip, with its body;
//   - get-blocks: Hash and up to Count of its ancestors, asked of whoever
//     has them (Height is Hash's, for gossip to judge the request by);
//   - blocks: an answer to get-blocks, lowest first, each the parent of
//     the next.
//
// Peers answer get-blocks from memory: what their tree holds above its
// final block.
const (
	wireVersion = 1

	kindAnnounce  = 1
	kindGetBlocks = 2
	kindBlocks    = 3

	// MaxMessageSize bounds a payload; larger ones are refused undecoded.
	MaxMessageSize = 16 << 20
	// MaxGetBlocks bounds the blocks one get-blocks asks for and one
	// blocks answer carries.
	MaxGetBlocks = 64
)

// ErrMessage is wrapped (with consensus.ErrMalformed) by every reason a
// payload is refused before its blocks are looked at.
var ErrMessage = fmt.Errorf("%w: pow: bad message", consensus.ErrMalformed)

type getBlocks struct {
	Hash   common.Hash
	Height uint64
	Count  uint64
}

// message is a decoded payload: Blocks for announce (one) and blocks, Get
// for get-blocks.
type message struct {
	Kind   byte
	Blocks []*types.Block
	Get    getBlocks
}

// height is the height the message is for: its highest block, or the
// block asked for.
func (m message) height() uint64 {
	if m.Kind == kindGetBlocks {
		return m.Get.Height
	}
	return m.Blocks[len(m.Blocks)-1].Height()
}

func encode(kind byte, body any) []byte {
	enc, err := rlp.EncodeToBytes(body)
	if err != nil {
		panic("pow: message not encodable: " + err.Error()) // blocks and hashes only
	}
	return append([]byte{wireVersion, kind}, enc...)
}

func encodeAnnounce(b *types.Block) []byte { return encode(kindAnnounce, b) }

func encodeGetBlocks(g getBlocks) []byte { return encode(kindGetBlocks, &g) }

func encodeBlocks(bs []*types.Block) []byte { return encode(kindBlocks, bs) }

// decodeMessage decodes payload and checks its shape: size, version, kind,
// blocks with headers of this subnet (any subnet when subnet is ""), a
// blocks answer in order and linked, a count within MaxGetBlocks. It does
// not check work (checkWork does).
func decodeMessage(subnet types.SubnetID, payload []byte) (message, error) {
	if len(payload) > MaxMessageSize {
		return message{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrMessage, len(payload), MaxMessageSize)
	}
	if len(payload) < 2 {
		return message{}, fmt.Errorf("%w: %d bytes", ErrMessage, len(payload))
	}
	if payload[0] != wireVersion {
		return message{}, fmt.Errorf("%w: version %d, this node speaks %d", ErrMessage, payload[0], wireVersion)
	}
	m := message{Kind: payload[1]}
	body := payload[2:]
	switch m.Kind {
	case kindAnnounce:
		b := new(types.Block)
		if err := rlp.DecodeBytes(body, b); err != nil {
			return message{}, fmt.Errorf("%w: announce: %w", ErrMessage, err)
		}
		m.Blocks = []*types.Block{b}
	case kindBlocks:
		if err := rlp.DecodeBytes(body, &m.Blocks); err != nil {
			return message{}, fmt.Errorf("%w: blocks: %w", ErrMessage, err)
		}
		if len(m.Blocks) == 0 || len(m.Blocks) > MaxGetBlocks {
			return message{}, fmt.Errorf("%w: %d blocks, want 1 to %d", ErrMessage, len(m.Blocks), MaxGetBlocks)
		}
	case kindGetBlocks:
		if err := rlp.DecodeBytes(body, &m.Get); err != nil {
			return message{}, fmt.Errorf("%w: get-blocks: %w", ErrMessage, err)
		}
		if m.Get.Count == 0 || m.Get.Count > MaxGetBlocks || m.Get.Height == 0 {
			return message{}, fmt.Errorf("%w: get-blocks of %d blocks at height %d", ErrMessage, m.Get.Count, m.Get.Height)
		}
		return m, nil
	default:
		return message{}, fmt.Errorf("%w: unknown kind %d", ErrMessage, m.Kind)
	}
	for i, b := range m.Blocks {
		if b.Header == nil {
			return message{}, fmt.Errorf("%w: block without a header", ErrMessage)
		}
		if subnet != "" && b.Header.SubnetID != subnet {
			return message{}, fmt.Errorf("%w: block of subnet %s on %s", ErrMessage, b.Header.SubnetID, subnet)
		}
		if b.Height() == 0 {
			return message{}, fmt.Errorf("%w: a genesis block", ErrMessage)
		}
		if i > 0 && (b.Header.ParentHash != m.Blocks[i-1].Hash() || b.Height() != m.Blocks[i-1].Height()+1) {
			return message{}, fmt.Errorf("%w: blocks answer is not one chain, lowest first", ErrMessage)
		}
	}
	return m, nil
}

// checkWork checks every block's own work (not its difficulty's
// derivation, which needs the parent).
func (m message) checkWork(minDifficulty uint64) error {
	for _, b := range m.Blocks {
		if err := CheckWork(b.Header); err != nil {
			return err
		}
		if b.Header.Difficulty < minDifficulty {
			return fmt.Errorf("%w: block %d has %d, below the chain's minimum %d", ErrWrongDifficulty, b.Height(), b.Header.Difficulty, minDifficulty)
		}
	}
	return nil
}

// CheckMessage decodes a peer payload and checks its blocks' work, as a
// gossip relay does before forwarding it, and returns the height it is for.
// It knows no chain: a block's difficulty is checked against its parent by
// the engine. vs is unused (anyone may mine).
func CheckMessage(_ *consensus.ValidatorSet, subnet types.SubnetID, payload []byte) (uint64, error) {
	m, err := decodeMessage(subnet, payload)
	if err != nil {
		return 0, err
	}
	if err := m.checkWork(1); err != nil {
		return 0, err
	}
	return m.height(), nil
}

// DecodeGossip decodes a peer payload for the node's gossip gate: the
// height, the announced block (whose body the gate checks), and Verify,
// which checks every block's work and the bodies of a blocks answer.
func DecodeGossip(subnet types.SubnetID, payload []byte) (consensus.Gossip, error) {
	m, err := decodeMessage(subnet, payload)
	if err != nil {
		return consensus.Gossip{}, err
	}
	g := consensus.Gossip{Height: m.height()}
	if m.Kind == kindAnnounce {
		g.Block = m.Blocks[0]
	}
	g.Verify = func(*consensus.ValidatorSet, consensus.SigVerifier) error {
		if err := m.checkWork(1); err != nil {
			return err
		}
		if m.Kind == kindBlocks {
			for _, b := range m.Blocks {
				if err := types.CheckBody(b, types.CheckTxRoot); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return g, nil
}
