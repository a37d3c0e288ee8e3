package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

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
// its price: the blob of its record numbers, 4 bytes a seat, and one more
// word for its total power (configPowerSlot).
func configSetBytes(n uint64) int { return 4*int(n) + 32 }

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
