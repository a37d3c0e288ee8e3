package htlc

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

var tokenAddr = common.HexToAddress("0x000000000000000000000000000000000070ce11")

func (f *fixture) token() *memToken {
	tok := newMemToken()
	tok.balances[alice] = big.NewInt(1000)
	tok.allowances[[2]common.Address{alice, Address}] = big.NewInt(1000)
	f.st.tokens[tokenAddr] = tok
	return tok
}

func (f *fixture) lockToken(amount int64, hashlock [32]byte, dt uint64) ([32]byte, error) {
	out, err := f.exec(alice, 0, "lockToken", tokenAddr, big.NewInt(amount), hashlock, bob, f.st.timeSec+dt)
	if err != nil {
		return [32]byte{}, err
	}
	return out[0].([32]byte), nil
}

func TestTokenSwapClaimAndRefund(t *testing.T) {
	f := newFixture(t)
	tok := f.token()
	pre, hl := secret(1)
	id, err := f.lockToken(300, hl, 60)
	if err != nil {
		t.Fatal(err)
	}
	if tok.bal(Address).Int64() != 300 || tok.bal(alice).Int64() != 700 {
		t.Fatalf("after lockToken: contract %s alice %s", tok.bal(Address), tok.bal(alice))
	}
	if s := f.swap(id); s.Token != tokenAddr || s.Amount.Int64() != 300 {
		t.Fatalf("stored %+v", s)
	}
	if _, err := f.exec(bob, 0, "claim", id, pre); err != nil {
		t.Fatal(err)
	}
	if tok.bal(bob).Int64() != 300 || tok.bal(Address).Sign() != 0 {
		t.Fatalf("after claim: bob %s contract %s", tok.bal(bob), tok.bal(Address))
	}
	id2, err := f.lockToken(200, hl, 10)
	if err != nil {
		t.Fatal(err)
	}
	f.st.timeSec += 10
	if _, err := f.exec(bob, 0, "refund", id2); err != nil {
		t.Fatal(err)
	}
	if tok.bal(alice).Int64() != 700 || tok.bal(Address).Sign() != 0 {
		t.Fatalf("after refund: alice %s contract %s", tok.bal(alice), tok.bal(Address))
	}
	if f.st.Balance(Address).Sign() != 0 {
		t.Fatal("a token swap moved native coin")
	}
}

func TestTokenMisbehaviourIsRefused(t *testing.T) {
	_, hl := secret(1)
	cases := []struct {
		name   string
		spoil  func(*memToken)
		reason string
	}{
		{"fee on transfer", func(t *memToken) { t.fee = 1 }, "fee-on-transfer"},
		{"returns false", func(t *memToken) { t.sayNo = true }, "returned false"},
		{"no allowance", func(t *memToken) { t.allowances = map[[2]common.Address]*big.Int{} }, "approve the HTLC contract"},
	}
	for _, c := range cases {
		f := newFixture(t)
		tok := f.token()
		c.spoil(tok)
		_, err := f.lockToken(300, hl, 60)
		if err == nil || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s: got %v, want a revert saying %q", c.name, err, c.reason)
		}
		if tok.bal(alice).Int64() != 1000 || len(f.st.slots) != 0 {
			t.Errorf("%s: the refused lock left state behind", c.name)
		}
	}
}

// TestTokenCallingBackCannotTakeTwice: a token that re-enters claim while
// paying out finds the swap settled already.
func TestTokenCallingBackCannotTakeTwice(t *testing.T) {
	f := newFixture(t)
	tok := f.token()
	pre, hl := secret(1)
	id, err := f.lockToken(300, hl, 60)
	if err != nil {
		t.Fatal(err)
	}
	var inner error
	tok.onTransfer = func() error {
		tok.onTransfer = nil
		_, inner = f.h.Run(f.st, Call{Caller: tokenAddr, Input: f.pack("claim", id, pre)})
		return nil
	}
	if _, err := f.exec(bob, 0, "claim", id, pre); err != nil {
		t.Fatal(err)
	}
	f.wantErr(inner, ErrSettled)
	if tok.bal(bob).Int64() != 300 || tok.bal(Address).Sign() != 0 {
		t.Fatalf("bob %s, contract %s", tok.bal(bob), tok.bal(Address))
	}
}
