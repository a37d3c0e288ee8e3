package main

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
)

func xferCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "xfer",
		Short: "Move coins between subnets through the gateways",
	}
	cmd.AddCommand(xferFundCmd(), xferReleaseCmd(), xferSendCmd(), xferStatusCmd(), xferClaimCmd())
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
			return sendCross(cmd, &f, id.Parent(), "fund", to, value, func(to common.Address) []any { return []any{string(id), to} })
		},
	}
	registerTransfer(cmd, &f, &to, &value, "recipient account on the child (required)", true)
	return cmd
}

// registerTransfer adds the flags of a command that sends value to an
// account on another chain: the gateway flags, --to and --value.
func registerTransfer(cmd *cobra.Command, f *gwFlags, to, value *string, toHelp string, valueRequired bool) {
	f.register(cmd, true)
	cmd.Flags().StringVar(to, "to", "", toHelp)
	_ = cmd.MarkFlagRequired("to")
	if valueRequired {
		cmd.Flags().StringVar(value, "value", "", "amount in coins, e.g. 5 or 0.25 (required)")
		_ = cmd.MarkFlagRequired("value")
	} else {
		cmd.Flags().StringVar(value, "value", "", "amount in coins (default 0: a call only)")
	}
}
