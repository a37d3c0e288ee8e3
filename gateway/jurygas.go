package gateway

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Prices of the jury (see gas.go's schedule). attest and releaseCheckpoints
// mirror the code they price on the state they will find, the draw
// included (it reads the same block hash), so a juror pays for routing only
// when its attestation releases something.

const (
	gasJoinJury     = gasRead*5 + gasPoP + gasWrite*11 + gasEvent
	gasLeaveJury    = gasRead*8 + gasWrite*2 + gasEvent
	gasWithdrawJury = gasRead*(8+MaxJurors) + gasWrite*(uint64(jurorFields)+5) + gasPayout + gasEvent
	gasHeldRecord   = gasWrite * (uint64(heldFields) + 8) // its fields, the released point and the held total
)

// drawGas prices drawing seats seats from the pool, and reporting the
// silent jurors of the stored round: the pool's entries and their weights
// read, a keccak per seat, the seats stored and both kinds of event.
func drawGas(st StateReader, h heldRef, seats uint64) uint64 {
	stored := uint64(len(readBlob(st, jurySeatsSlot(h.name, h.k))))
	_, votes := h.votes(st)
	return gasRead*(2+4*min(poolCount(st), MaxJurors)+blobSlots(int(stored))+blobSlots(len(votes))) +
		(gasHash+gasHashWord*3)*(seats+1) + gasWrite*(blobSlots(common.AddressLength*int(seats))+1) +
		gasEvent + gasLogByte*32*seats + gasEvent*(stored/common.AddressLength) + gasWrite + gasEvent
}

// priceRound returns the seats h's round at now will have and what storing
// them costs (0 if they are stored).
func priceRound(st StateReader, h heldRef, now uint64) ([]common.Address, uint64) {
	round, seedBlock, _ := juryRound(h.u64(st, hStart), now)
	if h.u64(st, hRound) == round+1 {
		return h.seats(st), 0
	}
	seats := drawSeats(st, roundSeed(h.word(st, hSeedBase), round, blockHash(st, seedBlock)), seedBlock, h.u64(st, hSeats))
	return seats, drawGas(st, h, h.u64(st, hSeats))
}

// nowOf is the height of the block being executed, or 0 for a state that
// does not know it (every call's does).
func nowOf(st StateReader) uint64 {
	if hr, ok := st.(heightReader); ok {
		return hr.BlockNumber()
	}
	return 0
}

// attestGas prices attest(id, height, hash, valid, sig) from caller.
func attestGas(g *Gateway, st StateReader, caller common.Address, args []any) uint64 {
	gas := uint64(gasRead * 16) // resolve, frozen, the record's fields
	name, height, valid := g.childName(args), args[1].(uint64), args[3].(bool)
	if name == "" || !exists(st, name) {
		return gas
	}
	h, ok := heldAt(st, name, height)
	now := nowOf(st)
	if _, _, open := juryRound(h.u64(st, hStart), now); !ok || !open || h.state(st) != JuryPending {
		return gas
	}
	seats, draw := priceRound(st, h, now)
	gas += draw
	votes, blob := h.votes(st)
	mine := 0
	for _, a := range seats {
		if a == caller {
			mine++
		}
	}
	if _, voted := votes[caller]; mine == 0 || voted {
		return gas
	}
	gas += gasRead*(uint64(jurorFields)+blobSlots(len(blob))) + gasBLSKey + gasBLSVerify +
		gasWrite*(blobSlots(len(blob)+common.AddressLength+1)+1) + gasEvent
	votes[caller] = valid
	yes, no := tally(seats, votes)
	switch {
	case 2*yes > len(seats):
		gas += gasWrite + gasEvent + releaseGas(st, g.subnet, name, func(r heldRef) bool { return r == h })
	case 2*no > len(seats):
		gas += gasWrite + gasEvent
	}
	return gas
}

// releaseCheckpointsGas prices releaseCheckpoints(id): the rounds it
// draws, then the releases.
func releaseCheckpointsGas(g *Gateway, st StateReader, _ Call, args []any) uint64 {
	gas := uint64(gasRead * 8)
	name := g.childName(args)
	if name == "" || !exists(st, name) || getU64(st, name, fHeldFrom) == 0 {
		return gas
	}
	from, last, period, now := getU64(st, name, fHeldFrom), getU64(st, name, fLastCkptHeight), getU64(st, name, fCheckpointPeriod), nowOf(st)
	lapsed := map[heldRef]bool{}
	for i, height := 0, from; i < MaxJuryBatch && height <= last; i, height = i+1, height+period {
		h := heldRef{name, height / period}
		gas += gasRead * 3
		if _, _, ok := juryRound(h.u64(st, hStart), now); ok && h.state(st) == JuryPending {
			seats, draw := priceRound(st, h, now)
			gas += draw
			lapsed[h] = draw > 0 && len(seats) == 0
		}
	}
	return gas + releaseGas(st, g.subnet, name, func(h heldRef) bool { return lapsed[h] })
}

// releaseGas prices releaseHeld(name, MaxJuryBatch) on the chain self,
// counting also as agreed the checkpoints the call itself makes agreed.
func releaseGas(st StateReader, self types.SubnetID, name string, agreedNow func(heldRef) bool) uint64 {
	period := getU64(st, name, fCheckpointPeriod)
	last := getU64(st, name, fLastCkptHeight)
	gas := uint64(0)
	for i, height := 0, getU64(st, name, fHeldFrom); height != 0 && height <= last && i < MaxJuryBatch; i, height = i+1, height+period {
		h := heldRef{name, height / period}
		if h.state(st) != JuryAgreed && !agreedNow(h) {
			break
		}
		blob := readBlob(st, heldMsgsSlot(name, h.k))
		gas += gasRead*(12+blobSlots(len(blob))) + gasWrite*(10+blobSlots(len(blob))) + gasEvent
		due, slots := releasesDue(st, name, h.u64(st, hApplied), false)
		gas += (gasPayout+gasEvent)*due + gasWrite*slots
		var msgs []CrossMsg
		if rlp.DecodeBytes(blob, &msgs) == nil {
			for _, m := range msgs {
				gas += routeGas(st, self, m)
			}
		}
	}
	return gas
}

// holdGas prices holding a checkpoint with msgs bytes of messages.
func holdGas(st StateReader, name string, cp *types.Checkpoint) uint64 {
	k := cp.Height / max(getU64(st, name, fCheckpointPeriod), 1)
	old := len(readBlob(st, jurySeatsSlot(name, k))) + len(readBlob(st, juryVotesSlot(name, k)))
	return gasHeldRecord + gasHash + gasRead*4 + gasWrite*(blobSlots(len(mustRLP(cp.Messages)))+blobSlots(old)+2) + gasEvent
}
