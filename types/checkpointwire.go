package types

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// A checkpoint's encoding (CROSSNET.md, "Bottom-up") carries its messages
// compactly: what every message of a checkpoint of subnet X would repeat is
// left out and restored on decoding.
//
//	checkpoint = [Subnet, Height, BlockHash, StateRoot, Prev, Config, AppliedConfig,
//	              DownApplied, [message, ...]]
//	message    = [Src, SrcNonce, From, Dst, To, Value, Data, Kind, Ref]
//
// Src is SrcSubnet less its prefix X ("" for X itself, "/a" for X/a); Dst is
// "" for X's parent, otherwise the destination in full; Ref is empty when
// zero, otherwise 32 bytes; the ID is not sent: it is MsgID(SrcSubnet,
// SrcNonce), which CROSSNET.md fixes anyway. A message whose SrcSubnet does
// not start with X cannot be encoded. Each message has exactly one encoding
// (a Dst spelled as the parent, or a zero Ref of 32 bytes, is refused), so
// decoding and encoding again gives the same bytes and Hash is well defined.
// A plain release of 1 gwei takes about 57 bytes instead of the 145 of the
// full CrossMsg.

type checkpointWire struct {
	Subnet        string
	Height        uint64
	BlockHash     common.Hash
	StateRoot     common.Hash
	Prev          common.Hash
	Config        uint64
	AppliedConfig uint64
	DownApplied   uint64
	Messages      []messageWire
}

type messageWire struct {
	Src      string
	SrcNonce uint64
	From     common.Address
	Dst      string
	To       common.Address
	Value    *big.Int
	Data     []byte
	Kind     MsgKind
	Ref      []byte
}

// errWire reports a message that has no compact encoding or bytes that are
// not the one encoding of a message.
var errWire = errors.New("checkpoint message")

// parentOf is the parent of subnet as a string, "" for a root (or a
// malformed ID, which no gateway accepts anyway).
func parentOf(subnet string) string {
	if i := strings.LastIndexByte(subnet, '/'); i > 0 {
		return subnet[:i]
	}
	return ""
}

func toWire(subnet string, m *CrossMsg) (messageWire, error) {
	src, ok := strings.CutPrefix(m.SrcSubnet, subnet)
	if !ok {
		return messageWire{}, fmt.Errorf("%w %d of %s: it comes from %s, which is not %s or below it", errWire, m.SrcNonce, m.SrcSubnet, m.SrcSubnet, subnet)
	}
	dst := m.DstSubnet
	if p := parentOf(subnet); p != "" && dst == p {
		dst = ""
	}
	var ref []byte
	if m.Ref != (common.Hash{}) {
		ref = m.Ref[:]
	}
	return messageWire{Src: src, SrcNonce: m.SrcNonce, From: m.From, Dst: dst, To: m.To, Value: m.Value, Data: m.Data, Kind: m.Kind, Ref: ref}, nil
}

func fromWire(subnet string, w *messageWire) (CrossMsg, error) {
	m := CrossMsg{SrcSubnet: subnet + w.Src, SrcNonce: w.SrcNonce, From: w.From, DstSubnet: w.Dst, To: w.To, Value: w.Value, Data: w.Data, Kind: w.Kind}
	p := parentOf(subnet)
	switch {
	case p != "" && w.Dst == p:
		return CrossMsg{}, fmt.Errorf("%w: destination %s spelled out; the parent is written as \"\"", errWire, p)
	case p != "" && w.Dst == "":
		m.DstSubnet = p
	}
	switch len(w.Ref) {
	case 0:
	case common.HashLength:
		if m.Ref = common.BytesToHash(w.Ref); m.Ref == (common.Hash{}) {
			return CrossMsg{}, fmt.Errorf("%w: a zero Ref spelled out; it is written empty", errWire)
		}
	default:
		return CrossMsg{}, fmt.Errorf("%w: Ref of %d bytes, want 0 or 32", errWire, len(w.Ref))
	}
	if len(m.Data) == 0 {
		m.Data = nil
	}
	m.ID = MsgID(m.SrcSubnet, m.SrcNonce)
	return m, nil
}

// EncodeRLP writes the compact encoding (see above).
func (c *Checkpoint) EncodeRLP(w io.Writer) error {
	wire := checkpointWire{c.Subnet, c.Height, c.BlockHash, c.StateRoot, c.Prev, c.Config, c.AppliedConfig, c.DownApplied, make([]messageWire, len(c.Messages))}
	for i := range c.Messages {
		m, err := toWire(c.Subnet, &c.Messages[i])
		if err != nil {
			return err
		}
		wire.Messages[i] = m
	}
	return rlp.Encode(w, &wire)
}

// DecodeRLP reads the compact encoding, restoring each message's source,
// destination, Ref and ID.
func (c *Checkpoint) DecodeRLP(s *rlp.Stream) error {
	var wire checkpointWire
	if err := s.Decode(&wire); err != nil {
		return err
	}
	*c = Checkpoint{Subnet: wire.Subnet, Height: wire.Height, BlockHash: wire.BlockHash, StateRoot: wire.StateRoot, Prev: wire.Prev,
		Config: wire.Config, AppliedConfig: wire.AppliedConfig, DownApplied: wire.DownApplied}
	if len(wire.Messages) > 0 {
		c.Messages = make([]CrossMsg, len(wire.Messages))
	}
	for i := range wire.Messages {
		m, err := fromWire(wire.Subnet, &wire.Messages[i])
		if err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		c.Messages[i] = m
	}
	return nil
}

// CheckpointMessageSize is the size of m's encoding inside a checkpoint of
// subnet, for whoever cuts checkpoints to a size; an error if m does not
// come from subnet or below it, or its Value is negative.
func CheckpointMessageSize(subnet string, m *CrossMsg) (int, error) {
	w, err := toWire(subnet, m)
	if err != nil {
		return 0, err
	}
	enc, err := rlp.EncodeToBytes(&w)
	if err != nil {
		return 0, err
	}
	return len(enc), nil
}
