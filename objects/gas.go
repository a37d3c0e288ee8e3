package objects

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/optimistic"
)

// Gas schedule. The EVM charges a precompile before it runs, so a call's
// price is an upper bound of what it does, in the units Solidity would pay
// for the same work (as the gateway's, gateway/gas.go, and the HTLC
// contract's). An object is an RLP blob in storage (optimistic/schema.go):
// a native note without claims is its length slot and 3 words; each claim
// it depends on adds about 3 words, and its status is read to see whether
// it is decided.
//
//	every call   2600 + 3 per 32-byte word of input
//	read         2100 per slot (cold SLOAD)
//	write        20000 per fresh slot; 5000 per rewrite
//	event        3000
//	payout       9000 (a CALL with value)
//
//	object read   read × 4 + read × 4 per claim
//	object write  write × 4 + write × 3 per claim, + the object counter
//	              (rewrite), the owner index (write × 2 + rewrite) and
//	              each claim's dependents list (write + rewrite)
//	object delete rewrite × 4 (+ × 3 per claim) + the owner index (read
//	              + rewrite × 4)
//
//	deposit      base + object write + event
//	transfer     base + object read + its rewrite + index delete and write
//	             + event
//	split        base + object read + delete + 2 object writes (with the
//	             note's claims) + 3 events
//	merge        base + per input: object read + delete (or rewrite as
//	             frozen, + a dependents entry per claim it lacks) + event per
//	             input and claim; + the output's write with the union + event
//	withdraw     base + object read + delete + payout + event
//	objectOf     base + object read
//	objectsOf    base + read × (1 + ids returned)
//
// An unknown id pays base + read × 4 and reverts (objectOf returns kind None).
const (
	gasBase    = params.ColdAccountAccessCostEIP2929
	gasPerWord = params.CopyGas
	gasRead    = params.ColdSloadCostEIP2929
	gasWrite   = params.SstoreSetGasEIP2200
	gasRewrite = params.SstoreResetGasEIP2200
	gasEvent   = 3000
	gasPayout  = params.CallValueTransferGas

	gasObjectWords = 4 // length slot + 3 words of a note without claims
	gasClaimWords  = 3
)

// RequiredGas is the price of call c on st (see the schedule above). A call
// whose input does not decode pays the base price and reverts.
func (m *Manager) RequiredGas(st StateReader, c Call) uint64 {
	gas := gasBase + gasPerWord*uint64((len(c.Input)+31)/32)
	meth, args, err := m.decode(c.Input)
	if err != nil {
		return gas
	}
	if md, ok := methods[meth.Name]; ok {
		gas += md.gas(m.Store(st), args)
	}
	return gas
}

// claims is how many claims object id depends on and is pending on, and
// whether it exists.
func claims(s *optimistic.Store, id common.Hash) (uint64, bool) {
	o, ok := s.Object(id)
	if !ok {
		return 0, false
	}
	return uint64(len(o.Deps) + len(o.Pending)), true
}

func objectRead(n uint64) uint64 { return gasRead*gasObjectWords + gasRead*(gasClaimWords+1)*n }
func objectWrite(n uint64) uint64 {
	return gasWrite*gasObjectWords + gasWrite*gasClaimWords*n + gasRewrite + 2*gasWrite + gasRewrite + (gasWrite+gasRewrite)*n
}
func objectDelete(n uint64) uint64 {
	return gasRewrite*gasObjectWords + gasRewrite*gasClaimWords*n + gasRead + 4*gasRewrite
}

func depositGas() uint64 { return objectWrite(0) + gasEvent }

func readGas(s *optimistic.Store, id common.Hash) uint64 {
	n, _ := claims(s, id)
	return objectRead(n)
}

func transferGas(s *optimistic.Store, id common.Hash) uint64 {
	n, ok := claims(s, id)
	if !ok {
		return objectRead(0)
	}
	rewrite := gasRewrite * (gasObjectWords + gasClaimWords*n)
	index := gasRead + 4*gasRewrite + 2*gasWrite + gasRewrite // off the old owner's list, onto the new one's
	return objectRead(n) + rewrite + index + gasEvent
}

func splitGas(s *optimistic.Store, id common.Hash) uint64 {
	n, ok := claims(s, id)
	if !ok {
		return objectRead(0)
	}
	return objectRead(n) + objectDelete(n) + 2*objectWrite(n) + 3*gasEvent
}

func mergeGas(s *optimistic.Store, ids [][32]byte) uint64 {
	var gas, union uint64
	for _, id := range ids {
		n, ok := claims(s, id)
		if !ok {
			return gas + objectRead(0) // the merge stops at the first unknown id
		}
		union += n
		gas += objectRead(n) + objectDelete(n) + gasEvent
	}
	union = min(union, optimistic.MaxDeps)
	// Each input may be frozen with up to the whole union pending.
	gas += uint64(len(ids)) * union * (gasWrite + gasRewrite + gasEvent)
	return gas + objectWrite(union) + gasEvent
}

func withdrawGas(s *optimistic.Store, id common.Hash) uint64 {
	n, ok := claims(s, id)
	if !ok {
		return objectRead(0)
	}
	return objectRead(n) + objectDelete(n) + gasPayout + gasEvent
}

func objectsOfGas(s *optimistic.Store, owner common.Address, start uint64) uint64 {
	n := s.OwnerCount(owner)
	ids := uint64(0)
	if start < n {
		ids = min(n-start, optimistic.MaxOwnerPage)
	}
	return gasRead * (1 + ids)
}
