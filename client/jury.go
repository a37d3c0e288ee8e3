package client

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// Typed views of the jury (CROSSNET.md, "Jury"): the pool of a chain's
// gateway, a child's jury size, its held checkpoints and their juries.

// JurorEntry is one entry of a chain's jury pool (IGateway.jurors).
type JurorEntry struct {
	Account common.Address
	Bond    *big.Int // wei at stake (0 once slashed)
	LeftAt  uint64   // parent height of its leave or slash; 0 while bonded
}

// Jurors reads jurors(): every entry of the pool, unbonding ones included.
func (g *Gateway) Jurors(ctx context.Context) ([]JurorEntry, error) {
	out, err := g.Call(ctx, "jurors")
	if err != nil {
		return nil, err
	}
	return DecodeJurors(out)
}

// DecodeJurors converts the unpacked result of jurors().
func DecodeJurors(out []any) ([]JurorEntry, error) {
	if len(out) != 3 {
		return nil, fmt.Errorf("jurors(): %d results, want 3: %w", len(out), ErrUnexpectedResult)
	}
	accounts, ok1 := out[0].([]common.Address)
	bonds, ok2 := out[1].([]*big.Int)
	left, ok3 := out[2].([]uint64)
	if !ok1 || !ok2 || !ok3 || len(bonds) != len(accounts) || len(left) != len(accounts) {
		return nil, fmt.Errorf("jurors(): %w", ErrUnexpectedResult)
	}
	res := make([]JurorEntry, len(accounts))
	for i := range accounts {
		res[i] = JurorEntry{Account: accounts[i], Bond: bonds[i], LeftAt: left[i]}
	}
	return res, nil
}

// JuryFor reads juryFor(id): the seats of the child's jury (0: none).
func (g *Gateway) JuryFor(ctx context.Context, id types.SubnetID) (uint32, error) {
	out, err := g.Call(ctx, "juryFor", string(id))
	if err != nil {
		return 0, err
	}
	seats, ok := out[0].(uint32)
	if !ok {
		return 0, fmt.Errorf("juryFor(): %w", ErrUnexpectedResult)
	}
	return seats, nil
}

// HeldCheckpoint is the oldest checkpoint of a child whose payouts its
// jury holds (IGateway.heldCheckpoint); Height 0: none is held.
type HeldCheckpoint struct {
	Height      uint64
	Hash        common.Hash // the checkpoint's hash, as attest names it
	CommittedAt uint64      // parent height of its commit
	State       gateway.JuryState
}

// HeldCheckpoint reads heldCheckpoint(id).
func (g *Gateway) HeldCheckpoint(ctx context.Context, id types.SubnetID) (HeldCheckpoint, error) {
	out, err := g.Call(ctx, "heldCheckpoint", string(id))
	if err != nil {
		return HeldCheckpoint{}, err
	}
	return DecodeHeldCheckpoint(out)
}

// DecodeHeldCheckpoint converts the unpacked result of heldCheckpoint(id).
func DecodeHeldCheckpoint(out []any) (HeldCheckpoint, error) {
	if len(out) != 4 {
		return HeldCheckpoint{}, fmt.Errorf("heldCheckpoint(): %d results, want 4: %w", len(out), ErrUnexpectedResult)
	}
	height, ok1 := out[0].(uint64)
	hash, ok2 := out[1].([32]byte)
	at, ok3 := out[2].(uint64)
	state, ok4 := out[3].(uint8)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return HeldCheckpoint{}, fmt.Errorf("heldCheckpoint(): %w", ErrUnexpectedResult)
	}
	return HeldCheckpoint{Height: height, Hash: hash, CommittedAt: at, State: gateway.JuryState(state)}, nil
}

// JuryRound is the jury of a held checkpoint in the round open at the
// block a view ran in (IGateway.jury).
type JuryRound struct {
	Round uint64
	Seats []common.Address // a juror drawn twice holds two seats
	Votes []gateway.JuryVote
	State gateway.JuryState
}

// Jury reads jury(id, height). It fails (with the gateway's reason) for a
// checkpoint that is not held, or whose jury is drawn from a later block.
func (g *Gateway) Jury(ctx context.Context, id types.SubnetID, height uint64) (JuryRound, error) {
	out, err := g.Call(ctx, "jury", string(id), height)
	if err != nil {
		return JuryRound{}, err
	}
	return DecodeJuryRound(out)
}

// DecodeJuryRound converts the unpacked result of jury(id, height).
func DecodeJuryRound(out []any) (JuryRound, error) {
	if len(out) != 5 {
		return JuryRound{}, fmt.Errorf("jury(): %d results, want 5: %w", len(out), ErrUnexpectedResult)
	}
	round, ok1 := out[0].(uint64)
	seats, ok2 := out[1].([]common.Address)
	attesters, ok3 := out[2].([]common.Address)
	verdicts, ok4 := out[3].([]bool)
	state, ok5 := out[4].(uint8)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || len(verdicts) != len(attesters) {
		return JuryRound{}, fmt.Errorf("jury(): %w", ErrUnexpectedResult)
	}
	r := JuryRound{Round: round, Seats: seats, State: gateway.JuryState(state), Votes: []gateway.JuryVote{}}
	for i, a := range attesters {
		r.Votes = append(r.Votes, gateway.JuryVote{Account: a, Valid: verdicts[i]})
	}
	return r, nil
}

// SeatsAttested counts the seats of r whose juror attested, valid or not:
// a majority of either kind decides.
func (r JuryRound) SeatsAttested() (valid, invalid int) {
	verdict := map[common.Address]bool{}
	voted := map[common.Address]bool{}
	for _, v := range r.Votes {
		verdict[v.Account], voted[v.Account] = v.Valid, true
	}
	for _, s := range r.Seats {
		switch {
		case !voted[s]:
		case verdict[s]:
			valid++
		default:
			invalid++
		}
	}
	return valid, invalid
}

// JuryStateName names a jury state as the CLI and JSON print it.
func JuryStateName(s gateway.JuryState) string {
	switch s {
	case gateway.JuryPending:
		return "pending"
	case gateway.JuryAgreed:
		return "agreed"
	case gateway.JuryRejected:
		return "rejected"
	case gateway.JuryReleased:
		return "released"
	}
	return fmt.Sprintf("state %d", uint8(s))
}
