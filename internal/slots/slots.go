package slots

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// Reader reads a contract's storage; Storage writes it too.
type (
	Reader  interface{ GetState(common.Hash) common.Hash }
	Storage interface {
		Reader
		SetState(common.Hash, common.Hash)
	}
)

// Of is the slot keccak256(tag ‖ parts…).
func Of(tag string, parts ...[]byte) common.Hash {
	b := []byte(tag)
	for _, p := range parts {
		b = append(b, p...)
	}
	return crypto.Keccak256Hash(b)
}

// Plus is slot s + k, wrapping at 2^256 as the EVM's storage does.
func Plus(s common.Hash, k uint64) common.Hash {
	x := new(uint256.Int).SetBytes32(s[:])
	x.AddUint64(x, k)
	return x.Bytes32()
}

// U64Word is v as a big-endian word.
func U64Word(v uint64) common.Hash {
	var w common.Hash
	binary.BigEndian.PutUint64(w[24:], v)
	return w
}

// WordU64 is the low 8 bytes of w.
func WordU64(w common.Hash) uint64 { return binary.BigEndian.Uint64(w[24:]) }

// BlobSlots is how many slots a blob of n bytes takes, length word included.
func BlobSlots(n int) uint64 { return 1 + uint64((n+31)/32) }

// ReadBlob returns the blob at s, or nil if its stored length is over max
// (a corrupt state: callers treat it as absent).
func ReadBlob(st Reader, s common.Hash, max uint64) []byte {
	n := WordU64(st.GetState(s))
	if n > max {
		return nil
	}
	out := make([]byte, 0, n)
	for i := uint64(0); uint64(len(out)) < n; i++ {
		w := st.GetState(Plus(s, 1+i))
		out = append(out, w[:min(32, n-uint64(len(out)))]...)
	}
	return out
}

// WriteBlob stores b at s, clearing what a longer previous blob left behind.
func WriteBlob(st Storage, s common.Hash, b []byte) {
	old := WordU64(st.GetState(s))
	st.SetState(s, U64Word(uint64(len(b))))
	var i uint64
	for ; len(b) > 0; i++ {
		var w common.Hash
		copy(w[:], b)
		st.SetState(Plus(s, 1+i), w)
		b = b[min(32, len(b)):]
	}
	for ; i < (old+31)/32; i++ {
		st.SetState(Plus(s, 1+i), common.Hash{})
	}
}
