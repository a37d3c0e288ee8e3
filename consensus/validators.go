package consensus

import (
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	aspencrypto "github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// ErrInvalidValidatorSet is returned by NewValidatorSet for an unusable set.
var ErrInvalidValidatorSet = errors.New("consensus: invalid validator set")

// MaxTotalPower is the most power a validator set may hold in all: 2^62.
// Sets come from genesis (config caps them) and from a parent's gateway
// (whose power per seat times its seats stays below); the margin under
// 2^64 keeps every sum an engine forms of a set's powers (the votes of two
// rounds, a set and the next) far from overflowing.
const MaxTotalPower = 1 << 62

// Validator is one member of a subnet's validator set.
type Validator = types.Validator

// ValidatorSet is an ordered, immutable set of validators. A validator's index
// in it is its bit in commit-certificate signer bitmaps.
type ValidatorSet struct {
	validators []Validator
	total      uint64

	keysOnce sync.Once // builds keys on first use: solo sets have no BLS keys
	keys     *aspencrypto.KeySet
	keysErr  error
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
		if v.Power > MaxTotalPower-s.total {
			return nil, fmt.Errorf("%w: total power exceeds %d (2^62) at validator %d (%s, power %d)", ErrInvalidValidatorSet, uint64(MaxTotalPower), i, v.Address, v.Power)
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

// Quorum is the least power that is more than two thirds of the total,
// by crypto.Quorum, the one formula every certificate uses.
func (s *ValidatorSet) Quorum() uint64 { return aspencrypto.Quorum(s.total) }

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

// KeySet is the set's BLS keys and powers, parsed and checked once, for
// verifying certificates (crypto.KeySet.Verify). It fails for a set whose
// keys are missing or invalid, as a solo set's are.
func (s *ValidatorSet) KeySet() (*aspencrypto.KeySet, error) {
	s.keysOnce.Do(func() {
		keys, powers := make([][]byte, len(s.validators)), make([]uint64, len(s.validators))
		for i, v := range s.validators {
			keys[i], powers[i] = v.BLSPublicKey, v.Power
		}
		s.keys, s.keysErr = aspencrypto.NewKeySet(keys, powers)
	})
	return s.keys, s.keysErr
}

// Hash identifies the set: keccak256 of its RLP encoding.
func (s *ValidatorSet) Hash() common.Hash {
	enc, err := rlp.EncodeToBytes(s.validators)
	if err != nil {
		panic("consensus: validator set not encodable: " + err.Error())
	}
	return crypto.Keccak256Hash(enc)
}
