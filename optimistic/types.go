package optimistic

import (
	"bytes"
	"errors"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Claim says that the block of Subnet at Height has hash Hash. An object
// depending on it exists only if the claim is true.
type Claim struct {
	Subnet types.SubnetID
	Height uint64
	Hash   common.Hash
}

// Key is the claim's identity in State.
func (c Claim) Key() common.Hash {
	return crypto.Keccak256Hash([]byte(tagClaim), []byte(c.Subnet), u64Word(c.Height).Bytes(), c.Hash[:])
}

func (c Claim) less(d Claim) bool {
	if c.Subnet != d.Subnet {
		return c.Subnet < d.Subnet
	}
	if c.Height != d.Height {
		return c.Height < d.Height
	}
	return bytes.Compare(c.Hash[:], d.Hash[:]) < 0
}

func compareClaims(a, b Claim) int {
	switch {
	case a == b:
		return 0
	case a.less(b):
		return -1
	}
	return 1
}

// Canonical returns deps sorted and without duplicates, the only form the
// store keeps: two objects have the same dependencies exactly when their
// lists are equal.
func Canonical(deps []Claim) []Claim {
	out := slices.Clone(deps)
	slices.SortFunc(out, compareClaims)
	return slices.Compact(out)
}

// union is the canonical union of canonical lists.
func union(lists ...[]Claim) []Claim {
	var all []Claim
	for _, l := range lists {
		all = append(all, l...)
	}
	return Canonical(all)
}

// minus is a without the claims of b (both canonical).
func minus(a, b []Claim) []Claim {
	var out []Claim
	for _, c := range a {
		if !slices.Contains(b, c) {
			out = append(out, c)
		}
	}
	return out
}

// Kind is what an object is.
type Kind uint8

const (
	KindNative  Kind = 1 // a note of the chain's native coin; Amount in wei
	KindERC20   Kind = 2 // a note of the ERC-20 at Token
	KindGeneric Kind = 3 // opaque Data; no value, cannot be split or merged
)

func (k Kind) valid() bool { return k >= KindNative && k <= KindGeneric }

// Object is one state object. A frozen object was consumed by a merge whose
// output depends on more claims than it did (Pending): it comes back if any
// of those is false and is destroyed once all are true.
type Object struct {
	ID      common.Hash
	Kind    Kind
	Owner   common.Address
	Token   common.Address // KindERC20 only
	Amount  *big.Int       // notes only; 0 for generic objects
	Data    []byte         // KindGeneric only
	Deps    []Claim        // canonical; empty: ordinary state
	Frozen  bool
	Pending []Claim // canonical; frozen objects only
}

// Receipt is what a move leaves on its source, for anyone to submit to the
// destination with the source block's header, its finality evidence and a
// Merkle proof of the receipt in the source's state.
type Receipt struct {
	ID     common.Hash // ReceiptID(Src, Nonce)
	Src    types.SubnetID
	Dst    types.SubnetID
	Nonce  uint64 // the source store's move counter
	Height uint64 // source block height of the move
	Kind   Kind
	Owner  common.Address // owner on the destination
	Token  common.Address
	Amount *big.Int
	Data   []byte
	Deps   []Claim // the object's dependencies on the source (empty under the move rule)
}

// ReceiptID is the identity of the move numbered nonce on src.
func ReceiptID(src types.SubnetID, nonce uint64) common.Hash {
	b, _ := rlp.EncodeToBytes([]any{string(src), nonce})
	return crypto.Keccak256Hash([]byte(tagReceipt), b)
}

// Config fixes the store's subnet and its rules.
type Config struct {
	Subnet types.SubnetID
	// Deadline is the number of blocks of this chain after which a claim
	// still undecided is false. It must exceed the source's checkpoint
	// latency and stall window (see the doc).
	Deadline uint64
}

// Limits on outside input.
const (
	MaxParts    = 16       // outputs of a split, inputs of a merge
	MaxDataSize = 4 << 10  // generic object data
	MaxDeps     = 64       // claims an object may depend on
	maxBlobSize = 64 << 10 // sanity bound when decoding State
)

// Errors callers test for.
var (
	ErrNoObject     = errors.New("optimistic: no such object")
	ErrNotOwner     = errors.New("optimistic: caller does not own the object")
	ErrFrozen       = errors.New("optimistic: object is frozen until its pending claims resolve")
	ErrDoomed       = errors.New("optimistic: object depends on a claim resolved false and is being deleted")
	ErrConditional  = errors.New("optimistic: object depends on unresolved claims; wait for them before moving or withdrawing it")
	ErrBadAmount    = errors.New("optimistic: amounts must be positive and sum to the input")
	ErrMismatch     = errors.New("optimistic: inputs differ in kind, owner or token")
	ErrBadKind      = errors.New("optimistic: operation not allowed for this kind of object")
	ErrBadDest      = errors.New("optimistic: destination must be another subnet")
	ErrNotForUs     = errors.New("optimistic: receipt is addressed to another subnet")
	ErrBadReceipt   = errors.New("optimistic: malformed receipt")
	ErrTooMany      = errors.New("optimistic: too many parts or dependencies")
	ErrTooLarge     = errors.New("optimistic: data too large")
	ErrClaimUnknown = errors.New("optimistic: no object depends on this claim")
)
