package main

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// treeSubnet is one subnet of the default devnet tree and the nodes (by
// index) that validate it. Parents come before their children.
type treeSubnet struct {
	name    string // path below the root, e.g. "alpha/one"
	members []int
}

// treeNodes are the nodes the default tree needs.
var treeNodes = []int{0, 1, 2, 3}

var defaultTree = []treeSubnet{
	{"alpha", []int{0, 1, 2}},
	{"beta", []int{1, 2, 3}},
	{"alpha/one", []int{0, 1, 2}},
}

// treeMarker is written once the tree is built: a resumed devnet's nodes
// find their subnets in chain state; devnet only lists them.
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
func buildTree(ctx context.Context, out io.Writer, homes []*config.Node, root types.SubnetID, blockTime time.Duration, period uint32, fundees []common.Address) error {
	coin := big.NewInt(1e18)
	coins := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), coin) }
	for _, s := range defaultTree {
		id := subnetOf(root, s.name)
		parent := id.Parent()
		creator := homes[s.members[0]]
		fmt.Fprintf(out, "creating %s (validators node%d, node%d, node%d)…\n", id, s.members[0], s.members[1], s.members[2])
		g, err := treeClient(ctx, creator, parent)
		if err != nil {
			return err
		}
		engine, _ := gateway.EngineByName(treeEngine)
		params := gateway.ABIParams{Engine: uint8(engine), MinValidators: uint32(len(s.members)),
			MinCollateral: coins(int64(len(s.members))), BlockTimeMs: uint32(blockTime.Milliseconds()),
			CheckpointPeriod: max(period, 1), GasLimit: 30_000_000}
		if _, err := g.Transact(ctx, "createSubnet", nil, id.Name(), params); err != nil {
			g.Close()
			return fmt.Errorf("create %s: %w", id, err)
		}
		// Every fund goes out at once (consecutive nonces) and is confirmed
		// after: one or two blocks instead of one per account.
		var sent []*client.PendingTx
		for _, to := range fundees {
			amount := coins(treeFundCoins)
			if to == childCreator(root, s.name, homes) {
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
	return os.WriteFile(filepath.Join(filepath.Dir(homes[0].Home), treeMarker), []byte("ok\n"), 0o644)
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

// treeManifest adds the tree's subnets to m and each node's seats.
func treeManifest(m *manifest, root types.SubnetID) {
	for _, s := range defaultTree {
		id := subnetOf(root, s.name)
		sub := manifestSubnet{ID: string(id), Engine: treeEngine, ChainID: gateway.ChainIDFor(id)}
		for _, i := range s.members {
			n := &m.Nodes[i]
			n.ValidatorOf = append(n.ValidatorOf, string(id))
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

// childCreator is the account that creates the subnets directly below name in
// the tree (zero if none).
func childCreator(root types.SubnetID, name string, homes []*config.Node) common.Address {
	for _, s := range defaultTree {
		if subnetOf(root, s.name).Parent() == subnetOf(root, name) {
			if k, err := loadKeys(homes[s.members[0]]); err == nil {
				return k.Account
			}
		}
	}
	return common.Address{}
}
