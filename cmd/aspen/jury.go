package main

import (
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// The jury (CROSSNET.md, "Jury"): jurors bond on a chain's own gateway and
// judge the checkpoints of its children, whose payouts wait for them.

func juryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jury",
		Short: "Bond as a juror of a chain's children's checkpoints, and inspect juries and held checkpoints",
		Long: "Jurors bond on a parent chain's own gateway. Once anybody is bonded there, every signed\n" +
			"checkpoint of its children is held until a majority of its drawn jury attests it valid.\n" +
			"A node whose account is a bonded juror judges and attests by itself.",
	}
	cmd.AddCommand(juryJoinCmd(), juryLeaveCmd(), juryWithdrawCmd(), juryListCmd(), juryShowCmd())
	return cmd
}

// juryChain is the chain whose pool a jury command uses: --chain, else the
// home's root chain, else "" (the chain --rpc serves at "/").
func juryChain(cfg *config.Node, flag string) (types.SubnetID, error) {
	if flag != "" {
		id, err := types.ParseSubnetID(flag)
		if err != nil {
			return "", fmt.Errorf("--chain %q: %w (a chain ID is a path such as /devnet)", flag, err)
		}
		return id, nil
	}
	if cfg == nil {
		return "", nil
	}
	gen, err := config.LoadGenesis(cfg.Path(cfg.Genesis))
	if err != nil {
		return "", err
	}
	return gen.ID(), nil
}

// juryBond parses --bond: at least gateway.MinJuryBond.
func juryBond(s string) (*big.Int, error) {
	v, err := parseCoins(s)
	if err != nil {
		return nil, fmt.Errorf("--bond: %w", err)
	}
	if v.Cmp(gateway.MinJuryBond) < 0 {
		return nil, fmt.Errorf("--bond %s: a juror bonds at least %s coin", s, formatCoins(gateway.MinJuryBond))
	}
	return v, nil
}

// juryTxResult is what join, leave and withdraw print with --json.
type juryTxResult struct {
	Chain        string         `json:"chain"`
	Action       string         `json:"action"`
	Juror        common.Address `json:"juror"`
	BLSPublicKey hexutil.Bytes  `json:"blsPublicKey,omitempty"` // join
	Bond         string         `json:"bond,omitempty"`         // join: bonded; withdraw: paid back (0 if slashed)
	// WithdrawableAt (leave) is the first block of the chain at which the
	// bond may be withdrawn, unless the juror attests later.
	WithdrawableAt uint64      `json:"withdrawableAt,omitempty"`
	Tx             common.Hash `json:"tx"`
	Block          uint64      `json:"block"`
}

func printJuryTx(cmd *cobra.Command, asJSON bool, res juryTxResult) error {
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
	}
	w := cmd.OutOrStdout()
	switch res.Action {
	case "joinJury":
		fmt.Fprintf(w, "%s bonded %s coins as a juror of %s's children (tx %s, block %d)\n  drawable from block %d; its node judges and attests the checkpoints it is drawn for\n",
			res.Juror, res.Bond, res.Chain, res.Tx, res.Block, res.Block+1)
	case "leaveJury":
		fmt.Fprintf(w, "%s left the jury of %s in block %d (tx %s)\n  its bond can be withdrawn from block %d (later if it still attests): aspen jury withdraw --chain %s\n",
			res.Juror, res.Chain, res.Block, res.Tx, res.WithdrawableAt, res.Chain)
	default:
		fmt.Fprintf(w, "%s withdrew %s coins of jury bond on %s in block %d (tx %s)\n", res.Juror, res.Bond, res.Chain, res.Block, res.Tx)
	}
	return nil
}

func juryJoinCmd() *cobra.Command {
	var f gwFlags
	var chain, bond, blsHex string
	cmd := &cobra.Command{
		Use:   "join --chain CHAIN --bond COINS --home DIR",
		Short: "Bond the home's account as a juror of CHAIN's children, with the home's validator BLS key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			value, err := juryBond(bond)
			if err != nil {
				return err
			}
			cfg, err := f.node()
			if err != nil {
				return err
			}
			bls, err := validatorKey(cfg, blsHex)
			if err != nil {
				return err
			}
			id, err := juryChain(cfg, chain)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			g, _, err := chainGateway(ctx, cmd, &f, id, true)
			if err != nil {
				return err
			}
			defer g.Close()
			if id, err = g.SubnetID(ctx); err != nil {
				return err
			}
			pub := bls.PublicKey()
			tx, err := transactShowing(ctx, cmd, &f, g, "joinJury", value, pub.Bytes(), bls.ProofOfPossession())
			if err != nil {
				return err
			}
			return printJuryTx(cmd, f.asJSON, juryTxResult{Chain: string(id), Action: "joinJury", Juror: g.From(), BLSPublicKey: pub.Bytes(),
				Bond: formatCoins(value), Tx: tx.Hash, Block: tx.Receipt.BlockNumber.Uint64()})
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&chain, "chain", "", "the chain whose children's checkpoints to judge (default: the home's root chain)")
	cmd.Flags().StringVar(&bond, "bond", "1", "bond in coins (at least 1); it is the juror's weight in every draw and cannot be topped up")
	cmd.Flags().StringVar(&blsHex, "bls-key", "", "BLS secret key (hex) to attest with instead of the home's validator key")
	return cmd
}

// juryTxCmd is leave or withdraw: one call without arguments on the pool.
func juryTxCmd(use, short, method string) *cobra.Command {
	var f gwFlags
	var chain string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
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
			g, _, err := chainGateway(ctx, cmd, &f, id, true)
			if err != nil {
				return err
			}
			defer g.Close()
			if id, err = g.SubnetID(ctx); err != nil {
				return err
			}
			tx, err := transactShowing(ctx, cmd, &f, g, method, nil)
			if err != nil {
				return err
			}
			res := juryTxResult{Chain: string(id), Action: method, Juror: g.From(), Tx: tx.Hash, Block: tx.Receipt.BlockNumber.Uint64()}
			if ev, _, ok := g.Event(tx.Receipt, "JurorLeft"); ok {
				res.WithdrawableAt, _ = ev["withdrawableAt"].(uint64)
			}
			if ev, _, ok := g.Event(tx.Receipt, "JurorWithdrawn"); ok {
				res.Bond = formatCoins(asBig(ev["bond"]))
			}
			return printJuryTx(cmd, f.asJSON, res)
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&chain, "chain", "", "the chain whose jury pool the account is in (default: the home's root chain)")
	return cmd
}

func juryLeaveCmd() *cobra.Command {
	return juryTxCmd("leave --chain CHAIN --home DIR", fmt.Sprintf("Stop being drawn; the bond waits %d blocks after the leave and the juror's latest attestation", gateway.JuryUnbonding), "leaveJury")
}

func juryWithdrawCmd() *cobra.Command {
	return juryTxCmd("withdraw --chain CHAIN --home DIR", "Take back the bond of a juror that left, once the unbonding delay has passed", "withdrawJuryBond")
}
