package htlc

import (
	"encoding/binary"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Storage layout of the contract account. Every slot the contract uses is
// named here:
//
//	counter                      keccak256("aspen/htlc/counter")
//	                             swaps made on this chain (uint64), the last
//	                             part of the next id
//	swap field f of id           keccak256("aspen/htlc/swap" ‖ id ‖ f), f one byte:
//	  0 header                   sender (20 bytes) ‖ timeout (8, big-endian) ‖ status (1) ‖ 3 zero bytes
//	  1 recipient                the address, right-aligned
//	  2 token                    the ERC-20, right-aligned; absent for native coin
//	  3 amount                   uint256
//	  4 hashlock                 the 32 bytes
//	  5 preimage                 the 32 bytes, written by claim
//
// The header packs what every call reads into one slot; status None (no
// header) is an unknown id.
const (
	fieldHeader byte = iota
	fieldRecipient
	fieldToken
	fieldAmount
	fieldHashlock
	fieldPreimage
)

var counterKey = crypto.Keccak256Hash([]byte("aspen/htlc/counter"))

// CounterSlot is the slot of the swap counter.
func CounterSlot() common.Hash { return counterKey }

// SwapSlot is the slot of field f of swap id.
func SwapSlot(id common.Hash, f byte) common.Hash {
	return crypto.Keccak256Hash([]byte("aspen/htlc/swap"), id[:], []byte{f})
}

// Status is where a swap stands.
type Status uint8

const (
	StatusNone Status = iota
	StatusLocked
	StatusClaimed
	StatusRefunded
)

func (s Status) String() string {
	switch s {
	case StatusNone:
		return "none"
	case StatusLocked:
		return "locked"
	case StatusClaimed:
		return "claimed"
	case StatusRefunded:
		return "refunded"
	}
	return "unknown"
}

// Swap is one swap as stored.
type Swap struct {
	Sender    common.Address
	Recipient common.Address
	Token     common.Address // zero for native coin
	Amount    *big.Int
	Hashlock  common.Hash
	Timeout   uint64 // unix seconds
	Status    Status
	Preimage  common.Hash // zero until claimed
}

// ReadSwap reads swap id; Status is StatusNone for an unknown id.
func ReadSwap(st StateReader, id common.Hash) Swap {
	h := st.GetState(SwapSlot(id, fieldHeader))
	s := Swap{
		Sender:  common.BytesToAddress(h[:20]),
		Timeout: binary.BigEndian.Uint64(h[20:28]),
		Status:  Status(h[28]),
		Amount:  new(big.Int),
	}
	if s.Status == StatusNone {
		return s
	}
	s.Recipient = common.BytesToAddress(st.GetState(SwapSlot(id, fieldRecipient)).Bytes())
	s.Token = common.BytesToAddress(st.GetState(SwapSlot(id, fieldToken)).Bytes())
	s.Amount = st.GetState(SwapSlot(id, fieldAmount)).Big()
	s.Hashlock = st.GetState(SwapSlot(id, fieldHashlock))
	s.Preimage = st.GetState(SwapSlot(id, fieldPreimage))
	return s
}

// writeSwap stores a new swap (every field but the preimage).
func writeSwap(st State, id common.Hash, s Swap) {
	writeHeader(st, id, s)
	st.SetState(SwapSlot(id, fieldRecipient), common.BytesToHash(s.Recipient.Bytes()))
	if s.Token != (common.Address{}) {
		st.SetState(SwapSlot(id, fieldToken), common.BytesToHash(s.Token.Bytes()))
	}
	st.SetState(SwapSlot(id, fieldAmount), common.BigToHash(s.Amount))
	st.SetState(SwapSlot(id, fieldHashlock), s.Hashlock)
}

// writeHeader stores the header slot: sender, timeout and status.
func writeHeader(st State, id common.Hash, s Swap) {
	var h common.Hash
	copy(h[:20], s.Sender.Bytes())
	binary.BigEndian.PutUint64(h[20:28], s.Timeout)
	h[28] = byte(s.Status)
	st.SetState(SwapSlot(id, fieldHeader), h)
}

func writePreimage(st State, id, preimage common.Hash) {
	st.SetState(SwapSlot(id, fieldPreimage), preimage)
}

// readCounter is the number of swaps made on this chain.
func readCounter(st StateReader) uint64 { return st.GetState(counterKey).Big().Uint64() }

func writeCounter(st State, n uint64) {
	st.SetState(counterKey, common.BigToHash(new(big.Int).SetUint64(n)))
}

// SwapID is the id of the n-th swap (from 0) made on chain.
func SwapID(chain string, n uint64) common.Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return crypto.Keccak256Hash([]byte("aspen/htlc/id"), []byte(chain), b[:])
}
