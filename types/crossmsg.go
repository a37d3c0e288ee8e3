package types

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// MsgKind is what a cross-message or top-down queue entry does (CROSSNET.md).
// The values are part of the encoding: never renumber them.
type MsgKind uint8

const (
	KindTransfer MsgKind = iota // credit To with Value
	KindCall                    // call To with Data and Value
	KindRefund                  // return Value of the failed message Ref to To
	KindConfig                  // validator-set change (top-down only)
)

func (k MsgKind) String() string {
	switch k {
	case KindTransfer:
		return "transfer"
	case KindCall:
		return "call"
	case KindRefund:
		return "refund"
	case KindConfig:
		return "config"
	}
	return "unknown"
}

// CrossMsg is a cross-subnet message (CROSSNET.md, "Objects"). Its RLP
// encoding is the list of its fields in this order; a nil Value encodes as 0.
type CrossMsg struct {
	ID        common.Hash // MsgID(SrcSubnet, SrcNonce), fixed for the whole trip
	SrcSubnet string
	SrcNonce  uint64 // the source gateway's counter of messages it originated
	From      common.Address
	DstSubnet string
	To        common.Address
	Value     *big.Int // never negative
	Data      []byte   // empty for a plain transfer
	Kind      MsgKind
	Ref       common.Hash // for a Refund: the ID of the message that failed
}

// MsgID is a message's ID for its whole trip: keccak256(rlp([src, srcNonce])),
// as CROSSNET.md defines it.
func MsgID(src string, srcNonce uint64) common.Hash {
	return crypto.Keccak256Hash(mustRLP(&struct {
		Src   string
		Nonce uint64
	}{src, srcNonce}))
}

// Leaf is keccak256(rlp(m)), the message's leaf in its checkpoint's
// MessagesRoot. It panics if Value is negative, which no decoded message is.
func (m *CrossMsg) Leaf() common.Hash { return crypto.Keccak256Hash(mustRLP(m)) }

// mustRLP encodes v, which must be encodable: only a negative big.Int makes
// Aspen's types fail to encode, and that is a bug in whoever built the value.
func mustRLP(v any) []byte {
	enc, err := rlp.EncodeToBytes(v)
	if err != nil {
		panic("types: rlp: " + err.Error())
	}
	return enc
}
