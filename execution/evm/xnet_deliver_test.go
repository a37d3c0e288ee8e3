package evm

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/gateway"
)

func deployProbe(t *testing.T, c *testChain) (common.Address, abi.ABI) {
	t.Helper()
	deploy := c.tx(0, nil, new(big.Int), 3_000_000, hexutil.MustDecode(crossMsgProbeBytecode), big.NewInt(params.GWei), big.NewInt(10*params.GWei))
	c.block(deploy)
	return crypto.CreateAddress(c.addrs[0], deploy.Nonce()), parseABI(t, crossMsgProbeABI)
}

// probeView calls a view of the probe.
func probeView(t *testing.T, c *gwChain, probe common.Address, pa abi.ABI, method string) any {
	t.Helper()
	res := c.ethCall(common.Address{}, probe, nil, mustPack(t, pa, method))
	if res.Err != nil {
		t.Fatalf("%s: %v", method, res.Err)
	}
	out, err := pa.Unpack(method, res.ReturnData)
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

// TestDeliverCallsOnChain: calls carried by a checkpoint run in the EVM with
// msg.sender = the gateway and crossMsgOrigin() = (source subnet, sender);
// one that reverts leaves no trace and is refunded; one that sends a message
// of its own is that message's sender.
func TestDeliverCallsOnChain(t *testing.T) {
	c := newGWChain(t, 6)
	probe, pa := deployProbe(t, c.testChain)
	x := newXChild(t, c, "games", 3, []int{1, 2, 3}, eth(10), 1)
	c.run(1, c.gwTx(4, eth(10), "fund", string(x.id), c.addrs[4]))

	call := func(nonce uint64, src string, from common.Address, value *big.Int, data []byte) gateway.CrossMsg {
		return gateway.CrossMsg{ID: gateway.MsgID(src, nonce), SrcSubnet: src, SrcNonce: nonce, From: from,
			DstSubnet: "/devnet", To: probe, Value: value, Data: data, Kind: gateway.KindCall}
	}
	f1, f2, f3 := common.Address{0xf1}, common.Address{0xf2}, common.Address{0xf3}
	record := call(4, "/devnet/games/sub", f1, eth(3), mustPack(t, pa, "record"))
	fail := call(1, "/devnet/games", f2, eth(2), mustPack(t, pa, "fail", "nope"))
	echo := call(2, "/devnet/games", f3, eth(1), mustPack(t, pa, "echo"))
	r := x.submit(5, x.next(record, fail, echo))
	t.Logf("gas used: checkpoint with 3 calls: %d", r.GasUsed)

	if got := probeView(t, c, probe, pa, "lastSender"); got != gateway.Address {
		t.Fatalf("msg.sender of the delivered call was %v, want the gateway", got)
	}
	if src, from := probeView(t, c, probe, pa, "lastSrc"), probeView(t, c, probe, pa, "lastFrom"); src != "/devnet/games/sub" || from != f1 {
		t.Fatalf("crossMsgOrigin() during the call = (%v, %v), want (/devnet/games/sub, %s)", src, from, f1)
	}
	if v := probeView(t, c, probe, pa, "lastValue").(*big.Int); v.Cmp(eth(3)) != 0 {
		t.Fatalf("msg.value %s", v)
	}
	if n := probeView(t, c, probe, pa, "calls").(*big.Int); n.Int64() != 1 {
		t.Fatalf("calls = %d: the reverted call's increment stayed", n)
	}
	if b := c.balance(probe); b.Cmp(eth(3)) != 0 {
		t.Fatalf("probe holds %s, want 3 ether (echo sent its 1 back)", b)
	}
	if got := logNames(c, r.Logs); got != "CrossMsgApplied CrossMsgApplied CrossMsgSent CrossMsgSent CrossMsgApplied CheckpointCommitted" {
		t.Fatalf("logs %q", got)
	}
	failed := c.event(r.Logs[1], "CrossMsgApplied")
	if reason, err := abi.UnpackRevert(failed["result"].([]byte)); failed["msgId"] != [32]byte(fail.ID) || failed["success"] != false || err != nil || reason != "nope" {
		t.Fatalf("failed call's CrossMsgApplied %v", failed)
	}
	echoSent := c.event(r.Logs[3], "CrossMsgSent")
	if echoSent["from"] != probe || echoSent["to"] != f3 || echoSent["dst"] != "/devnet/games" || echoSent["value"].(*big.Int).Cmp(eth(1)) != 0 {
		t.Fatalf("echo's CrossMsgSent %v", echoSent)
	}

	ms, err := gateway.ReadTopDown(x.state(), "/devnet", x.id, 2, 10)
	if err != nil || len(ms) != 2 {
		t.Fatalf("games' queue %+v %v", ms, err)
	}
	if m := ms[0].Msg; ms[0].Kind != gateway.KindRefund || m.To != f2 || m.Ref != fail.ID || m.Value.Cmp(eth(2)) != 0 {
		t.Fatalf("refund %+v", ms[0])
	}
	if m := ms[1].Msg; ms[1].Kind != gateway.KindTransfer || m.From != probe || m.To != f3 || m.Value.Cmp(eth(1)) != 0 {
		t.Fatalf("echo %+v", ms[1])
	}
	if s := c.subnet(string(x.id)); s.CirculatingSupply.Cmp(eth(7)) != 0 {
		t.Fatalf("games' supply %s, want 10 - 6 + 2 refunded + 1 echoed", s.CirculatingSupply)
	}
	assertConserved(t, c)

	// Outside a delivery, crossMsgOrigin() is empty, also for the probe.
	out := c.view("crossMsgOrigin")
	if out[0] != "" || out[1] != (common.Address{}) {
		t.Fatalf("crossMsgOrigin() = %v", out)
	}
	c.run(1, c.send(5, probe, nil, mustPack(t, pa, "record")))
	if src, sender := probeView(t, c, probe, pa, "lastSrc"), probeView(t, c, probe, pa, "lastSender"); src != "" || sender != c.addrs[5] {
		t.Fatalf("a direct call saw origin %q, sender %v", src, sender)
	}
}
