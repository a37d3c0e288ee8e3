package evm

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

func TestGenesis(t *testing.T) {
	c := newTestChain(t, 2, 30_000_000)
	head := c.ex.Head()
	if head.Height != 0 || head.BaseFee.Cmp(big.NewInt(params.GWei)) != 0 || head.SubnetID != "/devnet" {
		t.Fatalf("genesis header %+v", head)
	}
	if got := c.balance(c.addrs[1]); got.Cmp(initBalance) != 0 {
		t.Fatalf("alloc balance %s, want %s", got, initBalance)
	}
	if n, _ := c.ex.Nonce(nil, gateway.Address); n != 1 {
		t.Fatalf("gateway nonce %d, want 1", n)
	}
	// A different genesis on the same store is refused.
	other, _ := testGenesis(2, 30_000_000)
	other.ChainID++
	if _, err := New(c.st, other, Options{}); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("New with another genesis: %v, want ErrGenesisMismatch", err)
	}
}

func TestTransferFees(t *testing.T) {
	c := newTestChain(t, 2, 30_000_000)
	to := common.HexToAddress("0x1234")
	baseFee := c.ex.NextBaseFee()
	tip := big.NewInt(params.GWei)
	ex := c.block(c.transfer(0, to, 12345))

	gas := big.NewInt(int64(params.TxGas))
	if ex.Block.Header.GasUsed != params.TxGas || ex.Block.Header.BaseFee.Cmp(baseFee) != 0 {
		t.Fatalf("gas used %d base fee %s, want 21000 and %s", ex.Block.Header.GasUsed, ex.Block.Header.BaseFee, baseFee)
	}
	// sender pays value + gas * (base fee + tip)
	paid := new(big.Int).Mul(gas, new(big.Int).Add(baseFee, tip))
	want := new(big.Int).Sub(initBalance, paid)
	want.Sub(want, big.NewInt(12345))
	if got := c.balance(c.addrs[0]); got.Cmp(want) != 0 {
		t.Errorf("sender balance %s, want %s", got, want)
	}
	if got := c.balance(to); got.Int64() != 12345 {
		t.Errorf("recipient balance %s, want 12345", got)
	}
	// the proposer gets only the tip; the base fee is burned
	if got, want := c.balance(proposer), new(big.Int).Mul(gas, tip); got.Cmp(want) != 0 {
		t.Errorf("proposer balance %s, want the tip %s", got, want)
	}
	rs, err := c.ex.Receipts(ex.Block.Hash())
	if err != nil || len(rs) != 1 || rs[0].Status != 1 || rs[0].EffectiveGasPrice.Cmp(new(big.Int).Add(baseFee, tip)) != 0 {
		t.Fatalf("receipts %v %v", rs, err)
	}
	if loc, found, _ := c.st.TxLookup(ex.Block.Txs[0].Hash()); !found || loc.Height != 1 {
		t.Fatalf("tx lookup %+v %v", loc, found)
	}
}

func TestBaseFeeAdjusts(t *testing.T) {
	const gasLimit = 1_000_000 // target 500k: 30 transfers overfill it
	c := newTestChain(t, 30, gasLimit)
	// An empty block 1 lowers the fee from genesis (which used no gas): -12.5%.
	b1 := c.block()
	want := big.NewInt(params.GWei * 7 / 8)
	if b1.Block.Header.BaseFee.Cmp(want) != 0 {
		t.Fatalf("after an empty genesis: base fee %s, want %s", b1.Block.Header.BaseFee, want)
	}
	var txs []*gethtypes.Transaction
	for i := 0; i < 30; i++ {
		txs = append(txs, c.transfer(i, common.Address{1}, 1))
	}
	full := c.block(txs...)
	used := full.Block.Header.GasUsed
	if used != 30*params.TxGas {
		t.Fatalf("gas used %d", used)
	}
	// base + base*(used-target)/target/8
	base := full.Block.Header.BaseFee
	delta := new(big.Int).Mul(base, big.NewInt(int64(used-gasLimit/2)))
	delta.Div(delta, big.NewInt(gasLimit/2))
	delta.Div(delta, big.NewInt(8))
	wantUp := new(big.Int).Add(base, delta)
	next := c.ex.NextBaseFee()
	if next.Cmp(wantUp) != 0 || next.Cmp(base) <= 0 {
		t.Fatalf("after a full block: next base fee %s, want %s (> %s)", next, wantUp, base)
	}
	b3 := c.block()
	if b3.Block.Header.BaseFee.Cmp(wantUp) != 0 {
		t.Fatalf("block 3 base fee %s, want %s", b3.Block.Header.BaseFee, wantUp)
	}
	if down := c.ex.NextBaseFee(); down.Cmp(wantUp) >= 0 {
		t.Fatalf("after an empty block the base fee did not fall: %s", down)
	}
}

func TestBuildSkipsBadTxs(t *testing.T) {
	c := newTestChain(t, 3, 30_000_000)
	good := c.transfer(0, common.Address{1}, 1)
	tooRich := c.tx(1, &common.Address{1}, new(big.Int).Mul(initBalance, big.NewInt(2)), params.TxGas, nil, big.NewInt(1), big.NewInt(params.GWei*2))
	after := c.transfer(1, common.Address{1}, 1) // same sender as tooRich: popped with it
	wrongChain, err := gethtypes.SignNewTx(c.keys[2], gethtypes.LatestSignerForChainID(big.NewInt(1)), &gethtypes.DynamicFeeTx{
		ChainID: big.NewInt(1), To: &common.Address{1}, Gas: params.TxGas, GasFeeCap: big.NewInt(params.GWei * 2),
	})
	if err != nil {
		t.Fatal(err)
	}
	ex := c.build(good, tooRich, after, wrongChain)
	if len(ex.Block.Txs) != 1 || ex.Block.Txs[0].Hash() != good.Hash() {
		t.Fatalf("included %d txs, want only the good one", len(ex.Block.Txs))
	}
	c.commit(ex)
}

func TestExecuteChecksBlock(t *testing.T) {
	c := newTestChain(t, 2, 30_000_000)
	built := c.build(c.transfer(0, common.Address{1}, 1), c.transfer(1, common.Address{2}, 2))

	ex, err := c.ex.Execute(built.Block)
	if err != nil {
		t.Fatalf("Execute rejected a built block: %v", err)
	}
	if ex.Block.Header.ReceiptRoot != built.Block.Header.ReceiptRoot {
		t.Fatal("receipt roots differ")
	}

	tampered := *built.Block
	h := *built.Block.Header
	h.StateRoot = common.Hash{1}
	tampered.Header = &h
	if _, err := c.ex.Execute(&tampered); !errors.Is(err, execution.ErrInvalidBlock) {
		t.Fatalf("Execute accepted a wrong state root: %v", err)
	}
	h2 := *built.Block.Header
	h2.GasUsed++
	tampered.Header = &h2
	if _, err := c.ex.Execute(&tampered); !errors.Is(err, execution.ErrInvalidBlock) {
		t.Fatalf("Execute accepted a wrong gas used: %v", err)
	}
	tampered.Header = built.Block.Header
	tampered.Txs = built.Block.Txs[:1]
	if _, err := c.ex.Execute(&tampered); !errors.Is(err, execution.ErrInvalidBlock) {
		t.Fatalf("Execute accepted a block missing a transaction: %v", err)
	}
	// Commit what Execute produced (not what Build did): the chain moves on.
	c.commit(ex)
	if c.ex.Head().Hash() != built.Block.Hash() {
		t.Fatal("head is not the executed block")
	}
	// Committing a block that does not extend the head fails.
	if err := c.ex.Commit(built, nil); err == nil {
		t.Fatal("second commit of the same height succeeded")
	}
}

func TestRestartResumes(t *testing.T) {
	c := newTestChain(t, 2, 30_000_000)
	c.block(c.transfer(0, common.Address{7}, 100))
	b2 := c.block(c.transfer(0, common.Address{7}, 100))
	c.reopen()
	if c.ex.Head().Hash() != b2.Block.Hash() {
		t.Fatalf("head after restart %d, want 2", c.ex.Head().Height)
	}
	if got := c.balance(common.Address{7}); got.Int64() != 200 {
		t.Fatalf("balance after restart %s, want 200", got)
	}
	// and the chain goes on
	c.block(c.transfer(0, common.Address{7}, 100))
	if got := c.balance(common.Address{7}); got.Int64() != 300 {
		t.Fatalf("balance after a block on the restarted chain %s", got)
	}
}

func TestGatewaySurvivesBlocks(t *testing.T) {
	c := newTestChain(t, 1, 30_000_000)
	// A zero-value call touches the gateway; EIP-161 would delete it if it were empty.
	c.block(c.tx(0, &gateway.Address, new(big.Int), 100_000, nil, big.NewInt(1), big.NewInt(params.GWei*2)))
	if n, _ := c.ex.Nonce(nil, gateway.Address); n != 1 {
		t.Fatalf("gateway nonce %d after a block, want 1", n)
	}
	if code, _ := c.ex.Code(nil, gateway.Address); len(code) == 0 {
		t.Fatal("gateway lost its code")
	}
}

// senderMap is a SenderCache over a fixed map, counting lookups.
type senderMap struct {
	m    map[common.Hash]common.Address
	hits *int
}

func (s senderMap) KnownSender(h common.Hash) (common.Address, bool) {
	a, ok := s.m[h]
	if ok {
		*s.hits++
	}
	return a, ok
}

// TestExecuteUsesKnownSenders: a verifying node takes the senders its pool
// already recovered instead of recovering them again. A cache that lies about
// a sender makes the block fail its state root, which shows it is used.
func TestExecuteUsesKnownSenders(t *testing.T) {
	c := newTestChain(t, 2, 30_000_000)
	built := c.build(c.transfer(0, common.Address{1}, 1), c.transfer(1, common.Address{2}, 2))
	fresh := func() *types.Block { // decoded again: no sender cached on the txs
		enc, err := types.EncodeBlock(built.Block)
		if err != nil {
			t.Fatal(err)
		}
		b, err := types.DecodeBlock(enc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	txs := built.Block.Txs
	hits := 0
	c.ex.opts.Senders = senderMap{map[common.Hash]common.Address{txs[0].Hash(): c.addrs[0], txs[1].Hash(): c.addrs[1]}, &hits}
	if _, err := c.ex.Execute(fresh()); err != nil {
		t.Fatalf("Execute with known senders: %v", err)
	}
	if hits != 2 {
		t.Fatalf("sender cache consulted %d times, want 2", hits)
	}
	c.ex.opts.Senders = senderMap{map[common.Hash]common.Address{txs[1].Hash(): c.addrs[0]}, &hits}
	if _, err := c.ex.Execute(fresh()); !errors.Is(err, execution.ErrInvalidBlock) {
		t.Fatalf("Execute with a wrong known sender: %v, want ErrInvalidBlock", err)
	}
}
