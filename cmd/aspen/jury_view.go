package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// jurorView is one entry of a pool as jury list prints it.
type jurorView struct {
	Account common.Address `json:"account"`
	Bond    string         `json:"bond"`  // coins at stake
	State   string         `json:"state"` // bonded | leaving | withdrawable | slashed
	LeftAt  uint64         `json:"leftAt,omitempty"`
	// WithdrawableFrom is the earliest block of the withdrawal: the juror's
	// attestations after its leave push it later.
	WithdrawableFrom uint64 `json:"withdrawableFrom,omitempty"`
}

// jurorsResult is what jury list prints with --json.
type jurorsResult struct {
	Chain  string      `json:"chain"`
	Block  uint64      `json:"block"`  // the chain's head when it was read
	Bonded string      `json:"bonded"` // coins of the bonded jurors, the weight of every draw
	Jurors []jurorView `json:"jurors"`
}

// jurorsView turns the pool read at block head into its view.
func jurorsView(chain types.SubnetID, head uint64, entries []client.JurorEntry) jurorsResult {
	res := jurorsResult{Chain: string(chain), Block: head, Jurors: []jurorView{}}
	bonded := new(big.Int)
	for _, e := range entries {
		v := jurorView{Account: e.Account, Bond: formatCoins(e.Bond), State: "bonded", LeftAt: e.LeftAt}
		if e.LeftAt == 0 {
			bonded.Add(bonded, e.Bond)
			res.Jurors = append(res.Jurors, v)
			continue
		}
		v.WithdrawableFrom = e.LeftAt + gateway.JuryUnbonding + 1
		switch {
		case e.Bond.Sign() == 0:
			v.State = "slashed"
		case head >= v.WithdrawableFrom:
			v.State = "withdrawable"
		default:
			v.State = "leaving"
		}
		res.Jurors = append(res.Jurors, v)
	}
	res.Bonded = formatCoins(bonded)
	return res
}

func printJurors(w io.Writer, res jurorsResult) {
	if len(res.Jurors) == 0 {
		fmt.Fprintf(w, "Nobody is bonded as a juror on %s: its children's checkpoints pay out at commit.\nBond with: aspen jury join --chain %s --bond 1 --home DIR\n", res.Chain, res.Chain)
		return
	}
	fmt.Fprintf(w, "Jury pool of %s at block %d: %d entries, %s coins bonded\n", res.Chain, res.Block, len(res.Jurors), res.Bonded)
	fmt.Fprintf(w, "%-42s %12s  %s\n", "JUROR", "BOND", "STATE")
	for _, j := range res.Jurors {
		state := j.State
		switch j.State {
		case "leaving":
			state = fmt.Sprintf("leaving since block %d, withdrawable from block %d", j.LeftAt, j.WithdrawableFrom)
		case "withdrawable":
			state = fmt.Sprintf("withdrawable (left in block %d)", j.LeftAt)
		case "slashed":
			state = fmt.Sprintf("slashed in block %d", j.LeftAt)
		}
		fmt.Fprintf(w, "%-42s %12s  %s\n", j.Account, j.Bond, state)
	}
}

func juryListCmd() *cobra.Command {
	var f gwFlags
	var chain string
	cmd := &cobra.Command{
		Use:   "list --chain CHAIN --home DIR",
		Short: "List the jurors bonded on a chain: bonds, and who is leaving or may withdraw",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.node()
			if err != nil {
				return err
			}
			id, err := juryChain(cfg, chain)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			g, _, err := chainGateway(ctx, cmd, &f, id, false)
			if err != nil {
				return err
			}
			defer g.Close()
			if id, err = g.SubnetID(ctx); err != nil {
				return err
			}
			head, err := g.BlockNumber(ctx)
			if err != nil {
				return err
			}
			entries, err := g.Jurors(ctx)
			if err != nil {
				return err
			}
			res := jurorsView(id, head, entries)
			if f.asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			printJurors(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&chain, "chain", "", "the chain whose pool to list (default: the home's root chain)")
	return cmd
}

// heldSummary is a held checkpoint as heldCheckpoint(id) gives the oldest.
type heldSummary struct {
	Height uint64 `json:"height"`
	// CheckpointHash is what attest names; the views give it for the
	// oldest held checkpoint only.
	CheckpointHash *common.Hash `json:"checkpointHash,omitempty"`
	CommittedAt    uint64       `json:"committedAt,omitempty"` // parent block of its commit
	State          string       `json:"state"`                 // pending | agreed | rejected | released
}

// heldView is a held checkpoint and its current jury, as jury show prints it.
type heldView struct {
	heldSummary
	BlockHash    *common.Hash     `json:"blockHash,omitempty"` // the child's block at Height (CheckpointCommitted)
	Round        uint64           `json:"round"`
	Seats        []common.Address `json:"seats"`
	Votes        []voteView       `json:"votes"`
	SeatsValid   int              `json:"seatsValid"`
	SeatsInvalid int              `json:"seatsInvalid"`
	Note         string           `json:"note,omitempty"` // why its jury could not be read
}

type voteView struct {
	Juror common.Address `json:"juror"`
	Valid bool           `json:"valid"`
}

// juryShowResult is what jury show prints with --json.
type juryShowResult struct {
	ID                   string     `json:"id"`
	Parent               string     `json:"parent"`
	Seats                uint32     `json:"seats"`
	JurorsBonded         int        `json:"jurorsBonded"` // on the parent; none: nothing is held from now on
	LastCheckpointHeight uint64     `json:"lastCheckpointHeight"`
	Held                 []heldView `json:"held"`
}

// readHeld reads the oldest held checkpoint of id, or nil if none is held.
func readHeld(ctx context.Context, g *client.Gateway, id types.SubnetID) (*heldSummary, error) {
	h, err := g.HeldCheckpoint(ctx, id)
	if err != nil || h.Height == 0 {
		return nil, err
	}
	return &heldSummary{Height: h.Height, CheckpointHash: &h.Hash, CommittedAt: h.CommittedAt, State: client.JuryStateName(h.State)}, nil
}

// readJuryShow reads the jury of id from its parent's gateway g: the held
// checkpoints run from the oldest to the last committed, one per period.
func readJuryShow(ctx context.Context, g *client.Gateway, id types.SubnetID) (juryShowResult, error) {
	res := juryShowResult{ID: string(id), Parent: string(id.Parent()), Held: []heldView{}}
	info, err := g.Subnet(ctx, id)
	if err != nil {
		return res, err
	}
	res.LastCheckpointHeight = info.LastCheckpointHeight
	if res.Seats, err = g.JuryFor(ctx, id); err != nil {
		return res, err
	}
	pool, err := g.Jurors(ctx)
	if err != nil {
		return res, err
	}
	for _, j := range pool {
		if j.LeftAt == 0 {
			res.JurorsBonded++
		}
	}
	oldest, err := readHeld(ctx, g, id)
	if err != nil || oldest == nil {
		return res, err
	}
	commits, err := checkpointCommits(ctx, g, id, oldest.CommittedAt)
	if err != nil {
		return res, err
	}
	period := uint64(max(info.Params.CheckpointPeriod, 1))
	for height := oldest.Height; height <= info.LastCheckpointHeight && len(res.Held) < gateway.MaxHeldCheckpoints; height += period {
		v := heldView{heldSummary: heldSummary{Height: height}, Seats: []common.Address{}, Votes: []voteView{}}
		if height == oldest.Height {
			v.heldSummary = *oldest
		}
		if c, ok := commits[height]; ok {
			v.CommittedAt, v.BlockHash = c.block, &c.hash
		}
		r, err := g.Jury(ctx, id, height)
		if err != nil {
			v.Note = err.Error()
		} else {
			v.State, v.Round, v.Seats = client.JuryStateName(r.State), r.Round, r.Seats
			for _, vote := range r.Votes {
				v.Votes = append(v.Votes, voteView{vote.Account, vote.Valid})
			}
			v.SeatsValid, v.SeatsInvalid = r.SeatsAttested()
		}
		res.Held = append(res.Held, v)
	}
	return res, nil
}

type commitLog struct {
	block uint64
	hash  common.Hash
}

// checkpointCommits maps the heights of id's checkpoints committed from
// block from on to their CheckpointCommitted.
func checkpointCommits(ctx context.Context, g *client.Gateway, id types.SubnetID, from uint64) (map[uint64]commitLog, error) {
	logs, err := g.Events(ctx, "CheckpointCommitted", from)
	if err != nil {
		return nil, err
	}
	out := map[uint64]commitLog{}
	for _, l := range logs {
		child, _ := l.Values["childId"].(string)
		height, _ := l.Values["height"].(uint64)
		hash, _ := l.Values["blockHash"].([32]byte)
		if child == string(id) {
			out[height] = commitLog{l.Block, hash}
		}
	}
	return out, nil
}

func printJuryShow(w io.Writer, res juryShowResult) {
	switch {
	case res.Seats == 0:
		fmt.Fprintf(w, "%s has no jury: its checkpoints pay out at commit\n", res.ID)
	case res.JurorsBonded == 0:
		fmt.Fprintf(w, "%s: jury of %d seats, but nobody is bonded on %s, so its checkpoints pay out at commit\n", res.ID, res.Seats, res.Parent)
	default:
		fmt.Fprintf(w, "%s: jury of %d seats, drawn from %d jurors bonded on %s\n", res.ID, res.Seats, res.JurorsBonded, res.Parent)
	}
	if len(res.Held) == 0 {
		fmt.Fprintf(w, "  no checkpoint held (last committed: height %d)\n", res.LastCheckpointHeight)
		return
	}
	fmt.Fprintf(w, "  %d checkpoints held, oldest first (last committed: height %d)\n", len(res.Held), res.LastCheckpointHeight)
	for _, h := range res.Held {
		fmt.Fprintf(w, "  height %d  committed in block %d  %s", h.Height, h.CommittedAt, h.State)
		if h.Note != "" {
			fmt.Fprintf(w, "\n      jury: %s\n", h.Note)
			continue
		}
		fmt.Fprintf(w, "  round %d: %d of %d seats valid, %d invalid\n", h.Round, h.SeatsValid, len(h.Seats), h.SeatsInvalid)
		if h.CheckpointHash != nil {
			fmt.Fprintf(w, "      checkpoint %s\n", *h.CheckpointHash)
		}
		if h.BlockHash != nil {
			fmt.Fprintf(w, "      block      %s\n", *h.BlockHash)
		}
		if len(h.Seats) > 0 {
			fmt.Fprintf(w, "      seats      %s\n", joinAddrs(h.Seats))
		}
		for _, v := range h.Votes {
			verdict := "invalid"
			if v.Valid {
				verdict = "valid"
			}
			fmt.Fprintf(w, "      attested   %s %s\n", v.Juror, verdict)
		}
	}
}

// joinAddrs lists seats compactly: a juror drawn n times once, with ×n.
func joinAddrs(as []common.Address) string {
	count := map[common.Address]int{}
	var order []common.Address
	for _, a := range as {
		if count[a] == 0 {
			order = append(order, a)
		}
		count[a]++
	}
	s := make([]string, len(order))
	for i, a := range order {
		s[i] = a.Hex()
		if count[a] > 1 {
			s[i] += fmt.Sprintf(" ×%d", count[a])
		}
	}
	return strings.Join(s, ", ")
}

func juryShowCmd() *cobra.Command {
	var f gwFlags
	cmd := &cobra.Command{
		Use:   "show ID --home DIR",
		Short: "Print a subnet's jury size and its held checkpoints with their juries and attestations",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := childID(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			g, _, err := parentGateway(ctx, cmd, &f, id, false)
			if err != nil {
				return err
			}
			defer g.Close()
			res, err := readJuryShow(ctx, g, id)
			if err != nil {
				return err
			}
			if f.asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			printJuryShow(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}
