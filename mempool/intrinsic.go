package mempool

import (
	"bytes"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// IntrinsicGas is the gas a transaction pays before any EVM code runs, under
// the Prague rules: 21000 (53000 to create), 4 per zero and 16 per non-zero
// calldata byte, 2 per 32-byte word of init code (EIP-3860), 2400 per
// access-list address and 1900 per storage key (EIP-2930), 25000 per EIP-7702
// authorization. Transactions are bounded by MaxTxSize, so no sum overflows.
func IntrinsicGas(tx *types.Transaction) uint64 {
	data := tx.Data()
	create := tx.To() == nil
	gas := params.TxGas
	if create {
		gas = params.TxGasContractCreation
	}
	zeros := uint64(bytes.Count(data, []byte{0}))
	nonZeros := uint64(len(data)) - zeros
	gas += zeros*params.TxDataZeroGas + nonZeros*params.TxDataNonZeroGasEIP2028
	if create {
		words := (uint64(len(data)) + 31) / 32
		gas += words * params.InitCodeWordGas
	}
	al := tx.AccessList()
	gas += uint64(len(al))*params.TxAccessListAddressGas + uint64(al.StorageKeys())*params.TxAccessListStorageKeyGas
	gas += uint64(len(tx.SetCodeAuthorizations())) * params.CallNewAccountGas
	return gas
}

// FloorDataGas is EIP-7623's minimum: 21000 plus 10 per calldata token, where
// a zero byte is one token and a non-zero byte four. A transaction's gas limit
// must cover both this and IntrinsicGas.
func FloorDataGas(data []byte) uint64 {
	zeros := uint64(bytes.Count(data, []byte{0}))
	tokens := zeros + (uint64(len(data))-zeros)*params.TxTokenPerNonZeroByte
	return params.TxGas + tokens*params.TxCostFloorPerToken
}
