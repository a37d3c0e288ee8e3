package evm

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
)

// TestGatewayLifecycle: create -> three joins -> Active -> fund twice ->
// a fourth join -> leave -> kill refused, all as signed transactions in blocks.
func TestGatewayLifecycle(t *testing.T) {
	c := newGWChain(t, 6)
	const id = "/devnet/games"
	creator := c.addrs[0]

	// eth_call shows what createSubnet returns; the transaction does it.
	create := mustPack(t, c.gw, "createSubnet", "games", bft(3, eth(30)))
	res := c.ethCall(creator, gateway.Address, nil, create)
	if out, err := c.gw.Unpack("createSubnet", res.ReturnData); res.Err != nil || err != nil || out[0] != id {
		t.Fatalf("createSubnet via eth_call = %v %v %v", out, res.Err, err)
	}
	rs := c.run(1, c.gwTx(0, nil, "createSubnet", "games", bft(3, eth(30))))
	t.Logf("gas used: createSubnet %d", rs[0].GasUsed)
	ev := c.event(rs[0].Logs[0], "SubnetCreated")
	if ev["id"] != id || ev["creator"] != creator || ev["engine"] != uint8(gateway.EngineBFT) {
		t.Fatalf("SubnetCreated %v", ev)
	}
	if l := rs[0].Logs[0]; l.TxHash != rs[0].TxHash || l.BlockNumber != rs[0].BlockNumber.Uint64() {
		t.Fatalf("log carries tx %s block %d, receipt says %s %d", l.TxHash, l.BlockNumber, rs[0].TxHash, rs[0].BlockNumber)
	}

	keys := []byte{1, 2, 3, 4}
	rs = c.run(1, c.joinTx(1, id, blsKey(t, keys[0]), eth(10)), c.joinTx(2, id, blsKey(t, keys[1]), eth(10)))
	for i, r := range rs {
		if len(r.Logs) != 1 {
			t.Fatalf("join %d: %d logs, want ValidatorJoined only", i, len(r.Logs))
		}
		ev := c.event(r.Logs[0], "ValidatorJoined")
		if ev["id"] != id || ev["owner"] != c.addrs[1+i] || ev["collateral"].(*big.Int).Cmp(eth(10)) != 0 {
			t.Fatalf("ValidatorJoined %v", ev)
		}
	}
	if s := c.subnet(id); s.Status != uint8(gateway.StatusRegistered) || s.ConfigNumber != 0 {
		t.Fatalf("after 2 of 3 joins: status %d config %d", s.Status, s.ConfigNumber)
	}
	rs = c.run(1, c.joinTx(3, id, blsKey(t, keys[2]), eth(10)))
	t.Logf("gas used: join that activates %d", rs[0].GasUsed)
	if len(rs[0].Logs) != 2 {
		t.Fatalf("third join: %d logs, want ValidatorJoined and SubnetActivated", len(rs[0].Logs))
	}
	if ev := c.event(rs[0].Logs[1], "SubnetActivated"); ev["id"] != id || ev["configNumber"] != uint64(1) {
		t.Fatalf("SubnetActivated %v", ev)
	}
	activatedAt := rs[0].BlockNumber.Uint64()

	s := c.subnet(id)
	if s.Id != id || s.Status != uint8(gateway.StatusActive) || s.Creator != creator || s.ChainId != gateway.ChainIDFor(id) ||
		s.ConfigNumber != 1 || s.CirculatingSupply.Sign() != 0 || s.Params.MinValidators != 3 ||
		s.Params.MinCollateral.Cmp(eth(30)) != 0 || s.Params.BlockTimeMs != 500 || s.Params.GasLimit != 30_000_000 || len(s.Validators) != 3 {
		t.Fatalf("subnet() = %+v", s)
	}
	for i, v := range s.Validators {
		if v.Owner != c.addrs[1+i] || string(v.BlsPublicKey) != string(blsKey(t, keys[i]).PublicKey().Bytes()) || v.P2pAddr != p2p || v.Collateral.Cmp(eth(10)) != 0 {
			t.Fatalf("validator %d = %+v", i, v)
		}
	}
	if out := c.view("children"); len(out[0].([]string)) != 1 || out[0].([]string)[0] != id {
		t.Fatalf("children() = %v", out)
	}

	// Two funds: consecutive source nonces, IDs per CROSSNET, supply and balance.
	funder, to1, to2 := c.addrs[4], common.Address{0x71}, common.Address{0x72}
	fund1 := mustPack(t, c.gw, "fund", id, to1)
	res = c.ethCall(funder, gateway.Address, eth(5), fund1)
	if out, err := c.gw.Unpack("fund", res.ReturnData); res.Err != nil || err != nil || out[0] != [32]byte(gateway.MsgID("/devnet", 1)) {
		t.Fatalf("fund via eth_call = %v %v %v", out, res.Err, err)
	}
	rs = c.run(1, c.gwTx(4, eth(5), "fund", id, to1), c.gwTx(4, eth(7), "fund", id, to2))
	t.Logf("gas used: fund %d", rs[0].GasUsed)
	for i, r := range rs {
		ev := c.event(r.Logs[0], "CrossMsgSent")
		nonce := uint64(i + 1)
		want := gateway.MsgID("/devnet", nonce)
		if ev["msgId"] != [32]byte(want) || ev["src"] != "/devnet" || ev["dst"] != id || ev["from"] != funder ||
			ev["to"] != []common.Address{to1, to2}[i] || ev["value"].(*big.Int).Cmp(eth(int64(5+2*i))) != 0 || ev["nonce"] != nonce {
			t.Fatalf("CrossMsgSent %d = %v", i, ev)
		}
		if want != crypto.Keccak256Hash(hexutil.MustDecode("0xc987") /*rlp list header*/, []byte("/devnet"), []byte{byte(nonce)}) {
			t.Fatalf("msgId %s is not keccak256(rlp([src, nonce]))", want)
		}
	}
	if s := c.subnet(id); s.CirculatingSupply.Cmp(eth(12)) != 0 {
		t.Fatalf("circulating supply %s, want 12 ether", s.CirculatingSupply)
	}
	if b := c.balance(gateway.Address); b.Cmp(eth(42)) != 0 {
		t.Fatalf("gateway balance %s, want 30 collateral + 12 funds", b)
	}

	// A fourth validator joins the Active subnet (config 2); one leaves (config 3).
	c.run(1, c.joinTx(5, id, blsKey(t, keys[3]), eth(10)))
	rs = c.run(1, c.gwTx(1, nil, "leave", id))
	t.Logf("gas used: leave (Active) %d", rs[0].GasUsed)
	// Active: the collateral waits for a checkpoint showing the child
	// applied the leave (xnet_checkpoint_test.go pays it out).
	if len(rs[0].Logs) != 0 {
		t.Fatalf("leave of an Active subnet logged %d events, want none until the collateral is released", len(rs[0].Logs))
	}
	if got, want := c.balance(c.addrs[1]), new(big.Int).Sub(c.balanceAfterFees(c.addrs[1]), eth(10)); got.Cmp(want) != 0 {
		t.Fatalf("leaver balance %s, want %s (collateral still held, fees paid)", got, want)
	}
	s = c.subnet(id)
	if s.ConfigNumber != 3 || len(s.Validators) != 3 || s.Validators[0].Owner != c.addrs[5] {
		t.Fatalf("after join and leave: config %d, validators %+v", s.ConfigNumber, s.Validators)
	}

	// The queue the child will execute, and its genesis, from Go.
	st, err := c.ex.GatewayState(nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := gateway.ReadTopDown(st, "/devnet", id, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 || msgs[0].Msg.To != to1 || msgs[1].Msg.Value.Cmp(eth(7)) != 0 ||
		msgs[2].Kind != gateway.KindConfig || msgs[2].Config.Number != 2 || msgs[2].Config.Op != gateway.OpJoin || msgs[2].Config.Validator.Owner != c.addrs[5] ||
		msgs[3].Config.Number != 3 || msgs[3].Config.Op != gateway.OpLeave || msgs[3].Config.Validator.Owner != c.addrs[1] {
		t.Fatalf("top-down queue %+v", msgs)
	}
	for i, m := range msgs {
		if m.Nonce != uint64(i+1) {
			t.Fatalf("queue entry %d has nonce %d", i, m.Nonce)
		}
	}
	g, err := gateway.ReadChildGenesis(st, "/devnet", id)
	if err != nil {
		t.Fatal(err)
	}
	if g.ActivatedAt != activatedAt || len(g.Validators) != 3 || g.Validators[0].Owner != c.addrs[1] || len(g.Funds) != 0 || g.FirstTopDownNonce != 1 || g.ChainID != gateway.ChainIDFor(id) {
		t.Fatalf("child genesis %+v", g)
	}

	// Kill: refused to anyone but the creator (funded or not: see
	// gateway's TestKillAfterTraffic).
	c.expectRevert("gateway: only the creator of "+id+" can kill it", c.addrs[3], gateway.Address, nil, mustPack(t, c.gw, "kill", id))
	c.run(0, c.gwTx(3, nil, "kill", id))
	if s := c.subnet(id); s.Status != uint8(gateway.StatusActive) || len(s.Validators) != 3 {
		t.Fatalf("refused kill changed the subnet: %+v", s)
	}

	// eth_estimateGas runs the gateway too.
	k := blsKey(t, 9)
	gas, err := c.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: c.addrs[0], To: &gateway.Address, Value: eth(10),
		Data: mustPack(t, c.gw, "join", id, k.PublicKey().Bytes(), k.ProofOfPossession(), p2p)}, nil)
	if err != nil || gas < 100_000 {
		t.Fatalf("estimateGas(join) = %d, %v", gas, err)
	}
}

// TestConcurrentJoinsFitTheirEstimates: three validators estimate their joins
// on the same state (none of them looks like the activating one) and land in
// one block; whichever runs last activates the subnet within its estimate.
func TestConcurrentJoinsFitTheirEstimates(t *testing.T) {
	c := newGWChain(t, 4)
	const id = "/devnet/games"
	c.run(1, c.gwTx(0, nil, "createSubnet", "games", bft(3, eth(3))))
	var txs []*gethtypes.Transaction
	for i := 1; i <= 3; i++ {
		k := blsKey(t, byte(i))
		data := mustPack(t, c.gw, "join", id, k.PublicKey().Bytes(), k.ProofOfPossession(), p2p)
		gas, err := c.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: c.addrs[i], To: &gateway.Address, Value: eth(1), Data: data}, nil)
		if err != nil {
			t.Fatalf("estimate join %d: %v", i, err)
		}
		txs = append(txs, c.tx(i, &gateway.Address, eth(1), gas, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei)))
	}
	c.run(1, txs...)
	if st := c.subnet(id).Status; st != uint8(gateway.StatusActive) {
		t.Fatalf("status %d after three joins, want Active", st)
	}
}
