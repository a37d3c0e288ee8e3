package main

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// gwFlags say where the gateway commands find a node and a key: a node's
// home (config.toml gives rpc.listen and the keys), or flags that override it.
type gwFlags struct {
	home     string
	rpcURL   string
	keyHex   string
	keystore string
	password string // password file of --keystore
	timeout  time.Duration
	asJSON   bool
}

func (f *gwFlags) register(cmd *cobra.Command, signs bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.home, "home", "", "a node's home: its rpc.listen is the endpoint and its keys sign")
	fl.StringVar(&f.rpcURL, "rpc", "", "the node's RPC URL, http://HOST:PORT (the chain's path is added), or a chain's own URL http://HOST:PORT/<subnet id>")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON")
	if signs {
		fl.StringVar(&f.keyHex, "key", "", "sign with this account private key (hex) instead of the home's keystore")
		fl.StringVar(&f.keystore, "keystore", "", "sign with this keystore v3 file instead of the home's")
		fl.StringVar(&f.password, "password-file", "", "password file of --keystore (empty password if not given)")
		fl.DurationVar(&f.timeout, "timeout", 60*time.Second, "how long to wait for the transaction's receipt")
	}
}

// node loads the home's config, or returns nil when no --home was given.
func (f *gwFlags) node() (*config.Node, error) {
	if f.home == "" {
		return nil, nil
	}
	cfg, err := config.LoadNode(f.home)
	if err != nil {
		return nil, fmt.Errorf("%w (or point at a running node with --rpc URL)", err)
	}
	return cfg, nil
}

// chainURL is the RPC URL of chain: the --rpc URL if it names a chain,
// otherwise the node's base URL with "/<chain>" appended.
func (f *gwFlags) chainURL(cfg *config.Node, chain types.SubnetID) (string, error) {
	base := f.rpcURL
	if base == "" {
		if cfg == nil {
			return "", errors.New("no node to talk to: give --home DIR (a node's home) or --rpc http://HOST:PORT")
		}
		base = "http://" + dialable(cfg.RPC.Listen)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return "", fmt.Errorf("--rpc %q is not a URL like http://127.0.0.1:8545", base)
	}
	if strings.Trim(u.Path, "/") != "" || chain == "" {
		return base, nil
	}
	u.Path = string(chain)
	return u.String(), nil
}

// dialable turns a listen address into one a client can dial: a wildcard
// host means this machine.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// accountKey is the key that signs: --key, --keystore, or the home's account.
func (f *gwFlags) accountKey(cfg *config.Node) (*ecdsa.PrivateKey, error) {
	switch {
	case f.keyHex != "":
		k, err := gethcrypto.HexToECDSA(strings.TrimPrefix(f.keyHex, "0x"))
		if err != nil {
			return nil, fmt.Errorf("--key: %w (give 32 bytes of hex)", err)
		}
		return k, nil
	case f.keystore != "":
		pw := ""
		if f.password != "" {
			b, err := readFileTrimmed(f.password)
			if err != nil {
				return nil, fmt.Errorf("--password-file: %w", err)
			}
			pw = b
		}
		return crypto.LoadAccountKey(f.keystore, pw)
	case cfg != nil:
		return crypto.LoadAccountKey(cfg.Path(cfg.Keys.Account), cfg.Password())
	}
	return nil, errors.New("no key to sign with: give --home DIR, --key HEX or --keystore PATH")
}

func readFileTrimmed(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// weiPerCoin is 10^18: amounts on the command line are in whole coins.
var weiPerCoin = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// coinAmount is a decimal number of coins: 5, 0.5, 1e-18. The exponent is
// bounded so that "1e999999999" cannot make big.Rat work for minutes.
var coinAmount = regexp.MustCompile(`^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]{1,3})?$`)

// parseCoins converts a decimal number of coins to wei exactly; it rejects
// negative numbers, fractions of a wei and anything that is not a number.
func parseCoins(s string) (*big.Int, error) {
	s = strings.TrimSpace(s)
	if !coinAmount.MatchString(s) {
		return nil, fmt.Errorf("%q is not an amount of coins; write it like 5, 0.5 or 1e-18", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not an amount of coins; write it like 5, 0.5 or 1e-18", s)
	}
	r.Mul(r, new(big.Rat).SetInt(weiPerCoin))
	if !r.IsInt() {
		return nil, fmt.Errorf("%s coins is not a whole number of wei (a coin has 18 decimals)", s)
	}
	return new(big.Int).Set(r.Num()), nil
}

// formatCoins writes wei as an exact decimal number of coins: 5, 0.5, 0.000000000000000001.
func formatCoins(wei *big.Int) string {
	if wei == nil {
		return "0"
	}
	neg := wei.Sign() < 0
	q, r := new(big.Int).QuoRem(new(big.Int).Abs(wei), weiPerCoin, new(big.Int))
	out := q.String()
	if r.Sign() != 0 {
		out += "." + strings.TrimRight(fmt.Sprintf("%018s", r.String()), "0")
	}
	if neg {
		out = "-" + out
	}
	return out
}

// gateway.ABIParams is IGateway.SubnetParams as the abi package packs it.
// subnetView is a subnet as show and list print it: amounts in coins
// (exact decimal strings), enums by name.
type subnetView struct {
	ID                   string          `json:"id"`
	Status               string          `json:"status"`
	Creator              common.Address  `json:"creator"`
	ChainID              uint64          `json:"chainId"`
	Params               paramsView      `json:"params"`
	CirculatingSupply    string          `json:"circulatingSupply"`
	LastCheckpointHeight uint64          `json:"lastCheckpointHeight"`
	LastCheckpointHash   common.Hash     `json:"lastCheckpointHash"`
	ConfigNumber         uint64          `json:"configNumber"`
	TotalCollateral      string          `json:"totalCollateral"`
	Validators           []validatorView `json:"validators"`
	// JurySeats and HeldCheckpoint (the oldest whose payouts its jury
	// holds) are read by subnet show only.
	JurySeats      *uint32      `json:"jurySeats,omitempty"`
	HeldCheckpoint *heldSummary `json:"heldCheckpoint,omitempty"`
}

type paramsView struct {
	Engine           string `json:"engine"`
	MinValidators    uint32 `json:"minValidators"`
	MinCollateral    string `json:"minCollateral"`
	BlockTimeMs      uint32 `json:"blockTimeMs"`
	CheckpointPeriod uint32 `json:"checkpointPeriod"`
	GasLimit         uint64 `json:"gasLimit"`
}

type validatorView struct {
	Owner        common.Address `json:"owner"`
	BLSPublicKey hexutil.Bytes  `json:"blsPublicKey"`
	P2PAddr      string         `json:"p2pAddr"`
	Collateral   string         `json:"collateral"`
}

// decodeSubnet turns the unpacked result of subnet(id) into its view.
func decodeSubnet(out []any) (subnetView, error) {
	info, err := client.DecodeSubnetInfo(out)
	if err != nil {
		return subnetView{}, err
	}
	p := info.Params
	v := subnetView{
		ID: info.Id, Status: gateway.Status(info.Status).String(), Creator: info.Creator, ChainID: info.ChainId,
		Params: paramsView{Engine: gateway.Engine(p.Engine).String(), MinValidators: p.MinValidators, MinCollateral: formatCoins(p.MinCollateral),
			BlockTimeMs: p.BlockTimeMs, CheckpointPeriod: p.CheckpointPeriod, GasLimit: p.GasLimit},
		CirculatingSupply: formatCoins(info.CirculatingSupply), LastCheckpointHeight: info.LastCheckpointHeight,
		LastCheckpointHash: info.LastCheckpointHash, ConfigNumber: info.ConfigNumber, Validators: []validatorView{},
	}
	total := new(big.Int)
	for _, val := range info.Validators {
		total.Add(total, val.Collateral)
		v.Validators = append(v.Validators, validatorView{val.Owner, val.BlsPublicKey, val.P2pAddr, formatCoins(val.Collateral)})
	}
	v.TotalCollateral = formatCoins(total)
	return v, nil
}
