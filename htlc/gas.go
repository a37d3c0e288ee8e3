package htlc

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"
)

// Gas schedule. The EVM charges a precompile before it runs, so a call's
// price is an upper bound of what it does, in the units Solidity would pay
// for the same work (as the gateway's, gateway/gas.go):
//
//	every call   2600 + 3 per 32-byte word of input
//	read         2100 per slot (cold SLOAD)
//	write        20000 per fresh slot; 5000 per rewrite of a slot (the header)
//	event        3000
//	payout       9000 (a CALL with value)
//	token call   100000 for transfer or transferFrom, 30000 for balanceOf: the
//	             gas the token's code gets, whatever it uses of it
//	hashing      keccak 30 + 6 per word; sha256 60 + 12 per word
//
//	lock         base + read (counter) + keccak (id) + write × 5 (header,
//	             recipient, amount, hashlock, counter) + event
//	lockToken    lock + write (token) + account access (its code size)
//	             + balanceOf × 2 + transferFrom
//	claim        base + read × 6 (the swap) + sha256 + rewrite + write (preimage)
//	             + event + payout (native) or transfer (token); an unknown or
//	             settled id pays base + read and reverts
//	refund       base + read × 6 + rewrite + event + payout or transfer
//	swap         base + read × 6
const (
	gasBase      = params.ColdAccountAccessCostEIP2929
	gasPerWord   = params.CopyGas
	gasRead      = params.ColdSloadCostEIP2929
	gasWrite     = params.SstoreSetGasEIP2200
	gasRewrite   = params.SstoreResetGasEIP2200
	gasEvent     = 3000
	gasPayout    = params.CallValueTransferGas
	gasKeccak    = params.Keccak256Gas + params.Keccak256WordGas*3
	gasSha256    = params.Sha256BaseGas + params.Sha256PerWordGas
	gasAccount   = params.ColdAccountAccessCostEIP2929
	gasTokenCall = 100_000
	gasTokenView = 30_000
)

// RequiredGas is the price of call c on st (see the schedule above). A call
// whose input does not decode pays the base price and reverts.
func (h *Contract) RequiredGas(st StateReader, c Call) uint64 {
	gas := gasBase + gasPerWord*uint64((len(c.Input)+31)/32)
	m, args, err := h.decode(c.Input)
	if err != nil {
		return gas
	}
	if md, ok := methods[m.Name]; ok {
		gas += md.gas(st, args)
	}
	return gas
}

// lockGas prices lock (token false) and lockToken.
func lockGas(token bool) uint64 {
	gas := uint64(gasRead + gasKeccak + gasWrite*5 + gasEvent)
	if token {
		gas += gasWrite + gasAccount + 2*gasTokenView + gasTokenCall
	}
	return gas
}

// settleGas prices claim and refund of swap id on the state they will find.
func settleGas(st StateReader, id common.Hash, claim bool) uint64 {
	s := ReadSwap(st, id)
	if s.Status != StatusLocked {
		return gasRead
	}
	gas := uint64(gasRead*6 + gasRewrite + gasEvent)
	if claim {
		gas += gasSha256 + gasWrite
	}
	if s.Token == (common.Address{}) {
		return gas + gasPayout
	}
	return gas + gasTokenCall
}
