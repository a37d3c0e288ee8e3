package registry

import "github.com/ethereum/go-ethereum/params"

// Gas schedule, as the gateway's and the HTLC contract's (gas.go there): an
// upper bound of the work in the units Solidity would pay.
//
//	every call      2600 + 3 per 32-byte word of input
//	submitEnvelope  keccak of the envelope 3 times (signing hash, ID, header),
//	                ecrecover, per recipient a read and a write (answer),
//	                3 writes (round, nonce), the event with 8 gas per byte
const (
	gasBase    = params.ColdAccountAccessCostEIP2929
	gasPerWord = params.CopyGas
	gasRead    = params.ColdSloadCostEIP2929
	gasWrite   = params.SstoreSetGasEIP2200
	gasRewrite = params.SstoreResetGasEIP2200
	gasEvent   = 3000
	gasKeccak  = params.Keccak256Gas + params.Keccak256WordGas*3
)

// RequiredGas is the price of call c on st.
func (r *Contract) RequiredGas(st StateReader, c Call) uint64 {
	gas := gasBase + gasPerWord*uint64((len(c.Input)+31)/32)
	m, args, err := r.decode(c.Input)
	if err != nil {
		return gas
	}
	if md, ok := methods[m.Name]; ok {
		gas += md.gas(st, args)
	}
	return gas
}

func submitGas(b []byte) uint64 {
	words := uint64(len(b)+31) / 32
	recipients := uint64(len(b))/200 + 1 // each recipient takes ≥ 208 bytes
	return 3*(params.Keccak256Gas+params.Keccak256WordGas*words) + params.EcrecoverGas +
		recipients*(gasRead*2+gasWrite) + gasWrite*3 + gasEvent + params.LogDataGas*uint64(len(b))
}
