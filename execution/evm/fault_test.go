package evm

import (
	"math/big"
	"strings"
	"testing"

	"github.com/aspen-chain/aspen/types"
)

// TestFaultMintForgesWhatStatelessVerifiersRefuse: a chain run with the
// mint fault credits its account on a self-send — its own executor agrees
// with the forged block (as every node of a captured quorum would), while
// the stateless verifier of a juror or fraud checker, built without the
// fault, refuses it by its state root. Without the fault nothing is minted.
func TestFaultMintForgesWhatStatelessVerifiersRefuse(t *testing.T) {
	gen, keys := testGenesis(2, 30_000_000)
	c := openTestChain(t, gen, keys)
	minted := big.NewInt(7e18)
	c.opts.Fault = &FaultMint{Subnet: types.SubnetID(gen.SubnetID), Account: c.addrs[0], Amount: minted}
	c.reopen()

	before := c.balance(c.addrs[0])
	honest := c.block(c.transfer(0, c.addrs[1], 1)).Block // not a self-send: no mint
	forged := c.block(c.transfer(0, c.addrs[0], 1)).Block
	after := c.balance(c.addrs[0])
	if gain := new(big.Int).Sub(after, before); gain.Cmp(new(big.Int).Div(minted, big.NewInt(2))) < 0 { // fees are paid too
		t.Fatalf("the faulty chain gained %s wei on its self-send, want about %s", gain, minted)
	}
	s := statelessFor(t, gen)
	if root, err := s.Verify(witnessOf(t, c.ex, honest.Hash()), honest); err != nil || root != honest.Header.StateRoot {
		t.Fatalf("an honest block of the faulty chain does not verify statelessly: root %s, %v", root, err)
	}
	_, err := s.Verify(witnessOf(t, c.ex, forged.Hash()), forged)
	if err == nil || !strings.Contains(err.Error(), "state root") {
		t.Fatalf("the stateless verifier accepted the forged block (err %v)", err)
	}
}

func TestParseFaultMint(t *testing.T) {
	f, err := ParseFaultMint("/devnet/games=0x00000000000000000000000000000000000000aa:5000")
	if err != nil || f.Subnet != "/devnet/games" || f.Amount.Int64() != 5000 || f.Account[19] != 0xaa {
		t.Fatalf("got %+v, %v", f, err)
	}
	for _, bad := range []string{"", "/devnet/games", "/devnet/games=0xaa:1", "games=0x00000000000000000000000000000000000000aa:1",
		"/devnet/games=0x00000000000000000000000000000000000000aa:-1", "/devnet/games=0x00000000000000000000000000000000000000aa:x"} {
		if _, err := ParseFaultMint(bad); err == nil {
			t.Errorf("ParseFaultMint(%q) accepted", bad)
		}
	}
}
