package gateway

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"

	aspencrypto "github.com/aspen-chain/aspen/crypto"
)

// childAccount is an account of a child's state, for the tries claims are
// proven against.
type childAccount struct {
	balance int64 // wei
	code    bool
}

// childState is a child's state trie holding accts, and many others so
// proofs have a realistic depth.
func childState(t *testing.T, accts map[common.Address]childAccount) *trie.Trie {
	t.Helper()
	tr := trie.NewEmpty(nil)
	put := func(a common.Address, acc childAccount) {
		codeHash := gethtypes.EmptyCodeHash
		if acc.code {
			codeHash = crypto.Keccak256Hash([]byte{0x60, 0x00})
		}
		enc, _ := rlp.EncodeToBytes(&gethtypes.StateAccount{Nonce: 1, Balance: uint256.NewInt(uint64(acc.balance)), Root: gethtypes.EmptyRootHash, CodeHash: codeHash[:]})
		if err := tr.Update(crypto.Keccak256(a[:]), enc); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		put(common.Address{0x77, byte(i)}, childAccount{balance: 1})
	}
	for a, acc := range accts {
		put(a, acc)
	}
	return tr
}

// claimProof is eth_getProof's accountProof of a in tr, as claim takes it.
func claimProof(t *testing.T, tr *trie.Trie, a common.Address) []byte {
	t.Helper()
	var nodes nodeList
	if err := tr.Prove(crypto.Keccak256(a[:]), &nodes); err != nil {
		t.Fatal(err)
	}
	enc, err := EncodePowProof(nodes)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// commitRoot commits the next checkpoint of c carrying state root root.
func (c *child) commitRoot(root common.Hash) {
	c.t.Helper()
	cp := c.next()
	cp.StateRoot = root
	c.commit(cp)
}

var (
	alice   = common.Address{0xf1}
	bob     = common.Address{0xf2}
	pool    = common.Address{0xcc} // a contract in the child
	relayer = common.Address{0xee} // submits claims for others
)

// TestClaimFromKilledChild: once a child is killed, an account's balance in
// its last checkpoint's state is paid to it on the parent, whoever submits
// the proof, once; the supply the parent keeps for the child shrinks by it.
// Every other claim is refused with its reason and changes nothing.
func TestClaimFromKilledChild(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10)
	h.ok(alice, 100*gwei, "fund", string(c.id), alice)
	// An older state: bob held 50 gwei then.
	old := childState(t, map[common.Address]childAccount{alice: {balance: 90 * gwei}, bob: {balance: 50 * gwei}})
	c.commitRoot(old.Hash())
	st := childState(t, map[common.Address]childAccount{alice: {balance: 60 * gwei}, bob: {balance: 30 * gwei}, pool: {balance: 5 * gwei, code: true}})
	c.commitRoot(st.Hash())
	id := string(c.id)

	h.fails("is live", relayer, 0, "claim", id, alice, claimProof(t, st, alice))
	h.ok(common.Address{0xc0}, 0, "kill", id)
	out := h.ok(relayer, 0, "claimRoot", id)
	if out[0] != true || out[1].(uint64) != 20 || common.Hash(out[2].([32]byte)) != st.Hash() {
		t.Fatalf("claimRoot after kill: %v, want frozen at height 20 with root %s", out, st.Hash())
	}

	proof := claimProof(t, st, alice)
	gas := h.g.RequiredGas(h.st, Call{Input: mustPack(t, h.g, "claim", id, alice, proof)})
	t.Logf("claim: proof of %d bytes, %d gas", len(proof), gas)
	events := len(h.st.events)
	if out := h.ok(relayer, 0, "claim", id, alice, proof); out[0].(*big.Int).Int64() != 60*gwei {
		t.Fatalf("claim paid %v, want 60 gwei", out[0])
	}
	if got := h.eventNames(events); got != "Claimed" {
		t.Fatalf("events %q, want Claimed (a killed child needs no freeze)", got)
	}
	if ev := h.event(-1, "Claimed"); ev["account"] != alice || ev["amount"].(*big.Int).Int64() != 60*gwei {
		t.Fatalf("Claimed %v", ev)
	}
	if b := h.st.Balance(alice); b.Int64() != 60*gwei {
		t.Fatalf("alice has %s after her claim, want 60 gwei", b)
	}
	if b := h.st.Balance(relayer); b.Sign() != 0 {
		t.Fatalf("the relayer got %s; the claim pays the account", b)
	}
	if got := c.circ(); got != 40*gwei {
		t.Fatalf("circulating supply %d after the claim, want 40 gwei", got)
	}
	if out := h.ok(relayer, 0, "claimed", id, alice); out[0].(*big.Int).Int64() != 60*gwei {
		t.Fatalf("claimed(alice) = %v", out[0])
	}
	h.conserved()

	h.fails("already claimed 60000000000 wei", relayer, 0, "claim", id, alice, proof)
	// A proof against another root: the older checkpoint's, where bob held more.
	h.fails("invalid state proof", relayer, 0, "claim", id, bob, claimProof(t, old, bob))
	// A forged proof: bob's balance raised in a trie of its own.
	forged := childState(t, map[common.Address]childAccount{alice: {balance: 60 * gwei}, bob: {balance: 40 * gwei}, pool: {balance: 5 * gwei, code: true}})
	h.fails("invalid state proof", relayer, 0, "claim", id, bob, claimProof(t, forged, bob))
	// The right nodes with one byte of a balance changed.
	tampered := tamper(t, claimProof(t, st, bob))
	h.fails("invalid state proof", relayer, 0, "claim", id, bob, tampered)
	h.fails("is a contract in /devnet/games", relayer, 0, "claim", id, pool, claimProof(t, st, pool))
	nobody := common.Address{0x99}
	h.fails("has no account in the state of /devnet/games", relayer, 0, "claim", id, nobody, claimProof(t, st, nobody))
	h.fails("not payable", relayer, 1, "claim", id, bob, claimProof(t, st, bob))

	h.ok(relayer, 0, "claim", id, bob, claimProof(t, st, bob))
	if b := h.st.Balance(bob); b.Int64() != 30*gwei {
		t.Fatalf("bob has %s, want 30 gwei", b)
	}
	if got := c.circ(); got != 10*gwei {
		t.Fatalf("circulating supply %d after both claims, want 10 gwei", got)
	}
	h.conserved()
}

// tamper changes the last byte of the last node of a proof (the account's
// leaf, where its balance is), keeping the encoding valid.
func tamper(t *testing.T, enc []byte) []byte {
	t.Helper()
	var nodes [][]byte
	if err := rlp.DecodeBytes(enc, &nodes); err != nil {
		t.Fatal(err)
	}
	leaf := nodes[len(nodes)-1]
	var kv [][]byte
	if err := rlp.DecodeBytes(leaf, &kv); err != nil || len(kv) != 2 {
		t.Fatalf("last node is not a leaf: %v", err)
	}
	var acc gethtypes.StateAccount
	if err := rlp.DecodeBytes(kv[1], &acc); err != nil {
		t.Fatal(err)
	}
	acc.Balance = new(uint256.Int).Mul(acc.Balance, uint256.NewInt(3))
	kv[1], _ = rlp.EncodeToBytes(&acc)
	nodes[len(nodes)-1], _ = rlp.EncodeToBytes(kv)
	out, _ := rlp.EncodeToBytes(nodes)
	return out
}

// TestClaimFirewall: claims never pay more in total than the child's
// circulating supply, whatever its state says (a child that minted coins
// for itself, or a state root its validators forged).
func TestClaimFirewall(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10)
	h.ok(alice, 100*gwei, "fund", string(c.id), alice)
	carol := common.Address{0xf3}
	st := childState(t, map[common.Address]childAccount{alice: {balance: 80 * gwei}, bob: {balance: 70 * gwei}, carol: {balance: 150 * gwei}})
	c.commitRoot(st.Hash())
	h.ok(common.Address{0xc0}, 0, "kill", string(c.id))
	h.fails("firewall: 0xF300000000000000000000000000000000000000 claims 150000000000 wei, more than the 100000000000 wei still circulating", relayer, 0, "claim", string(c.id), carol, claimProof(t, st, carol))
	h.ok(relayer, 0, "claim", string(c.id), alice, claimProof(t, st, alice))
	h.fails("firewall: 0xF200000000000000000000000000000000000000 claims 70000000000 wei, more than the 20000000000 wei still circulating", relayer, 0, "claim", string(c.id), bob, claimProof(t, st, bob))
	h.conserved()
}

// TestClaimNeedsACheckpoint: a child killed before any checkpoint has no
// state root on the parent to prove against.
func TestClaimNeedsACheckpoint(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10)
	h.ok(common.Address{0xc0}, 0, "kill", string(c.id))
	st := childState(t, map[common.Address]childAccount{alice: {balance: 1}})
	h.fails("committed no checkpoint", relayer, 0, "claim", string(c.id), alice, claimProof(t, st, alice))
}

// TestStalledChildFreezes: a child that commits no checkpoint for its stall
// window of parent blocks is frozen from the next block on: it takes no
// checkpoint, fund or validator, its validators leave with their collateral
// at once, and its accounts claim as from a killed child; the first claim
// records the freeze (SubnetFrozen).
func TestStalledChildFreezes(t *testing.T) {
	h := newXH(t, "/devnet")
	creator := common.Address{0xc0}
	h.ok(creator, 0, "createSubnet", "games", bftParams(2, 1))
	id := "/devnet/games"
	h.fails("between 10 and", creator, 0, "setStallWindow", id, uint64(9))
	h.fails("only the creator", alice, 0, "setStallWindow", id, uint64(50))
	if out := h.ok(alice, 0, "stallWindow", id); out[0].(uint64) != DefaultStallWindow {
		t.Fatalf("stall window before it is set: %v", out[0])
	}
	h.ok(creator, 0, "setStallWindow", id, uint64(50))
	c := &child{xh: h, id: "/devnet/games", keys: map[common.Address]*aspencrypto.BLSSecretKey{}}
	v1 := c.join(10)
	c.join(10)
	h.fails("fixed once it is active", creator, 0, "setStallWindow", id, uint64(1000))
	h.ok(alice, 100*gwei, "fund", id, alice)

	h.st.height = 40
	st := childState(t, map[common.Address]childAccount{alice: {balance: 99 * gwei}})
	c.commitRoot(st.Hash()) // committed at parent block 40
	h.st.height = 90        // the last block of the window
	h.fails("is live (active, last progress at parent block 40, stall window 50 blocks)", relayer, 0, "claim", id, alice, claimProof(t, st, alice))
	if out := h.ok(relayer, 0, "claimRoot", id); out[0] != false {
		t.Fatal("frozen inside its window")
	}

	for at, want := range map[uint64]bool{90: false, 91: true} {
		if got, height, root := ClaimRoot(h.st, at, "/devnet", c.id); got != want || height != 10 || root != st.Hash() {
			t.Fatalf("ClaimRoot at %d: frozen %v, height %d, root %s; want frozen %v at height 10, root %s", at, got, height, root, want, st.Hash())
		}
	}
	h.st.height = 91
	if out := h.ok(relayer, 0, "claimRoot", id); out[0] != true || common.Hash(out[2].([32]byte)) != st.Hash() {
		t.Fatalf("claimRoot past the window: %v", out)
	}
	c.refuses("is frozen (it stalled: its last checkpoint was committed at parent block 40, more than its stall window of 50 blocks before this block 91); it takes no more checkpoints", c.next())
	h.fails("cannot receive funds", bob, gwei, "fund", id, bob)
	h.fails("takes no stake", v1, gwei, "stake", id)

	events := len(h.st.events)
	h.ok(relayer, 0, "claim", id, alice, claimProof(t, st, alice))
	if got := h.eventNames(events); got != "SubnetFrozen Claimed" {
		t.Fatalf("events of the first claim %q", got)
	}
	if ev := h.event(events, "SubnetFrozen"); ev["lastCheckpointHeight"].(uint64) != 10 || common.Hash(ev["stateRoot"].([32]byte)) != st.Hash() {
		t.Fatalf("SubnetFrozen %v", ev)
	}
	if b := h.st.Balance(alice); b.Int64() != 99*gwei {
		t.Fatalf("alice has %s, want her 99 gwei", b)
	}
	// Below minValidators, a validator of a live child could not leave; of a
	// frozen one it leaves with its collateral at once.
	h.ok(v1, 0, "leave", id)
	if b := h.st.Balance(v1); b.Int64() != 10*gwei {
		t.Fatalf("the leaver has %s, want its 10 gwei back at once", b)
	}
	h.conserved()
	// The creator can still kill it; claims go on.
	h.ok(creator, 0, "kill", id)
	h.fails("already claimed", relayer, 0, "claim", id, alice, claimProof(t, st, alice))
	h.conserved()
}

// TestReclaimUnappliedTopDown: top-down messages the frozen child's last
// checkpoint does not show applied are in no state a claim proves, so
// reclaim bounces them back to their senders, once each; those it applied
// are refused (their value is in the state claims pay from), as are config
// changes, which carry none.
func TestReclaimUnappliedTopDown(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10)
	id := string(c.id)
	funder := common.Address{0xf9}
	h.ok(funder, 100*gwei, "fund", id, alice)
	applied := TopDownNonce(h.st, "/devnet", c.id)
	cp := c.next()
	cp.StateRoot, cp.DownApplied = childState(t, map[common.Address]childAccount{alice: {balance: 100 * gwei}}).Hash(), applied
	c.commit(cp)
	h.ok(funder, 7*gwei, "fund", id, bob)
	late := applied + 1
	h.fails("is live", relayer, 0, "reclaim", id, late)
	c.join(10) // a config change, queued after the fund
	h.ok(common.Address{0xc0}, 0, "kill", id)

	h.fails("is applied in the state of its last checkpoint", relayer, 0, "reclaim", id, applied)
	h.fails("carries no value", relayer, 0, "reclaim", id, late+1)
	h.fails("has no top-down message 9", relayer, 0, "reclaim", id, uint64(9))
	before := h.st.Balance(funder)
	h.ok(relayer, 0, "reclaim", id, late)
	if got := new(big.Int).Sub(h.st.Balance(funder), before); got.Int64() != 7*gwei {
		t.Fatalf("the funder got %s back, want the 7 gwei of its unapplied fund", got)
	}
	if got := c.circ(); got != 100*gwei {
		t.Fatalf("circulating supply %d after the reclaim, want the 100 gwei the checkpointed state holds", got)
	}
	h.conserved()
	h.fails("already reclaimed", relayer, 0, "reclaim", id, late)
}
