package gateway

import (
	"github.com/ethereum/go-ethereum/params"
)

// Gas schedule. The EVM charges a precompile before it runs, so the price of
// a call is computed from its input and the state it will find, as an upper
// bound of what it does, in the units Solidity would pay for the same work:
//
//	every call       2600 + 3 per 32-byte word of input (a cold account access, calldata copy)
//	storage read     2100 per slot (cold SLOAD)
//	storage write    20000 per slot written (SSTORE to a fresh slot); rewrites of
//	                 existing slots are charged as fresh writes too, which
//	                 over-charges them by at most 15000 each
//	event            375 + 375 per topic + 8 per data byte, counted as 3000 per event
//	value payout     9000 per validator paid (CALL with value)
//	BLS PoP check    103000 (EIP-2537: two pairings, 37700 + 2×32600)
//
//	subnetId, parentId, crossMsgOrigin, release, send, submitCheckpoint:  base
//	children        base + read × (1 + children)
//	subnet          base + read × (18 + 14 × validators)
//	createSubnet    base + write × 12 + event
//	join            base + PoP + write × (validator record + 4) + event
//	                  + while the subnet is Registered: write × (4 + genesis record) + event
//	                    (whether or not this join activates it: see activationGas)
//	                  + if the subnet is Active: write × (queued config record + 1)
//	stake           base + write × (validator record + 2) + (write × (config record + 1) if Active,
//	                  activation as for join while Registered)
//	leave           base + write × (2 × validator record + 4) + payout + event + (config record if Active)
//	kill            base + (write × (2 × record + 2) + payout) × validators + write × 2 + event
//	fund            base + write × (message record + 3) + event
//
// A validator record is at most blobSlots(maxValidatorRecord) slots; a
// message record at most blobSlots(maxTopDownRecord).
const (
	gasBase      = params.ColdAccountAccessCostEIP2929
	gasPerWord   = params.CopyGas
	gasRead      = params.ColdSloadCostEIP2929
	gasWrite     = params.SstoreSetGasEIP2200
	gasEvent     = 3000
	gasPayout    = params.CallValueTransferGas
	gasPoP       = 103_000
	recordSlots  = 14 // blobSlots of the largest validator record (p2pAddr of MaxP2PAddrLen), rounded up
	messageSlots = 16 // blobSlots of the largest queued fund or config message
)

// RequiredGas is the price of call c on st (see the schedule above). A call
// whose input does not decode pays the base price and reverts.
func (g *Gateway) RequiredGas(st StateReader, c Call) uint64 {
	gas := gasBase + gasPerWord*uint64((len(c.Input)+31)/32)
	m, args, err := g.decode(c.Input)
	if err != nil {
		return gas
	}
	name := func() string {
		if id, ok := args[0].(string); ok {
			if sid := g.subnet.Child(""); len(id) > len(sid) && id[:len(sid)] == string(sid) {
				return id[len(sid):]
			}
			return id
		}
		return ""
	}
	active := func() bool { n := name(); return n != "" && exists(st, n) && statusOf(st, n) == StatusActive }
	switch m.Name {
	case "children":
		gas += gasRead * (1 + childCount(st))
	case "subnet":
		gas += gasRead * (18 + 14*validatorCount(st, name()))
	case "createSubnet":
		gas += gasWrite*12 + gasEvent
	case "join":
		gas += gasPoP + gasWrite*(recordSlots+4) + gasEvent
		if active() {
			gas += gasWrite * (messageSlots + 1)
		} else if n := name(); n != "" && registered(st, n) {
			gas += activationGas(st, n, 1)
		}
	case "stake":
		gas += gasWrite * (recordSlots + 2)
		if active() {
			gas += gasWrite * (messageSlots + 1)
		} else if n := name(); n != "" && registered(st, n) {
			gas += activationGas(st, n, 0)
		}
	case "leave":
		gas += gasWrite*(2*recordSlots+4) + gasPayout + gasEvent
		if active() {
			gas += gasWrite * (messageSlots + 1)
		}
	case "kill":
		gas += (gasWrite*(2*recordSlots+2)+gasPayout)*validatorCount(st, name()) + gasWrite*2 + gasEvent
	case "fund":
		gas += gasWrite*(messageSlots+3) + gasEvent
	}
	return gas
}

// registered reports whether name is a Registered child.
func registered(st StateReader, name string) bool {
	return exists(st, name) && statusOf(st, name) == StatusRegistered
}

// activationGas is what activating name costs, charged to every join and
// stake of a Registered subnet whether or not this one activates it. Gas is
// charged before the call runs, so it must not depend on the order in which
// concurrent joins land: charging only the join that looks like the last one
// at estimate time made the one that really was last run out of gas. The
// genesis record is priced for the larger of the seats after this call and
// minValidators.
func activationGas(st StateReader, name string, newSeats uint64) uint64 {
	seats := max(validatorCount(st, name)+newSeats, uint64(readParams(st, name).MinValidators))
	return gasWrite*(4+blobSlots(int(seats)*recordSlots*32)) + gasEvent
}
