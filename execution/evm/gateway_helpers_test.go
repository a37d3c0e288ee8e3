package evm

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	aspencrypto "github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/internal/testkeys"
)

var ether = big.NewInt(params.Ether)

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), ether) }

// gwChain is a test chain with helpers for the gateway.
type gwChain struct {
	*testChain
	gw    abi.ABI
	spent map[common.Address]*big.Int // fees paid per account, from receipts
}

func newGWChain(t testing.TB, accounts int) *gwChain {
	gw, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	return &gwChain{testChain: newTestChain(t, accounts, 30_000_000), gw: gw, spent: map[common.Address]*big.Int{}}
}

// send signs a call of account i to `to` (gas 3M, tip 1 gwei).
func (c *gwChain) send(i int, to common.Address, value *big.Int, data []byte) *gethtypes.Transaction {
	if value == nil {
		value = new(big.Int)
	}
	return c.tx(i, &to, value, 3_000_000, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei))
}

// gwTx signs a call of account i to the gateway.
func (c *gwChain) gwTx(i int, value *big.Int, method string, args ...any) *gethtypes.Transaction {
	return c.send(i, gateway.Address, value, mustPack(c.t, c.gw, method, args...))
}

// run builds and commits one block with txs, records the fees each sender
// paid, checks every receipt's status against want (1 = success) and returns
// the receipts.
func (c *gwChain) run(want uint64, txs ...*gethtypes.Transaction) gethtypes.Receipts {
	c.t.Helper()
	ex := c.block(txs...)
	rs, err := c.ex.Receipts(ex.Block.Hash())
	if err != nil {
		c.t.Fatal(err)
	}
	for i, r := range rs {
		from, _ := gethtypes.Sender(c.ex.Signer(), txs[i])
		fee := new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice)
		if c.spent[from] == nil {
			c.spent[from] = new(big.Int)
		}
		c.spent[from].Add(c.spent[from], fee)
		if r.Status != want {
			reason := ""
			if r.Status == 0 {
				reason = c.reasonOf(txs[i], from)
			}
			c.t.Fatalf("tx %d status %d, want %d (gas used %d of %d) %s", i, r.Status, want, r.GasUsed, txs[i].Gas(), reason)
		}
	}
	return rs
}

// reasonOf replays tx as eth_call on the head to learn its revert reason.
func (c *gwChain) reasonOf(tx *gethtypes.Transaction, from common.Address) string {
	res := c.ethCall(from, *tx.To(), tx.Value(), tx.Data())
	if res.Err == nil {
		return ""
	}
	return res.Err.Error()
}

func (c *gwChain) ethCall(from, to common.Address, value *big.Int, data []byte) *execution.CallResult {
	c.t.Helper()
	res, err := c.ex.Call(context.Background(), nil, execution.CallArgs{From: from, To: &to, Value: value, Data: data}, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return res
}

// view calls a gateway function with eth_call and unpacks its outputs.
func (c *gwChain) view(method string, args ...any) []any {
	c.t.Helper()
	res := c.ethCall(common.Address{}, gateway.Address, nil, mustPack(c.t, c.gw, method, args...))
	if res.Err != nil {
		c.t.Fatalf("%s: %v", method, res.Err)
	}
	out, err := c.gw.Unpack(method, res.ReturnData)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// expectRevert checks eth_call of (from, value, method) reverts with a
// reason containing want.
func (c *gwChain) expectRevert(want string, from common.Address, to common.Address, value *big.Int, data []byte) {
	c.t.Helper()
	res := c.ethCall(from, to, value, data)
	if res.Err == nil {
		c.t.Fatalf("call succeeded, want revert %q", want)
	}
	if !strings.Contains(res.Err.Error(), want) {
		c.t.Fatalf("reverted with %q, want %q", res.Err, want)
	}
}

func (c *gwChain) subnet(id string) gateway.ABISubnetInfo {
	c.t.Helper()
	out := c.view("subnet", id)
	return *abi.ConvertType(out[0], new(gateway.ABISubnetInfo)).(*gateway.ABISubnetInfo)
}

// gatewayFingerprint is everything a failed call must leave as it was: the
// gateway's storage root and balance.
func (c *gwChain) gatewayFingerprint() (common.Hash, *big.Int) {
	c.t.Helper()
	p, err := c.ex.Proof(nil, gateway.Address, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return p.StorageHash, p.Balance
}

// paramsArg is an IGateway.SubnetParams value for abi packing.
type paramsArg struct {
	Engine           uint8
	MinValidators    uint32
	MinCollateral    *big.Int
	BlockTimeMs      uint32
	CheckpointPeriod uint32
	GasLimit         uint64
}

func bft(minVals uint32, minColl *big.Int) paramsArg {
	return paramsArg{Engine: uint8(gateway.EngineBFT), MinValidators: minVals, MinCollateral: minColl, BlockTimeMs: 500, CheckpointPeriod: 10, GasLimit: 30_000_000}
}

// blsKey is validator key seed of the shared test keys.
func blsKey(_ testing.TB, seed byte) *aspencrypto.BLSSecretKey { return testkeys.BLS(int(seed)) }

const p2p = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWtest"

func (c *gwChain) joinTx(i int, id string, k *aspencrypto.BLSSecretKey, collateral *big.Int) *gethtypes.Transaction {
	return c.gwTx(i, collateral, "join", id, k.PublicKey().Bytes(), k.ProofOfPossession(), p2p)
}

// event decodes the gateway log l as event name, checking its signature.
func (c *gwChain) event(l *gethtypes.Log, name string) map[string]any {
	c.t.Helper()
	ev := c.gw.Events[name]
	if l.Address != gateway.Address || len(l.Topics) == 0 || l.Topics[0] != ev.ID {
		c.t.Fatalf("log %+v is not %s from the gateway", l, name)
	}
	out := map[string]any{}
	if err := ev.Inputs.UnpackIntoMap(out, l.Data); err != nil {
		c.t.Fatal(err)
	}
	var indexed abi.Arguments
	for _, in := range ev.Inputs {
		if in.Indexed {
			indexed = append(indexed, in)
		}
	}
	if err := abi.ParseTopicsIntoMap(out, indexed, l.Topics[1:]); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// balanceAfterFees is the initial balance minus every fee addr paid.
func (c *gwChain) balanceAfterFees(addr common.Address) *big.Int {
	b := new(big.Int).Set(initBalance)
	if s := c.spent[addr]; s != nil {
		b.Sub(b, s)
	}
	return b
}
