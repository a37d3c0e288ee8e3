package consensus

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// ErrInvalidValidatorSet is returned by NewValidatorSet for an unusable set.
var ErrInvalidValidatorSet = errors.New("consensus: invalid validator set")

// Validator is one member of a subnet's validator set.
type Validator = types.Validator

// ValidatorSet is an ordered, immutable set of validators. A validator's index
// in it is its bit in commit-certificate signer bitmaps.
type ValidatorSet struct {
	validators []Validator
	total      uint64
}

// NewValidatorSet checks vs and returns it as a set. Order is kept: every node
// must build the set in the same order (genesis order, or the gateway's).
func NewValidatorSet(vs []Validator) (*ValidatorSet, error) {
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: no validators", ErrInvalidValidatorSet)
	}
	s := &ValidatorSet{validators: append([]Validator(nil), vs...)}
	seen := map[common.Address]bool{}
	for i, v := range vs {
		if v.Power == 0 {
			return nil, fmt.Errorf("%w: validator %d (%s) has no power", ErrInvalidValidatorSet, i, v.Address)
		}
		if seen[v.Address] {
			return nil, fmt.Errorf("%w: %s appears twice", ErrInvalidValidatorSet, v.Address)
		}
		seen[v.Address] = true
		if s.total+v.Power < s.total {
			return nil, fmt.Errorf("%w: total power overflows", ErrInvalidValidatorSet)
		}
		s.total += v.Power
	}
	return s, nil
}

// Len is the number of validators.
func (s *ValidatorSet) Len() int { return len(s.validators) }

// At returns validator i.
func (s *ValidatorSet) At(i int) Validator { return s.validators[i] }

// All returns a copy of the validators in order.
func (s *ValidatorSet) All() []Validator { return append([]Validator(nil), s.validators...) }

// Index returns the index of addr, or -1.
func (s *ValidatorSet) Index(addr common.Address) int {
	for i, v := range s.validators {
		if v.Address == addr {
			return i
		}
	}
	return -1
}

// TotalPower is the sum of all validators' power.
func (s *ValidatorSet) TotalPower() uint64 { return s.total }

// Quorum is the least power that is more than two thirds of the total.
func (s *ValidatorSet) Quorum() uint64 { return s.total*2/3 + 1 }

// HasQuorum reports whether power is more than two thirds of the total.
func (s *ValidatorSet) HasQuorum(power uint64) bool { return power >= s.Quorum() }

// OneThirdPlus is the least power that is more than one third of the total:
// any such set holds at least one honest validator.
func (s *ValidatorSet) OneThirdPlus() uint64 { return s.total/3 + 1 }

// Proposer picks the proposer of (height, round), weighted by power: a point
// derived from keccak(height, round) falls into one validator's slice of the
// total power. Every node computes the same proposer with no shared state, so
// crash-restarted and syncing nodes agree without replaying history.
func (s *ValidatorSet) Proposer(height uint64, round uint32) int {
	seed, _ := rlp.EncodeToBytes([]uint64{height, uint64(round)})
	h := new(big.Int).SetBytes(crypto.Keccak256(seed))
	point := h.Mod(h, new(big.Int).SetUint64(s.total)).Uint64()
	for i, v := range s.validators {
		if point < v.Power {
			return i
		}
		point -= v.Power
	}
	return len(s.validators) - 1 // unreachable: point < total
}

// Hash identifies the set: keccak256 of its RLP encoding.
func (s *ValidatorSet) Hash() common.Hash {
	enc, err := rlp.EncodeToBytes(s.validators)
	if err != nil {
		panic("consensus: validator set not encodable: " + err.Error())
	}
	return crypto.Keccak256Hash(enc)
}
