package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/types"
)

// heldCheckEvery is how often xfer status, while a message waits to go up
// a level, asks the parent whether the child's checkpoints are held for
// their jury (a held checkpoint's messages are not routed yet).
const heldCheckEvery = 3 * time.Second

// waitHop waits until r's message has passed chain. held (nil for a hop
// down) says why it has not yet; note gets each new answer.
func waitHop(ctx context.Context, tr *client.Tracker, r *client.Route, chain types.SubnetID, held func(context.Context) string, note func(string)) (client.Hop, error) {
	if held == nil {
		return tr.Wait(ctx, r, chain)
	}
	last := ""
	for {
		slice, cancel := context.WithTimeout(ctx, heldCheckEvery)
		h, err := tr.Wait(slice, r, chain)
		cancel()
		if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return h, err
		}
		if s := held(ctx); s != last {
			last = s
			note(s)
		}
	}
}

// heldNote reads from parent's gateway g whether the checkpoint of child
// that carries a message sent (or forwarded) in child's block is committed
// but held for its jury: "" if not, or if it cannot tell.
func heldNote(ctx context.Context, g *client.Gateway, child types.SubnetID, block uint64) string {
	info, err := g.Subnet(ctx, child)
	if err != nil {
		return ""
	}
	held, err := g.HeldCheckpoint(ctx, child)
	if err != nil {
		return ""
	}
	var round *client.JuryRound
	if held.Height > 0 {
		if r, err := g.Jury(ctx, child, held.Height); err == nil {
			round = &r
		}
	}
	return heldMessage(child, block, info.LastCheckpointHeight, held, round)
}

// heldMessage explains a message that left child in block and waits on a
// held checkpoint: checkpoints up to last are committed, and from held's
// height on they wait for their jury (round: the oldest's, if known).
func heldMessage(child types.SubnetID, block, last uint64, held client.HeldCheckpoint, round *client.JuryRound) string {
	if held.Height == 0 || last < block {
		return "" // nothing held, or the message's checkpoint is not committed yet
	}
	s := fmt.Sprintf("its checkpoint is committed but held for the jury of %s (held from height %d, committed in block %d", child, held.Height, held.CommittedAt)
	if round != nil {
		valid, invalid := round.SeatsAttested()
		s += fmt.Sprintf(": %s, round %d, %d of %d seats valid, %d invalid", client.JuryStateName(round.State), round.Round, valid, len(round.Seats), invalid)
	}
	return s + fmt.Sprintf("); see `aspen jury show %s`", child)
}
