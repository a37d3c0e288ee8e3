package registry

import (
	"crypto/ecdsa"
	"errors"
	"maps"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/private"
	"github.com/aspen-chain/aspen/types"
)

// memState is State in memory; logs are kept for the tests.
type memState struct {
	slots  map[common.Hash]common.Hash
	logs   [][]common.Hash
	height uint64
}

func newMem() *memState { return &memState{slots: map[common.Hash]common.Hash{}, height: 1} }

func (m *memState) GetState(s common.Hash) common.Hash { return m.slots[s] }
func (m *memState) SetState(s, v common.Hash) {
	if v == (common.Hash{}) {
		delete(m.slots, s)
		return
	}
	m.slots[s] = v
}
func (m *memState) AddLog(t []common.Hash, _ []byte) { m.logs = append(m.logs, t) }
func (m *memState) BlockNumber() uint64              { return m.height }

var bank = private.Context{ChainID: 7, Subnet: types.SubnetID("/devnet/bank")}

type party struct {
	acct *ecdsa.PrivateKey
	addr common.Address
	enc  *private.PrivateKey
}

func newParty(t *testing.T, seed byte) party {
	t.Helper()
	k, err := crypto.ToECDSA(common.LeftPadBytes([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e, err := private.PrivateKeyFromBytes(common.LeftPadBytes([]byte{seed, 1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return party{k, crypto.PubkeyToAddress(k.PublicKey), e}
}

type harness struct {
	t  *testing.T
	r  *Contract
	st *memState
}

func newHarness(t *testing.T, enabled bool) *harness {
	r, err := New(bank, enabled)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t, r, newMem()}
}

func (h *harness) call(from common.Address, method string, args ...any) ([]any, error) {
	h.t.Helper()
	in, err := h.r.ABI().Pack(method, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	before := maps.Clone(h.st.slots)
	nlogs := len(h.st.logs)
	ret, err := h.r.Run(h.st, Call{Caller: from, Input: in})
	if err != nil {
		// the EVM rolls a reverted frame back; so does the harness
		h.st.slots, h.st.logs = before, h.st.logs[:nlogs]
		return nil, err
	}
	out, err := h.r.ABI().Methods[method].Outputs.Unpack(ret)
	if err != nil {
		h.t.Fatal(err)
	}
	return out, nil
}

func (h *harness) ok(from common.Address, method string, args ...any) []any {
	h.t.Helper()
	out, err := h.call(from, method, args...)
	if err != nil {
		h.t.Fatalf("%s: %v", method, err)
	}
	return out
}

func (h *harness) refused(want error, from common.Address, method string, args ...any) {
	h.t.Helper()
	if _, err := h.call(from, method, args...); !errors.Is(err, want) {
		h.t.Fatalf("%s: got %v, want %v", method, err, want)
	}
}

func (h *harness) register(p party) {
	h.t.Helper()
	h.ok(p.addr, "registerKey", [32]byte(p.enc.Public().Bytes()))
}

func seal(t *testing.T, ctx private.Context, from party, nonce uint64, to ...party) *private.Envelope {
	t.Helper()
	var keys []private.PublicKey
	for _, p := range to {
		keys = append(keys, p.enc.Public())
	}
	env, err := private.Seal([]byte("secret payload"), keys, private.Header{Context: ctx, Nonce: nonce}, from.acct)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func encode(t *testing.T, env *private.Envelope) []byte {
	t.Helper()
	b, err := env.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRegisterKey(t *testing.T) {
	h := newHarness(t, true)
	a, b := newParty(t, 1), newParty(t, 2)
	h.register(a)
	if got := h.ok(a.addr, "accountOf", [32]byte(a.enc.ID()))[0].(common.Address); got != a.addr {
		t.Fatalf("accountOf = %s, want %s", got, a.addr)
	}
	h.refused(ErrKeyTaken, b.addr, "registerKey", [32]byte(a.enc.Public().Bytes()))
	h.refused(ErrBadKey, b.addr, "registerKey", [32]byte{})
	// rotation: the old key ID no longer resolves
	old := a.enc.ID()
	a.enc = b.enc
	h.register(a)
	if AccountOf(h.st, old) != (common.Address{}) || AccountOf(h.st, b.enc.ID()) != a.addr {
		t.Fatal("rotating a key did not move the key ID")
	}
	pub := newHarness(t, false)
	pub.refused(ErrNotPrivate, a.addr, "registerKey", [32]byte(a.enc.Public().Bytes()))
}

// TestSubmitRefusals: every altered or misplaced envelope is refused with
// its named error, and the state is untouched (the harness rolls back, and a
// later honest submit still takes nonce 0).
func TestSubmitRefusals(t *testing.T) {
	h := newHarness(t, true)
	a, b, c := newParty(t, 1), newParty(t, 2), newParty(t, 3)
	for _, p := range []party{a, b, c} {
		h.register(p)
	}
	env := seal(t, bank, a, 0, a, b)
	good := encode(t, env)

	h.refused(private.ErrTruncated, a.addr, "submitEnvelope", good[:len(good)-40])
	other := seal(t, private.Context{ChainID: 7, Subnet: "/devnet/games"}, a, 0, a, b)
	h.refused(private.ErrWrongSubnet, a.addr, "submitEnvelope", encode(t, other))
	// re-addressed: c's key ID in place of b's; the sender's signature no longer covers it
	re := *env
	re.Recipients = []private.KeyID{a.enc.ID(), c.enc.ID()}
	if re.Recipients[0].Compare(re.Recipients[1]) > 0 {
		re.Recipients[0], re.Recipients[1] = re.Recipients[1], re.Recipients[0]
	}
	h.refused(private.ErrBadSignature, a.addr, "submitEnvelope", encode(t, &re))
	h.refused(private.ErrNonceGap, a.addr, "submitEnvelope", encode(t, seal(t, bank, a, 1, a, b)))
	h.refused(ErrUnknownRecipient, a.addr, "submitEnvelope", encode(t, seal(t, bank, a, 0, a, newParty(t, 9))))

	h.ok(a.addr, "submitEnvelope", good)
	h.refused(private.ErrReplay, a.addr, "submitEnvelope", good)
	if r := ReadRound(h.st, env.ID()); r.Status != StatusOpen || r.Recipients != 2 || r.Deadline != 1+DeadlineBlocks {
		t.Fatalf("round %+v", r)
	}
}

func confirmation(t *testing.T, id common.Hash, by party, v private.Verdict, state common.Hash) []byte {
	t.Helper()
	c, err := private.SignConfirmation(private.Confirmation{Envelope: id, Verdict: v, StateHash: state}, by.acct)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMediation(t *testing.T) {
	a, b, c := newParty(t, 1), newParty(t, 2), newParty(t, 3)
	setup := func() (*harness, common.Hash) {
		h := newHarness(t, true)
		for _, p := range []party{a, b, c} {
			h.register(p)
		}
		env := seal(t, bank, a, 0, a, b)
		h.ok(a.addr, "submitEnvelope", encode(t, env))
		return h, env.ID()
	}
	s1, s2 := common.Hash{1}, common.Hash{2}

	h, id := setup()
	h.ok(c.addr, "confirm", confirmation(t, id, a, private.Confirm, s1)) // anyone relays
	h.refused(ErrAnswered, a.addr, "confirm", confirmation(t, id, a, private.Confirm, s1))
	h.refused(ErrNotRecipient, c.addr, "confirm", confirmation(t, id, c, private.Confirm, s1))
	forged := confirmation(t, id, c, private.Confirm, s1)
	forged[4] ^= 1 // the envelope ID changes under c's signature
	h.refused(private.ErrBadConfirmation, c.addr, "confirm", forged)
	h.ok(b.addr, "confirm", confirmation(t, id, b, private.Confirm, s1))
	if r := ReadRound(h.st, id); r.Status != StatusCommitted || r.StateHash != s1 {
		t.Fatalf("agreeing recipients: %+v", r)
	}
	h.refused(ErrNotOpen, b.addr, "expire", [32]byte(id))

	h, id = setup()
	h.ok(a.addr, "confirm", confirmation(t, id, a, private.Confirm, s1))
	h.ok(b.addr, "confirm", confirmation(t, id, b, private.Confirm, s2))
	if r := ReadRound(h.st, id); r.Status != StatusRejected {
		t.Fatalf("disagreeing recipients: %+v", r)
	}

	h, id = setup()
	h.ok(b.addr, "confirm", confirmation(t, id, b, private.Reject, common.Hash{}))
	if r := ReadRound(h.st, id); r.Status != StatusRejected {
		t.Fatalf("a reject: %+v", r)
	}

	h, id = setup()
	h.ok(a.addr, "confirm", confirmation(t, id, a, private.Confirm, s1))
	h.refused(ErrNotExpired, c.addr, "expire", [32]byte(id))
	h.st.height += DeadlineBlocks + 1
	h.refused(ErrLate, b.addr, "confirm", confirmation(t, id, b, private.Confirm, s1))
	h.ok(c.addr, "expire", [32]byte(id))
	if r := ReadRound(h.st, id); r.Status != StatusRejected {
		t.Fatalf("a silent recipient past the deadline: %+v", r)
	}
}

func TestMethodTableMatchesABI(t *testing.T) {
	parsed, err := ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed.Methods) != len(methods) {
		t.Fatalf("ABI has %d functions, the table %d", len(parsed.Methods), len(methods))
	}
	for name := range parsed.Methods {
		if _, ok := methods[name]; !ok {
			t.Errorf("%s has no row in methods", name)
		}
	}
}
