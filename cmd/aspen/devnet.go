package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// The standard test mnemonic of Hardhat and Anvil; its first ten accounts are
// every Ethereum developer's dev accounts.
const (
	devMnemonic    = "test test test test test test test test test test test junk"
	devAccounts    = 10
	fundCoins      = 10_000
	devnetManifest = client.DevnetFile
	gatewayAddress = "0xa5e0000000000000000000000000000000000001"
)

type devnetOptions struct {
	Home         string
	Validators   int
	Engine       string
	BlockTime    time.Duration
	IdleInterval time.Duration
	// CheckpointPeriod of the default tree's subnets, in their blocks.
	CheckpointPeriod uint32
	Port             int
	P2PPort          int
	ChainID          uint64
	Network          string
	StartTimeout     time.Duration
	Subnets          string // "default": build the profile's tree; "disjoint": the disjoint one; "none": the root alone
	// Profile is the tree's shape (trees, or profileFile); "" once Subnets says none.
	Profile string
	// Topology is a --topology file; tree is the resolved shape.
	Topology string
	tree     *topology
	// PowBlockTime and Confirmations are those of the devnet's pow chains.
	PowBlockTime  time.Duration
	Confirmations uint32
	MineThreads   int
	// WanEngine replaces the engine of the tree's pow subnets (to compare
	// the layered tree with one whose /NET/wan is bft).
	WanEngine string
	// Jury bonds every node as a juror on the root once the tree is built.
	Jury bool
}

// manifest is devnet.json (client.Devnet, which scripts and tests read).
type (
	manifest        = client.Devnet
	manifestAccount = client.DevnetAccount
	manifestNode    = client.DevnetNode
	manifestSubnet  = client.DevnetSubnet
)

func devnetCmd() *cobra.Command {
	var o devnetOptions
	cmd := &cobra.Command{
		Use:   "devnet --home DIR",
		Short: "Run a local network in the foreground (Ctrl-C stops it)",
		Long: "devnet creates keys and a genesis under --home (or resumes the network already there),\n" +
			"starts every node as its own `aspen node` process, prefunds the ten accounts of the\n" +
			"standard test mnemonic and every node's account, writes DIR/devnet.json once the chain\n" +
			"has its first block, and stops every node it started on SIGINT or SIGTERM.\n" +
			"A node that dies is not restarted: devnet.json holds the exact command that restarts it.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if err := o.resolveTree(f.Changed("profile")); err != nil {
				return err
			}
			if k, err := consensus.LookupKind(o.Engine); err == nil && k.SingleSequencer {
				if !f.Changed("validators") {
					o.Validators = 1
				}
				if !f.Changed("subnets") && o.Topology == "" {
					o.Subnets = "none"
				}
			}
			if o.tree != nil && o.Subnets != "none" && !f.Changed("validators") && o.Validators < o.tree.nodes {
				o.Validators = o.tree.nodes // the tree's nodes, unless asked otherwise
			}
			if o.tree != nil && o.Validators < o.tree.nodes && !f.Changed("subnets") && o.Topology == "" {
				o.Subnets = "none"
			}
			if o.Profile == profileLayered && !f.Changed("engine") {
				o.Engine = treeEngine // a bft root anchors the layered tree
			}
			return runDevnet(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Home, "home", ".devnet", "directory for every node's home and devnet.json")
	f.IntVar(&o.Validators, "validators", 4, "number of validator nodes (1 with --engine solo)")
	f.StringVar(&o.Engine, "engine", treeEngine, "consensus engine of the root chain: "+strings.Join(consensus.KindNames(), " or "))
	f.StringVar(&o.Subnets, "subnets", "default", "default: also run the --profile's subnets, every dev and node account funded on each; "+
		"disjoint: 8 nodes, the root on node0-3 and /NET/beta on node0-3, /NET/alpha on node4-7 (which only follow the root), /NET/alpha/one on node4-6; none: the root alone")
	f.StringVar(&o.Profile, "profile", profileDefault, "the tree: default = /NET/alpha (node0-2), /NET/beta (node1-3), /NET/alpha/one (node0-2), all bft; "+
		"layered = a pow /NET/wan (node0-3, all mining) with bft /NET/wan/lan1 (node0-2) and /NET/wan/lan2 (node1-3) at 200ms blocks")
	f.StringVar(&o.Topology, "topology", "", "build the tree a JSON or TOML file describes: its nodes, the root's validators and each subnet's (see docs/topology.md)")
	f.DurationVar(&o.PowBlockTime, "pow-block-time", 2*time.Second, "target block time of the devnet's pow chains (the root with --engine pow, /NET/wan)")
	f.Uint32Var(&o.Confirmations, "confirmations", 6, "blocks deep a block of a pow chain must be to be final (safe: half)")
	f.IntVar(&o.MineThreads, "mine-threads", 1, "cores each node's miner may use per pow chain")
	f.StringVar(&o.WanEngine, "wan-engine", powEngine, "engine of the tree's pow subnets, /NET/wan in the layered profile (bft: the same tree without a pow level, for comparison)")
	f.DurationVar(&o.BlockTime, "block-time", time.Second, "block time")
	f.DurationVar(&o.IdleInterval, "idle-interval", 10*time.Second, "longest gap between empty blocks when idle")
	f.Uint32Var(&o.CheckpointPeriod, "checkpoint-period", 10, "blocks between two checkpoints of each default subnet (bottom-up messages wait for one)")
	f.IntVar(&o.Port, "port", 8545, "RPC port of node0; node i listens on port+i")
	f.IntVar(&o.P2PPort, "p2p-port", 26656, "p2p port of node0 (bft); node i listens on p2p-port+i")
	f.Uint64Var(&o.ChainID, "chain-id", 12345, "EIP-155 chain ID of the root chain")
	f.StringVar(&o.Network, "network", "devnet", "root network name (subnet ID /NAME)")
	f.BoolVar(&o.Jury, "jury", false, fmt.Sprintf("once the nodes are up, bond every node as a juror on the root (%d coin each, its validator BLS key): the root's children's checkpoints then wait for their jury", devnetJuryBond))
	f.DurationVar(&o.StartTimeout, "start-timeout", 60*time.Second, "how long to wait for the first block")
	return cmd
}

func runDevnet(ctx context.Context, out io.Writer, o devnetOptions) error {
	kind, err := consensus.LookupKind(o.Engine)
	switch {
	case err != nil:
		return fmt.Errorf("--engine %s is not available: use %s", o.Engine, strings.Join(consensus.KindNames(), " or "))
	case kind.SingleSequencer && o.Validators != 1:
		return fmt.Errorf("--validators %d: a %s chain has exactly one sequencer; use --validators 1, or --engine %s", o.Validators, o.Engine, treeEngine)
	case o.Validators < 1 || o.Validators > 100:
		return fmt.Errorf("--validators %d: want 1 to 100", o.Validators)
	case o.Subnets != "default" && o.Subnets != "none":
		return fmt.Errorf("--subnets %q: use default, disjoint or none", o.Subnets)
	case o.tree == nil:
		return fmt.Errorf("--profile %q: use %s or %s", o.Profile, profileDefault, profileLayered)
	case o.Subnets == "default" && o.Validators < o.tree.nodes:
		return fmt.Errorf("--validators %d: the %s tree needs %d nodes; drop --validators or use --subnets none", o.Validators, o.Profile, o.tree.nodes)
	case o.Subnets == "default" && (kind.SingleSequencer || len(o.tree.subnets) > 0 && o.Validators < 2):
		// The tree's subnets have several validators each, and need peers.
		return fmt.Errorf("--subnets %s needs a root of several validators (--engine %s or pow); use --subnets none", o.Profile, treeEngine)
	case o.Confirmations < 1 || o.Confirmations > config.MaxConfirmations:
		return fmt.Errorf("--confirmations %d: want 1 to %d", o.Confirmations, config.MaxConfirmations)
	case o.MineThreads < 1 || o.MineThreads > config.MaxMiningThreads:
		return fmt.Errorf("--mine-threads %d: want 1 to %d", o.MineThreads, config.MaxMiningThreads)
	}
	if o.Subnets == "none" {
		o.Profile = ""
	}
	home, err := filepath.Abs(o.Home)
	if err != nil {
		return err
	}
	o.Home = home
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the aspen binary to start nodes with: %w", err)
	}
	homes, resumed, err := prepareDevnet(o)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	procs := make([]*nodeProc, 0, len(homes))
	died := make(chan *nodeProc, len(homes))
	defer func() { stopNodes(out, procs) }()
	for _, h := range homes {
		p, err := startNode(self, h, died)
		if err != nil {
			return err
		}
		procs = append(procs, p)
	}
	m, err := buildManifest(o, self, procs)
	if err != nil {
		return err
	}
	if err := waitFirstBlock(ctx, procs, o.StartTimeout); err != nil {
		return err
	}
	if o.Profile != "" {
		root := types.SubnetID(m.Network)
		built, builtTree, err := builtProfile(home)
		if err != nil {
			return err
		}
		if built == "" {
			fundees, err := devFundees(homes)
			if err != nil {
				return err
			}
			if err := buildTree(ctx, out, homes, root, o, fundees); err != nil {
				return fmt.Errorf("build the subnet tree: %w", err)
			}
		} else {
			o.Profile, o.tree = built, builtTree // a resumed devnet keeps its shape
			for _, s := range o.tree.subnets {
				for _, i := range s.members {
					if err := waitServes(ctx, homes[i], subnetOf(root, s.name)); err != nil {
						return err
					}
				}
			}
		}
		treeManifest(m, root, o)
	}
	if o.Jury || juryMarked(home) {
		if m.Jury, err = devnetJury(ctx, out, homes, types.SubnetID(m.Network), home, o.Jury); err != nil {
			return fmt.Errorf("bond the jury: %w", err)
		}
	}
	if err := writeJSONFile(filepath.Join(home, devnetManifest), m); err != nil {
		return err
	}
	printDevnet(out, m, resumed, filepath.Join(home, devnetManifest))
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(out, "\nStopping the devnet…")
			return nil
		case p := <-died:
			fmt.Fprintf(out, "%s exited (%v); it is not restarted. Restart it with:\n  %s\n", p.name, p.err, shellJoin(p.restart))
		}
	}
}

// prepareDevnet creates the homes on first use and returns them in node order.
func prepareDevnet(o devnetOptions) (homes []*config.Node, resumed bool, err error) {
	kind, err := consensus.LookupKind(o.Engine)
	if err != nil {
		return nil, false, err
	}
	first := filepath.Join(o.Home, "node0")
	if _, err := os.Stat(filepath.Join(first, config.ConfigFile)); err == nil {
		for i := 0; ; i++ {
			dir := filepath.Join(o.Home, "node"+strconv.Itoa(i))
			if _, err := os.Stat(filepath.Join(dir, config.ConfigFile)); err != nil {
				break
			}
			cfg, err := config.LoadNode(dir)
			if err != nil {
				return nil, false, err
			}
			homes = append(homes, cfg)
		}
		if len(homes) != o.Validators {
			return nil, false, fmt.Errorf("%s holds a devnet of %d nodes, not %d: use another --home or drop --validators", o.Home, len(homes), o.Validators)
		}
		return homes, true, nil
	}
	var keys []nodeKeys
	for i := 0; i < o.Validators; i++ {
		cfg, k, err := newHome(initOptions{
			Home:         filepath.Join(o.Home, "node"+strconv.Itoa(i)),
			RPCListen:    "127.0.0.1:" + strconv.Itoa(o.Port+i),
			BlockTime:    o.BlockTime,
			IdleInterval: o.IdleInterval,
		}, "node"+strconv.Itoa(i))
		if err != nil {
			return nil, false, err
		}
		if !kind.SingleSequencer { // validators that talk need peers
			cfg.P2P.Listen = []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", o.P2PPort+i)}
		}
		// Every node mines on the devnet's pow chains, if it has any.
		cfg.Mining.Enabled = o.Engine == powEngine || o.Profile != "" && o.tree.mines()
		cfg.Mining.Threads = o.MineThreads
		homes, keys = append(homes, cfg), append(keys, k)
	}
	// Every node bootstraps from every other: a full mesh on loopback.
	for i, cfg := range homes {
		for j, other := range homes {
			if i != j && len(other.P2P.Listen) > 0 {
				cfg.P2P.Bootstrap = append(cfg.P2P.Bootstrap, other.P2P.Listen[0]+"/p2p/"+keys[j].PeerID)
			}
		}
	}
	fund := make([]common.Address, 0, devAccounts+len(keys))
	for i := 0; i < devAccounts; i++ {
		k, err := crypto.DeriveDevKey(devMnemonic, uint32(i))
		if err != nil {
			return nil, false, err
		}
		fund = append(fund, gethcrypto.PubkeyToAddress(k.PublicKey))
	}
	for _, k := range keys {
		fund = append(fund, k.Account)
	}
	validators := keys
	if kind.SingleSequencer {
		validators = keys[:1]
	} else if o.Profile != "" && o.tree.root != nil {
		validators = nil // the others follow the root
		for i, k := range keys {
			if o.tree.validatesRoot(i) {
				validators = append(validators, k)
			}
		}
	}
	blockTime := o.BlockTime
	if o.Engine == powEngine {
		blockTime = o.PowBlockTime
	}
	gen, err := makeGenesis(initOptions{Network: o.Network, ChainID: o.ChainID, GasLimit: 30_000_000, BlockTime: blockTime}, o.Engine, validators, fund)
	if err != nil {
		return nil, false, err
	}
	if !kind.Finality.Instant() {
		// A pow root pays its miners; its depth is the devnet's.
		gen.BlockReward = coins(powRootReward)
		gen.Confirmations = uint64(o.Confirmations)
		if err := gen.Validate(); err != nil {
			return nil, false, err
		}
	}
	for _, cfg := range homes {
		if err := writeGenesis(cfg.Path(cfg.Genesis), gen); err != nil {
			return nil, false, err
		}
		if err := cfg.Save(); err != nil {
			return nil, false, err
		}
	}
	return homes, false, nil
}

// powRootReward is the block reward, in coins, of a devnet's pow root.
const powRootReward = 2

func buildManifest(o devnetOptions, self string, procs []*nodeProc) (*manifest, error) {
	m := &manifest{Network: "/" + o.Network, Gateway: gatewayAddress, Mnemonic: devMnemonic}
	for i := 0; i < devAccounts; i++ {
		k, err := crypto.DeriveDevKey(devMnemonic, uint32(i))
		if err != nil {
			return nil, err
		}
		m.Accounts = append(m.Accounts, manifestAccount{Address: gethcrypto.PubkeyToAddress(k.PublicKey), PrivateKey: hexutil.Encode(gethcrypto.FromECDSA(k))})
	}
	sub := manifestSubnet{ID: "/" + o.Network}
	for _, p := range procs {
		keys, err := loadKeys(p.cfg)
		if err != nil {
			return nil, err
		}
		gen, err := config.LoadGenesis(p.cfg.Path(p.cfg.Genesis))
		if err != nil {
			return nil, err
		}
		sub.ID, sub.ChainID, sub.Engine, sub.BlockTimeMs, sub.Confirmations = gen.SubnetID, gen.ChainID, gen.Engine, gen.BlockTimeMs, gen.Confirmations
		var p2pAddr string
		if len(p.cfg.P2P.Listen) > 0 {
			p2pAddr = p.cfg.P2P.Listen[0] + "/p2p/" + keys.PeerID
		}
		m.Network = gen.SubnetID
		rpc, ws := "http://"+p.cfg.RPC.Listen, "ws://"+p.cfg.RPC.Listen
		m.Nodes = append(m.Nodes, manifestNode{
			Name: p.name, Home: p.cfg.Home, PID: p.cmd.Process.Pid, RPC: rpc, WS: ws,
			Account: keys.Account, PeerID: keys.PeerID, P2P: p2pAddr, ValidatorOf: validatorOf(gen, keys), Follows: []string{}, Mines: p.cfg.Mining.Enabled,
			Log: p.logPath, Restart: p.restart,
		})
		sub.RPC = append(sub.RPC, rpc+gen.SubnetID)
		sub.WS = append(sub.WS, ws+gen.SubnetID)
	}
	m.Subnets = []manifestSubnet{sub}
	return m, nil
}

func writeJSONFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path) // readers never see half a file
}

var errNodeDied = errors.New("node exited before the first block")

// resolveTree sets o.tree from --subnets, --profile and --topology.
func (o *devnetOptions) resolveTree(profileSet bool) error {
	switch {
	case o.Topology != "" && (profileSet || o.Subnets != "default"):
		return fmt.Errorf("--topology %s describes the whole tree: drop --profile and --subnets", o.Topology)
	case o.Topology != "":
		t, err := readTopology(o.Topology)
		if err != nil {
			return err
		}
		o.Profile, o.tree = profileFile, t
	case o.Subnets == profileDisjoint && profileSet:
		return fmt.Errorf("--subnets disjoint is a tree of its own: drop --profile")
	case o.Subnets == profileDisjoint:
		o.Subnets, o.Profile = "default", profileDisjoint
		o.tree = trees[o.Profile]
	default:
		o.tree = trees[o.Profile]
	}
	if o.tree != nil && o.WanEngine != "" && o.WanEngine != powEngine {
		if k, err := consensus.LookupKind(o.WanEngine); err != nil || k.SingleSequencer {
			return fmt.Errorf("--wan-engine %q: use %s or %s", o.WanEngine, powEngine, treeEngine)
		}
		t := *o.tree
		t.subnets = append([]treeSubnet(nil), t.subnets...)
		for i := range t.subnets {
			if t.subnets[i].engineName() == powEngine {
				t.subnets[i].engine = o.WanEngine
			}
		}
		o.tree = &t
	}
	return nil
}

// validatorOf lists the subnets whose genesis gives k a seat.
func validatorOf(gen *config.Genesis, k nodeKeys) []string {
	for _, v := range gen.Validators {
		if v.Address == k.Account {
			return []string{gen.SubnetID}
		}
	}
	return []string{}
}
