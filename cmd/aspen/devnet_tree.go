package main

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// treeSubnet is one subnet of a devnet tree and the nodes (by index) that
// validate it. Parents come before their children.
type treeSubnet struct {
	name    string // path below the root, e.g. "alpha/one"
	members []int
	engine  string        // "": treeEngine
	block   time.Duration // 0: the devnet's --block-time
}

// Profiles: the shapes of tree `aspen devnet --profile` builds
// (`--subnets disjoint` is the disjoint one); a --topology file is
// profileFile.
const (
	profileDefault  = "default"
	profileLayered  = "layered"
	profileDisjoint = "disjoint"
	profileFile     = "topology"
)

var trees = map[string]*topology{
	profileDefault: {nodes: 4, subnets: []treeSubnet{
		{name: "alpha", members: []int{0, 1, 2}},
		{name: "beta", members: []int{1, 2, 3}},
		{name: "alpha/one", members: []int{0, 1, 2}},
	}},
	// Layered consensus: fast local bft subnets ("microblocks") under a
	// wide-area pow chain that folds their checkpoints into its blocks
	// ("macroblocks"), under a bft root. Every node mines on wan.
	profileLayered: {nodes: 4, subnets: []treeSubnet{
		{name: "wan", members: []int{0, 1, 2, 3}, engine: powEngine, block: 2 * time.Second},
		{name: "wan/lan1", members: []int{0, 1, 2}, block: 200 * time.Millisecond},
		{name: "wan/lan2", members: []int{1, 2, 3}, block: 200 * time.Millisecond},
	}},
	// Disjoint validator sets: no node of alpha's subtree validates the
	// root, so a fault of the root's validators is not a fault of alpha.
	// node4-7 follow the root; node0-3 never run alpha.
	profileDisjoint: {nodes: 8, root: []int{0, 1, 2, 3}, subnets: []treeSubnet{
		{name: "alpha", members: []int{4, 5, 6, 7}},
		{name: "beta", members: []int{0, 1, 2, 3}},
		{name: "alpha/one", members: []int{4, 5, 6}},
	}},
}

func (s treeSubnet) engineName() string {
	if s.engine == "" {
		return treeEngine
	}
	return s.engine
}

// treeMarker is written once the tree is built, holding its profile: a
// resumed devnet's nodes find their subnets in chain state; devnet only
// lists them.
const treeMarker = "tree-built"

const (
	treeFundCoins    = 100  // every dev and node account, on every subnet
	treeCreatorExtra = 3000 // on a subnet with children, their creator gets this too, to fund them
)

func subnetOf(root types.SubnetID, name string) types.SubnetID {
	return types.SubnetID(string(root) + "/" + name)
}

// buildTree creates, funds and joins the default subnets through the
// gateways, as a user would with aspen subnet and aspen xfer, and waits until
// every member serves each subnet before going a level deeper.
func buildTree(ctx context.Context, out io.Writer, homes []*config.Node, root types.SubnetID, o devnetOptions, fundees []common.Address) error {
	coin := big.NewInt(1e18)
	coins := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), coin) }
	tree := o.tree.subnets
	for _, s := range tree {
		id := subnetOf(root, s.name)
		parent := id.Parent()
		creator := homes[s.members[0]]
		fmt.Fprintf(out, "creating %s (%s, validators %s)…\n", id, s.engineName(), nodeNames(s.members))
		g, err := treeClient(ctx, creator, parent)
		if err != nil {
			return err
		}
		engine, _ := gateway.EngineByName(s.engineName())
		params := gateway.ABIParams{Engine: uint8(engine), MinValidators: uint32(len(s.members)),
			MinCollateral: coins(int64(len(s.members))), BlockTimeMs: uint32(o.subnetBlockTime(s).Milliseconds()),
			CheckpointPeriod: max(o.CheckpointPeriod, 1), GasLimit: 30_000_000}
		var err2 error
		if engine == gateway.EnginePoW {
			_, err2 = g.Transact(ctx, "createPowSubnet", nil, id.Name(), params, o.Confirmations)
		} else {
			_, err2 = g.Transact(ctx, "createSubnet", nil, id.Name(), params)
		}
		if err2 != nil {
			g.Close()
			return fmt.Errorf("create %s: %w", id, err2)
		}
		// Every fund goes out at once (consecutive nonces) and is confirmed
		// after: one or two blocks instead of one per account.
		var sent []*client.PendingTx
		for _, to := range fundees {
			amount := coins(treeFundCoins)
			if createsChildren(tree, root, s.name, homes, to) {
				amount = coins(treeFundCoins + treeCreatorExtra)
			}
			p, err := g.Send(ctx, "fund", amount, string(id), to)
			if err != nil {
				g.Close()
				return fmt.Errorf("fund %s on %s: %w", to, id, err)
			}
			sent = append(sent, p)
		}
		for _, p := range sent {
			if _, err := g.Confirm(ctx, p); err != nil {
				g.Close()
				return fmt.Errorf("fund on %s: %w", id, err)
			}
		}
		g.Close()
		if err := treeJoin(ctx, homes, s.members, id); err != nil {
			return err
		}
		for _, m := range s.members {
			if err := waitServes(ctx, homes[m], id); err != nil {
				return err
			}
		}
	}
	if err := saveTopology(o.Home, o.tree); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(o.Home, treeMarker), []byte(o.Profile+"\n"), 0o644)
}

// builtProfile is the profile and topology of the tree already built under
// home, or "" if none was.
func builtProfile(home string) (string, *topology, error) {
	data, err := os.ReadFile(filepath.Join(home, treeMarker))
	if err != nil {
		return "", nil, nil
	}
	p := strings.TrimSpace(string(data))
	if t, err := savedTopology(home); t != nil || err != nil {
		return p, t, err
	}
	if trees[p] != nil {
		return p, trees[p], nil
	}
	return profileDefault, trees[profileDefault], nil // written before there were profiles
}

// subnetBlockTime is s's block time: its own, else the devnet's; a pow
// subnet's is --pow-block-time.
func (o devnetOptions) subnetBlockTime(s treeSubnet) time.Duration {
	if s.engineName() == powEngine && o.PowBlockTime > 0 {
		return o.PowBlockTime
	}
	if s.block > 0 {
		return s.block
	}
	return o.BlockTime
}

func nodeNames(idx []int) string {
	names := make([]string, len(idx))
	for i, n := range idx {
		names[i] = "node" + strconv.Itoa(n)
	}
	return strings.Join(names, ", ")
}

func treeClient(ctx context.Context, cfg *config.Node, chain types.SubnetID) (*client.Gateway, error) {
	key, err := crypto.LoadAccountKey(cfg.Path(cfg.Keys.Account), cfg.Password())
	if err != nil {
		return nil, err
	}
	return client.DialGateway(ctx, "http://"+dialable(cfg.RPC.Listen)+string(chain), client.Options{Key: key, Timeout: time.Minute, Home: cfg.Home})
}

// treeJoin has every member join id, all at once, and waits for the joins.
func treeJoin(ctx context.Context, homes []*config.Node, members []int, id types.SubnetID) error {
	type joining struct {
		g *client.Gateway
		p *client.PendingTx
	}
	var js []joining
	defer func() {
		for _, j := range js {
			j.g.Close()
		}
	}()
	for _, m := range members {
		cfg := homes[m]
		g, err := treeClient(ctx, cfg, id.Parent())
		if err != nil {
			return err
		}
		bls, err := crypto.LoadBLSKey(cfg.Path(cfg.Keys.Validator))
		if err != nil {
			g.Close()
			return err
		}
		addr, err := homeP2PAddr(cfg)
		if err != nil {
			g.Close()
			return err
		}
		pub := bls.PublicKey()
		p, err := g.Send(ctx, "join", big.NewInt(1e18), string(id), pub.Bytes(), bls.ProofOfPossession(), addr)
		if err != nil {
			g.Close()
			return fmt.Errorf("%s joins %s: %w", cfg.Name, id, err)
		}
		js = append(js, joining{g, p})
	}
	for i, j := range js {
		if _, err := j.g.Confirm(ctx, j.p); err != nil {
			return fmt.Errorf("%s joins %s: %w", homes[members[i]].Name, id, err)
		}
	}
	return nil
}

// waitServes waits until the node at cfg serves id and has its first block.
func waitServes(ctx context.Context, cfg *config.Node, id types.SubnetID) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if n, err := blockNumber(ctx, "http://"+dialable(cfg.RPC.Listen)+string(id)); err == nil && n >= 1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s does not serve %s after a minute; see %s", cfg.Name, id, filepath.Join(cfg.Home, "node.log"))
		case <-tick.C:
		}
	}
}

// treeEngine is the engine of the default tree's subnets, and the default
// of --engine for devnet roots and subnet create.
const treeEngine = "bft"

// powEngine is the engine of the layered tree's wide-area subnet and of a
// devnet root started with --engine pow: nodes mine on it.
const powEngine = "pow"

// treeManifest adds the tree's subnets to m and each node's seats and the
// chains it follows.
func treeManifest(m *manifest, root types.SubnetID, o devnetOptions) {
	m.Profile = o.Profile
	for i := range m.Nodes {
		m.Nodes[i].ValidatorOf, m.Nodes[i].Follows = o.tree.roles(root, i)
	}
	for _, s := range o.tree.subnets {
		id := subnetOf(root, s.name)
		sub := manifestSubnet{ID: string(id), Engine: s.engineName(), ChainID: gateway.ChainIDFor(id),
			BlockTimeMs: uint64(o.subnetBlockTime(s).Milliseconds())}
		if s.engineName() == powEngine {
			sub.Confirmations = uint64(o.Confirmations)
		}
		for _, i := range s.members {
			n := &m.Nodes[i]
			sub.RPC = append(sub.RPC, n.RPC+string(id))
			sub.WS = append(sub.WS, n.WS+string(id))
		}
		m.Subnets = append(m.Subnets, sub)
	}
}

// devFundees are the accounts funded on every subnet: the dev accounts and
// every node's own account.
func devFundees(homes []*config.Node) ([]common.Address, error) {
	var out []common.Address
	for i := 0; i < devAccounts; i++ {
		k, err := crypto.DeriveDevKey(devMnemonic, uint32(i))
		if err != nil {
			return nil, err
		}
		out = append(out, gethcrypto.PubkeyToAddress(k.PublicKey))
	}
	for _, h := range homes {
		k, err := loadKeys(h)
		if err != nil {
			return nil, err
		}
		out = append(out, k.Account)
	}
	return out, nil
}

// createsChildren reports whether addr creates one of the subnets directly
// below name in the tree (the first member of each does).
func createsChildren(tree []treeSubnet, root types.SubnetID, name string, homes []*config.Node, addr common.Address) bool {
	for _, s := range tree {
		if subnetOf(root, s.name).Parent() == subnetOf(root, name) {
			if k, err := loadKeys(homes[s.members[0]]); err == nil && k.Account == addr {
				return true
			}
		}
	}
	return false
}
