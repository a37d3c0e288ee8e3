package gateway

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// What a juror's node reads of the parent's state to find the checkpoints
// it must judge (HeldCheckpoints), its seats (JurySeats) and what to sign
// (AttestationBytes), and the IGateway views over the same.

// HeldCheckpoint is a checkpoint whose payouts wait for its jury.
type HeldCheckpoint struct {
	Height      uint64
	Hash        common.Hash
	StateRoot   common.Hash
	CommittedAt uint64 // parent height of its commit: its jury's round 0 is seeded by this block's hash
	Seats       uint64
	State       JuryState
	Messages    uint64
	Value       *big.Int // wei its messages carry
}

func readHeld(st StateReader, h heldRef) HeldCheckpoint {
	return HeldCheckpoint{
		Height: h.u64(st, hHeight), Hash: h.word(st, hHash), StateRoot: h.word(st, hRoot), CommittedAt: h.u64(st, hStart),
		Seats: h.u64(st, hSeats), State: h.state(st), Messages: h.u64(st, hMessages), Value: wordBig(h.word(st, hTotal)),
	}
}

// HeldCheckpoints returns the checkpoints of the child id of the chain self
// whose payouts its jury holds, oldest first (at most MaxHeldCheckpoints).
// None on a frozen child: they will never be released.
func HeldCheckpoints(st StateReader, self, id types.SubnetID) ([]HeldCheckpoint, error) {
	name, err := childName(self, id)
	if err != nil {
		return nil, err
	}
	if !exists(st, name) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownSubnet, id)
	}
	from, last, period := getU64(st, name, fHeldFrom), getU64(st, name, fLastCkptHeight), getU64(st, name, fCheckpointPeriod)
	if from == 0 || period == 0 || frozen(st, name) != "" {
		return nil, nil
	}
	var out []HeldCheckpoint
	for height := from; height <= last && len(out) < MaxHeldCheckpoints; height += period {
		out = append(out, readHeld(st, heldRef{name, height / period}))
	}
	return out, nil
}

// JurySeat is one seat of a jury: the juror's account and the key its
// attestation must verify under. A juror drawn twice holds two seats.
type JurySeat struct {
	Account      common.Address
	BLSPublicKey []byte
}

// JuryVote is a juror's attestation of a checkpoint.
type JuryVote struct {
	Account common.Address
	Valid   bool
}

// JuryRound is the jury of a checkpoint in the round open at a parent block.
type JuryRound struct {
	Round     uint64
	SeedBlock uint64 // the parent block whose hash seeds it
	Closes    uint64 // the last parent block that takes its attestations
	Seats     []JurySeat
	Votes     []JuryVote // every attestation of the checkpoint, any round
	State     JuryState
}

// JurySeats returns the jury of the checkpoint at height of the child id of
// the chain self for an attestation in parent block at, reading state st
// (of any block from the checkpoint's commit to at-1) and the hashes of
// self's blocks from hashes (the canonical chain's). An attestation sent for
// block at must land by Closes, or it meets the next round's jury.
func JurySeats(st StateReader, hashes func(uint64) common.Hash, self, id types.SubnetID, height, at uint64) (JuryRound, error) {
	name, err := childName(self, id)
	if err != nil {
		return JuryRound{}, err
	}
	h, ok := heldAt(st, name, height)
	if !exists(st, name) || !ok {
		return JuryRound{}, fmt.Errorf("gateway: %s has no checkpoint at height %d recorded for a jury", id, height)
	}
	start := h.u64(st, hStart)
	round, seedBlock, ok := juryRound(start, at)
	if !ok {
		return JuryRound{}, fmt.Errorf("gateway: the jury of checkpoint %d of %s is drawn from the hash of parent block %d; ask for a later block than %d", height, id, start, at)
	}
	var seats []common.Address
	if h.u64(st, hRound) == round+1 {
		seats = h.seats(st)
	} else {
		seats = drawSeats(st, roundSeed(h.word(st, hSeedBase), round, hashes(seedBlock)), seedBlock, h.u64(st, hSeats))
	}
	out := JuryRound{Round: round, SeedBlock: seedBlock, Closes: seedBlock + JuryWindow, State: h.state(st)}
	keys := map[common.Address][]byte{}
	for _, a := range seats {
		if keys[a] == nil {
			j, _ := readJuror(st, a)
			keys[a] = j.BLSPublicKey
		}
		out.Seats = append(out.Seats, JurySeat{a, keys[a]})
	}
	_, blob := h.votes(st)
	for i := 0; i+common.AddressLength+1 <= len(blob); i += common.AddressLength + 1 {
		out.Votes = append(out.Votes, JuryVote{common.BytesToAddress(blob[i : i+common.AddressLength]), blob[i+common.AddressLength] == 1})
	}
	return out, nil
}

// JuryFor is the jury size of the child id of the chain self (0: none).
func JuryFor(st StateReader, self, id types.SubnetID) uint64 {
	name, err := childName(self, id)
	if err != nil || !exists(st, name) {
		return 0
	}
	return juryFor(st, name)
}

// jurorsView is IGateway.jurors.
func (x *call) jurorsView() []any {
	var accounts []common.Address
	var bonds []*big.Int
	var until []uint64
	for _, j := range ReadJurors(x.st) {
		accounts, bonds, until = append(accounts, j.Account), append(bonds, j.Bond), append(until, j.Until)
	}
	return []any{accounts, bonds, until}
}

// heldView is IGateway.heldCheckpoint: the oldest held checkpoint of id.
func (x *call) heldView(id string) ([]any, error) {
	name, err := x.resolve(id)
	if err != nil {
		return nil, err
	}
	from := getU64(x.st, name, fHeldFrom)
	if from == 0 {
		return []any{uint64(0), [32]byte{}, uint64(0), uint8(0)}, nil
	}
	c := readHeld(x.st, heldRef{name, from / getU64(x.st, name, fCheckpointPeriod)})
	return []any{c.Height, [32]byte(c.Hash), c.CommittedAt, uint8(c.State)}, nil
}

// juryView is IGateway.jury: the jury of the checkpoint at height of id in
// the round of the block being executed, and every attestation of it.
func (x *call) juryView(id string, height uint64) ([]any, error) {
	name, err := x.resolve(id)
	if err != nil {
		return nil, err
	}
	r, err := JurySeats(x.st, func(n uint64) common.Hash { return blockHash(x.st, n) }, x.g.subnet, types.SubnetID(x.id(name)), height, x.st.BlockNumber())
	if err != nil {
		return nil, reverted("%v", err)
	}
	seats, attesters, verdicts := []common.Address{}, []common.Address{}, []bool{}
	for _, s := range r.Seats {
		seats = append(seats, s.Account)
	}
	for _, v := range r.Votes {
		attesters, verdicts = append(attesters, v.Account), append(verdicts, v.Valid)
	}
	return []any{r.Round, seats, attesters, verdicts, uint8(r.State)}, nil
}
