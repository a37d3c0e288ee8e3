package main

import (
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
)

func xferCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "xfer",
		Short: "Move coins between subnets through the gateways",
	}
	cmd.AddCommand(xferFundCmd(), xferReleaseCmd(), xferSendCmd(), xferStatusCmd())
	return cmd
}

// fundResult is what xfer fund prints with --json.
type fundResult struct {
	MsgID common.Hash    `json:"msgId"`
	Nonce uint64         `json:"nonce"`
	From  common.Address `json:"from"`
	Src   string         `json:"src"`
	Dst   string         `json:"dst"`
	To    common.Address `json:"to"`
	Value string         `json:"value"` // coins
	Tx    common.Hash    `json:"tx"`
	Block uint64         `json:"block"`
}

func xferFundCmd() *cobra.Command {
	var f gwFlags
	var to, value string
	cmd := &cobra.Command{
		Use:   "fund CHILD --to 0xADDRESS --value COINS --home DIR",
		Short: "Send coins from a parent chain to an account on its child subnet",
		Long: "fund calls the parent's gateway with the value; the child credits the account once its\n" +
			"validators take the parent block in (before activation, the funds are part of its genesis).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := childID(args[0])
			if err != nil {
				return err
			}
			if !common.IsHexAddress(to) {
				return fmt.Errorf("--to %q is not an address; give 0x and 40 hex digits", to)
			}
			wei, err := parseCoins(value)
			if err != nil {
				return fmt.Errorf("--value: %w", err)
			}
			ctx := cmd.Context()
			g, _, err := parentGateway(ctx, cmd, &f, id, true)
			if err != nil {
				return err
			}
			defer g.Close()
			tx, err := g.transact(ctx, "fund", wei, string(id), common.HexToAddress(to))
			if err != nil {
				return err
			}
			res := fundResult{From: g.from, Dst: string(id), To: common.HexToAddress(to), Value: formatCoins(wei),
				Tx: tx.Hash, Block: tx.Receipt.BlockNumber.Uint64()}
			ev, topics, ok := g.event(tx.Receipt, "CrossMsgSent")
			if !ok || len(topics) == 0 {
				return fmt.Errorf("fund: transaction %s succeeded but emitted no CrossMsgSent event; is %s an Aspen gateway?", tx.Hash, g.url)
			}
			res.MsgID = topics[0]
			res.Nonce, _ = ev["nonce"].(uint64)
			res.Src, _ = ev["src"].(string)
			if f.asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Sent %s coins from %s on %s to %s on %s\n  msg ID  %s\n  nonce   %d\n  tx      %s (block %d)\n",
				res.Value, res.From, res.Src, res.To, res.Dst, res.MsgID, res.Nonce, res.Tx, res.Block)
			return nil
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&to, "to", "", "recipient account on the child (required)")
	cmd.Flags().StringVar(&value, "value", "", "amount in coins, e.g. 5 or 0.25 (required)")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.MarkFlagRequired("value")
	return cmd
}
