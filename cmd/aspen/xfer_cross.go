package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/internal/progress"
	"github.com/aspen-chain/aspen/types"
)

// sentMessage turns a receipt's CrossMsgSent into the result xfer prints.
func sentMessage(g *client.Gateway, tx *client.SentTx, method string) (fundResult, error) {
	res := fundResult{From: g.From(), Tx: tx.Hash, Block: tx.Receipt.BlockNumber.Uint64()}
	ev, topics, ok := g.Event(tx.Receipt, "CrossMsgSent")
	if !ok || len(topics) == 0 {
		return res, fmt.Errorf("%s: transaction %s succeeded but emitted no CrossMsgSent event; is %s an Aspen gateway?", method, tx.Hash, g.URL())
	}
	res.MsgID = topics[0]
	res.Nonce, _ = ev["nonce"].(uint64)
	res.Src, _ = ev["src"].(string)
	res.Dst, _ = ev["dst"].(string)
	res.To, _ = ev["to"].(common.Address)
	return res, nil
}

func printSent(cmd *cobra.Command, asJSON bool, res fundResult) error {
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Sent %s coins from %s on %s to %s on %s\n  msg ID  %s\n  nonce   %d\n  tx      %s (block %d)\n  follow  aspen xfer status %s --src %s\n",
		res.Value, res.From, res.Src, res.To, res.Dst, res.MsgID, res.Nonce, res.Tx, res.Block, res.MsgID, res.Src)
	return nil
}

func xferReleaseCmd() *cobra.Command {
	var f gwFlags
	var to, value string
	cmd := &cobra.Command{
		Use:   "release SUBNET --to 0xADDRESS --value COINS --home DIR",
		Short: "Send coins from a subnet to an account on its parent",
		Long: "release calls SUBNET's gateway: the value leaves the subnet at once and its parent pays it out\n" +
			"when it commits the subnet's next checkpoint (every checkpointPeriod blocks).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := childID(args[0])
			if err != nil {
				return err
			}
			return sendCross(cmd, &f, id, "release", to, value, func(to common.Address) []any { return []any{to} })
		},
	}
	registerTransfer(cmd, &f, &to, &value, "recipient account on the parent (required)", true)
	return cmd
}

func xferSendCmd() *cobra.Command {
	var f gwFlags
	var src, to, value, data string
	cmd := &cobra.Command{
		Use:   "send DST --src SUBNET --to 0xADDRESS [--value COINS] [--data 0xCALLDATA] --home DIR",
		Short: "Send coins and/or a contract call from one subnet to any other in the tree",
		Long: "send calls the source subnet's gateway; the message goes up to the lowest common ancestor and\n" +
			"down to DST, hop by hop, exactly once. With --data it calls --to there (msg.sender is the gateway,\n" +
			"crossMsgOrigin() names the source); if that call reverts, the value comes back to you.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dst, err := types.ParseSubnetID(args[0])
			if err != nil {
				return fmt.Errorf("%q: %w (a subnet ID is a path such as /devnet/games)", args[0], err)
			}
			from, err := types.ParseSubnetID(src)
			if err != nil {
				return fmt.Errorf("--src %q: %w", src, err)
			}
			var calldata []byte
			if data != "" {
				if calldata, err = hexutil.Decode(data); err != nil {
					return fmt.Errorf("--data %q is not 0x-prefixed hex: %w", data, err)
				}
			}
			if value == "" {
				value = "0"
			}
			if err := checkDestination(cmd, &f, from, dst); err != nil {
				return err
			}
			return sendCross(cmd, &f, from, "send", to, value, func(to common.Address) []any {
				return []any{string(dst), to, calldata}
			})
		},
	}
	registerTransfer(cmd, &f, &to, &value, "recipient account or contract on DST (required)", false)
	cmd.Flags().StringVar(&src, "src", "", "the subnet the message leaves from (required)")
	cmd.Flags().StringVar(&data, "data", "", "call data for --to on DST, 0x-prefixed")
	_ = cmd.MarkFlagRequired("src")
	return cmd
}

// checkDestination refuses a send whose destination the lowest common
// ancestor of src and dst shows missing or killed (client.CheckDestination).
// When that ancestor's gateway cannot be asked here (--rpc names a single
// chain), the send goes ahead and the hop that finds dst missing refunds it.
func checkDestination(cmd *cobra.Command, f *gwFlags, src, dst types.SubnetID) error {
	lca, ok := src.CommonAncestor(dst)
	if !ok || lca == dst {
		return nil
	}
	ctx := cmd.Context()
	g, _, err := chainGateway(ctx, cmd, f, lca, false)
	if err != nil {
		return nil // sendCross reports what is wrong with the flags
	}
	defer g.Close()
	if id, err := g.SubnetID(ctx); err != nil || id != lca {
		return nil
	}
	if err := g.CheckDestination(ctx, src, dst); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// sendCross calls method on chain's gateway with value (fund: the parent's;
// release and send: the source's) and prints the message it sent.
// args gives the gateway method's arguments for the recipient.
func sendCross(cmd *cobra.Command, f *gwFlags, chain types.SubnetID, method, to, value string, args func(common.Address) []any) error {
	if !common.IsHexAddress(to) {
		return fmt.Errorf("--to %q is not an address; give 0x and 40 hex digits", to)
	}
	wei, err := parseCoins(value)
	if err != nil {
		return fmt.Errorf("--value: %w", err)
	}
	ctx := cmd.Context()
	g, _, err := chainGateway(ctx, cmd, f, chain, true)
	if err != nil {
		return err
	}
	defer g.Close()
	tx, err := g.Transact(ctx, method, wei, args(common.HexToAddress(to))...)
	if err != nil {
		return err
	}
	res, err := sentMessage(g, tx, method)
	if err != nil {
		return err
	}
	res.Value = formatCoins(wei)
	return printSent(cmd, f.asJSON, res)
}

func xferStatusCmd() *cobra.Command {
	var f gwFlags
	var src string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "status MSGID --src SUBNET --home DIR",
		Short: "Follow a cross-message hop by hop until it is applied",
		Long: "status finds the message's CrossMsgSent on --src, works out its path (up to the lowest common\n" +
			"ancestor, then down) and looks on every chain of it for CrossMsgForwarded or CrossMsgApplied,\n" +
			"printing each hop as it happens. It waits up to --wait for the message to be applied.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isHash(args[0]) {
				return fmt.Errorf("%q is not a message ID (0x and 64 hex digits, as xfer fund/release/send print)", args[0])
			}
			id := common.HexToHash(args[0])
			from, err := types.ParseSubnetID(src)
			if err != nil {
				return fmt.Errorf("--src %q: %w", src, err)
			}
			cfg, err := f.node()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), wait)
			defer cancel()
			tr, err := client.NewTracker(client.RPCLogs{URL: func(chain types.SubnetID) (string, error) { return f.chainURL(cfg, chain) }})
			if err != nil {
				return err
			}
			r, err := tr.Find(ctx, from, id)
			if errors.Is(err, client.ErrMessageNotFound) {
				return fmt.Errorf("no message %s left %s (no CrossMsgSent with that ID); check --src", id, from)
			}
			if err != nil {
				return err
			}
			hops := []client.Hop{r.Sent}
			out := cmd.OutOrStdout()
			if !f.asJSON {
				fmt.Fprintf(out, "message %s: %s -> %s via %s\n", id, from, r.Dst, strings.Join(pathStrings(r.Path), " -> "))
				fmt.Fprintf(out, "  %-24s sent      block %d\n", from, r.Sent.Block)
			}
			// Hops take a checkpoint period or a block each: the line says
			// which chain it waits for, the rate and when the rest should land.
			progressOut := cmd.ErrOrStderr()
			if f.asJSON {
				progressOut = io.Discard
			}
			bar := progress.New(progressOut, "following "+shortHash(id), "hops", int64(len(r.Path)-1), progress.Options{})
			stop := bar.Keepalive(time.Second)
			defer stop()
			for i, chain := range r.Path[1:] {
				bar.Note("waiting for " + string(chain))
				bar.Set(int64(i))
				prev, held := r.Path[i], ""
				var check func(context.Context) string
				if prev.Parent() == chain { // going up: its checkpoint may be held for a jury
					prevBlock := hops[len(hops)-1].Block
					check = func(ctx context.Context) string {
						g, _, err := chainGateway(ctx, cmd, &f, chain, false)
						if err != nil {
							return ""
						}
						defer g.Close()
						return heldNote(ctx, g, prev, prevBlock)
					}
				}
				h, err := waitHop(ctx, tr, r, chain, check, func(note string) {
					held = note
					if note == "" {
						bar.Note("waiting for " + string(chain))
						return
					}
					bar.Note("waiting for the jury of " + string(prev))
					if !f.asJSON {
						bar.Clear()
						fmt.Fprintf(out, "  %-24s %-9s %s\n", chain, "held", note)
					}
				})
				bar.Clear()
				if err != nil && ctx.Err() != nil {
					hops = append(hops, client.Hop{Chain: string(chain), State: client.HopWaiting, Detail: held})
					if f.asJSON {
						_ = json.NewEncoder(out).Encode(hops)
					}
					if held != "" {
						return fmt.Errorf("message %s has not reached %s after %s: %s", id, chain, wait, held)
					}
					return fmt.Errorf("message %s has not reached %s after %s (waiting for %s's checkpoint or block)", id, chain, wait, chain)
				}
				if err != nil {
					return err
				}
				hops = append(hops, h)
				if !f.asJSON {
					fmt.Fprintf(out, "  %-24s %-9s block %d\n", chain, h.State, h.Block)
				}
			}
			stop()
			bar.Note("")
			bar.Set(int64(len(r.Path) - 1))
			bar.Finish()
			if f.asJSON {
				return json.NewEncoder(out).Encode(hops)
			}
			return nil
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&src, "src", "", "the subnet the message was sent from (required)")
	cmd.Flags().DurationVar(&wait, "wait", 2*time.Minute, "how long to follow the message")
	_ = cmd.MarkFlagRequired("src")
	return cmd
}

// shortHash abbreviates a message ID for a progress line.
func shortHash(h common.Hash) string {
	x := h.Hex()
	return x[:10] + "…"
}

func pathStrings(p []types.SubnetID) []string {
	out := make([]string, len(p))
	for i, c := range p {
		out[i] = string(c)
	}
	return out
}

func isHash(s string) bool {
	b, err := hexutil.Decode(s)
	return err == nil && len(b) == 32 && !errors.Is(err, hexutil.ErrEmptyString)
}
