package gateway

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Typed access to the slots of schema.go.

func mustRLP(v any) []byte {
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		panic("gateway: rlp of a gateway record: " + err.Error())
	}
	return b
}

// validatorRLP is Validator with a non-nil collateral, as stored.
type validatorRLP struct {
	Owner        common.Address
	BLSPublicKey []byte
	P2PAddr      string
	Collateral   *big.Int
}

func encodeValidator(v Validator) []byte {
	return mustRLP(validatorRLP{v.Owner, v.BLSPublicKey, v.P2PAddr, nonNil(v.Collateral)})
}

func decodeValidator(b []byte) (Validator, error) {
	var r validatorRLP
	if err := rlp.DecodeBytes(b, &r); err != nil {
		return Validator{}, fmt.Errorf("gateway: stored validator record: %w", err)
	}
	return Validator{r.Owner, r.BLSPublicKey, r.P2PAddr, nonNil(r.Collateral)}, nil
}

func nonNil(x *big.Int) *big.Int {
	if x == nil {
		return new(big.Int)
	}
	return x
}

func getU64(st StateReader, name string, f subnetField) uint64 {
	return wordU64(st.GetState(fieldSlot(name, f)))
}

func getBig(st StateReader, name string, f subnetField) *big.Int {
	return wordBig(st.GetState(fieldSlot(name, f)))
}

func setU64(st State, name string, f subnetField, v uint64) {
	st.SetState(fieldSlot(name, f), u64Word(v))
}

func setBig(st State, name string, f subnetField, v *big.Int) {
	st.SetState(fieldSlot(name, f), bigWord(v))
}

// exists reports whether the child name was ever created (killed ones too).
func exists(st StateReader, name string) bool { return getU64(st, name, fStatus) != 0 }

func statusOf(st StateReader, name string) Status { return Status(getU64(st, name, fStatus) - 1) }

func setStatus(st State, name string, s Status) { setU64(st, name, fStatus, uint64(s)+1) }

func readParams(st StateReader, name string) Params {
	return Params{
		Engine:           Engine(getU64(st, name, fEngine)),
		MinValidators:    uint32(getU64(st, name, fMinValidators)),
		MinCollateral:    getBig(st, name, fMinCollateral),
		BlockTimeMs:      uint32(getU64(st, name, fBlockTimeMs)),
		CheckpointPeriod: uint32(getU64(st, name, fCheckpointPeriod)),
		GasLimit:         getU64(st, name, fGasLimit),
		Confirmations:    uint32(getU64(st, name, fConfirmations)),
	}
}

func validatorCount(st StateReader, name string) uint64 { return getU64(st, name, fValidatorCount) }

// seatRecord is the number of the validator record seat i of name holds.
func seatRecord(st StateReader, name string, i uint64) uint64 {
	return wordU64(st.GetState(validatorSlot(name, i)))
}

func readRecord(st StateReader, name string, r uint64) (Validator, error) {
	if r == 0 {
		return Validator{}, fmt.Errorf("gateway: a seat of %s has no validator record", name)
	}
	return decodeValidator(readBlob(st, recordSlot(name, r)))
}

func readValidator(st StateReader, name string, i uint64) (Validator, error) {
	return readRecord(st, name, seatRecord(st, name, i))
}

func readValidators(st StateReader, name string) ([]Validator, error) {
	n := validatorCount(st, name)
	out := make([]Validator, 0, n)
	for i := uint64(0); i < n; i++ {
		v, err := readValidator(st, name, i)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ownerIndex is the index of owner's seat in name, and whether it has one.
func ownerIndex(st StateReader, name string, owner common.Address) (uint64, bool) {
	n := wordU64(st.GetState(ownerSlot(name, owner)))
	return n - 1, n != 0
}

// maxRecords bounds a subnet's validator records: config sets store record
// numbers in 4 bytes. Every record costs a join or a stake, so no subnet
// gets near it; the check keeps the encoding honest.
const maxRecords = 1<<32 - 1

// writeValidator gives seat i a new, immutable record v. Records already in
// config sets stay as they were, so a stake never changes a past set.
func writeValidator(st State, name string, i uint64, v Validator) error {
	r := getU64(st, name, fRecordCount) + 1
	if r > maxRecords {
		return reverted("gateway: %s has used all %d validator records", name, uint64(maxRecords))
	}
	setU64(st, name, fRecordCount, r)
	writeBlob(st, recordSlot(name, r), encodeValidator(v))
	power := PowerOf(v.Collateral)
	writeSeatKey(st, name, r, v.BLSPublicKey, power)
	total := getBig(st, name, fSeatPower)
	if old := seatRecord(st, name, i); old != 0 { // a stake replaces the seat's record, with the same key
		_, p := readSeatKey(st, name, old)
		total.Sub(total, new(big.Int).SetUint64(p))
	} else if err := changeSeatKeys(st, name, v.BLSPublicKey, true); err != nil {
		return err
	}
	setBig(st, name, fSeatPower, total.Add(total, new(big.Int).SetUint64(power)))
	setSeat(st, name, i, r, v)
	return nil
}

// writeSeatKey stores what a quorum check needs of record r, in two words,
// so that it never reads or decodes the whole record.
func writeSeatKey(st State, name string, r uint64, key []byte, power uint64) {
	var w0, w1 common.Hash
	copy(w0[:], key)
	if len(key) > 32 {
		copy(w1[:], key[32:])
	}
	binary.BigEndian.PutUint64(w1[16:24], power)
	s := seatKeySlot(name, r)
	st.SetState(s, w0)
	st.SetState(plus(s, 1), w1)
}

// readSeatKey returns the BLS key and power of record r (writeSeatKey).
func readSeatKey(st StateReader, name string, r uint64) (key []byte, power uint64) {
	s := seatKeySlot(name, r)
	w0, w1 := st.GetState(s), st.GetState(plus(s, 1))
	return append(append(make([]byte, 0, 48), w0[:]...), w1[:16]...), binary.BigEndian.Uint64(w1[16:24])
}

// seatKeySlots is how many slots readSeatKey reads.
const seatKeySlots = 2

func setSeat(st State, name string, i, r uint64, v Validator) {
	st.SetState(validatorSlot(name, i), u64Word(r))
	st.SetState(ownerSlot(name, v.Owner), u64Word(i+1))
	st.SetState(blsKeySlot(name, v.BLSPublicKey), nameWord(name))
}

// removeValidator frees seat i: the last seat moves into it, the owner index
// and the BLS key are released, the key leaves the seats' aggregate. The
// record stays (config sets refer to it).
func removeValidator(st State, name string, i uint64) error {
	v, err := readValidator(st, name, i)
	if err != nil {
		return err
	}
	if err := changeSeatKeys(st, name, v.BLSPublicKey, false); err != nil {
		return err
	}
	return removeSeat(st, name, i, v)
}

// removeSeat is removeValidator without the aggregate key, for kill, which
// removes every seat and clears the aggregate once.
func removeSeat(st State, name string, i uint64, v Validator) error {
	_, power := readSeatKey(st, name, seatRecord(st, name, i))
	total := getBig(st, name, fSeatPower)
	setBig(st, name, fSeatPower, total.Sub(total, new(big.Int).SetUint64(power)))
	last := validatorCount(st, name) - 1
	if i != last {
		r := seatRecord(st, name, last)
		moved, err := readRecord(st, name, r)
		if err != nil {
			return err
		}
		setSeat(st, name, i, r, moved)
	}
	st.SetState(validatorSlot(name, last), common.Hash{})
	st.SetState(ownerSlot(name, v.Owner), common.Hash{})
	st.SetState(blsKeySlot(name, v.BLSPublicKey), common.Hash{})
	setU64(st, name, fValidatorCount, last)
	return nil
}

func childCount(st StateReader) uint64 { return wordU64(st.GetState(childrenCountSlot())) }

func appendChild(st State, name string) {
	n := childCount(st)
	st.SetState(childSlot(n), nameWord(name))
	st.SetState(childrenCountSlot(), u64Word(n+1))
}

// ReadChildren returns the IDs of every child ever created on the chain
// self, killed ones included, in creation order.
func ReadChildren(st StateReader, self types.SubnetID) []types.SubnetID {
	n := childCount(st)
	out := make([]types.SubnetID, 0, n)
	for i := uint64(0); i < n; i++ {
		out = append(out, self.Child(wordName(st.GetState(childSlot(i)))))
	}
	return out
}

// ReadSubnet returns the child id of the chain self, or an error wrapping
// ErrUnknownSubnet.
func ReadSubnet(st StateReader, self, id types.SubnetID) (*Subnet, error) {
	name, err := childName(self, id)
	if err != nil {
		return nil, err
	}
	if !exists(st, name) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownSubnet, id)
	}
	vals, err := readValidators(st, name)
	if err != nil {
		return nil, err
	}
	return &Subnet{
		ID:                   id,
		Params:               readParams(st, name),
		Status:               statusOf(st, name),
		Creator:              common.BytesToAddress(st.GetState(fieldSlot(name, fCreator)).Bytes()),
		ChainID:              ChainIDFor(id),
		CirculatingSupply:    getBig(st, name, fCirculating),
		LastCheckpointHeight: getU64(st, name, fLastCkptHeight),
		LastCheckpointHash:   st.GetState(fieldSlot(name, fLastCkptHash)),
		ConfigNumber:         getU64(st, name, fConfigNumber),
		Validators:           vals,
		TotalCollateral:      getBig(st, name, fTotalCollateral),
		CreatedAt:            getU64(st, name, fCreatedAt),
		ActivatedAt:          getU64(st, name, fActivatedAt),
		TopDownNonce:         getU64(st, name, fDownNonce),
		GenesisNonce:         getU64(st, name, fGenesisNonce),
		StallWindow:          stallWindowOf(st, name),
	}, nil
}

// childName checks id is a direct child of self and returns its name.
func childName(self, id types.SubnetID) (string, error) {
	if _, err := types.ParseSubnetID(string(id)); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotChild, err)
	}
	if id.IsRoot() || id.Parent() != self {
		return "", fmt.Errorf("%w: %s is not a child of %s", ErrNotChild, id, self)
	}
	return id.Name(), nil
}
