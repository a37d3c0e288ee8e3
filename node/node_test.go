package node

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/crypto"
)

// testNode is an in-process node on a fresh home with one funded user.
type testNode struct {
	*Node
	user      *ecdsa.PrivateKey
	sequencer common.Address
	url       string
	chainID   *big.Int
	stop      func()
}

func coins(n int64) *math.HexOrDecimal256 {
	return (*math.HexOrDecimal256)(new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)))
}

func newTestHome(t testing.TB, blockTime time.Duration) (*config.Node, *ecdsa.PrivateKey, common.Address) {
	home := t.TempDir()
	cfg := config.DefaultNode(home)
	cfg.RPC.Listen = "127.0.0.1:0"
	cfg.Consensus.BlockTime = config.Duration{Duration: blockTime}
	cfg.Consensus.IdleInterval = config.Duration{Duration: blockTime}
	acct, _ := crypto.NewAccountKey()
	if err := os.MkdirAll(filepath.Join(home, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := crypto.SaveAccountKey(cfg.Path(cfg.Keys.Account), acct, ""); err != nil {
		t.Fatal(err)
	}
	user, _ := gethcrypto.GenerateKey()
	seq := gethcrypto.PubkeyToAddress(acct.PublicKey)
	g := &config.Genesis{
		SubnetID: "/testnet", ChainID: 31337, GasLimit: 30_000_000, Engine: "solo",
		TimestampMs: uint64(time.Now().UnixMilli()),
		Validators:  []config.GenesisValidator{{Address: seq}},
		Alloc: map[common.Address]config.GenesisAccount{
			gethcrypto.PubkeyToAddress(user.PublicKey): {Balance: coins(1000)},
		},
	}
	g.SetDefaults()
	data, _ := json.Marshal(g)
	if err := os.WriteFile(cfg.Path(cfg.Genesis), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Save(); err != nil {
		t.Fatal(err)
	}
	return cfg, user, seq
}

func startNode(t testing.TB, cfg *config.Node) (*Node, func()) {
	n, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once bool
	stop := func() {
		if once {
			return
		}
		once = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node stopped with error: %v", err)
		}
	}
	t.Cleanup(stop)
	return n, stop
}

func newTestNode(t testing.TB, blockTime time.Duration) *testNode {
	cfg, user, seq := newTestHome(t, blockTime)
	n, stop := startNode(t, cfg)
	return &testNode{Node: n, user: user, sequencer: seq, url: "http://" + n.RPCAddr() + "/testnet", chainID: big.NewInt(31337), stop: stop}
}

func waitReceipt(t testing.TB, c *ethclient.Client, h common.Hash) *gethtypes.Receipt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := c.TransactionReceipt(ctx, h)
		if err == nil {
			return r
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no receipt for %s: %v", h, err)
		case <-tick.C:
		}
	}
}

// TestTransferAccounting: value moves, the base fee is burned, the tip goes
// to the sequencer, and nothing else changes hands.
func TestTransferAccounting(t *testing.T) {
	n := newTestNode(t, 50*time.Millisecond)
	ctx := context.Background()
	c, err := ethclient.Dial(n.url)
	if err != nil {
		t.Fatal(err)
	}
	from := gethcrypto.PubkeyToAddress(n.user.PublicKey)
	to := common.HexToAddress("0xbeef")
	before, _ := c.BalanceAt(ctx, from, nil)
	seqBefore, _ := c.BalanceAt(ctx, n.sequencer, nil)
	tip := big.NewInt(2_000_000_000)
	tx, _ := gethtypes.SignNewTx(n.user, gethtypes.LatestSignerForChainID(n.chainID), &gethtypes.DynamicFeeTx{
		ChainID: n.chainID, Nonce: 0, GasTipCap: tip, GasFeeCap: big.NewInt(50_000_000_000), Gas: 21000, To: &to, Value: big.NewInt(12345),
	})
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	r := waitReceipt(t, c, tx.Hash())
	if r.Status != 1 || r.GasUsed != 21000 {
		t.Fatalf("receipt status %d gas %d, want 1 and 21000", r.Status, r.GasUsed)
	}
	after, _ := c.BalanceAt(ctx, from, r.BlockNumber)
	got, _ := c.BalanceAt(ctx, to, r.BlockNumber)
	seqAfter, _ := c.BalanceAt(ctx, n.sequencer, r.BlockNumber)
	var hdr struct {
		BaseFee *hexBig `json:"baseFeePerGas"`
	}
	if err := c.Client().Call(&hdr, "eth_getBlockByNumber", hexutil.EncodeBig(r.BlockNumber), false); err != nil {
		t.Fatal(err)
	}
	if got.Int64() != 12345 {
		t.Fatalf("recipient got %v, want 12345", got)
	}
	price := new(big.Int).Add(hdr.BaseFee.Int(), tip)
	if r.EffectiveGasPrice.Cmp(price) != 0 {
		t.Fatalf("effective gas price %v, want base fee + tip %v", r.EffectiveGasPrice, price)
	}
	spent := new(big.Int).Add(big.NewInt(12345), new(big.Int).Mul(price, big.NewInt(21000)))
	if d := new(big.Int).Sub(before, after); d.Cmp(spent) != 0 {
		t.Fatalf("sender paid %v, want %v", d, spent)
	}
	if d := new(big.Int).Sub(seqAfter, seqBefore); d.Cmp(new(big.Int).Mul(tip, big.NewInt(21000))) != 0 {
		t.Fatalf("sequencer earned %v, want the tip only %v (base fee burned)", d, new(big.Int).Mul(tip, big.NewInt(21000)))
	}
}

type hexBig big.Int

func (h *hexBig) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, ok := new(big.Int).SetString(s[2:], 16)
	if !ok {
		return os.ErrInvalid
	}
	*h = hexBig(*v)
	return nil
}

func (h *hexBig) Int() *big.Int { return (*big.Int)(h) }
