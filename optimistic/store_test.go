package optimistic

import (
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

var alice, bob = common.Address{0xa1}, common.Address{0xb0}

func newPair() (src, dst *Store) {
	return New(newMemState(), Config{Subnet: "/t/a", Deadline: 10}), New(newMemState(), Config{Subnet: "/t/b", Deadline: 10})
}

// moved mints amount on src, moves it to dst at src height 5 and receives it
// there with hash; it returns the receipt and the object at dst.
func moved(t *testing.T, src, dst *Store, amount int64, hash common.Hash) (Receipt, common.Hash) {
	t.Helper()
	id, _, err := src.Mint(alice, KindNative, common.Address{}, big.NewInt(amount), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := src.Move(alice, id, dst.cfg.Subnet, alice, 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.Object(id); ok {
		t.Fatal("an unconditional object moved but stayed on its source")
	}
	evs, err := dst.Receive(r, hash, 1)
	if err != nil || len(evs) != 2 || evs[0].Kind != EvCreated {
		t.Fatalf("receive: %v %v", evs, err)
	}
	return r, evs[0].Object
}

func drain(t *testing.T, s *Store, height uint64, budget int) []Event {
	t.Helper()
	var all []Event
	for range 1000 {
		evs, used := s.Process(height, budget)
		if used > budget {
			t.Fatalf("used %d of %d", used, budget)
		}
		all = append(all, evs...)
		if used == 0 {
			return all
		}
	}
	t.Fatal("system work never ends")
	return nil
}

func TestReceiveOnce(t *testing.T) {
	src, dst := newPair()
	r, id := moved(t, src, dst, 7, common.Hash{1})
	for _, h := range []common.Hash{{1}, {2}} {
		evs, err := dst.Receive(r, h, 2)
		if err != nil || len(evs) != 0 {
			t.Fatalf("second submission: %v %v", evs, err)
		}
	}
	o, _ := dst.Object(id)
	if want := []Claim{{"/t/a", 5, common.Hash{1}}}; len(o.Deps) != 1 || o.Deps[0] != want[0] {
		t.Fatalf("deps %v, want %v", o.Deps, want)
	}
	if !dst.Received(r.ID) {
		t.Fatal("receipt not recorded")
	}
}

// TestMergeTrueFalse: a merge of an unconditional note with a received
// one freezes the first; the verdict on the receipt's claim decides which
// survives.
func TestMergeTrueFalse(t *testing.T) {
	for _, verdict := range []bool{true, false} {
		src, dst := newPair()
		_, in := moved(t, src, dst, 7, common.Hash{1})
		mine, _, _ := dst.Mint(alice, KindNative, common.Address{}, big.NewInt(3), nil)
		out, _, err := dst.Merge(alice, []common.Hash{mine, in}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := dst.Object(mine); !o.Frozen || len(o.Pending) != 1 {
			t.Fatalf("unconditional input not frozen: %+v", o)
		}
		if _, err := dst.Transfer(alice, mine, bob); !errors.Is(err, ErrFrozen) {
			t.Fatalf("transfer of a frozen note: %v", err)
		}
		if _, err := dst.Withdraw(alice, out); !errors.Is(err, ErrConditional) {
			t.Fatalf("withdraw of conditional value: %v", err)
		}
		if _, err := dst.Learn("/t/a", 5, map[bool]common.Hash{true: {1}, false: {9}}[verdict]); err != nil {
			t.Fatal(err)
		}
		if _, err := dst.Transfer(alice, out, bob); verdict == false && !errors.Is(err, ErrDoomed) {
			t.Fatalf("spend of doomed value: %v", err)
		}
		evs := drain(t, dst, 2, 1)
		restored := 0
		for _, e := range evs {
			if e.Kind == EvRestored {
				restored++
			}
		}
		o, outOK := dst.Object(out)
		m, mineOK := dst.Object(mine)
		switch {
		case verdict && (!outOK || len(o.Deps) > 0 || mineOK || restored != 0):
			t.Fatalf("true: output %v %+v, frozen input kept %v, restored %d", outOK, o, mineOK, restored)
		case !verdict && (outOK || !mineOK || m.Frozen || m.Amount.Int64() != 3 || restored != 1):
			t.Fatalf("false: output kept %v, input %+v, restored %d", outOK, m, restored)
		}
		// A later verdict the other way changes nothing.
		if evs := dst.Resolve(Claim{"/t/a", 5, common.Hash{1}}, !verdict); len(evs) != 0 {
			t.Fatalf("second verdict: %v", evs)
		}
		// A receipt naming the decided height is decided at once.
		r2, _, _ := src.Move(alice, mustMint(t, src), "/t/b", alice, 5)
		evs, _ = dst.Receive(r2, common.Hash{1}, 3)
		if verdict && (len(evs) != 2 || len(mustObject(t, dst, evs[0].Object).Deps) != 0) {
			t.Fatalf("receipt on a true height: %v", evs)
		}
		if !verdict && (len(evs) != 0 && evs[0].Kind == EvCreated) {
			t.Fatalf("receipt on a false height created %v", evs)
		}
	}
}

func mustMint(t *testing.T, s *Store) common.Hash {
	id, _, err := s.Mint(alice, KindNative, common.Address{}, big.NewInt(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustObject(t *testing.T, s *Store, id common.Hash) *Object {
	o, ok := s.Object(id)
	if !ok {
		t.Fatalf("no object %x", id)
	}
	return o
}

func TestExpiry(t *testing.T) {
	src, dst := newPair()
	_, id := moved(t, src, dst, 7, common.Hash{1}) // received at height 1, deadline 11
	drain(t, dst, 10, 4)
	if _, ok := dst.Object(id); !ok {
		t.Fatal("deleted before its deadline")
	}
	evs := drain(t, dst, 11, 4)
	if _, ok := dst.Object(id); ok || len(evs) != 2 || evs[0].Kind != EvClaimExpired || evs[1].Kind != EvDeleted {
		t.Fatalf("after the deadline: kept %v, events %v", ok, evs)
	}
	if _, err := dst.Learn("/t/a", 5, common.Hash{1}); err != nil {
		t.Fatal(err)
	}
	if v, ok := dst.Decided(Claim{"/t/a", 5, common.Hash{1}}); !ok || v {
		t.Fatal("a late truth revived an expired claim")
	}
}

// TestBudget: one verdict reaching ten objects takes blocks of at most the
// budget, resumes where it stopped, and reaches all of them.
func TestBudget(t *testing.T) {
	src, dst := newPair()
	_, id := moved(t, src, dst, 10, common.Hash{1})
	amounts := make([]*big.Int, 10)
	for i := range amounts {
		amounts[i] = big.NewInt(1)
	}
	ids, _, err := dst.Split(alice, id, amounts, 1)
	if err != nil {
		t.Fatal(err)
	}
	dst.Resolve(Claim{"/t/a", 5, common.Hash{1}}, false)
	blocks := 0
	for ; dst.Backlog() > 0; blocks++ {
		if _, used := dst.Process(2, 3); used > 3 || used == 0 {
			t.Fatalf("block %d used %d steps of 3", blocks, used)
		}
	}
	// The claim's expiry entry, 11 dependent entries (the split input's is
	// stale) and the end of the list: 13 steps, 5 blocks of 3.
	if blocks != 5 {
		t.Fatalf("%d blocks, want 5", blocks)
	}
	for _, id := range ids {
		if _, ok := dst.Object(id); ok {
			t.Fatalf("object %x survived a false claim", id)
		}
	}
}

func TestRefusals(t *testing.T) {
	src, dst := newPair()
	r, id := moved(t, src, dst, 7, common.Hash{1})
	if _, _, err := dst.Move(alice, id, "/t/a", alice, 1); !errors.Is(err, ErrConditional) {
		t.Fatalf("move of conditional value: %v", err)
	}
	if _, _, err := dst.Move(bob, id, "/t/a", bob, 1); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("move by another: %v", err)
	}
	if _, _, err := src.Move(alice, mustMint(t, src), "/t/a", alice, 1); !errors.Is(err, ErrBadDest) {
		t.Fatalf("move to itself: %v", err)
	}
	bad := func(f func(*Receipt)) Receipt { x := r; x.Nonce = 99; x.ID = ReceiptID(x.Src, 99); f(&x); return x }
	for name, x := range map[string]Receipt{
		"wrong ID":      bad(func(x *Receipt) { x.ID = common.Hash{7} }),
		"other dst":     bad(func(x *Receipt) { x.Dst = "/t/c" }),
		"no amount":     bad(func(x *Receipt) { x.Amount = nil }),
		"generic value": bad(func(x *Receipt) { x.Kind = KindGeneric }),
		"big data":      bad(func(x *Receipt) { x.Kind, x.Amount, x.Data = KindGeneric, nil, make([]byte, MaxDataSize+1) }),
		"unsorted deps": bad(func(x *Receipt) { x.Deps = []Claim{{"/t/z", 1, common.Hash{}}, {"/t/c", 1, common.Hash{}}} }),
		"from itself":   bad(func(x *Receipt) { x.Src = "/t/b"; x.ID = ReceiptID("/t/b", 99) }),
	} {
		if _, err := dst.Receive(x, common.Hash{1}, 1); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, err := dst.Split(alice, id, []*big.Int{big.NewInt(3), big.NewInt(3)}, 1); !errors.Is(err, ErrBadAmount) {
		t.Fatalf("split not summing: %v", err)
	}
}

// TestOwnerIndexPages: ObjectsOf pages through an owner's objects, follows
// transfers and removals, and bounds its page.
func TestOwnerIndexPages(t *testing.T) {
	s := New(newMemState(), Config{Subnet: "/t/a", Deadline: 10})
	var ids []common.Hash
	for i := range 5 {
		id, _, err := s.Mint(alice, KindNative, common.Address{}, big.NewInt(int64(i+1)), nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	first, n := s.ObjectsOf(alice, 0, 2)
	rest, _ := s.ObjectsOf(alice, 2, 100)
	if n != 5 || len(first) != 2 || len(rest) != 3 || first[0] != ids[0] || rest[2] != ids[4] {
		t.Fatalf("pages %x %x of %d", first, rest, n)
	}
	if _, err := s.Transfer(alice, ids[0], bob); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Withdraw(alice, ids[2]); err != nil {
		t.Fatal(err)
	}
	got, n := s.ObjectsOf(alice, 0, 100)
	if n != 3 || s.OwnerCount(alice) != 3 || slices.Contains(got, ids[0]) || slices.Contains(got, ids[2]) {
		t.Fatalf("alice after transfer and withdrawal: %x (%d)", got, n)
	}
	if b, n := s.ObjectsOf(bob, 0, 100); n != 1 || b[0] != ids[0] {
		t.Fatalf("bob: %x (%d)", b, n)
	}
	if none, n := s.ObjectsOf(alice, 3, 100); none != nil || n != 3 {
		t.Fatalf("page past the end: %x (%d)", none, n)
	}
}
