package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/p2p/libp2p"
	"github.com/aspen-chain/aspen/types"
)

func subnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subnet",
		Short: "Create, join, leave, kill and inspect child subnets through their parent's gateway",
	}
	cmd.AddCommand(subnetCreateCmd(), subnetJoinCmd(), subnetStakeCmd(), subnetLeaveCmd(), subnetKillCmd(), subnetShowCmd(), subnetListCmd(), subnetJuryCmd())
	return cmd
}

// childID parses a subnet ID given on the command line; it must have a parent.
func childID(arg string) (types.SubnetID, error) {
	id, err := types.ParseSubnetID(arg)
	if err != nil {
		return "", fmt.Errorf("%q: %w (a subnet ID is a path such as /devnet/games)", arg, err)
	}
	if id.IsRoot() {
		return "", fmt.Errorf("%s is a root chain, which no gateway manages; give a child such as %s", id, id.Child("games"))
	}
	return id, nil
}

// parentGateway connects to the gateway of id's parent; signs says whether
// the home's (or the flags') account key is loaded.
func parentGateway(ctx context.Context, cmd *cobra.Command, f *gwFlags, id types.SubnetID, signs bool) (*client.Gateway, *config.Node, error) {
	return chainGateway(ctx, cmd, f, id.Parent(), signs)
}

// chainGateway connects to the gateway of chain itself.
func chainGateway(ctx context.Context, cmd *cobra.Command, f *gwFlags, chain types.SubnetID, signs bool) (*client.Gateway, *config.Node, error) {
	cfg, err := f.node()
	if err != nil {
		return nil, nil, err
	}
	url, err := f.chainURL(cfg, chain)
	if err != nil {
		return nil, nil, err
	}
	var key *ecdsa.PrivateKey
	if signs {
		if key, err = f.accountKey(cfg); err != nil {
			return nil, nil, err
		}
	}
	progress := cmd.ErrOrStderr()
	if f.asJSON {
		progress = io.Discard
	}
	g, err := client.DialGateway(ctx, url, client.Options{Key: key, Timeout: f.timeout, Progress: progress, Home: f.home})
	return g, cfg, err
}

// createOptions are the flags of subnet create.
type createOptions struct {
	engine           string
	minValidators    uint32
	minCollateral    string
	blockTime        time.Duration
	checkpointPeriod uint32
	gasLimit         uint64
	confirmations    uint32  // pow only; 0: the gateway's default
	stallWindow      uint64  // parent blocks; 0: the gateway's default
	jury             *uint32 // seats; nil: the gateway's default
	privacy          string  // "public" or "private" (privacy.go)
}

// params checks the flags and builds the gateway's SubnetParams; the gateway
// checks the bounds again and says why it refuses.
func (o createOptions) params() (gateway.ABIParams, error) {
	var p gateway.ABIParams
	e, ok := gateway.EngineByName(strings.ToLower(o.engine))
	if !ok {
		return p, fmt.Errorf("--engine %q: use %s", o.engine, strings.Join(consensus.KindNames(), " or "))
	}
	p.Engine = uint8(e)
	if o.confirmations > 0 && e != gateway.EnginePoW {
		return p, fmt.Errorf("--confirmations is for pow subnets; %s blocks are final at once", e)
	}
	if err := checkJurySeats(o.jury, e); err != nil {
		return p, err
	}
	if _, err := privacyMode(o.privacy); err != nil {
		return p, err
	}
	coll, err := parseCoins(o.minCollateral)
	if err != nil {
		return p, fmt.Errorf("--min-collateral: %w", err)
	}
	if o.blockTime <= 0 || o.blockTime%time.Millisecond != 0 || o.blockTime.Milliseconds() > math.MaxUint32 {
		return p, fmt.Errorf("--block-time %s: give a whole number of milliseconds, like 500ms or 2s", o.blockTime)
	}
	p.MinValidators, p.MinCollateral = o.minValidators, coll
	p.BlockTimeMs, p.CheckpointPeriod, p.GasLimit = uint32(o.blockTime.Milliseconds()), o.checkpointPeriod, o.gasLimit
	return p, nil
}

// createResult is what subnet create prints with --json.
type createResult struct {
	ID      string      `json:"id"`
	ChainID uint64      `json:"chainId"`
	Engine  string      `json:"engine"`
	Status  string      `json:"status"`
	Tx      common.Hash `json:"tx"`
	Block   uint64      `json:"block"`
	// JurySeats is the jury set with --jury (absent: the gateway's default).
	JurySeats *uint32 `json:"jurySeats,omitempty"`
}

func subnetCreateCmd() *cobra.Command {
	var f gwFlags
	var o createOptions
	var jurySeats uint32
	cmd := &cobra.Command{
		Use:   "create ID --engine bft --min-validators N --min-collateral COINS --home DIR",
		Short: "Register a child subnet on its parent's gateway; it starts once enough validators join",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := childID(args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("jury") {
				o.jury = &jurySeats
			}
			p, err := o.params()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			g, _, err := parentGateway(ctx, cmd, &f, id, true)
			if err != nil {
				return err
			}
			defer g.Close()
			var tx *client.SentTx
			if o.confirmations > 0 {
				tx, err = transactShowing(ctx, cmd, &f, g, "createPowSubnet", nil, id.Name(), p, o.confirmations)
			} else {
				tx, err = transactShowing(ctx, cmd, &f, g, "createSubnet", nil, id.Name(), p)
			}
			if err != nil {
				return err
			}
			if o.stallWindow > 0 {
				// Only the creator may set it, and only while the subnet is Registered.
				if _, err := g.Transact(ctx, "setStallWindow", nil, string(id), o.stallWindow); err != nil {
					return fmt.Errorf("%s was created, but its stall window was not set: %w", id, err)
				}
			}
			if o.jury != nil {
				// The creator's, like the stall window; any size while Registered.
				if _, err := g.Transact(ctx, "setJury", nil, string(id), *o.jury); err != nil {
					return fmt.Errorf("%s was created, but its jury was not set (retry with `aspen subnet jury %s %d`): %w", id, id, *o.jury, err)
				}
			}
			if err := setPrivacy(ctx, g, id, o.privacy); err != nil {
				return err
			}
			res := createResult{ID: string(id), ChainID: gateway.ChainIDFor(id), Engine: gateway.Engine(p.Engine).String(),
				Status: gateway.StatusRegistered.String(), Tx: tx.Hash, Block: tx.Receipt.BlockNumber.Uint64(), JurySeats: o.jury}
			if ev, _, ok := g.Event(tx.Receipt, "SubnetCreated"); ok {
				if s, ok := ev["id"].(string); ok {
					res.ID = s
				}
			}
			if f.asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created %s\n  chain ID  %d\n  engine    %s: active once %d validators joined with %s coins of collateral in all\n  tx        %s (block %d)\nValidators join with: aspen subnet join %s --collateral COINS --home DIR\n",
				res.ID, res.ChainID, res.Engine, p.MinValidators, formatCoins(p.MinCollateral), res.Tx, res.Block, res.ID)
			if res.JurySeats != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "Its jury has %d seats (0: none)\n", *res.JurySeats)
			}
			return nil
		},
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&o.engine, "engine", treeEngine, "consensus engine of the subnet: "+strings.Join(consensus.KindNames(), " or "))
	fl.Uint32Var(&o.minValidators, "min-validators", 1, "validators needed before the subnet starts")
	fl.StringVar(&o.minCollateral, "min-collateral", "1", "total collateral (coins) needed before the subnet starts")
	fl.DurationVar(&o.blockTime, "block-time", time.Second, "target block interval of the subnet")
	fl.Uint32Var(&o.checkpointPeriod, "checkpoint-period", 10, "subnet blocks between bottom-up checkpoints")
	fl.Uint64Var(&o.gasLimit, "gas-limit", 30_000_000, "block gas limit of the subnet")
	fl.Uint64Var(&o.stallWindow, "stall-window", 0, fmt.Sprintf("parent blocks without a committed checkpoint after which the subnet is frozen and its accounts claim their balances on the parent (default %d)", gateway.DefaultStallWindow))
	fl.Uint32Var(&jurySeats, "jury", 0, fmt.Sprintf("seats of the jury that must attest each checkpoint before it pays out, once jurors bond on the parent (0: none; at most %d; default %d)", gateway.MaxJurySeats, gateway.DefaultJurySeats))
	fl.StringVar(&o.privacy, "privacy", "public", "public, or private: validators order encrypted envelopes for participants (docs/PRIVACY.md)")
	fl.Uint32Var(&o.confirmations, "confirmations", 0, fmt.Sprintf("pow: blocks deep a block must be to be final (default %d)", gateway.DefaultConfirmations))
	return cmd
}

// joinResult is what subnet join prints with --json.
type joinResult struct {
	ID           string         `json:"id"`
	Validator    common.Address `json:"validator"`
	BLSPublicKey string         `json:"blsPublicKey"`
	P2PAddr      string         `json:"p2pAddr"`
	Collateral   string         `json:"collateral"`
	Activated    bool           `json:"activated"`
	ConfigNumber uint64         `json:"configNumber,omitempty"`
	Tx           common.Hash    `json:"tx"`
	Block        uint64         `json:"block"`
}

func subnetJoinCmd() *cobra.Command {
	var f gwFlags
	var collateral, blsHex, p2pAddr string
	cmd := &cobra.Command{
		Use:   "join ID --collateral COINS --home DIR",
		Short: "Become a validator of a subnet with the home's BLS key and p2p address, locking collateral",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := childID(args[0])
			if err != nil {
				return err
			}
			value, err := parseCoins(collateral)
			if err != nil {
				return fmt.Errorf("--collateral: %w", err)
			}
			ctx := cmd.Context()
			g, cfg, err := parentGateway(ctx, cmd, &f, id, true)
			if err != nil {
				return err
			}
			defer g.Close()
			bls, err := validatorKey(cfg, blsHex)
			if err != nil {
				return err
			}
			if p2pAddr == "" {
				if p2pAddr, err = homeP2PAddr(cfg); err != nil {
					return err
				}
			}
			pub := bls.PublicKey()
			tx, err := transactShowing(ctx, cmd, &f, g, "join", value, string(id), pub.Bytes(), bls.ProofOfPossession(), p2pAddr)
			if err != nil {
				return err
			}
			res := joinResult{ID: string(id), Validator: g.From(), BLSPublicKey: pub.String(), P2PAddr: p2pAddr,
				Collateral: formatCoins(value), Tx: tx.Hash, Block: tx.Receipt.BlockNumber.Uint64()}
			if ev, _, ok := g.Event(tx.Receipt, "SubnetActivated"); ok {
				res.Activated = true
				res.ConfigNumber, _ = ev["configNumber"].(uint64)
			}
			if f.asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Joined %s as %s with %s coins (tx %s, block %d)\n", res.ID, res.Validator, res.Collateral, res.Tx, res.Block)
			if res.Activated {
				fmt.Fprintf(cmd.OutOrStdout(), "%s is now active (config %d): its validators' nodes start it\n", res.ID, res.ConfigNumber)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s is not active yet: `aspen subnet show %s` says what it still needs\n", res.ID, res.ID)
			}
			return nil
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&collateral, "collateral", "", "collateral to lock, in coins (required)")
	cmd.Flags().StringVar(&blsHex, "bls-key", "", "BLS secret key (hex) to join with instead of the home's validator key")
	cmd.Flags().StringVar(&p2pAddr, "p2p-addr", "", "multiaddr ending in /p2p/<peer id> instead of the home's first p2p.listen and identity")
	_ = cmd.MarkFlagRequired("collateral")
	return cmd
}

// validatorKey is --bls-key or the home's BLS key.
func validatorKey(cfg *config.Node, hexKey string) (*crypto.BLSSecretKey, error) {
	if hexKey != "" {
		b, err := hexutil.Decode(ensure0x(hexKey))
		if err != nil {
			return nil, fmt.Errorf("--bls-key: %w", err)
		}
		k, err := crypto.BLSSecretKeyFromBytes(b)
		if err != nil {
			return nil, fmt.Errorf("--bls-key: %w", err)
		}
		return k, nil
	}
	if cfg == nil {
		return nil, fmt.Errorf("no BLS key to join with: give --home DIR or --bls-key HEX")
	}
	return crypto.LoadBLSKey(cfg.Path(cfg.Keys.Validator))
}

// homeP2PAddr is where the home's node is dialled: its first announce or listen address
// and its libp2p peer ID.
func homeP2PAddr(cfg *config.Node) (string, error) {
	if cfg == nil {
		return "", fmt.Errorf("no p2p address to join with: give --home DIR or --p2p-addr /ip4/HOST/tcp/PORT/p2p/PEERID")
	}
	if len(cfg.P2P.Listen) == 0 {
		return "", fmt.Errorf("%s has no p2p.listen address, so other validators could not reach this node: add one to its config.toml or pass --p2p-addr", cfg.Path(config.ConfigFile))
	}
	peerID, err := libp2p.LoadIdentity(cfg.Path(cfg.Keys.Identity))
	if err != nil {
		return "", err
	}
	if len(cfg.P2P.Announce) > 0 { // where peers reach it, not where it listens
		return cfg.P2P.Announce[0] + "/p2p/" + peerID, nil
	}
	return cfg.P2P.Listen[0] + "/p2p/" + peerID, nil
}

func ensure0x(s string) string {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return s
	}
	return "0x" + s
}

// txResult is what stake, leave and kill print with --json.
type txResult struct {
	ID         string `json:"id"`
	Action     string `json:"action"`
	Collateral string `json:"collateral,omitempty"` // stake: added; leave: returned
	// PendingConfig, for a leave of an Active subnet: the collateral is
	// returned by the first checkpoint of the child that applied this config.
	PendingConfig uint64      `json:"pendingConfig,omitempty"`
	Tx            common.Hash `json:"tx"`
	Block         uint64      `json:"block"`
}

// simpleTxCmd is a subnet command that sends one gateway call about an ID.
func simpleTxCmd(use, short, method string, withValue bool) *cobra.Command {
	var f gwFlags
	var collateral string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := childID(args[0])
			if err != nil {
				return err
			}
			var value *big.Int
			if withValue {
				if value, err = parseCoins(collateral); err != nil {
					return fmt.Errorf("--collateral: %w", err)
				}
			}
			ctx := cmd.Context()
			g, _, err := parentGateway(ctx, cmd, &f, id, true)
			if err != nil {
				return err
			}
			defer g.Close()
			tx, err := g.Transact(ctx, method, value, string(id))
			if err != nil {
				return err
			}
			res := txResult{ID: string(id), Action: method, Tx: tx.Hash, Block: tx.Receipt.BlockNumber.Uint64()}
			if value != nil {
				res.Collateral = formatCoins(value)
			}
			if ev, _, ok := g.Event(tx.Receipt, "ValidatorLeft"); ok {
				res.Collateral = formatCoins(asBig(ev["collateralReturned"]))
			} else if method == "leave" {
				out, err := g.Call(ctx, "subnet", string(id))
				if err != nil {
					return err
				}
				sv, err := decodeSubnet(out)
				if err != nil {
					return err
				}
				res.PendingConfig = sv.ConfigNumber
			}
			if f.asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: done in block %d (tx %s)\n", method, res.ID, res.Block, res.Tx)
			if res.Collateral != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "  collateral %s coins\n", res.Collateral)
			}
			if res.PendingConfig != 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "  your collateral comes back with %s's first checkpoint after it applies config %d\n", res.ID, res.PendingConfig)
			}
			return nil
		},
	}
	f.register(cmd, true)
	if withValue {
		cmd.Flags().StringVar(&collateral, "collateral", "", "collateral to add, in coins (required)")
		_ = cmd.MarkFlagRequired("collateral")
	}
	return cmd
}

func subnetStakeCmd() *cobra.Command {
	return simpleTxCmd("stake ID --collateral COINS --home DIR", "Add collateral to the home's seat in a subnet", "stake", true)
}

func subnetLeaveCmd() *cobra.Command {
	return simpleTxCmd("leave ID --home DIR", "Give up the home's seat in a subnet and take its collateral back", "leave", false)
}

func subnetKillCmd() *cobra.Command {
	return simpleTxCmd("kill ID --home DIR", "Stop a subnet you created for good; collateral goes back, value still inside stays locked for the escape hatch", "kill", false)
}

func asBig(v any) *big.Int {
	if b, ok := v.(*big.Int); ok {
		return b
	}
	return new(big.Int)
}

// readSubnet calls subnet(id) on g.
func readSubnet(ctx context.Context, g *client.Gateway, id types.SubnetID) (subnetView, error) {
	out, err := g.Call(ctx, "subnet", string(id))
	if err != nil {
		return subnetView{}, err
	}
	return decodeSubnet(out)
}

func subnetShowCmd() *cobra.Command {
	var f gwFlags
	cmd := &cobra.Command{
		Use:   "show ID --home DIR",
		Short: "Print a subnet as its parent's gateway records it: params, status, validators",
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
			v, err := readSubnet(ctx, g, id)
			if err != nil {
				return err
			}
			if err := readSubnetJury(ctx, g, id, &v); err != nil {
				return err
			}
			if f.asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(v)
			}
			printSubnet(cmd.OutOrStdout(), v)
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

func printSubnet(w io.Writer, v subnetView) {
	p := v.Params
	fmt.Fprintf(w, "%s  (%s)\n", v.ID, v.Status)
	fmt.Fprintf(w, "  chain ID            %d\n  creator             %s\n", v.ChainID, v.Creator)
	fmt.Fprintf(w, "  engine              %s, block time %s, checkpoint every %d blocks, gas limit %d\n",
		p.Engine, time.Duration(p.BlockTimeMs)*time.Millisecond, p.CheckpointPeriod, p.GasLimit)
	fmt.Fprintf(w, "  to activate         %d validators, %s coins of collateral (now %d, %s coins)\n",
		p.MinValidators, p.MinCollateral, len(v.Validators), v.TotalCollateral)
	fmt.Fprintf(w, "  circulating supply  %s coins\n  config number       %d\n", v.CirculatingSupply, v.ConfigNumber)
	if v.LastCheckpointHeight > 0 {
		fmt.Fprintf(w, "  last checkpoint     %d %s\n", v.LastCheckpointHeight, v.LastCheckpointHash)
	}
	printSubnetJury(w, v)
	for i, val := range v.Validators {
		fmt.Fprintf(w, "  validator %d  %s  %s coins\n      bls %s\n      p2p %s\n", i, val.Owner, val.Collateral, val.BLSPublicKey, val.P2PAddr)
	}
}

// listResult is what subnet list prints with --json.
type listResult struct {
	Parent   string       `json:"parent"`
	Children []subnetView `json:"children"`
}

func subnetListCmd() *cobra.Command {
	var f gwFlags
	cmd := &cobra.Command{
		Use:   "list [PARENT] --home DIR",
		Short: "List the children of a chain (the home's root chain by default)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, err := f.node()
			if err != nil {
				return err
			}
			var parent types.SubnetID // "": the chain the URL serves at "/" (the root)
			if len(args) == 1 {
				if parent, err = types.ParseSubnetID(args[0]); err != nil {
					return fmt.Errorf("%q: %w (a subnet ID is a path such as /devnet)", args[0], err)
				}
			} else if cfg != nil {
				gen, err := config.LoadGenesis(cfg.Path(cfg.Genesis))
				if err != nil {
					return err
				}
				parent = gen.ID()
			}
			url, err := f.chainURL(cfg, parent)
			if err != nil {
				return err
			}
			g, err := client.DialGateway(ctx, url, client.Options{Home: f.home})
			if err != nil {
				return err
			}
			defer g.Close()
			res, err := listChildren(ctx, g)
			if err != nil {
				return err
			}
			if f.asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			if len(res.Children) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%s has no subnets; create one with `aspen subnet create %s/NAME --home DIR`\n", res.Parent, res.Parent)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%-28s %-10s %-6s %10s %14s  %s\n", "SUBNET", "STATUS", "ENGINE", "VALIDATORS", "CIRCULATING", "CHAIN ID")
			for _, c := range res.Children {
				fmt.Fprintf(cmd.OutOrStdout(), "%-28s %-10s %-6s %4d of %-3d %14s  %d\n", c.ID, c.Status, c.Params.Engine,
					len(c.Validators), c.Params.MinValidators, c.CirculatingSupply, c.ChainID)
			}
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

// listChildren reads children() and subnet(id) of each from g.
func listChildren(ctx context.Context, g *client.Gateway) (listResult, error) {
	out, err := g.Call(ctx, "subnetId")
	if err != nil {
		return listResult{}, err
	}
	res := listResult{Parent: out[0].(string), Children: []subnetView{}}
	out, err = g.Call(ctx, "children")
	if err != nil {
		return listResult{}, err
	}
	for _, id := range out[0].([]string) {
		v, err := readSubnet(ctx, g, types.SubnetID(id))
		if err != nil {
			return listResult{}, err
		}
		res.Children = append(res.Children, v)
	}
	return res, nil
}
