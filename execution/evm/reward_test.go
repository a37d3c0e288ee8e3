package evm

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

// TestBlockRewardGoesToTheProposer: a chain with a block reward (a pow
// root) mints it to each block's proposer on top of the tips, every node
// that replays the block agrees, and a chain without one mints nothing
// (TestTransferFees).
func TestBlockRewardGoesToTheProposer(t *testing.T) {
	reward := big.NewInt(2 * params.Ether)
	gen, keys := testGenesis(1, 30_000_000)
	gen.BlockReward = (*math.HexOrDecimal256)(reward)
	c := &testChain{t: t, dir: t.TempDir(), gen: gen, keys: keys, nonce: make([]uint64, 1)}
	c.addrs = []common.Address{crypto.PubkeyToAddress(keys[0].PublicKey)}
	c.open()
	defer c.st.Close()
	to := common.HexToAddress("0x1234")
	ex := c.block(c.transfer(0, to, 1))
	c.block()
	tips := new(big.Int).Mul(big.NewInt(int64(params.TxGas)), big.NewInt(params.GWei))
	want := new(big.Int).Add(new(big.Int).Mul(reward, big.NewInt(2)), tips)
	if got := c.balance(proposer); got.Cmp(want) != 0 {
		t.Fatalf("proposer has %s after two blocks, want two rewards and the tips: %s", got, want)
	}

	// Another node replaying block 1 reaches the same state root.
	other := &testChain{t: t, dir: t.TempDir(), gen: c.gen}
	other.open()
	defer other.st.Close()
	if _, err := other.ex.Execute(ex.Block); err != nil {
		t.Fatalf("a node with the same genesis refuses the rewarded block: %v", err)
	}
	// One without the reward refuses it: the state roots differ.
	without := *gen
	without.BlockReward = nil
	plain := &testChain{t: t, dir: t.TempDir(), gen: &without}
	plain.open()
	defer plain.st.Close()
	if _, err := plain.ex.Execute(ex.Block); err == nil {
		t.Fatal("a node without the block reward accepted a block that paid one")
	}
}
