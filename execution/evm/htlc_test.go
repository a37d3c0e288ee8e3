package evm

import (
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/htlc"
)

// htlcChain is a test chain with helpers for the HTLC contract.
type htlcChain struct {
	*gwChain
	h abi.ABI
}

func newHTLCChain(t *testing.T) *htlcChain {
	h, err := htlc.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	return &htlcChain{gwChain: newGWChain(t, 3), h: h}
}

func (c *htlcChain) htlcTx(i int, value *big.Int, method string, args ...any) *gethtypes.Transaction {
	return c.send(i, htlc.Address, value, mustPack(c.t, c.h, method, args...))
}

// swapOf reads swap id with eth_call on the head.
func (c *htlcChain) swapOf(id [32]byte) (status uint8, preimage [32]byte) {
	c.t.Helper()
	res := c.ethCall(common.Address{}, htlc.Address, nil, mustPack(c.t, c.h, "swap", id))
	if res.Err != nil {
		c.t.Fatal(res.Err)
	}
	out, err := c.h.Unpack("swap", res.ReturnData)
	if err != nil {
		c.t.Fatal(err)
	}
	return out[6].(uint8), out[7].([32]byte)
}

// lockedID is the id in the Locked log of r.
func (c *htlcChain) lockedID(r *gethtypes.Receipt) [32]byte {
	c.t.Helper()
	for _, l := range r.Logs {
		if l.Address == htlc.Address && len(l.Topics) > 1 && l.Topics[0] == c.h.Events["Locked"].ID {
			return l.Topics[1]
		}
	}
	c.t.Fatalf("no Locked log in %+v", r.Logs)
	return [32]byte{}
}

// TestHTLCOnChain runs native swaps through real transactions: a claim pays
// the recipient exactly, a refund waits for block time to reach the
// timeout, the contract keeps a settled swap's record after its balance
// drops to zero (EIP-161 must not wipe it), and eth_estimateGas sees the
// contract.
func TestHTLCOnChain(t *testing.T) {
	c := newHTLCChain(t)
	pre := [32]byte{1, 2, 3}
	hl := sha256.Sum256(pre[:])
	now := c.ex.Head().Time()

	lock := c.run(1, c.htlcTx(0, eth(5), "lock", hl, c.addrs[1], now+100))[0]
	id := c.lockedID(lock)
	if got := c.balance(htlc.Address); got.Cmp(eth(5)) != 0 {
		t.Fatalf("contract holds %s, want 5 ether", got)
	}
	claimData := mustPack(t, c.h, "claim", id, pre)
	est, err := c.ex.EstimateGas(t.Context(), nil, executionArgs(c.addrs[2], htlc.Address, claimData), nil)
	if err != nil {
		t.Fatalf("estimate claim: %v", err)
	}
	claim := c.run(1, c.htlcTx(2, nil, "claim", id, pre))[0] // a third party claims; the recipient is paid
	if claim.GasUsed > est {
		t.Fatalf("claim used %d gas, estimated %d", claim.GasUsed, est)
	}
	if got, want := c.balance(c.addrs[1]), new(big.Int).Add(initBalance, eth(5)); got.Cmp(want) != 0 {
		t.Fatalf("recipient has %s, want %s", got, want)
	}
	c.run(1, c.transfer(1, c.addrs[2], 1)) // another block: the record must survive the empty account
	if st, got := c.swapOf(id); st != uint8(htlc.StatusClaimed) || got != pre {
		t.Fatalf("after claim: status %d preimage %x", st, got)
	}
	c.expectRevert("was claimed already", c.addrs[2], htlc.Address, nil, claimData)

	// Refund: a swap timing out 3 s (3 blocks) ahead.
	now = c.ex.Head().Time()
	refundLock := c.run(1, c.htlcTx(0, eth(2), "lock", hl, c.addrs[1], now+3))[0]
	rid := c.lockedID(refundLock)
	c.run(0, c.htlcTx(0, nil, "refund", rid)) // block time now+2: too early, the receipt fails
	refund := c.run(1, c.htlcTx(0, nil, "refund", rid))[0]
	want := new(big.Int).Sub(c.balanceAfterFees(c.addrs[0]), eth(5))
	if got := c.balance(c.addrs[0]); got.Cmp(want) != 0 {
		t.Fatalf("sender has %s after the refund, want %s", got, want)
	}
	if got := c.balance(htlc.Address); got.Sign() != 0 {
		t.Fatalf("contract still holds %s", got)
	}
	t.Logf("gas: lock %d, claim %d, refund %d", lock.GasUsed, claim.GasUsed, refund.GasUsed)
}

// TestHTLCTokenOnChain locks a real ERC-20 (testdata/Token.sol) with
// lockToken and claims it.
func TestHTLCTokenOnChain(t *testing.T) {
	c := newHTLCChain(t)
	tokABI := parseABI(t, tokenABI)
	deploy := c.tx(0, nil, new(big.Int), 2_000_000, hexutil.MustDecode(tokenBytecode), big.NewInt(params.GWei), big.NewInt(10*params.GWei))
	c.run(1, deploy)
	token := crypto.CreateAddress(c.addrs[0], deploy.Nonce())
	balanceOf := func(a common.Address) *big.Int {
		res := c.ethCall(common.Address{}, token, nil, mustPack(t, tokABI, "balanceOf", a))
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return new(big.Int).SetBytes(res.ReturnData)
	}
	pre := [32]byte{7}
	hl := sha256.Sum256(pre[:])
	amount := big.NewInt(1234)
	timeout := c.ex.Head().Time() + 100
	// Without approval the lock is refused with advice.
	c.expectRevert("approve the HTLC contract", c.addrs[0], htlc.Address, nil, mustPack(t, c.h, "lockToken", token, amount, hl, c.addrs[1], timeout))
	c.run(1, c.send(0, token, nil, mustPack(t, tokABI, "approve", htlc.Address, amount)))
	lock := c.run(1, c.htlcTx(0, nil, "lockToken", token, amount, hl, c.addrs[1], timeout))[0]
	id := c.lockedID(lock)
	if got := balanceOf(htlc.Address); got.Cmp(amount) != 0 {
		t.Fatalf("contract holds %s tokens, want %s", got, amount)
	}
	claim := c.run(1, c.htlcTx(1, nil, "claim", id, pre))[0]
	if got := balanceOf(c.addrs[1]); got.Cmp(amount) != 0 {
		t.Fatalf("recipient holds %s tokens, want %s", got, amount)
	}
	if got := balanceOf(htlc.Address); got.Sign() != 0 {
		t.Fatalf("contract still holds %s tokens", got)
	}
	t.Logf("gas: lockToken %d, claim (token) %d", lock.GasUsed, claim.GasUsed)
}

func executionArgs(from, to common.Address, data []byte) execution.CallArgs {
	return execution.CallArgs{From: from, To: &to, Data: data}
}
