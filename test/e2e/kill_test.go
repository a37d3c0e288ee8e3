package e2e

import (
	"context"
	"encoding/json"
	"math/big"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/gateway"
)

// testKillAfterTraffic (issue 19, defect 8): a subnet that has burned base
// fees can still be killed by its creator. It runs as a subtest of
// TestSubnetLifecycle on its devnet, once games has had funds, a
// transaction and set changes: here games gets more transactions and two
// releases, and once the root has committed the checkpoint that carries
// them, node0 (games' creator) kills it. Every seat's collateral comes back
// to its owner in the kill's block; the root keeps, as games' circulating
// supply, exactly what never came back (games' supply plus the base fees
// it burned, summed here from its blocks); and games stops on its
// validators. Before the fix the kill reverted: the fees made the
// circulating supply nonzero for good.
func testKillAfterTraffic(t *testing.T, n *bftNet, games string, home func(int) string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rootURL := n.m.Nodes[0].RPC
	root, err := ethclient.DialContext(ctx, rootURL)
	if err != nil {
		t.Fatal(err)
	}
	child, err := ethclient.DialContext(ctx, rootURL+games)
	if err != nil {
		t.Fatal(err)
	}
	circ0 := circulating(t, rootURL, games)

	// Plain transfers on games from the devnet account funded there.
	user := n.m.Accounts[0]
	key, err := user.Key()
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := child.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := child.PendingNonceAt(ctx, user.Address)
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	var txs []*gethtypes.Transaction
	for k := uint64(0); k < 5; k++ {
		tx, _ := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
			ChainID: chainID, Nonce: nonce + k, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(50e9), Gas: 21000, To: &to, Value: big.NewInt(1000),
		})
		if err := child.SendTransaction(ctx, tx); err != nil {
			t.Fatalf("send %d on %s: %v", k, games, err)
		}
		txs = append(txs, tx)
	}
	ours := new(big.Int) // the base fees our transfers burned
	for _, tx := range txs {
		var r *gethtypes.Receipt
		waitFor(t, "transfer "+tx.Hash().Hex()+" on "+games, time.Minute, func() bool {
			r, err = child.TransactionReceipt(ctx, tx.Hash())
			return err == nil
		})
		if r.Status != gethtypes.ReceiptStatusSuccessful {
			t.Fatalf("transfer %s failed on %s", tx.Hash(), games)
		}
		baseFee, _ := baseFeeAndGas(t, child, r.BlockNumber.Uint64())
		if baseFee.Sign() == 0 {
			t.Fatalf("block %v of %s has no base fee; a transfer must burn something", r.BlockNumber, games)
		}
		ours.Add(ours, new(big.Int).Mul(baseFee, new(big.Int).SetUint64(r.GasUsed)))
	}

	// Two releases back to the root, paid when the root commits the
	// checkpoint that carries them.
	coin := big.NewInt(1e18)
	back := common.HexToAddress("0x00000000000000000000000000000000000b4c01")
	for k := 0; k < 2; k++ {
		aspen(t, "xfer", "release", games, "--to", back.Hex(), "--value", "1", "--key", user.PrivateKey, "--home", home(0), "--json")
	}
	released := new(big.Int).Mul(big.NewInt(2), coin)
	waitFor(t, "the root to pay both releases from "+games, 2*time.Minute, func() bool {
		b, err := root.BalanceAt(ctx, back, nil)
		return err == nil && b.Cmp(released) == 0
	})

	// With nothing in flight, the root holds for games exactly what stayed
	// there: its supply plus the fees it burned (which we sum ourselves).
	before := subnetInfo(t, rootURL, games)
	if want := new(big.Int).Sub(circ0, released); before.CirculatingSupply.Cmp(want) != 0 {
		t.Fatalf("circulating supply of %s after the releases: %v, want %v - %v", games, before.CirculatingSupply, circ0, released)
	}
	sup := childSupply(t, rootURL, games)
	fees := burnedFees(t, child, uint64(sup.Height))
	if fees.Cmp(sup.FeesBurned.ToInt()) != 0 {
		t.Fatalf("%s's blocks 1..%d burned %v in base fees, aspen_supply says %v", games, sup.Height, fees, sup.FeesBurned)
	}
	if fees.Cmp(ours) < 0 {
		t.Fatalf("%s burned %v in base fees, less than our transfers alone (%v)", games, fees, ours)
	}
	stayed := new(big.Int).Add(sup.Supply.ToInt(), fees)
	if before.CirculatingSupply.Cmp(stayed) != 0 {
		t.Fatalf("the root holds %v for %s; it keeps %v and burned %v", before.CirculatingSupply, games, sup.Supply, fees)
	}
	if len(before.Validators) == 0 {
		t.Fatalf("%s has no seats before the kill", games)
	}

	var kill struct {
		Tx    common.Hash `json:"tx"`
		Block uint64      `json:"block"`
	}
	if out := aspen(t, "subnet", "kill", games, "--home", home(0), "--json"); json.Unmarshal([]byte(out), &kill) != nil || kill.Block == 0 {
		t.Fatalf("kill output %q", out)
	}

	// Each seat's owner gains its collateral across the kill's block, once
	// what its own transactions there cost (the kill, a checkpoint
	// submission) and the tips it earned as proposer are set aside.
	for _, v := range before.Validators {
		if got := gainAt(t, root, v.Owner, kill.Block); got.Cmp(v.Collateral) != 0 {
			t.Fatalf("%s got %v back on kill of %s (own costs and tips aside), want its collateral %v", v.Owner, got, games, v.Collateral)
		}
	}
	after := subnetInfo(t, rootURL, games)
	if gateway.Status(after.Status) != gateway.StatusKilled || len(after.Validators) != 0 {
		t.Fatalf("%s after the kill: status %d, %d seats; want killed with none", games, after.Status, len(after.Validators))
	}
	if after.CirculatingSupply.Cmp(stayed) != 0 || after.CirculatingSupply.Cmp(fees) < 0 {
		t.Fatalf("the root records %v for killed %s, want what never came back, %v (≥ its burned fees %v)", after.CirculatingSupply, games, stayed, fees)
	}
	t.Logf("%s killed with %v wei circulating: supply %v + burned fees %v (our transfers burned %v)", games, after.CirculatingSupply, sup.Supply.ToInt(), fees, ours)
	for i := range n.m.Nodes {
		waitFor(t, "node"+strconv.Itoa(i)+" to stop "+games, time.Minute, func() bool {
			subs := servedSubnets(t, n.m.Nodes[i].RPC)
			_, served := subs[games]
			return subs != nil && !served
		})
	}
}

type supplyAnswer struct {
	Height     hexutil.Uint64 `json:"height"`
	Supply     *hexutil.Big   `json:"supply"`
	FeesBurned *hexutil.Big   `json:"feesBurned"`
}

// childSupply is aspen_supply(id) as the node at url reports it.
func childSupply(t *testing.T, url, id string) supplyAnswer {
	t.Helper()
	c, err := gethrpc.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var s supplyAnswer
	if err := c.Call(&s, "aspen_supply", id); err != nil {
		t.Fatal(err)
	}
	return s
}

// burnedFees sums baseFee × gasUsed over blocks 1..upTo of the chain c serves.
func burnedFees(t *testing.T, c *ethclient.Client, upTo uint64) *big.Int {
	t.Helper()
	sum := new(big.Int)
	for h := uint64(1); h <= upTo; h++ {
		baseFee, gasUsed := baseFeeAndGas(t, c, h)
		sum.Add(sum, new(big.Int).Mul(baseFee, new(big.Int).SetUint64(gasUsed)))
	}
	return sum
}

// baseFeeAndGas reads block height's base fee (0 if none) and gas used.
func baseFeeAndGas(t *testing.T, c *ethclient.Client, height uint64) (*big.Int, uint64) {
	t.Helper()
	var b struct {
		BaseFee *hexutil.Big   `json:"baseFeePerGas"`
		GasUsed hexutil.Uint64 `json:"gasUsed"`
	}
	if err := c.Client().Call(&b, "eth_getBlockByNumber", hexutil.Uint64(height), false); err != nil {
		t.Fatalf("block %d: %v", height, err)
	}
	if b.BaseFee == nil {
		return new(big.Int), uint64(b.GasUsed)
	}
	return b.BaseFee.ToInt(), uint64(b.GasUsed)
}

// gainAt is who's balance change across block height, plus what who's own
// transactions in that block cost it (gas, and the value of those that
// succeeded), minus the tips it earned if it proposed the block.
func gainAt(t *testing.T, c *ethclient.Client, who common.Address, height uint64) *big.Int {
	t.Helper()
	ctx := context.Background()
	at := new(big.Int).SetUint64(height)
	b0, err0 := c.BalanceAt(ctx, who, new(big.Int).Sub(at, big.NewInt(1)))
	b1, err1 := c.BalanceAt(ctx, who, at)
	if err0 != nil || err1 != nil {
		t.Fatalf("balance of %s around block %d: %v, %v", who, height, err0, err1)
	}
	var blk struct {
		Transactions []struct {
			Hash  common.Hash    `json:"hash"`
			From  common.Address `json:"from"`
			Value *hexutil.Big   `json:"value"`
		} `json:"transactions"`
	}
	if err := c.Client().Call(&blk, "eth_getBlockByNumber", hexutil.Uint64(height), true); err != nil {
		t.Fatal(err)
	}
	gain := new(big.Int).Sub(b1, b0)
	for _, tx := range blk.Transactions {
		if tx.From != who {
			continue
		}
		r, err := c.TransactionReceipt(ctx, tx.Hash)
		if err != nil {
			t.Fatal(err)
		}
		gain.Add(gain, new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice))
		if r.Status == gethtypes.ReceiptStatusSuccessful {
			gain.Add(gain, tx.Value.ToInt())
		}
	}
	return gain.Sub(gain, tipsTo(t, c, who, height))
}
