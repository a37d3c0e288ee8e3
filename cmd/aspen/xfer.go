package main

import (
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
			res, err := sentMessage(g, tx, "fund")
			if err != nil {
				return err
			}
			res.Value = formatCoins(wei)
			return printSent(cmd, f.asJSON, res)
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&to, "to", "", "recipient account on the child (required)")
	cmd.Flags().StringVar(&value, "value", "", "amount in coins, e.g. 5 or 0.25 (required)")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.MarkFlagRequired("value")
	return cmd
}
