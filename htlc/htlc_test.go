package htlc

import (
	"crypto/sha256"
	"errors"
	"math/big"
	"math/rand"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

var (
	alice = common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	bob   = common.HexToAddress("0x0000000000000000000000000000000000000b0b")
	carol = common.HexToAddress("0x00000000000000000000000000000000000ca201")
)

type fixture struct {
	t  *testing.T
	h  *Contract
	st *memState
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	h, err := New(types.SubnetID("/devnet/alpha"))
	if err != nil {
		t.Fatal(err)
	}
	st := newMemState()
	st.balances[alice] = big.NewInt(1_000_000)
	st.balances[bob] = big.NewInt(1_000_000)
	return &fixture{t: t, h: h, st: st}
}

func (f *fixture) pack(method string, args ...any) []byte {
	f.t.Helper()
	data, err := f.h.abi.Pack(method, args...)
	if err != nil {
		f.t.Fatal(err)
	}
	return data
}

func (f *fixture) exec(from common.Address, value int64, method string, args ...any) ([]any, error) {
	f.t.Helper()
	ret, err := f.st.exec(f.h, Call{Caller: from, Value: big.NewInt(value), Input: f.pack(method, args...)})
	if err != nil {
		return nil, err
	}
	out, uerr := f.h.abi.Unpack(method, ret)
	if uerr != nil {
		f.t.Fatalf("%s: result does not unpack: %v", method, uerr)
	}
	return out, nil
}

func secret(b byte) (preimage, hashlock [32]byte) {
	preimage[0], preimage[31] = b, 0x5e
	return preimage, sha256.Sum256(preimage[:])
}

// lock makes a native swap of value from alice to bob, timing out in dt seconds.
func (f *fixture) lock(value int64, hashlock [32]byte, dt uint64) [32]byte {
	f.t.Helper()
	out, err := f.exec(alice, value, "lock", hashlock, bob, f.st.timeSec+dt)
	if err != nil {
		f.t.Fatalf("lock: %v", err)
	}
	return out[0].([32]byte)
}

func (f *fixture) swap(id [32]byte) Swap { return ReadSwap(f.st, id) }

func (f *fixture) wantErr(err, want error) {
	f.t.Helper()
	if !errors.Is(err, want) || !errors.Is(err, ErrReverted) {
		f.t.Fatalf("got %v, want %v", err, want)
	}
}

func TestLockThenClaimPaysRecipientAndPublishesPreimage(t *testing.T) {
	f := newFixture(t)
	pre, hl := secret(1)
	id := f.lock(400, hl, 60)
	if id != SwapID("/devnet/alpha", 0) {
		t.Fatalf("id %x is not the first swap's", id)
	}
	if got := f.st.Balance(Address); got.Int64() != 400 {
		t.Fatalf("contract holds %s, want 400", got)
	}
	s := f.swap(id)
	if s.Status != StatusLocked || s.Sender != alice || s.Recipient != bob || s.Amount.Int64() != 400 || s.Hashlock != hl || s.Timeout != f.st.timeSec+60 {
		t.Fatalf("stored swap %+v", s)
	}
	if _, err := f.exec(carol, 0, "claim", id, pre); err != nil { // anyone may claim; bob gets paid
		t.Fatal(err)
	}
	if got := f.st.Balance(bob); got.Int64() != 1_000_400 {
		t.Fatalf("bob has %s, want 1000400", got)
	}
	if got := f.st.Balance(Address); got.Sign() != 0 {
		t.Fatalf("contract still holds %s", got)
	}
	out, err := f.exec(carol, 0, "swap", id)
	if err != nil {
		t.Fatal(err)
	}
	if out[6].(uint8) != uint8(StatusClaimed) || out[7].([32]byte) != pre {
		t.Fatalf("swap(id) after claim: status %v preimage %x", out[6], out[7])
	}
	// Locked then Claimed, with the ids as first topics.
	if len(f.st.logs) != 2 || f.st.logs[0].topics[0] != f.h.abi.Events["Locked"].ID || f.st.logs[1].topics[0] != f.h.abi.Events["Claimed"].ID ||
		f.st.logs[1].topics[1] != common.Hash(id) || f.st.logs[1].topics[2] != addrTopic(bob) {
		t.Fatalf("logs %+v", f.st.logs)
	}
	if id2 := f.lock(1, hl, 60); id2 == id {
		t.Fatal("a second lock got the first one's id")
	}
}

func TestWrongPreimageIsRefused(t *testing.T) {
	f := newFixture(t)
	_, hl := secret(1)
	other, _ := secret(2)
	id := f.lock(400, hl, 60)
	_, err := f.exec(bob, 0, "claim", id, other)
	f.wantErr(err, ErrWrongPreimage)
	if f.swap(id).Status != StatusLocked || f.st.Balance(Address).Int64() != 400 {
		t.Fatal("a refused claim changed the swap")
	}
}

func TestRefundOnlyFromTimeout(t *testing.T) {
	f := newFixture(t)
	_, hl := secret(1)
	id := f.lock(400, hl, 60)
	f.st.timeSec += 59
	_, err := f.exec(alice, 0, "refund", id)
	f.wantErr(err, ErrNotExpired)
	f.st.timeSec++ // the timeout itself: refund, no longer claim
	if _, err := f.exec(carol, 0, "refund", id); err != nil {
		t.Fatal(err)
	}
	if got := f.st.Balance(alice); got.Int64() != 1_000_000 {
		t.Fatalf("alice has %s after her refund, want all 1000000 back", got)
	}
	if f.swap(id).Status != StatusRefunded {
		t.Fatal("status is not refunded")
	}
}

func TestClaimAtTimeoutIsRefused(t *testing.T) {
	f := newFixture(t)
	pre, hl := secret(1)
	id := f.lock(400, hl, 60)
	f.st.timeSec += 60
	_, err := f.exec(bob, 0, "claim", id, pre)
	f.wantErr(err, ErrExpired)
}

func TestSettledSwapsStaySettled(t *testing.T) {
	f := newFixture(t)
	pre, hl := secret(1)
	claimed := f.lock(400, hl, 60)
	refunded := f.lock(300, hl, 30)
	if _, err := f.exec(bob, 0, "claim", claimed, pre); err != nil {
		t.Fatal(err)
	}
	_, err := f.exec(bob, 0, "claim", claimed, pre)
	f.wantErr(err, ErrSettled) // double claim
	f.st.timeSec += 100
	_, err = f.exec(alice, 0, "refund", claimed)
	f.wantErr(err, ErrSettled) // refund after claim
	if _, err := f.exec(alice, 0, "refund", refunded); err != nil {
		t.Fatal(err)
	}
	f.st.timeSec -= 100 // even were the clock earlier again
	_, err = f.exec(bob, 0, "claim", refunded, pre)
	f.wantErr(err, ErrSettled) // claim after refund
	_, err = f.exec(alice, 0, "refund", refunded)
	f.wantErr(err, ErrSettled) // double refund
	_, err = f.exec(alice, 0, "refund", [32]byte{9})
	f.wantErr(err, ErrUnknownSwap)
	if got := f.st.Balance(bob).Int64() + f.st.Balance(alice).Int64(); got != 2_000_000 || f.st.Balance(Address).Sign() != 0 {
		t.Fatalf("alice+bob hold %d, contract %s", got, f.st.Balance(Address))
	}
}

func TestBadLocksRevertWithReasons(t *testing.T) {
	_, hl := secret(1)
	f := newFixture(t)
	now := f.st.timeSec
	cases := []struct {
		name   string
		value  int64
		method string
		args   []any
		reason string
	}{
		{"no value", 0, "lock", []any{hl, bob, now + 60}, "lock needs value"},
		{"zero recipient", 5, "lock", []any{hl, common.Address{}, now + 60}, "recipient is the zero address"},
		{"zero hashlock", 5, "lock", []any{[32]byte{}, bob, now + 60}, "hashlock is zero"},
		{"past timeout", 5, "lock", []any{hl, bob, now}, "is not after the block's time"},
		{"milliseconds", 5, "lock", []any{hl, bob, now * 1000}, "not milliseconds"},
		{"value to lockToken", 5, "lockToken", []any{carol, big.NewInt(1), hl, bob, now + 60}, "not payable"},
		{"token without code", 0, "lockToken", []any{carol, big.NewInt(1), hl, bob, now + 60}, "has no code"},
		{"zero token amount", 0, "lockToken", []any{carol, new(big.Int), hl, bob, now + 60}, "amount must be positive"},
	}
	for _, c := range cases {
		ret, err := f.st.exec(f.h, Call{Caller: alice, Value: big.NewInt(c.value), Input: f.pack(c.method, c.args...)})
		if !errors.Is(err, ErrReverted) || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s: got %v, want a revert saying %q", c.name, err, c.reason)
			continue
		}
		if want := EncodeRevert(strings.TrimPrefix(err.Error(), ErrReverted.Error()+": ")); string(ret) != string(want) {
			t.Errorf("%s: revert payload is not Error(reason)", c.name)
		}
	}
	if f.st.Balance(alice).Int64() != 1_000_000 || len(f.st.slots) != 0 {
		t.Fatal("a refused lock left state behind")
	}
	// A static frame may read but not lock.
	_, err := f.st.exec(f.h, Call{Caller: alice, Input: f.pack("lock", hl, bob, now+60), ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "static call") {
		t.Fatalf("lock in a static call: %v", err)
	}
	if _, err := f.st.exec(f.h, Call{Caller: alice, Input: f.pack("swap", [32]byte{}), ReadOnly: true}); err != nil {
		t.Fatalf("swap in a static call: %v", err)
	}
	if _, err := f.st.exec(f.h, Call{Caller: alice, Input: []byte{1, 2}}); err == nil || !strings.Contains(err.Error(), "call data is empty") {
		t.Fatalf("short input: %v", err)
	}
}

// TestValueConservation runs random locks, claims and refunds: nothing is
// made or lost, and the contract holds exactly what its open swaps lock.
func TestValueConservation(t *testing.T) {
	f := newFixture(t)
	rng := rand.New(rand.NewSource(7))
	people := []common.Address{alice, bob, carol}
	total := func() int64 {
		var n int64
		for _, p := range append(people, Address) {
			n += f.st.Balance(p).Int64()
		}
		return n
	}
	start := total()
	type open struct {
		id  [32]byte
		pre [32]byte
	}
	var ids []open
	for i := 0; i < 300; i++ {
		pre, hl := secret(byte(i))
		switch rng.Intn(4) {
		case 0, 1:
			from, to := people[rng.Intn(3)], people[rng.Intn(3)]
			out, err := f.exec(from, rng.Int63n(5000)+1, "lock", hl, to, f.st.timeSec+uint64(rng.Intn(50)+1))
			if err == nil {
				ids = append(ids, open{out[0].([32]byte), pre})
			}
		case 2:
			if len(ids) > 0 {
				o := ids[rng.Intn(len(ids))]
				guess := o.pre
				if rng.Intn(3) == 0 {
					guess[5] ^= 1
				}
				_, _ = f.exec(people[rng.Intn(3)], 0, "claim", o.id, guess)
			}
		case 3:
			if len(ids) > 0 {
				_, _ = f.exec(people[rng.Intn(3)], 0, "refund", ids[rng.Intn(len(ids))].id)
			}
		}
		f.st.timeSec += uint64(rng.Intn(4))
		if got := total(); got != start {
			t.Fatalf("step %d: %d wei in all, started with %d", i, got, start)
		}
		locked := new(big.Int)
		for _, o := range ids {
			if s := f.swap(o.id); s.Status == StatusLocked {
				locked.Add(locked, s.Amount)
			}
		}
		if f.st.Balance(Address).Cmp(locked) != 0 {
			t.Fatalf("step %d: contract holds %s, open swaps lock %s", i, f.st.Balance(Address), locked)
		}
	}
	var claimed, refunded int
	for _, o := range ids {
		switch f.swap(o.id).Status {
		case StatusClaimed:
			claimed++
		case StatusRefunded:
			refunded++
		}
	}
	if claimed == 0 || refunded == 0 {
		t.Fatalf("the walk never claimed (%d) or never refunded (%d): it tests nothing", claimed, refunded)
	}
}

func TestABIMatchesSolidity(t *testing.T) {
	parsed, err := ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../docs/IHTLC.sol")
	if err != nil {
		t.Fatal(err)
	}
	// Declarations in IHTLC.sol, reduced to canonical signatures.
	decl := regexp.MustCompile(`(?m)^\s*(function|event)\s+(\w+)\(([^)]*)\)([^;]*);`)
	param := regexp.MustCompile(`^\s*(\w+)`)
	found := map[string]string{}
	mut := map[string]string{}
	for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
		var types []string
		for _, p := range strings.Split(m[3], ",") {
			if strings.TrimSpace(p) == "" {
				continue
			}
			ty := param.FindStringSubmatch(p)[1]
			if ty == "Status" {
				ty = "uint8"
			}
			types = append(types, ty)
		}
		found[m[1]+" "+m[2]] = m[2] + "(" + strings.Join(types, ",") + ")"
		switch {
		case strings.Contains(m[4], "payable"):
			mut[m[2]] = "payable"
		case strings.Contains(m[4], "view"):
			mut[m[2]] = "view"
		default:
			mut[m[2]] = "nonpayable"
		}
	}
	for name, m := range parsed.Methods {
		if found["function "+name] != m.Sig {
			t.Errorf("function %s: ABI %q, IHTLC.sol %q", name, m.Sig, found["function "+name])
		}
		if mut[name] != m.StateMutability {
			t.Errorf("function %s: ABI %s, IHTLC.sol %s", name, m.StateMutability, mut[name])
		}
		delete(found, "function "+name)
	}
	for name, e := range parsed.Events {
		if found["event "+name] != e.Sig {
			t.Errorf("event %s: ABI %q, IHTLC.sol %q", name, e.Sig, found["event "+name])
		}
		delete(found, "event "+name)
	}
	for k := range found {
		t.Errorf("IHTLC.sol declares %s, the ABI does not", k)
	}
	if !strings.Contains(strings.ToLower(string(src)), strings.ToLower(Address.Hex())) {
		t.Errorf("IHTLC.sol does not name the address %s", Address.Hex())
	}
}

func TestMethodTableMatchesABI(t *testing.T) {
	parsed, err := ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	for name := range parsed.Methods {
		if md, ok := methods[name]; !ok || md.run == nil || md.gas == nil {
			t.Errorf("ABI function %s has no complete row in the method table", name)
		}
	}
	if len(methods) != len(parsed.Methods) {
		t.Errorf("method table has %d rows, the ABI %d functions", len(methods), len(parsed.Methods))
	}
}
