package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/cobra"

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

// gwClient calls one chain's gateway over JSON-RPC and, with a key, sends
// transactions to it and waits for their receipts.
type gwClient struct {
	url      string
	home     string // for advice in errors; "" with --rpc
	rpc      *gethrpc.Client
	abi      abi.ABI
	key      *ecdsa.PrivateKey // nil: read-only
	from     common.Address
	timeout  time.Duration
	progress io.Writer // a line while waiting for a receipt; io.Discard for none
}

// dialGateway connects to the chain at url; key may be nil for calls only.
func dialGateway(ctx context.Context, url, home string, key *ecdsa.PrivateKey, timeout time.Duration, progress io.Writer) (*gwClient, error) {
	parsed, err := gateway.ParseABI()
	if err != nil {
		return nil, err
	}
	c, err := gethrpc.DialContext(ctx, url)
	if err != nil {
		return nil, rpcError(url, home, err)
	}
	g := &gwClient{url: url, home: home, rpc: c, abi: parsed, key: key, timeout: timeout, progress: progress}
	if key != nil {
		g.from = gethcrypto.PubkeyToAddress(key.PublicKey)
	}
	return g, nil
}

func (g *gwClient) Close() { g.rpc.Close() }

// callArgs is the transaction object of eth_call and eth_estimateGas.
type callArgs struct {
	From  *common.Address `json:"from,omitempty"`
	To    common.Address  `json:"to"`
	Gas   *hexutil.Uint64 `json:"gas,omitempty"`
	Value *hexutil.Big    `json:"value,omitempty"`
	Input hexutil.Bytes   `json:"input"`
}

// call runs a view of the gateway at the latest block and unpacks its results.
func (g *gwClient) call(ctx context.Context, method string, args ...any) ([]any, error) {
	data, err := g.abi.Pack(method, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the arguments: %w", method, err)
	}
	var out hexutil.Bytes
	if err := g.rpc.CallContext(ctx, &out, "eth_call", callArgs{To: gateway.Address, Input: data}, "latest"); err != nil {
		return nil, fmt.Errorf("%s: %w", method, g.rpcErr(err))
	}
	res, err := g.abi.Unpack(method, out)
	if err != nil {
		return nil, fmt.Errorf("%s: the gateway at %s answered something that is not IGateway's result (%w); is this an Aspen node?", method, g.url, err)
	}
	return res, nil
}

// sentTx is a transaction included in a block.
type sentTx struct {
	Hash    common.Hash
	Receipt *gethtypes.Receipt
}

// transact sends method(args) with value to the gateway, signed by g's key,
// and waits for its receipt. A call that would revert is not sent: the error
// carries the gateway's reason as eth_estimateGas gave it.
func (g *gwClient) transact(ctx context.Context, method string, value *big.Int, args ...any) (*sentTx, error) {
	p, err := g.send(ctx, method, value, args...)
	if err != nil {
		return nil, err
	}
	return g.confirm(ctx, p)
}

// pendingTx is a transaction sent and not yet confirmed.
type pendingTx struct {
	method string
	tx     *gethtypes.Transaction
	est    callArgs
}

// send signs and sends method(args) without waiting: several sends from one
// key take consecutive nonces (the node's pending nonce counts its pool), so
// a batch can be confirmed at once.
func (g *gwClient) send(ctx context.Context, method string, value *big.Int, args ...any) (*pendingTx, error) {
	if g.key == nil {
		return nil, errors.New("no key to sign with")
	}
	data, err := g.abi.Pack(method, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the arguments: %w", method, err)
	}
	if value == nil {
		value = new(big.Int)
	}
	var chainID, nonce, gas hexutil.Uint64
	var tip hexutil.Big
	var head struct {
		BaseFee *hexutil.Big `json:"baseFeePerGas"`
	}
	if err := g.rpc.CallContext(ctx, &chainID, "eth_chainId"); err != nil {
		return nil, g.rpcErr(err)
	}
	if err := g.rpc.CallContext(ctx, &nonce, "eth_getTransactionCount", g.from, "pending"); err != nil {
		return nil, g.rpcErr(err)
	}
	est := callArgs{From: &g.from, To: gateway.Address, Value: (*hexutil.Big)(value), Input: data}
	if err := g.rpc.CallContext(ctx, &gas, "eth_estimateGas", est); err != nil {
		return nil, fmt.Errorf("%s: %w", method, g.rpcErr(err))
	}
	if err := g.rpc.CallContext(ctx, &tip, "eth_maxPriorityFeePerGas"); err != nil {
		return nil, g.rpcErr(err)
	}
	if err := g.rpc.CallContext(ctx, &head, "eth_getBlockByNumber", "latest", false); err != nil {
		return nil, g.rpcErr(err)
	}
	feeCap := new(big.Int).Set(tip.ToInt())
	if head.BaseFee != nil {
		feeCap.Add(feeCap, new(big.Int).Mul(head.BaseFee.ToInt(), big.NewInt(2)))
	}
	tx, err := gethtypes.SignNewTx(g.key, gethtypes.LatestSignerForChainID(new(big.Int).SetUint64(uint64(chainID))), &gethtypes.DynamicFeeTx{
		ChainID: new(big.Int).SetUint64(uint64(chainID)), Nonce: uint64(nonce),
		GasTipCap: tip.ToInt(), GasFeeCap: feeCap, Gas: uint64(gas) + uint64(gas)/5,
		To: &gateway.Address, Value: value, Data: data,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: signing: %w", method, err)
	}
	raw, _ := tx.MarshalBinary()
	if err := g.rpc.CallContext(ctx, nil, "eth_sendRawTransaction", hexutil.Bytes(raw)); err != nil {
		return nil, fmt.Errorf("%s: sending: %w", method, g.rpcErr(err))
	}
	return &pendingTx{method: method, tx: tx, est: est}, nil
}

// confirm waits for p's receipt and explains a failed one.
func (g *gwClient) confirm(ctx context.Context, p *pendingTx) (*sentTx, error) {
	rec, err := g.waitReceipt(ctx, p.method, p.tx.Hash())
	if err != nil {
		return nil, err
	}
	if rec.Status != gethtypes.ReceiptStatusSuccessful {
		return nil, g.failure(ctx, p.method, p.tx, rec, p.est)
	}
	return &sentTx{Hash: p.tx.Hash(), Receipt: rec}, nil
}

// waitReceipt polls for the receipt of h until g.timeout.
func (g *gwClient) waitReceipt(ctx context.Context, method string, h common.Hash) (*gethtypes.Receipt, error) {
	fmt.Fprintf(g.progress, "%s: sent %s, waiting for a block…\n", method, h)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var rec *gethtypes.Receipt
		err := g.rpc.CallContext(ctx, &rec, "eth_getTransactionReceipt", h)
		if err == nil && rec != nil {
			return rec, nil
		}
		if err != nil && ctx.Err() == nil {
			return nil, g.rpcErr(err)
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return nil, fmt.Errorf("%s: interrupted while waiting for %s: it may still be included; look it up with eth_getTransactionReceipt", method, h)
			}
			return nil, fmt.Errorf("%s: no receipt for %s after %s: it may still be included; look it up later with eth_getTransactionReceipt or wait longer with --timeout", method, h, g.timeout)
		case <-tick.C:
		}
	}
}

// failure explains a status-0 receipt: the call is replayed on the state
// the transaction ran on (the block before its own) to recover the reason.
func (g *gwClient) failure(ctx context.Context, method string, tx *gethtypes.Transaction, rec *gethtypes.Receipt, args callArgs) error {
	gas := hexutil.Uint64(tx.Gas())
	args.Gas = &gas
	block := hexutil.EncodeBig(new(big.Int).Sub(rec.BlockNumber, big.NewInt(1)))
	var out hexutil.Bytes
	err := g.rpc.CallContext(ctx, &out, "eth_call", args, block)
	if err == nil {
		return fmt.Errorf("%s: transaction %s failed in block %s (status 0, gas used %d of %d); the reason could not be recovered", method, tx.Hash(), rec.BlockNumber, rec.GasUsed, tx.Gas())
	}
	return fmt.Errorf("%s: transaction %s failed in block %s: %w", method, tx.Hash(), rec.BlockNumber, g.rpcErr(err))
}

// event finds the first log of the gateway's event name in rec and unpacks
// its non-indexed arguments; topics holds the indexed ones.
func (g *gwClient) event(rec *gethtypes.Receipt, name string) (values map[string]any, topics []common.Hash, ok bool) {
	ev, found := g.abi.Events[name]
	if !found {
		return nil, nil, false
	}
	for _, l := range rec.Logs {
		if l.Address != gateway.Address || len(l.Topics) == 0 || l.Topics[0] != ev.ID {
			continue
		}
		values = map[string]any{}
		if err := ev.Inputs.NonIndexed().UnpackIntoMap(values, l.Data); err != nil {
			continue
		}
		return values, l.Topics[1:], true
	}
	return nil, nil, false
}

func (g *gwClient) rpcErr(err error) error { return rpcError(g.url, g.home, err) }

// rpcError rewrites a transport failure as advice; JSON-RPC errors (revert
// reasons among them) keep the node's message exactly.
func rpcError(url, home string, err error) error {
	var httpErr gethrpc.HTTPError
	if errors.As(err, &httpErr) {
		var body struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(httpErr.Body, &body) == nil && body.Error.Message != "" {
			return fmt.Errorf("%s: %s", url, body.Error.Message)
		}
		return fmt.Errorf("%s answered HTTP %s: is it an Aspen node's RPC URL?", url, httpErr.Status)
	}
	var rpcErr gethrpc.Error
	if errors.As(err, &rpcErr) {
		return errors.New(rpcErr.Error())
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &opErr) || (errors.As(err, &netErr) && !errors.Is(err, context.DeadlineExceeded)) {
		if home == "" {
			home = "DIR"
		}
		return fmt.Errorf("cannot reach %s: is the node running? start it with `aspen node --home %s` (%v)", url, home, err)
	}
	return err
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
	if len(out) != 1 {
		return subnetView{}, fmt.Errorf("subnet(): %d results, want one SubnetInfo", len(out))
	}
	info := new(gateway.ABISubnetInfo)
	if err := convertABI(out[0], info); err != nil {
		return subnetView{}, fmt.Errorf("subnet(): %w", err)
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

// convertABI is abi.ConvertType without its panic on a shape mismatch.
func convertABI(in, out any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unexpected result shape: %v", r)
		}
	}()
	abi.ConvertType(in, out)
	return nil
}
