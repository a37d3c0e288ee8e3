package evm

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
)

// newChildChain is a chain whose subnet ID is /devnet/games (its accounts
// funded at genesis, as the test chain's), for the sending side of bottom-up.
func newChildChain(t *testing.T, accounts int) *gwChain {
	t.Helper()
	gen, keys := testGenesis(accounts, 30_000_000)
	gen.SubnetID = "/devnet/games"
	c := &testChain{t: t, dir: t.TempDir(), gen: gen, keys: keys, nonce: make([]uint64, accounts)}
	for _, k := range keys {
		c.addrs = append(c.addrs, crypto.PubkeyToAddress(k.PublicKey))
	}
	c.open()
	t.Cleanup(func() { c.st.Close() })
	gw, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	return &gwChain{testChain: c, gw: gw, spent: map[common.Address]*big.Int{}}
}

// TestReleaseAndSendUpOnChain: on a child, release and send to outside its
// subtree queue messages for the parent and burn their value; a contract
// sending is the message's From.
func TestReleaseAndSendUpOnChain(t *testing.T) {
	c := newChildChain(t, 3)
	probe, pa := deployProbe(t, c.testChain)
	to := common.Address{0x70}

	data := mustPack(t, c.gw, "release", to)
	gas, err := c.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: c.addrs[1], To: &gateway.Address, Value: eth(5), Data: data}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := c.run(1, c.tx(1, &gateway.Address, eth(5), gas, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei)))
	t.Logf("gas used: release %d (estimated %d)", rs[0].GasUsed, gas)
	ev := c.event(rs[0].Logs[0], "CrossMsgSent")
	if ev["msgId"] != [32]byte(gateway.MsgID("/devnet/games", 1)) || ev["src"] != "/devnet/games" || ev["dst"] != "/devnet" ||
		ev["from"] != c.addrs[1] || ev["to"] != to || ev["value"].(*big.Int).Cmp(eth(5)) != 0 || ev["nonce"] != uint64(1) {
		t.Fatalf("CrossMsgSent %v", ev)
	}
	if b := c.balance(gateway.Address); b.Sign() != 0 {
		t.Fatalf("the gateway kept %s: the released value must leave this chain's supply", b)
	}
	if got, want := c.balance(c.addrs[1]), new(big.Int).Sub(c.balanceAfterFees(c.addrs[1]), eth(5)); got.Cmp(want) != 0 {
		t.Fatalf("sender has %s, want %s", got, want)
	}

	c.run(1, c.send(2, probe, eth(2), mustPack(t, pa, "sendOn", "/devnet/other", to)))
	if b := c.balance(probe); b.Sign() != 0 || c.balance(gateway.Address).Sign() != 0 {
		t.Fatalf("probe %s, gateway %s after sending 2 ether up", b, c.balance(gateway.Address))
	}

	st, err := c.ex.GatewayState(nil)
	if err != nil {
		t.Fatal(err)
	}
	up, err := gateway.ReadUp(st, "/devnet/games", 1, 10)
	if err != nil || len(up) != 2 || gateway.UpNonce(st) != 2 {
		t.Fatalf("up queue %+v %v", up, err)
	}
	if m := up[0]; m.From != c.addrs[1] || m.To != to || m.Value.Cmp(eth(5)) != 0 || m.DstSubnet != "/devnet" || m.Kind != gateway.KindTransfer {
		t.Fatalf("up 1 = %+v", m)
	}
	if m := up[1]; m.From != probe || m.SrcNonce != 2 || m.DstSubnet != "/devnet/other" || m.Value.Cmp(eth(2)) != 0 {
		t.Fatalf("up 2 = %+v", m)
	}

	// A failed send leaves nothing queued or burned.
	c.expectRevert("gateway: release needs a value greater than 0", c.addrs[1], gateway.Address, nil, data)
	c.run(0, c.gwTx(1, nil, "release", to))
	if st, _ := c.ex.GatewayState(nil); gateway.UpNonce(st) != 2 {
		t.Fatal("a reverted release was queued")
	}
}
