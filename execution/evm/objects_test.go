package evm

import (
	"math/big"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/objects"
	"github.com/aspen-chain/aspen/optimistic"
)

// objChain is a test chain with helpers for the objects manager.
type objChain struct {
	*gwChain
	o abi.ABI
}

func newObjChain(t *testing.T) *objChain {
	o, err := objects.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	return &objChain{gwChain: newGWChain(t, 3), o: o}
}

func (c *objChain) objTx(i int, value *big.Int, method string, args ...any) *gethtypes.Transaction {
	return c.send(i, objects.Address, value, mustPack(c.t, c.o, method, args...))
}

// created is the id of the n-th Created log of r.
func (c *objChain) created(r *gethtypes.Receipt, n int) [32]byte {
	c.t.Helper()
	for _, l := range r.Logs {
		if l.Address == objects.Address && l.Topics[0] == c.o.Events["Created"].ID {
			if n == 0 {
				return l.Topics[1]
			}
			n--
		}
	}
	c.t.Fatalf("no Created log %d in %+v", n, r.Logs)
	return [32]byte{}
}

// note reads objectOf(id) with eth_call: owner, kind, amount, deps.
func (c *objChain) note(id [32]byte) (common.Address, uint8, *big.Int, int) {
	c.t.Helper()
	res := c.ethCall(common.Address{}, objects.Address, nil, mustPack(c.t, c.o, "objectOf", id))
	if res.Err != nil {
		c.t.Fatal(res.Err)
	}
	out, err := c.o.Unpack("objectOf", res.ReturnData)
	if err != nil {
		c.t.Fatal(err)
	}
	return out[0].(common.Address), out[1].(uint8), out[3].(*big.Int), reflect.ValueOf(out[5]).Len()
}

// owned is objectsOf(owner, 0) with eth_call.
func (c *objChain) owned(owner common.Address) [][32]byte {
	c.t.Helper()
	res := c.ethCall(common.Address{}, objects.Address, nil, mustPack(c.t, c.o, "objectsOf", owner, uint64(0)))
	if res.Err != nil {
		c.t.Fatal(res.Err)
	}
	out, err := c.o.Unpack("objectsOf", res.ReturnData)
	if err != nil {
		c.t.Fatal(err)
	}
	if ids := out[0].([][32]byte); uint64(len(ids)) == out[1].(uint64) {
		return ids
	}
	c.t.Fatalf("objectsOf: %d ids of %d", len(out[0].([][32]byte)), out[1])
	return nil
}

// conserved checks the manager's balance is the sum of its native notes
// (every owner's, read through objectsOf and objectOf).
func (c *objChain) conserved() {
	c.t.Helper()
	sum := new(big.Int)
	for _, a := range c.addrs {
		for _, id := range c.owned(a) {
			_, _, amount, _ := c.note(id)
			sum.Add(sum, amount)
		}
	}
	if got := c.balance(objects.Address); got.Cmp(sum) != 0 {
		c.t.Fatalf("manager holds %s wei, its notes %s", got, sum)
	}
}

// TestObjectsOnChain runs deposit, split, merge, transfer and withdraw
// through real transactions, and checks ownership, values, logs and that
// the manager's balance is always the sum of its notes.
func TestObjectsOnChain(t *testing.T) {
	c := newObjChain(t)
	alice, bob := c.addrs[0], c.addrs[1]
	dep := c.run(1, c.objTx(0, eth(10), "deposit"))[0]
	a := c.created(dep, 0)
	if owner, kind, amount, deps := c.note(a); owner != alice || kind != uint8(optimistic.KindNative) || amount.Cmp(eth(10)) != 0 || deps != 0 {
		t.Fatalf("deposited note: owner %s kind %d amount %s deps %d", owner, kind, amount, deps)
	}
	c.conserved()

	split := c.run(1, c.objTx(0, nil, "split", a, eth(3)))[0]
	part, rest := c.created(split, 0), c.created(split, 1)
	if _, _, amount, _ := c.note(part); amount.Cmp(eth(3)) != 0 {
		t.Fatalf("split part %s, want 3 ether", amount)
	}
	if _, _, amount, _ := c.note(rest); amount.Cmp(eth(7)) != 0 {
		t.Fatalf("split rest %s, want 7 ether", amount)
	}
	if _, kind, _, _ := c.note(a); kind != 0 {
		t.Fatal("the split note still exists")
	}
	c.conserved()

	merge := c.run(1, c.objTx(0, nil, "merge", [][32]byte{part, rest}))[0]
	m := c.created(merge, 0)
	if _, _, amount, _ := c.note(m); amount.Cmp(eth(10)) != 0 {
		t.Fatalf("merged note %s, want 10 ether", amount)
	}
	if ids := c.owned(alice); len(ids) != 1 || ids[0] != m {
		t.Fatalf("alice owns %x, want only the merged note", ids)
	}

	tr := c.run(1, c.objTx(0, nil, "transfer", m, bob))[0]
	if len(tr.Logs) != 1 || tr.Logs[0].Topics[0] != c.o.Events["Transferred"].ID || tr.Logs[0].Topics[2] != common.BytesToHash(bob.Bytes()) {
		t.Fatalf("transfer logs %+v", tr.Logs)
	}
	if owner, _, _, _ := c.note(m); owner != bob || len(c.owned(alice)) != 0 || len(c.owned(bob)) != 1 {
		t.Fatal("transfer did not move the note and the owner index")
	}
	c.conserved()

	before := c.balanceAfterFees(bob)
	c.run(1, c.objTx(1, nil, "withdraw", m))
	if got, want := c.balance(bob), new(big.Int).Add(c.balanceAfterFees(bob), eth(10)); got.Cmp(want) != 0 {
		t.Fatalf("bob has %s after withdrawing, want %s (had %s)", got, want, before)
	}
	if got := c.balance(objects.Address); got.Sign() != 0 {
		t.Fatalf("manager still holds %s", got)
	}
	c.conserved()
}

// TestObjectsRefusals: each refused call reverts with its reason, in
// eth_call and in a block, and leaves the manager's storage and balance as
// they were.
func TestObjectsRefusals(t *testing.T) {
	c := newObjChain(t)
	alice, bob := c.addrs[0], c.addrs[1]
	a := c.created(c.run(1, c.objTx(0, eth(5), "deposit"))[0], 0)
	fp := func() (common.Hash, *big.Int) {
		p, err := c.ex.Proof(nil, objects.Address, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p.StorageHash, p.Balance
	}
	root, bal := fp()
	unknown := [32]byte{0xee}
	cases := []struct {
		name   string
		from   int
		value  *big.Int
		method string
		args   []any
		want   string
	}{
		{"not owner transfer", 1, nil, "transfer", []any{a, bob}, "does not own"},
		{"not owner withdraw", 1, nil, "withdraw", []any{a}, "does not own"},
		{"not owner split", 1, nil, "split", []any{a, eth(1)}, "does not own"},
		{"split above value", 0, nil, "split", []any{a, eth(6)}, "leaves no positive rest"},
		{"split of all", 0, nil, "split", []any{a, eth(5)}, "leaves no positive rest"},
		{"unknown id withdraw", 0, nil, "withdraw", []any{unknown}, "no such object"},
		{"unknown id split", 0, nil, "split", []any{unknown, eth(1)}, "no such object"},
		{"unknown id in merge", 0, nil, "merge", []any{[][32]byte{a, unknown}}, "no such object"},
		{"merge of one", 0, nil, "merge", []any{[][32]byte{a}}, "too many parts"},
		{"empty deposit", 0, nil, "deposit", nil, "deposit needs value"},
		{"value to transfer", 0, big.NewInt(1), "transfer", []any{a, bob}, "not payable"},
		{"transfer to zero", 0, nil, "transfer", []any{a, common.Address{}}, "zero address"},
	}
	for _, k := range cases {
		data := mustPack(t, c.o, k.method, k.args...)
		c.expectRevert(k.want, c.addrs[k.from], objects.Address, k.value, data)
		c.run(0, c.send(k.from, objects.Address, k.value, data))
		if r, b := fp(); r != root || b.Cmp(bal) != 0 {
			t.Fatalf("%s: a refused call changed the manager", k.name)
		}
	}
	// Plain value without a function is refused too: nothing enters unnoted.
	c.expectRevert("call data is empty", alice, objects.Address, eth(1), nil)
	c.conserved()
}

// staticCaller is init code deploying a contract that STATICCALLs the
// objects manager with its own call data and returns (or reverts with)
// what came back.
func staticCaller() []byte {
	runtime := append([]byte{0x36, 0x60, 0, 0x60, 0, 0x37, 0x60, 0, 0x60, 0, 0x36, 0x60, 0, 0x73}, objects.Address.Bytes()...)
	runtime = append(runtime, 0x5a, 0xfa, 0x3d, 0x60, 0, 0x60, 0, 0x3e, 0x60, 0x31, 0x57, 0x3d, 0x60, 0, 0xfd, 0x5b, 0x3d, 0x60, 0, 0xf3)
	n := byte(len(runtime))
	return append([]byte{0x60, n, 0x60, 0x0c, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xf3}, runtime...)
}

// TestObjectsStaticCall: writes refuse under STATICCALL, views answer.
func TestObjectsStaticCall(t *testing.T) {
	c := newObjChain(t)
	a := c.created(c.run(1, c.objTx(0, eth(5), "deposit"))[0], 0)
	deploy := c.tx(0, nil, new(big.Int), 500_000, staticCaller(), big.NewInt(params.GWei), big.NewInt(10*params.GWei))
	c.run(1, deploy)
	fwd := crypto.CreateAddress(c.addrs[0], deploy.Nonce())
	c.expectRevert("cannot run in a static call", c.addrs[0], fwd, nil, mustPack(t, c.o, "split", a, eth(1)))
	c.run(0, c.send(0, fwd, nil, mustPack(t, c.o, "transfer", a, c.addrs[1])))
	if owner, _, _, _ := c.note(a); owner != c.addrs[0] {
		t.Fatal("a static transfer moved the note")
	}
	res := c.ethCall(c.addrs[0], fwd, nil, mustPack(t, c.o, "objectOf", a))
	if res.Err != nil {
		t.Fatalf("static objectOf: %v", res.Err)
	}
	if out, err := c.o.Unpack("objectOf", res.ReturnData); err != nil || out[0].(common.Address) != c.addrs[0] {
		t.Fatalf("static objectOf: %v %v", out, err)
	}
}

// inject builds an empty block, lets f change the manager's state through
// the store (what receipt submission and checkpoints will do once wired),
// and commits it with the state root that follows.
func (c *objChain) inject(f func(s *optimistic.Store, sdb *state.StateDB)) {
	c.t.Helper()
	ex := c.build()
	sdb := ex.Pending.(*pending).statedb
	s := optimistic.New(storageDB{sdb}, optimistic.Config{Subnet: c.ex.genesis.ID(), Deadline: objects.Deadline})
	f(s, sdb)
	ex.Block.Header.StateRoot = sdb.IntermediateRoot(c.ex.rules(ex.Block.Header))
	c.commit(ex)
}

type storageDB struct{ sdb *state.StateDB }

func (s storageDB) GetState(k common.Hash) common.Hash { return s.sdb.GetState(objects.Address, k) }
func (s storageDB) SetState(k, v common.Hash)          { s.sdb.SetState(objects.Address, k, v) }

// TestObjectsConditional: a note received from another subnet depends on
// the source block; it cannot be withdrawn, merging it with an
// unconditional note freezes that one, and once the claim is learned true
// the block's system work settles both notes' fate: the frozen input is
// destroyed, the merged note becomes unconditional and can leave.
func TestObjectsConditional(t *testing.T) {
	c := newObjChain(t)
	alice := c.addrs[0]
	mine := c.created(c.run(1, c.objTx(0, eth(2), "deposit"))[0], 0)
	src, hash := c.ex.genesis.ID()+"/other", common.Hash{0x5c}
	var got [32]byte
	c.inject(func(s *optimistic.Store, sdb *state.StateDB) {
		r := optimistic.Receipt{ID: optimistic.ReceiptID(src, 1), Src: src, Dst: c.ex.genesis.ID(), Nonce: 1, Height: 9,
			Kind: optimistic.KindNative, Owner: alice, Amount: eth(3)}
		evs, err := s.Receive(r, hash, 1)
		if err != nil {
			t.Fatal(err)
		}
		got = evs[0].Object
		// The value a received native note stands for (the wiring will mint it).
		sdb.AddBalance(objects.Address, uint256.MustFromBig(eth(3)), tracing.BalanceChangeUnspecified)
	})
	if _, _, _, deps := c.note(got); deps != 1 {
		t.Fatalf("received note has %d dependencies, want 1", deps)
	}
	c.expectRevert("unresolved claims", alice, objects.Address, nil, mustPack(t, c.o, "withdraw", got))
	merged := c.created(c.run(1, c.objTx(0, nil, "merge", [][32]byte{mine, got}))[0], 0)
	if _, _, amount, deps := c.note(merged); amount.Cmp(eth(5)) != 0 || deps != 1 {
		t.Fatalf("merged note %s with %d deps, want 5 ether depending on the receipt", amount, deps)
	}
	c.expectRevert("unresolved claims", alice, objects.Address, nil, mustPack(t, c.o, "withdraw", merged))
	c.expectRevert("frozen", alice, objects.Address, nil, mustPack(t, c.o, "withdraw", mine))

	c.inject(func(s *optimistic.Store, _ *state.StateDB) {
		if _, err := s.Learn(src, 9, hash); err != nil {
			t.Fatal(err)
		}
	})
	ex := c.block() // its system work brings the verdict to both notes
	var settled, destroyed int
	for _, l := range ex.SystemLogs {
		switch l.Topics[0] {
		case c.o.Events["Settled"].ID:
			settled++
		case c.o.Events["FrozenDestroyed"].ID:
			destroyed++
		}
	}
	if settled != 1 || destroyed != 1 {
		t.Fatalf("system logs: %d Settled, %d FrozenDestroyed, want 1 each", settled, destroyed)
	}
	if _, kind, _, _ := c.note(mine); kind != 0 {
		t.Fatal("the frozen input survived its claim turning true")
	}
	c.conserved()
	c.run(1, c.objTx(0, nil, "withdraw", merged))
	if got := c.balance(objects.Address); got.Sign() != 0 {
		t.Fatalf("manager holds %s after the last withdrawal", got)
	}
}

// TestObjectsABIUnknownSelector: garbage call data reverts with a reason.
func TestObjectsABIUnknownSelector(t *testing.T) {
	c := newObjChain(t)
	c.expectRevert("unknown function selector", c.addrs[0], objects.Address, nil, hexutil.MustDecode("0xdeadbeef"))
}
