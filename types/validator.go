package types

import "github.com/ethereum/go-ethereum/common"

// Validator is one seat of a chain's validator set as its engine sees it.
// consensus.Validator is the same type; blocks that change the set carry the
// new one (Header.NextValidators).
type Validator struct {
	Address      common.Address // account that owns the seat (collateral, fees)
	BLSPublicKey []byte         // 48-byte compressed BLS12-381 G1 key; signs votes and checkpoints
	Power        uint64         // voting power (stake)
}

// CopyValidators returns a deep copy of vs.
func CopyValidators(vs []Validator) []Validator {
	if vs == nil {
		return nil
	}
	out := make([]Validator, len(vs))
	for i, v := range vs {
		out[i] = Validator{Address: v.Address, BLSPublicKey: common.CopyBytes(v.BLSPublicKey), Power: v.Power}
	}
	return out
}
