package e2e

import (
	"context"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
)

// TestKill9KeepsCommittedData: a transaction whose receipt the node returned
// survives SIGKILL of the node (ARCHITECTURE §10, durability).
func TestKill9KeepsCommittedData(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	port := freePort(t)
	d := startDevnet(t, home, "--engine", "solo", "--port", strconv.Itoa(port), "--block-time", "200ms")
	node := d.m.Nodes[0]
	url := d.m.Subnets[0].RPC[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := ethclient.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := d.m.Accounts[0].Key()
	from := d.m.Accounts[0].Address
	to := common.HexToAddress("0x00000000000000000000000000000000000c0ffe")
	chainID := new(big.Int).SetUint64(d.m.Subnets[0].ChainID)

	// Several transactions, so the last receipt's block is certainly not genesis-adjacent.
	var last *gethtypes.Transaction
	nonce, err := c.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	tip := big.NewInt(1_000_000_000)
	for i := 0; i < 5; i++ {
		tx, err := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
			ChainID: chainID, Nonce: nonce + uint64(i), GasTipCap: tip, GasFeeCap: big.NewInt(100_000_000_000),
			Gas: 21000, To: &to, Value: big.NewInt(int64(1000 + i)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SendTransaction(ctx, tx); err != nil {
			t.Fatalf("send tx %d: %v", i, err)
		}
		last = tx
	}
	var receipt *gethtypes.Receipt
	waitFor(t, "the last receipt", time.Minute, func() bool {
		receipt, err = c.TransactionReceipt(ctx, last.Hash())
		return err == nil && receipt != nil
	})
	// Kill at once: no grace period for the node to flush anything.
	if err := syscall.Kill(node.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", node.PID, err)
	}
	waitFor(t, "node0 to die", 10*time.Second, func() bool { return processGone(node.PID) })
	// The values the node had returned, read before the kill: the block and balances.
	startProcess(t, node.Restart, filepath.Join(home, "restart.log"))
	c2, err := ethclient.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the restarted node to answer", time.Minute, func() bool {
		_, err := c2.BlockNumber(ctx)
		return err == nil
	})
	got, err := c2.TransactionReceipt(ctx, last.Hash())
	if err != nil {
		t.Fatalf("receipt lost after kill -9: %v", err)
	}
	if got.BlockHash != receipt.BlockHash || got.Status != receipt.Status || got.BlockNumber.Cmp(receipt.BlockNumber) != 0 || got.GasUsed != receipt.GasUsed {
		t.Fatalf("receipt changed across kill -9: before %+v after %+v", receipt, got)
	}
	if h := blockHash(t, c2, receipt.BlockNumber.Uint64()); h != receipt.BlockHash {
		t.Fatalf("block %v after restart has hash %s, want %s", receipt.BlockNumber, h, receipt.BlockHash)
	}
	bal, err := c2.BalanceAt(ctx, to, receipt.BlockNumber)
	if err != nil {
		t.Fatal(err)
	}
	if want := big.NewInt(1000 + 1001 + 1002 + 1003 + 1004); bal.Cmp(want) != 0 {
		t.Fatalf("recipient balance after restart %v, want %v", bal, want)
	}
	n, err := c2.NonceAt(ctx, from, nil)
	if err != nil || n != nonce+5 {
		t.Fatalf("sender nonce after restart %d (err %v), want %d", n, err, nonce+5)
	}
	// And the chain goes on: a new transaction after the restart is included.
	tx, _ := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce + 5, GasTipCap: tip, GasFeeCap: big.NewInt(100_000_000_000), Gas: 21000, To: &to, Value: big.NewInt(1),
	})
	if err := c2.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send after restart: %v", err)
	}
	waitFor(t, "a block after the restart", time.Minute, func() bool {
		r, err := c2.TransactionReceipt(ctx, tx.Hash())
		return err == nil && r.Status == 1
	})
}

// TestDevnetResumes: a devnet stopped with SIGINT exits 0, and started again
// with the same home continues the same chain.
func TestDevnetResumes(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	port := freePort(t)
	d := startDevnet(t, home, "--engine", "solo", "--port", strconv.Itoa(port), "--block-time", "100ms", "--idle-interval", "100ms")
	ctx := context.Background()
	c, err := ethclient.Dial(d.m.Subnets[0].RPC[0])
	if err != nil {
		t.Fatal(err)
	}
	var h uint64
	waitFor(t, "block 3", time.Minute, func() bool { h, err = c.BlockNumber(ctx); return err == nil && h >= 3 })
	before := blockHash(t, c, h)
	if err := d.stop(); err != nil {
		t.Fatalf("devnet did not exit cleanly on SIGINT: %v\n%s", err, d.out.String())
	}
	if !processGone(d.m.Nodes[0].PID) {
		t.Fatalf("node0 (pid %d) still runs after devnet stopped", d.m.Nodes[0].PID)
	}
	d2 := startDevnet(t, home, "--engine", "solo", "--port", strconv.Itoa(port), "--block-time", "100ms")
	if !strings.Contains(d2.out.String(), "Resumed") {
		t.Fatalf("second start did not say it resumed:\n%s", d2.out.String())
	}
	c2, err := ethclient.Dial(d2.m.Subnets[0].RPC[0])
	if err != nil {
		t.Fatal(err)
	}
	if again := blockHash(t, c2, h); again != before {
		t.Fatalf("block %d after resume has hash %s, want %s", h, again, before)
	}
}

// blockHash reads the hash the node reports for block n. (geth's ethclient
// would recompute an Ethereum header hash, which is not Aspen's block hash.)
func blockHash(t *testing.T, c *ethclient.Client, n uint64) common.Hash {
	t.Helper()
	var b struct {
		Hash common.Hash `json:"hash"`
	}
	if err := c.Client().Call(&b, "eth_getBlockByNumber", hexutil.Uint64(n), false); err != nil {
		t.Fatalf("eth_getBlockByNumber %d: %v", n, err)
	}
	return b.Hash
}
