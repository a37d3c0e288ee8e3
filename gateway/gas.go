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
//	                 (plus 8 per byte of a result or reason it may carry)
//	value payout     9000 per account paid or burn (CALL with value)
//	BLS PoP check    103000 (EIP-2537: two pairings, 37700 + 2×32600)
//	BLS key          5000 per validator key decompressed and subgroup-checked
//	                 (measured: 55 µs, where ecrecover's 3000 gas take 31 µs)
//	BLS aggregate    PoP + 23800 (hash to G2, EIP-2537's MAP_FP2_TO_G2) + 375 per
//	                 validator (G1 addition)
//	keccak           30 + 6 per word
//	delivered call   CrossMsgCallGas, whatever the call uses
//
//	subnetId, parentId:  base
//	crossMsgOrigin  base + read × 4
//	children        base + read × (1 + children)
//	subnet          base + read × (18 + (1 + record) × validators)
//	createSubnet    base + write × 12 + event
//	join            base + PoP + write × (record + 6) + event + seat keys
//	                  + while the subnet is Registered: write × (4 + genesis record + config set) + event
//	                    (whether or not this join activates it: see activationGas)
//	                  + if the subnet is Active: write × (queued config record + 2 + config set)
//	stake           base + write × (record + 5) + (as join's Active or Registered part)
//	leave           base + write × 8 + seat keys + (payout + event if Registered;
//	                  write × (queued config record + 2 + config set + release record + 1) if Active)
//	kill            base + (write × 4 + payout) × validators
//	                  + (payout + event + write × release record) × pending releases
//	                  + write × (3 + aggregate key) + event
//	fund            base + write × (message record + 3) + event
//	send, release   base + write + event + the route of the message (routeGas)
//	submitCheckpoint  base + keccak of the checkpoint + read × 15, then, if it can be
//	                  committed: read × (config set + its power + its aggregate key)
//	                  + (read × 2 + BLS key + G1 add) × min(signers, non-signers)
//	                  (non-signers only for a set with a stored aggregate key)
//	                  + BLS aggregate + write × 10 + event + the releases it pays + for
//	                  each message routeGas. A resubmission of the last
//	                  committed checkpoint stops after the reads.
//	submitPowCheckpoint  base + keccak of the checkpoint + read × 17, then, if it can be
//	                  committed: read × (subnet record + 4) + for each header its check
//	                  and 3 keccaks of it + (first segment: the child's genesis read and
//	                  built) + 2 keccaks of the proof + 5 slot lookups + for each message
//	                  its leaf and accumulator keccaks, then as submitCheckpoint's commit
//	                  with 2 more writes (the next segment's anchor, the up accumulator)
//	claim           base + read × 10 + 2 keccaks of the proof + proof lookup + write × 3
//	                  + payout + 2 events (hatch.go)
//	reclaim         base + read × (10 + message record) + write × 3 + 2 events with a
//	                  reason + the route of the refund (a payout for a refund message)
//	setStallWindow  base + read × 2 + write; stallWindow, claimed: base + read × 2;
//	claimRoot       base + read × 8
//	submitEvidence  base + keccak of the evidence × 2 + read × 3, then, unless the
//	                  offence was punished already: read × (the slots searched for
//	                  the key's seat and pending releases, records included), and if
//	                  it has any: double-sign check + write + for each stake payout
//	                  + event (with reason) + write × (for a seat: 10 + config set
//	                  + queued config record, and seat keys; for a pending release: its record)
//	proveFraud      base + keccak of every input (the checkpoints twice) + read × 8, then, unless
//	                  it does not parse or every signer was slashed already: if not proven yet,
//	                  a keccak per header (256) + the child's genesis read and built + 4 per
//	                  witness byte + min(Σ the block's transactions' gas limits, the child's gas
//	                  limit) + 3000 per transaction (its sender recovered) + for the top-down
//	                  messages queued after the previous checkpoint's DownApplied (at most 256,
//	                  and one more) read × messageSlots each, and their work: write × 10 a config
//	                  change, write × (3 + messageSlots) + payout (+ CrossMsgCallGas for a call)
//	                  any other, at most half the child's gas limit (a block's top-down budget)
//	                  + write × 8 + 2 events with a reason; then for the next MaxFraudSlashes
//	                  signers read × (config set, their records and seats, the pending releases
//	                  searched) + write + 2 payouts + for each seat seat keys + write × 8, for
//	                  each release write × its record, and an event with a reason each (fraud.go)
//	joinJury        base + read × 5 + PoP + write × 11 + event; leaveJury base + read × 8 + write × 2 + event;
//	                  withdrawJuryBond base + read × (8 + pool) + write × 12 + payout + event
//	attest          base + read × 16, then if it is a seated juror's first: the draw if the round's seats
//	                  are not stored (read × (2 + 4 × pool + stored seats and votes) + keccak per seat + write ×
//	                  seats blob + JuryDrawn + a JurorMissed per silent juror) + read × (juror + votes) + BLS key
//	                  + BLS aggregate + write × votes blob + event, + a verdict's write and event, + the releases
//	                  it makes (releaseCheckpoints' release part) (jurygas.go)
//	releaseCheckpoints base + read × 8 + for the oldest 8 held read × 3 and the draw if due, then for each
//	                  released: read × (12 + messages) + write × (10 + messages) + event + the validator
//	                  releases due + routeGas of each message
//	submitCheckpoint  held for a jury: as above up to its seal, then the held record (write × 21), the
//	                  messages blob and the old seats and votes cleared, instead of releases and routes
//
// seat keys is the update of the current seats' aggregate key (gasSeatKeys):
// a key parsed and added or subtracted, the aggregate's 3 words read and
// written. A config set's slots include its power and its aggregate key.
//
// A validator record is at most recordSlots slots; a queued config change
// at most messageSlots; a config set of n validators blobSlots(4n), priced
// for configSetHeadroom more seats than the subnet has so that joins racing
// in one block still fit the gas they were estimated with.
const (
	gasBase      = params.ColdAccountAccessCostEIP2929
	gasPerWord   = params.CopyGas
	gasRead      = params.ColdSloadCostEIP2929
	gasWrite     = params.SstoreSetGasEIP2200
	gasEvent     = 3000
	gasLogByte   = params.LogDataGas
	gasPayout    = params.CallValueTransferGas
	gasPoP       = 103_000
	gasBLSKey    = 5000
	gasBLSVerify = gasPoP + 23_800
	gasG1Add     = 375
	gasHash      = params.Keccak256Gas
	gasHashWord  = params.Keccak256WordGas
	recordSlots  = 17 // blobSlots of the largest validator record (p2pAddr of MaxP2PAddrLen), rounded up, + its seat key (2) and the seats' power (1)
	messageSlots = 16 // blobSlots of the largest queued fund or config message

	configSetHeadroom = 8   // seats a config set is priced for beyond the current ones
	releaseSlots      = 4   // blobSlots of the largest pending release record
	maxReasonBytes    = 256 // a bounce reason's length, for pricing its event
)

// Prices of a work-proven checkpoint (submitPowCheckpoint), beyond its
// keccaks: a header decoded and checked against its parent (retarget, work
// target), a slot looked up through a state proof, a child genesis built in
// memory to learn its hash (the first segment only) and each of its accounts.
const (
	gasPowHeader      = 5000
	gasProofSlot      = 3000
	gasGenesisBase    = 100_000
	gasGenesisAccount = 25_000
)

// gasSeatKeys is the update of the seats' aggregate key when a seat joins
// or leaves: the key parsed and added or taken away, the aggregate read and
// written (changeSeatKeys).
const gasSeatKeys = gasBLSKey + gasG1Add + (gasRead+gasWrite)*aggKeySlots

// gasDoubleSignCheck verifies two signatures of one key (evidence of
// equivocation): the key decompressed and checked twice, two pairing checks
// with their hashes to G2.
const gasDoubleSignCheck = 2 * (gasBLSKey + gasBLSVerify)

// RequiredGas is the price of call c on st (see the schedule above). A call
// whose input does not decode pays the base price and reverts.
func (g *Gateway) RequiredGas(st StateReader, c Call) uint64 {
	gas := gasBase + gasPerWord*uint64((len(c.Input)+31)/32)
	m, args, err := g.decode(c.Input)
	if err != nil {
		return gas
	}
	if md, ok := methods[m.Name]; ok {
		gas += md.gas(g, st, c, args)
	}
	return gas
}

// childName is the child name args[0] refers to ("games" for
// "/devnet/games" on /devnet), or "" when the call has no string first
// argument. A malformed or foreign ID yields a name no child has.
func (g *Gateway) childName(args []any) string {
	if len(args) == 0 {
		return ""
	}
	id, ok := args[0].(string)
	if !ok {
		return ""
	}
	if sid := g.subnet.Child(""); len(id) > len(sid) && id[:len(sid)] == string(sid) {
		return id[len(sid):]
	}
	return id
}

// activeChild reports whether name is an Active child.
func activeChild(st StateReader, name string) bool {
	return name != "" && exists(st, name) && statusOf(st, name) == StatusActive
}

// seatChangeGas is what a join or stake adding newSeats seats costs beyond
// its own record: a queued config change if the subnet is Active, its
// activation (see activationGas) while it is Registered.
func seatChangeGas(st StateReader, name string, newSeats uint64) uint64 {
	switch {
	case activeChild(st, name):
		return gasWrite * (messageSlots + 2 + configSetSlots(validatorCount(st, name)+newSeats))
	case name != "" && registered(st, name):
		return activationGas(st, name, newSeats)
	}
	return 0
}

// configSetSlots prices a config set of n seats (with headroom).
func configSetSlots(n uint64) uint64 { return blobSlots(configSetBytes(n + configSetHeadroom)) }

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
	return gasWrite*(4+blobSlots(int(seats)*recordSlots*32)+configSetSlots(seats)) + gasEvent
}
