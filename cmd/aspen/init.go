package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/p2p/libp2p"
)

// nodeKeys is what a node's home holds about its identity, safe to print.
type nodeKeys struct {
	Account      common.Address `json:"account"`
	BLSPublicKey string         `json:"blsPublicKey"`
	PeerID       string         `json:"peerId"`
}

// createKeys makes a fresh account key, validator key and libp2p identity in
// cfg's key paths. It refuses to overwrite existing keys.
func createKeys(cfg *config.Node) (nodeKeys, error) {
	for _, p := range []string{cfg.Keys.Account, cfg.Keys.Validator, cfg.Keys.Identity} {
		if _, err := os.Stat(cfg.Path(p)); err == nil {
			return nodeKeys{}, fmt.Errorf("%s already exists: refusing to overwrite a key (use another --home)", cfg.Path(p))
		}
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path(cfg.Keys.Account)), 0o700); err != nil {
		return nodeKeys{}, err
	}
	acct, err := crypto.NewAccountKey()
	if err != nil {
		return nodeKeys{}, err
	}
	if err := crypto.SaveAccountKey(cfg.Path(cfg.Keys.Account), acct, ""); err != nil {
		return nodeKeys{}, err
	}
	bls, err := crypto.GenerateBLSKey()
	if err != nil {
		return nodeKeys{}, err
	}
	if err := crypto.SaveBLSKey(cfg.Path(cfg.Keys.Validator), bls); err != nil {
		return nodeKeys{}, err
	}
	peerID, err := libp2p.GenerateIdentity(cfg.Path(cfg.Keys.Identity))
	if err != nil {
		return nodeKeys{}, err
	}
	return nodeKeys{
		Account:      gethcrypto.PubkeyToAddress(acct.PublicKey),
		BLSPublicKey: bls.PublicKey().String(),
		PeerID:       peerID,
	}, nil
}

// loadKeys reads the public half of a home's keys.
func loadKeys(cfg *config.Node) (nodeKeys, error) {
	acct, err := crypto.LoadAccountKey(cfg.Path(cfg.Keys.Account), cfg.Password())
	if err != nil {
		return nodeKeys{}, err
	}
	bls, err := crypto.LoadBLSKey(cfg.Path(cfg.Keys.Validator))
	if err != nil {
		return nodeKeys{}, err
	}
	peerID, err := libp2p.LoadIdentity(cfg.Path(cfg.Keys.Identity))
	if err != nil {
		return nodeKeys{}, err
	}
	return nodeKeys{gethcrypto.PubkeyToAddress(acct.PublicKey), bls.PublicKey().String(), peerID}, nil
}

// initOptions are the settings of a new home.
type initOptions struct {
	Home         string
	Network      string
	ChainID      uint64
	RPCListen    string
	BlockTime    time.Duration
	IdleInterval time.Duration
	GasLimit     uint64
	Fund         []common.Address // extra accounts funded with fundCoins
}

func initCmd() *cobra.Command {
	var o initOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "init --home DIR",
		Short: "Create a node home: keys, a single-node genesis and config.toml",
		Long: "init makes a home for a node that is the solo sequencer of a new root chain.\n" +
			"It writes keys/ (account keystore, BLS validator key, libp2p identity), genesis.json and config.toml.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Home == "" {
				return fmt.Errorf("--home is required")
			}
			cfg, keys, err := initSoloHome(o)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"home": cfg.Home, "keys": keys, "rpc": "http://" + cfg.RPC.Listen})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created %s\n  account   %s\n  validator %s\n  peer ID   %s\nStart it with: aspen node --home %s\n",
				cfg.Home, keys.Account, keys.BLSPublicKey, keys.PeerID, cfg.Home)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Home, "home", "", "directory for the node's keys, config and data")
	f.StringVar(&o.Network, "network", "devnet", "root network name: the chain's subnet ID is /NAME")
	f.Uint64Var(&o.ChainID, "chain-id", 12345, "EIP-155 chain ID of the root chain")
	f.StringVar(&o.RPCListen, "rpc", "127.0.0.1:8545", "host:port for JSON-RPC (HTTP and WebSocket)")
	f.DurationVar(&o.BlockTime, "block-time", time.Second, "solo: seal a block this often while transactions wait")
	f.DurationVar(&o.IdleInterval, "idle-interval", 10*time.Second, "solo: seal an empty block at most this often when idle")
	f.Uint64Var(&o.GasLimit, "gas-limit", 30_000_000, "block gas limit")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newHome prepares a config for home and creates its keys.
func newHome(o initOptions, name string) (*config.Node, nodeKeys, error) {
	if err := os.MkdirAll(o.Home, 0o755); err != nil {
		return nil, nodeKeys{}, err
	}
	abs, err := filepath.Abs(o.Home)
	if err != nil {
		return nil, nodeKeys{}, err
	}
	cfg := config.DefaultNode(abs)
	cfg.Name = name
	cfg.RPC.Listen = o.RPCListen
	cfg.Consensus.BlockTime = config.Duration{Duration: o.BlockTime}
	cfg.Consensus.IdleInterval = config.Duration{Duration: max(o.IdleInterval, o.BlockTime)}
	if err := cfg.Validate(); err != nil {
		return nil, nodeKeys{}, err
	}
	if _, err := os.Stat(filepath.Join(abs, config.ConfigFile)); err == nil {
		return nil, nodeKeys{}, fmt.Errorf("%s already holds a node (config.toml exists); start it with `aspen node --home %s`", abs, abs)
	}
	keys, err := createKeys(cfg)
	if err != nil {
		return nil, nodeKeys{}, err
	}
	return cfg, keys, nil
}

func initSoloHome(o initOptions) (*config.Node, nodeKeys, error) {
	cfg, keys, err := newHome(o, filepath.Base(o.Home))
	if err != nil {
		return nil, nodeKeys{}, err
	}
	gen, err := soloGenesis(o, keys, append([]common.Address{keys.Account}, o.Fund...))
	if err != nil {
		return nil, nodeKeys{}, err
	}
	if err := writeGenesis(cfg.Path(cfg.Genesis), gen); err != nil {
		return nil, nodeKeys{}, err
	}
	return cfg, keys, cfg.Save()
}
