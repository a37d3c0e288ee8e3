package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
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

// hopStatus is one chain on a message's path and what happened there.
type hopStatus struct {
	Chain  string      `json:"chain"`
	State  string      `json:"state"` // sent | forwarded | applied | failed | waiting
	Block  uint64      `json:"block,omitempty"`
	Tx     common.Hash `json:"tx,omitempty"`
	Detail string      `json:"detail,omitempty"`
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
			abi, err := gateway.ParseABI()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), wait)
			defer cancel()
			dial := func(chain types.SubnetID) (*gethrpc.Client, error) {
				url, err := f.chainURL(cfg, chain)
				if err != nil {
					return nil, err
				}
				return gethrpc.DialContext(ctx, url)
			}
			find := func(chain types.SubnetID, event string) (*gethtypes.Log, error) {
				c, err := dial(chain)
				if err != nil {
					return nil, err
				}
				defer c.Close()
				var logs []*gethtypes.Log
				q := map[string]any{"fromBlock": "0x0", "toBlock": "latest", "address": gateway.Address,
					"topics": [][]common.Hash{{abi.Events[event].ID}, {id}}}
				if err := c.CallContext(ctx, &logs, "eth_getLogs", q); err != nil {
					return nil, fmt.Errorf("%s: %w", chain, err)
				}
				if len(logs) == 0 {
					return nil, nil
				}
				return logs[0], nil
			}
			sent, err := find(from, "CrossMsgSent")
			if err != nil {
				return err
			}
			if sent == nil {
				return fmt.Errorf("no message %s left %s (no CrossMsgSent with that ID); check --src", id, from)
			}
			ev := map[string]any{}
			if err := abi.UnpackIntoMap(ev, "CrossMsgSent", sent.Data); err != nil {
				return err
			}
			dst := types.SubnetID(ev["dst"].(string))
			path := msgPath(from, dst)
			hops := []hopStatus{{Chain: string(from), State: "sent", Block: sent.BlockNumber, Tx: sent.TxHash}}
			out := cmd.OutOrStdout()
			if !f.asJSON {
				fmt.Fprintf(out, "message %s: %s -> %s via %s\n", id, from, dst, strings.Join(pathStrings(path), " -> "))
				fmt.Fprintf(out, "  %-24s sent      block %d\n", from, sent.BlockNumber)
			}
			for _, chain := range path[1:] {
				event := "CrossMsgForwarded"
				if chain == dst {
					event = "CrossMsgApplied"
				}
				var l *gethtypes.Log
				for l == nil {
					if l, err = find(chain, event); err != nil {
						return err
					}
					if l != nil {
						break
					}
					select {
					case <-ctx.Done():
						hops = append(hops, hopStatus{Chain: string(chain), State: "waiting"})
						if f.asJSON {
							_ = json.NewEncoder(out).Encode(hops)
						}
						return fmt.Errorf("message %s has not reached %s after %s (waiting for %s's checkpoint or block)", id, chain, wait, chain)
					case <-time.After(250 * time.Millisecond):
					}
				}
				h := hopStatus{Chain: string(chain), State: "forwarded", Block: l.BlockNumber, Tx: l.TxHash}
				if chain == dst {
					res := map[string]any{}
					_ = abi.UnpackIntoMap(res, "CrossMsgApplied", l.Data)
					h.State = "applied"
					if ok, _ := res["success"].(bool); !ok {
						h.State = "failed"
						h.Detail = fmt.Sprintf("the call reverted (%x); its value returns to the sender", res["result"])
					}
				}
				hops = append(hops, h)
				if !f.asJSON {
					fmt.Fprintf(out, "  %-24s %-9s block %d\n", chain, h.State, h.Block)
				}
			}
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

// msgPath is every chain a message visits: up to the lowest common ancestor
// of src and dst, then down.
func msgPath(src, dst types.SubnetID) []types.SubnetID {
	up := []types.SubnetID{src}
	for c := src; !isAtOrBelow(dst, c) && !c.IsRoot(); {
		c = c.Parent()
		up = append(up, c)
	}
	lca := up[len(up)-1]
	var down []types.SubnetID
	for c := dst; c != lca; c = c.Parent() {
		down = append([]types.SubnetID{c}, down...)
	}
	return append(up, down...)
}

func isAtOrBelow(id, anc types.SubnetID) bool {
	return id == anc || strings.HasPrefix(string(id), string(anc)+"/")
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
