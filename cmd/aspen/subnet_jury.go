package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// checkJurySeats refuses a jury size the gateway would refuse (nil: not
// set); the gateway checks again, and alone knows the subnet's status.
func checkJurySeats(seats *uint32, e gateway.Engine) error {
	switch {
	case seats == nil:
		return nil
	case *seats > gateway.MaxJurySeats:
		return fmt.Errorf("--jury %d: a jury has at most %d seats", *seats, gateway.MaxJurySeats)
	case *seats > 0 && e == gateway.EnginePoW:
		return fmt.Errorf("--jury %d: a pow subnet's checkpoints are proven by work, not signed by a quorum, so it has no jury; drop --jury", *seats)
	}
	return nil
}

// readSubnetJury adds the jury size and the oldest held checkpoint of id
// to v (PoW subnets have no jury).
func readSubnetJury(ctx context.Context, g *client.Gateway, id types.SubnetID, v *subnetView) error {
	seats, err := g.JuryFor(ctx, id)
	if err != nil {
		return err
	}
	v.JurySeats = &seats
	v.HeldCheckpoint, err = readHeld(ctx, g, id)
	return err
}

func printSubnetJury(w io.Writer, v subnetView) {
	if v.JurySeats == nil {
		return
	}
	if *v.JurySeats == 0 {
		fmt.Fprintf(w, "  jury                none\n")
	} else {
		fmt.Fprintf(w, "  jury                %d seats (once jurors bond on the parent)\n", *v.JurySeats)
	}
	if h := v.HeldCheckpoint; h != nil {
		fmt.Fprintf(w, "  held for its jury   from checkpoint %d (committed in block %d, %s): `aspen jury show %s`\n", h.Height, h.CommittedAt, h.State, v.ID)
	}
}

// setJuryResult is what subnet jury prints with --json.
type setJuryResult struct {
	ID       string      `json:"id"`
	Seats    uint32      `json:"seats"`
	Previous uint32      `json:"previous"`
	Tx       common.Hash `json:"tx"`
	Block    uint64      `json:"block"`
}

// parseJurySeats reads the SEATS argument of subnet jury.
func parseJurySeats(arg string) (uint32, error) {
	n, err := strconv.ParseUint(arg, 10, 32)
	if err != nil || n > gateway.MaxJurySeats {
		return 0, fmt.Errorf("%q: give the jury's seats, 0 (no jury) to %d", arg, gateway.MaxJurySeats)
	}
	return uint32(n), nil
}

func subnetJuryCmd() *cobra.Command {
	var f gwFlags
	cmd := &cobra.Command{
		Use:   "jury ID SEATS --home DIR",
		Short: "Set the seats of a subnet's jury (its creator; any size while registered, only more once active)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := childID(args[0])
			if err != nil {
				return err
			}
			seats, err := parseJurySeats(args[1])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			g, _, err := parentGateway(ctx, cmd, &f, id, true)
			if err != nil {
				return err
			}
			defer g.Close()
			prev, err := g.JuryFor(ctx, id)
			if err != nil {
				return err
			}
			tx, err := transactShowing(ctx, cmd, &f, g, "setJury", nil, string(id), seats)
			if err != nil {
				return err
			}
			res := setJuryResult{ID: string(id), Seats: seats, Previous: prev, Tx: tx.Hash, Block: tx.Receipt.BlockNumber.Uint64()}
			if f.asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: jury of %d seats (was %d), from checkpoints committed after block %d (tx %s)\n", res.ID, res.Seats, res.Previous, res.Block, res.Tx)
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}
