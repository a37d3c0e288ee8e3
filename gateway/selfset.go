package gateway

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// ErrConfigOrder is returned when a validator-set change does not continue
// this chain's config numbers, or cannot apply to its set.
var ErrConfigOrder = errors.New("gateway: validator-set change out of order")

// storage is the part of State that storage layout helpers need; genesis
// writers implement it without an EVM.
type storage interface {
	StateReader
	SetState(slot, value common.Hash)
}

// A child chain keeps its own validator set — the one its engine runs — in
// its gateway storage, so the set after any block is part of the state every
// validator agrees on. The genesis writes config 1 (the set at activation);
// each top-down config change (join, stake, leave, numbered by the parent)
// moves it to the next number. The order of the set mirrors the parent's
// validator list exactly (joins append, a leave moves the last seat into the
// leaver's), so a signer bitmap means the same seats on both chains.

func ownSetSlot() common.Hash    { return slotOf(tagSelfSet) }
func ownConfigSlot() common.Hash { return slotOf(tagSelfConfig) }

// WriteOwnSet sets this chain's validator set and its config number (a
// child's genesis: config 1).
func WriteOwnSet(st storage, config uint64, vs []types.Validator) {
	writeBlob(st, ownSetSlot(), mustRLP(vs))
	st.SetState(ownConfigSlot(), u64Word(config))
}

// ReadOwnSet returns this chain's validator set and config number; config 0
// and no validators for a chain that keeps none (a root: its genesis names
// its validators).
func ReadOwnSet(st StateReader) (config uint64, vs []types.Validator, err error) {
	config = wordU64(st.GetState(ownConfigSlot()))
	if config == 0 {
		return 0, nil, nil
	}
	if err := rlp.DecodeBytes(readBlob(st, ownSetSlot()), &vs); err != nil {
		return 0, nil, fmt.Errorf("gateway: stored validator set: %w", err)
	}
	return config, vs, nil
}

// applyConfig moves this chain's set by one parent-numbered change.
func applyConfig(st storage, c ConfigChange) error {
	config, vs, err := ReadOwnSet(st)
	if err != nil {
		return err
	}
	if c.Number != config+1 {
		return fmt.Errorf("%w: change %d after config %d", ErrConfigOrder, c.Number, config)
	}
	i := -1
	for j, v := range vs {
		if v.Address == c.Validator.Owner {
			i = j
		}
	}
	switch c.Op {
	case OpJoin:
		if i >= 0 {
			return fmt.Errorf("%w: %s joins twice", ErrConfigOrder, c.Validator.Owner)
		}
		vs = append(vs, types.Validator{Address: c.Validator.Owner, BLSPublicKey: c.Validator.BLSPublicKey, Power: PowerOf(c.Validator.Collateral)})
	case OpStake:
		if i < 0 {
			return fmt.Errorf("%w: %s stakes without a seat", ErrConfigOrder, c.Validator.Owner)
		}
		vs[i].Power = PowerOf(c.Validator.Collateral)
	case OpLeave:
		if i < 0 || len(vs) == 1 {
			return fmt.Errorf("%w: %s cannot leave a set of %d", ErrConfigOrder, c.Validator.Owner, len(vs))
		}
		vs[i] = vs[len(vs)-1]
		vs = vs[:len(vs)-1]
	default:
		return fmt.Errorf("%w: unknown operation %d", ErrConfigOrder, c.Op)
	}
	WriteOwnSet(st, c.Number, vs)
	return nil
}

func mintedSlot() common.Hash { return slotOf(tagMinted) }
func burnedSlot() common.Hash { return slotOf(tagBurned) }

func addCounter(st storage, slot common.Hash, v *big.Int) {
	st.SetState(slot, bigWord(new(big.Int).Add(wordBig(st.GetState(slot)), v)))
}

// SupplyCounters are the wei this chain's gateway ever minted (value of
// top-down messages arriving) and burned (value leaving for the parent).
// A child's native supply is its genesis alloc + minted - burned - base fees
// burned; its parent's circulating supply for it is genesis funds + every
// fund - every release, so at rest the two differ by the fees alone (the
// firewall and conservation invariants, CROSSNET.md).
func SupplyCounters(st StateReader) (minted, burned *big.Int) {
	return wordBig(st.GetState(mintedSlot())), wordBig(st.GetState(burnedSlot()))
}
