package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Validator sets by config number (CROSSNET.md: validators[X][config]).
// Every time a child's config number changes (activation is config 1, every
// later join, stake and leave the next), the parent stores the set as it is
// after the change: the record numbers of the seats, in seat order. A
// checkpoint signed by config c is checked against set c, whatever changed
// since, and signer bitmaps index that order.
//
// Seat order: a join appends a seat, a stake keeps its seat (with a new
// record), a leave moves the last seat into the leaver's. The child must
// apply its ConfigChanges in the same way to sign with the same order.

// ErrUnknownConfig: the subnet has no validator set with that config number.
var ErrUnknownConfig = errors.New("gateway: no validator set with that config number")

// configSetBytes is the storage a config set of n validators takes, for
// its price: the blob of its record numbers, 4 bytes a seat, one more word
// for its total power (configPowerSlot) and its aggregate key (aggKeySlot).
func configSetBytes(n uint64) int { return 4*int(n) + 32 + crypto.AggregateKeySize }

// aggKeySlots is how many words an aggregate key takes.
const aggKeySlots = (crypto.AggregateKeySize + 31) / 32

// writeConfigSet stores the current seats of name as config set number,
// with their total power: a quorum check then reads the power of the
// signers only, whatever the number of seats that do not sign.
func writeConfigSet(st State, name string, number uint64) {
	n := validatorCount(st, name)
	b := make([]byte, 4*n)
	for i := uint64(0); i < n; i++ {
		binary.BigEndian.PutUint32(b[4*i:], uint32(seatRecord(st, name, i)))
	}
	writeBlob(st, configSetSlot(name, number), b)
	st.SetState(configPowerSlot(name, number), bigWord(getBig(st, name, fSeatPower)))
	writeAggKey(st, name, number, readAggKey(st, name, 0))
}

// readAggKey returns the aggregate key of config set config of name (0:
// of the current seats), nil if none was stored.
func readAggKey(st StateReader, name string, config uint64) []byte {
	s := aggKeySlot(name, config)
	out := make([]byte, 0, aggKeySlots*32)
	for i := range uint64(aggKeySlots) {
		w := st.GetState(plus(s, i))
		out = append(out, w[:]...)
	}
	out = out[:crypto.AggregateKeySize]
	for _, b := range out {
		if b != 0 {
			return out
		}
	}
	return nil
}

func writeAggKey(st State, name string, config uint64, key []byte) {
	s := aggKeySlot(name, config)
	for i := range uint64(aggKeySlots) {
		var w common.Hash
		if len(key) > int(i)*32 {
			copy(w[:], key[i*32:])
		}
		st.SetState(plus(s, i), w)
	}
}

// changeSeatKeys adds key to the current seats' aggregate key of name (a
// seat joined) or takes it away (a seat left), so that every config set
// written after holds the aggregate of its seats without reading them.
// The key was validated by its proof of possession when it joined.
func changeSeatKeys(st State, name string, key []byte, joined bool) error {
	add, sub := [][]byte{key}, [][]byte(nil)
	if !joined {
		add, sub = nil, add
	}
	agg, err := crypto.AddKeys(readAggKey(st, name, 0), add, sub)
	if err != nil {
		return fmt.Errorf("gateway: %s: aggregate key of the seats: %w", name, err) // a stored key that does not parse: a broken invariant
	}
	writeAggKey(st, name, 0, agg)
	return nil
}

// configPower is the total power of config set number of name.
func configPower(st StateReader, name string, number uint64) *big.Int {
	return wordBig(st.GetState(configPowerSlot(name, number)))
}

// configRecords returns the record numbers of config set number of name, or
// nil if it has none.
func configRecords(st StateReader, name string, number uint64) []uint64 {
	b := readBlob(st, configSetSlot(name, number))
	out := make([]uint64, 0, len(b)/4)
	for i := 0; i+4 <= len(b); i += 4 {
		out = append(out, uint64(binary.BigEndian.Uint32(b[i:])))
	}
	return out
}

// readConfigSet returns config set number of name, or an error wrapping
// ErrUnknownConfig.
func readConfigSet(st StateReader, name string, number uint64) ([]Validator, error) {
	recs := configRecords(st, name, number)
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: config %d (the subnet has configs 1 to %d)", ErrUnknownConfig, number, getU64(st, name, fConfigNumber))
	}
	out := make([]Validator, 0, len(recs))
	for _, r := range recs {
		v, err := readRecord(st, name, r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ReadConfigSet returns the validator set with config number config of the
// child id of the chain self, in seat order (the order of signer bitmaps).
// It fails with ErrUnknownSubnet, ErrNotChild or ErrUnknownConfig.
func ReadConfigSet(st StateReader, self, id types.SubnetID, config uint64) ([]Validator, error) {
	name, err := childName(self, id)
	if err != nil {
		return nil, err
	}
	if !exists(st, name) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownSubnet, id)
	}
	vals, err := readConfigSet(st, name, config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	return vals, nil
}
