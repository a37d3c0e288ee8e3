package evm

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	aspencrypto "github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// xChild is an Active child of a gwChain whose validators' BLS keys the
// test holds, so it can sign the child's checkpoints.
type xChild struct {
	c    *gwChain
	id   types.SubnetID
	keys map[common.Address]*aspencrypto.BLSSecretKey
}

// newXChild creates name on c (period 10) and has accounts join it with
// collateral each, in blocks of at most 20 joins; the first minVals joins
// activate it.
func newXChild(t testing.TB, c *gwChain, name string, minVals int, accounts []int, collateral *big.Int, keySeed byte) *xChild {
	t.Helper()
	x := &xChild{c: c, id: types.SubnetID("/devnet/" + name), keys: map[common.Address]*aspencrypto.BLSSecretKey{}}
	c.run(1, c.gwTx(0, nil, "createSubnet", name, bft(uint32(minVals), collateral)))
	var txs []*gethtypes.Transaction
	for j, i := range accounts {
		k := blsKey(t, keySeed+byte(j))
		x.keys[c.addrs[i]] = k
		txs = append(txs, c.joinTx(i, string(x.id), k, collateral))
		if len(txs) == 20 || j == len(accounts)-1 {
			c.run(1, txs...)
			txs = nil
		}
	}
	if s := c.subnet(string(x.id)); s.Status != uint8(gateway.StatusActive) {
		t.Fatalf("%s is not active", x.id)
	}
	return x
}

func (x *xChild) state() gateway.StateReader {
	x.c.t.Helper()
	st, err := x.c.ex.GatewayState(nil)
	if err != nil {
		x.c.t.Fatal(err)
	}
	return st
}

// next is the checkpoint after the last committed one, by the newest config.
func (x *xChild) next(msgs ...gateway.CrossMsg) *types.Checkpoint {
	st := x.state()
	height, hash, _ := gateway.LastCheckpoint(st, "/devnet", x.id)
	sn, err := gateway.ReadSubnet(st, "/devnet", x.id)
	if err != nil {
		x.c.t.Fatal(err)
	}
	return &types.Checkpoint{Subnet: string(x.id), Height: height + 10, BlockHash: common.Hash{0xb1, byte(height)}, Prev: hash,
		Config: sn.ConfigNumber, AppliedConfig: sn.ConfigNumber, Messages: msgs}
}

// input is submitCheckpoint's call data for cp signed by every validator of
// its config.
func (x *xChild) input(cp *types.Checkpoint) []byte {
	t := x.c.t
	t.Helper()
	enc, err := types.EncodeCheckpoint(cp)
	if err != nil {
		t.Fatal(err)
	}
	set, err := gateway.ReadConfigSet(x.state(), "/devnet", x.id, cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	sigs := map[int][]byte{}
	for i, v := range set {
		sigs[i] = x.keys[v.Owner].Sign(cp.SigningBytes("devnet"))
	}
	agg, bm, err := aspencrypto.AggregateWithBitmap(len(set), sigs)
	if err != nil {
		t.Fatal(err)
	}
	return mustPack(t, x.c.gw, "submitCheckpoint", enc, agg, bm)
}

// submit sends cp from account i as a transaction with the gas
// eth_estimateGas gives, and returns its receipt.
func (x *xChild) submit(i int, cp *types.Checkpoint) *gethtypes.Receipt {
	t := x.c.t
	t.Helper()
	data := x.input(cp)
	gas, err := x.c.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: x.c.addrs[i], To: &gateway.Address, Data: data}, nil)
	if err != nil {
		t.Fatalf("estimate checkpoint at %d: %v", cp.Height, err)
	}
	tx := x.c.tx(i, &gateway.Address, new(big.Int), gas, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei))
	return x.c.run(1, tx)[0]
}

// toEOAs are n transfers of value wei each from the child to fresh accounts here.
func toEOAs(src types.SubnetID, n int, value int64) []gateway.CrossMsg {
	var out []gateway.CrossMsg
	for i := range n {
		nonce := uint64(i + 1)
		out = append(out, gateway.CrossMsg{ID: gateway.MsgID(string(src), nonce), SrcSubnet: string(src), SrcNonce: nonce,
			From: common.Address{0xf0}, DstSubnet: "/devnet", To: common.Address{0xe0, byte(i), byte(i >> 8)}, Value: big.NewInt(value), Kind: gateway.KindTransfer})
	}
	return out
}

// TestCheckpointOnChain: a child's checkpoints commit as transactions: the
// messages pay out, the leaver gets its collateral once the child applied
// its leave, resubmission costs little and succeeds, and a checkpoint
// breaking the firewall is rejected with an event, not a revert.
func TestCheckpointOnChain(t *testing.T) {
	c := newGWChain(t, 8)
	x := newXChild(t, c, "games", 3, []int{1, 2, 3}, eth(10), 1)
	c.run(1, c.gwTx(5, eth(5), "fund", string(x.id), c.addrs[5]))
	k4 := blsKey(t, 50)
	x.keys[c.addrs[4]] = k4
	c.run(1, c.joinTx(4, string(x.id), k4, eth(10))) // config 2
	c.run(1, c.gwTx(4, nil, "leave", string(x.id)))  // config 3
	afterLeave := c.balance(c.addrs[4])

	msgs := toEOAs(x.id, 2, 1e18)
	cp := x.next(msgs...)
	cp.Config, cp.AppliedConfig = 2, 2 // the child has not applied the leave yet; the leaver still signs
	r := x.submit(6, cp)
	t.Logf("gas used: checkpoint with 2 transfers, 4 validators: %d", r.GasUsed)
	if c.balance(msgs[0].To).Cmp(eth(1)) != 0 || c.balance(msgs[1].To).Cmp(eth(1)) != 0 {
		t.Fatal("the messages did not pay out")
	}
	if got := c.subnet(string(x.id)); got.CirculatingSupply.Cmp(eth(3)) != 0 || got.LastCheckpointHeight != 10 || got.LastCheckpointHash != cp.Hash() {
		t.Fatalf("subnet after the checkpoint: supply %s, last %d %x", got.CirculatingSupply, got.LastCheckpointHeight, got.LastCheckpointHash)
	}
	names := logNames(c, r.Logs)
	if names != "CrossMsgApplied CrossMsgApplied CheckpointCommitted" {
		t.Fatalf("logs %q", names)
	}
	if ev := c.event(r.Logs[2], "CheckpointCommitted"); ev["childId"] != string(x.id) || ev["height"] != uint64(10) || ev["messages"].(*big.Int).Int64() != 2 {
		t.Fatalf("CheckpointCommitted %v", ev)
	}
	if c.balance(c.addrs[4]).Cmp(afterLeave) != 0 {
		t.Fatal("the leaver was paid before the child applied its leave")
	}

	// Racing relayers: the same checkpoint again succeeds and is cheap.
	data := x.input(cp)
	again := c.run(1, c.tx(7, &gateway.Address, new(big.Int), 200_000, data, big.NewInt(params.GWei), big.NewInt(10*params.GWei)))[0]
	if len(again.Logs) != 0 || again.GasUsed > r.GasUsed/3 {
		t.Fatalf("resubmission: %d logs, %d gas (first: %d)", len(again.Logs), again.GasUsed, r.GasUsed)
	}
	t.Logf("gas used: resubmission %d", again.GasUsed)

	// The child applied config 3: the leaver is paid.
	r = x.submit(6, x.next())
	if names := logNames(c, r.Logs); names != "ValidatorLeft CheckpointCommitted" {
		t.Fatalf("logs %q", names)
	}
	if got, want := c.balance(c.addrs[4]), new(big.Int).Add(afterLeave, eth(10)); got.Cmp(want) != 0 {
		t.Fatalf("leaver has %s, want %s", got, want)
	}
	// Now the first one is old news.
	c.expectRevert("gateway: checkpoint at height 10 is older than the last committed 20 of /devnet/games", c.addrs[7], gateway.Address, nil, data)

	// The firewall: a quorum signs away more than the child holds.
	greedy := x.next(toEOAs(x.id, 1, 4e18)...)
	root, bal := c.gatewayFingerprint()
	r = x.submit(6, greedy)
	if names := logNames(c, r.Logs); names != "CheckpointRejected" {
		t.Fatalf("logs %q", names)
	}
	ev := c.event(r.Logs[0], "CheckpointRejected")
	if ev["childId"] != string(x.id) || ev["height"] != uint64(30) || !strings.Contains(ev["reason"].(string), "firewall") {
		t.Fatalf("CheckpointRejected %v", ev)
	}
	if root2, bal2 := c.gatewayFingerprint(); root2 != root || bal2.Cmp(bal) != 0 {
		t.Fatal("a rejected checkpoint changed the gateway")
	}
	assertConserved(t, c)
}

// logNames lists the gateway events of logs.
func logNames(c *gwChain, logs []*gethtypes.Log) string {
	var out []string
	for _, l := range logs {
		for name, ev := range c.gw.Events {
			if l.Address == gateway.Address && l.Topics[0] == ev.ID {
				out = append(out, name)
			}
		}
	}
	return strings.Join(out, " ")
}

// assertConserved: the gateway holds exactly the supply, collateral and
// pending releases of its children.
func assertConserved(t *testing.T, c *gwChain) {
	t.Helper()
	st, err := c.ex.GatewayState(nil)
	if err != nil {
		t.Fatal(err)
	}
	owed := new(big.Int)
	for _, id := range gateway.ReadChildren(st, "/devnet") {
		sn, err := gateway.ReadSubnet(st, "/devnet", id)
		if err != nil {
			t.Fatal(err)
		}
		owed.Add(owed, sn.CirculatingSupply).Add(owed, sn.TotalCollateral)
		rs, _ := gateway.ReadPendingReleases(st, "/devnet", id)
		for _, r := range rs {
			owed.Add(owed, r.Amount)
		}
	}
	if b := c.balance(gateway.Address); b.Cmp(owed) != 0 {
		t.Fatalf("gateway holds %s, owes %s", b, owed)
	}
}

// TestCheckpointGas measures submitCheckpoint for 0, 10 and 100 messages
// and for 4 and 100 validators, and checks each fits its estimate.
func TestCheckpointGas(t *testing.T) {
	if testing.Short() {
		t.Skip("100 validators join in several blocks")
	}
	c := newGWChain(t, 106)
	small := newXChild(t, c, "small", 4, []int{1, 2, 3, 4}, eth(1), 1)
	accounts := make([]int, 100)
	for i := range accounts {
		accounts[i] = 5 + i
	}
	large := newXChild(t, c, "large", 4, accounts, eth(1), 101)
	c.run(1, c.gwTx(0, eth(10), "fund", string(small.id), c.addrs[0]), c.gwTx(0, eth(10), "fund", string(large.id), c.addrs[0]))

	var report []string
	measure := func(x *xChild, what string, msgs []gateway.CrossMsg) uint64 {
		r := x.submit(105, x.next(msgs...))
		report = append(report, what+": "+big.NewInt(int64(r.GasUsed)).String())
		return r.GasUsed
	}
	g0 := measure(small, "4 validators, 0 messages", nil)
	g10 := measure(small, "4 validators, 10 transfers", toEOAs(small.id, 10, 1))
	msgs := toEOAs(small.id, 110, 1)[10:]
	g100 := measure(small, "4 validators, 100 transfers", msgs)
	l0 := measure(large, "100 validators, 0 messages", nil)
	k := blsKey(t, 250)
	for _, x := range []*xChild{small, large} {
		joinData := mustPack(t, c.gw, "join", string(x.id), k.PublicKey().Bytes(), k.ProofOfPossession(), p2p)
		gas, err := c.ex.EstimateGas(context.Background(), nil, execution.CallArgs{From: c.addrs[0], To: &gateway.Address, Value: eth(1), Data: joinData}, nil)
		if err != nil {
			t.Fatal(err)
		}
		report = append(report, "join (a new config) with "+big.NewInt(int64(len(x.keys))).String()+" validators: "+big.NewInt(int64(gas)).String())
	}
	t.Logf("gas:\n  %s", strings.Join(report, "\n  "))
	if !(g0 < g10 && g10 < g100 && g0 < l0) {
		t.Fatalf("gas does not grow with the work: %v", report)
	}
	assertConserved(t, c)
}
