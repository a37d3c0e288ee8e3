package gateway

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
)

// tokenChild is a child's state holding an ERC-20 at token whose balance
// mapping is at slot, with balances, beside the accounts of childState.
type tokenChild struct {
	state, storage *trie.Trie
	token          common.Address
}

func newTokenChild(t *testing.T, token common.Address, slot common.Hash, balances map[common.Address]int64, accts map[common.Address]childAccount) *tokenChild {
	t.Helper()
	storage := trie.NewEmpty(nil)
	for i := range 50 { // other holders, so the storage proof has some depth
		k := TokenBalanceSlot(common.Address{0x55, byte(i)}, slot)
		v, _ := rlp.EncodeToBytes(big.NewInt(7))
		if err := storage.Update(crypto.Keccak256(k[:]), v); err != nil {
			t.Fatal(err)
		}
	}
	for a, b := range balances {
		k := TokenBalanceSlot(a, slot)
		v, _ := rlp.EncodeToBytes(big.NewInt(b))
		if err := storage.Update(crypto.Keccak256(k[:]), v); err != nil {
			t.Fatal(err)
		}
	}
	st := childState(t, accts)
	code := crypto.Keccak256Hash([]byte("token"))
	enc, _ := rlp.EncodeToBytes(&gethtypes.StateAccount{Nonce: 1, Balance: uint256.NewInt(0), Root: storage.Hash(), CodeHash: code[:]})
	if err := st.Update(crypto.Keccak256(token[:]), enc); err != nil {
		t.Fatal(err)
	}
	return &tokenChild{state: st, storage: storage, token: token}
}

// proof is what claimToken takes for account: its account proof, the
// token's, and the token's balance slot of account.
func (c *tokenChild) proof(t *testing.T, account common.Address, slot common.Hash) []byte {
	t.Helper()
	var nodes nodeList
	k := TokenBalanceSlot(account, slot)
	if c.state.Prove(crypto.Keccak256(account[:]), &nodes) != nil || c.state.Prove(crypto.Keccak256(c.token[:]), &nodes) != nil ||
		c.storage.Prove(crypto.Keccak256(k[:]), &nodes) != nil {
		t.Fatal("proving")
	}
	enc, err := EncodePowProof(nodes)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// hatchToken is a parent-side token's contract: hatchPay credits paid, and
// answers its selector unless refuse is set.
type hatchToken struct {
	paid   map[common.Address]*big.Int
	refuse bool
}

func (k *hatchToken) code(_ *xState, _, caller common.Address, data []byte, _ *big.Int) ([]byte, error) {
	if caller != Address || !bytes.Equal(data[:4], hatchPaySelector) {
		return nil, errorString("only the gateway's hatchPay")
	}
	if k.refuse {
		return []byte{0xde, 0xad, 0xbe, 0xef}, nil
	}
	args, err := hatchPayArgs.Unpack(data[4:])
	if err != nil {
		return nil, err
	}
	who, amount := args[1].(common.Address), args[2].(*big.Int)
	if k.paid[who] == nil {
		k.paid[who] = new(big.Int)
	}
	k.paid[who].Add(k.paid[who], amount)
	return common.RightPadBytes(hatchPaySelector, 32), nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// TestClaimToken: a token's contract on the parent registers for its
// holders in a child; once the child is frozen, a holder's balance of the
// child token in the last checkpoint's state is proven and paid by the
// contract's hatchPay, once per holder, within the registration's cap.
// Registrations are the contract's own and fixed; a proof of another
// slot, another root or a contract holder, a hatchPay that does not
// answer its selector, and claims past the cap are refused, and nothing
// of a refused claim is recorded.
func TestClaimToken(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10)
	id := string(c.id)
	h.ok(alice, 100*gwei, "fund", id, alice)
	parentToken, childToken, other := common.Address{0x70, 1}, common.Address{0x7c, 1}, common.Address{0x70, 2}
	slot := common.BigToHash(big.NewInt(3))
	tok := &hatchToken{paid: map[common.Address]*big.Int{}}
	h.st.contracts[parentToken] = tok.code

	h.ok(parentToken, 0, "registerClaimToken", id, childToken, big.NewInt(3), big.NewInt(1000))
	if ev := h.event(-1, "ClaimTokenRegistered"); ev["token"] != parentToken || ev["childToken"] != childToken {
		t.Fatalf("ClaimTokenRegistered %v", ev)
	}
	h.fails("registered for claims from /devnet/games already", parentToken, 0, "registerClaimToken", id, other, big.NewInt(0), big.NewInt(5))
	h.fails("needs a cap above 0", other, 0, "registerClaimToken", id, childToken, big.NewInt(3), big.NewInt(0))
	if out := h.ok(relayer, 0, "claimTokenOf", id, parentToken); out[0] != childToken || out[1].(*big.Int).Int64() != 3 || out[2].(*big.Int).Int64() != 1000 || out[3].(*big.Int).Sign() != 0 {
		t.Fatalf("claimTokenOf = %v", out)
	}

	tc := newTokenChild(t, childToken, slot, map[common.Address]int64{alice: 600, bob: 500, pool: 9},
		map[common.Address]childAccount{alice: {balance: 1}, pool: {code: true}})
	c.commitRoot(tc.state.Hash())
	h.fails("is live", relayer, 0, "claimToken", id, parentToken, alice, tc.proof(t, alice, slot))
	h.ok(common.Address{0xc0}, 0, "kill", id)
	h.fails("is frozen", other, 0, "registerClaimToken", id, childToken, big.NewInt(3), big.NewInt(5))

	proof := tc.proof(t, alice, slot)
	gas := h.g.RequiredGas(h.st, Call{Input: mustPack(t, h.g, "claimToken", id, parentToken, alice, proof)})
	t.Logf("claimToken: proof of %d bytes, %d gas", len(proof), gas)
	// A hatchPay that does not answer its selector: nothing is recorded.
	tok.refuse = true
	h.fails("did not answer hatchPay with its selector", relayer, 0, "claimToken", id, parentToken, alice, proof)
	if out := h.ok(relayer, 0, "tokenClaimed", id, parentToken, alice); out[0].(*big.Int).Sign() != 0 {
		t.Fatalf("a refused claim was recorded: %v", out[0])
	}
	tok.refuse = false
	if out := h.ok(relayer, 0, "claimToken", id, parentToken, alice, proof); out[0].(*big.Int).Int64() != 600 {
		t.Fatalf("claimToken paid %v, want 600", out[0])
	}
	if ev := h.event(-1, "TokenClaimed"); ev["account"] != alice || ev["token"] != parentToken || ev["amount"].(*big.Int).Int64() != 600 {
		t.Fatalf("TokenClaimed %v", ev)
	}
	if tok.paid[alice].Int64() != 600 {
		t.Fatalf("the token paid alice %v, want 600", tok.paid[alice])
	}
	h.fails("already claimed 600 of token", relayer, 0, "claimToken", id, parentToken, alice, proof)
	// Bob's balance proven at another slot (the mapping is at 3, not 4).
	h.fails("invalid state proof", relayer, 0, "claimToken", id, parentToken, bob, tc.proof(t, bob, common.BigToHash(big.NewInt(4))))
	// Bob's balance raised in a state of its own.
	forged := newTokenChild(t, childToken, slot, map[common.Address]int64{alice: 600, bob: 900}, nil)
	h.fails("invalid state proof", relayer, 0, "claimToken", id, parentToken, bob, forged.proof(t, bob, slot))
	h.fails("is a contract there", relayer, 0, "claimToken", id, parentToken, pool, tc.proof(t, pool, slot))
	h.fails("registered no token claims", relayer, 0, "claimToken", id, other, bob, tc.proof(t, bob, slot))
	nobody := common.Address{0x99}
	h.fails("held none of token", relayer, 0, "claimToken", id, parentToken, nobody, tc.proof(t, nobody, slot))
	// The cap: 1000, 600 paid; bob's 500 is more than is left.
	h.fails("firewall: "+bob.Hex()+" claims 500 of token", relayer, 0, "claimToken", id, parentToken, bob, tc.proof(t, bob, slot))
	if out := h.ok(relayer, 0, "claimTokenOf", id, parentToken); out[3].(*big.Int).Int64() != 600 {
		t.Fatalf("paid %v after one claim, want 600", out[3])
	}
	// Native claims are untouched by token claims.
	if got := c.circ(); got != 100*gwei {
		t.Fatalf("circulating supply %d, want the 100 gwei funded", got)
	}
	h.conserved()
}
