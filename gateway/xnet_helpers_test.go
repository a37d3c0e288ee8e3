package gateway

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/consensus/solo"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// xState is memState with what bottom-up and sending need: logs with their
// data, burning, calls into fake contracts, and a snapshot to roll a
// reverted call back as the EVM does.
type xState struct {
	*memState
	g         *Gateway
	events    []xLog
	burned    *big.Int
	contracts map[common.Address]fakeContract
}

type xLog struct {
	topics []common.Hash
	data   []byte
}

// fakeContract is the code of an account: it runs with the state, msg.sender
// and msg.value, and fails by returning an error with its revert data.
type fakeContract func(s *xState, self, caller common.Address, data []byte, value *big.Int) ([]byte, error)

var (
	_ Burner         = (*xState)(nil)
	_ ContractCaller = (*xState)(nil)
)

func newXState(g *Gateway) *xState {
	return &xState{memState: newMemState(), g: g, burned: new(big.Int), contracts: map[common.Address]fakeContract{}}
}

func (s *xState) AddLog(topics []common.Hash, data []byte) {
	s.events = append(s.events, xLog{append([]common.Hash{}, topics...), append([]byte{}, data...)})
}

func (s *xState) Burn(amount *big.Int) error {
	if s.Balance(Address).Cmp(amount) < 0 {
		return errors.New("burn exceeds the gateway's balance")
	}
	s.balances[Address] = new(big.Int).Sub(s.Balance(Address), amount)
	s.burned.Add(s.burned, amount)
	return nil
}

func (s *xState) CallContract(to common.Address, data []byte, value *big.Int, gas uint64) ([]byte, uint64, error) {
	snap := s.snapshot()
	if err := s.Transfer(Address, to, value); err != nil {
		return nil, 0, err
	}
	code := s.contracts[to]
	if code == nil {
		return nil, 0, nil // an account without code: the value moves, nothing runs
	}
	ret, err := code(s, to, Address, data, value)
	if err != nil {
		s.restore(snap)
		return ret, gas, err
	}
	return ret, gas / 2, nil
}

type xSnap struct {
	slots    map[common.Hash]common.Hash
	balances map[common.Address]*big.Int
	events   int
	burned   *big.Int
}

func (s *xState) snapshot() xSnap {
	b := make(map[common.Address]*big.Int, len(s.balances))
	for a, v := range s.balances {
		b[a] = new(big.Int).Set(v)
	}
	return xSnap{maps.Clone(s.slots), b, len(s.events), new(big.Int).Set(s.burned)}
}

func (s *xState) restore(sn xSnap) {
	s.slots, s.balances, s.events, s.burned = maps.Clone(sn.slots), sn.balances, s.events[:sn.events], sn.burned
}

// run is one call frame into the gateway from caller with value (credited
// to the gateway first, from thin air for callers without a balance), rolled
// back if it reverts.
func (s *xState) run(caller common.Address, value *big.Int, input []byte) ([]byte, error) {
	snap := s.snapshot()
	if s.Balance(caller).Cmp(value) < 0 {
		s.balances[caller] = new(big.Int).Set(value)
	}
	if err := s.Transfer(caller, Address, value); err != nil {
		panic(err)
	}
	ret, err := s.g.Run(s, Call{Caller: caller, Value: value, Input: input})
	if err != nil {
		s.restore(snap)
	}
	return ret, err
}

// xh drives one gateway on an xState.
type xh struct {
	t    testing.TB
	g    *Gateway
	st   *xState
	seed byte // of the next validator's BLS key and owner address
}

func newXH(t testing.TB, self types.SubnetID) *xh {
	g, err := New(self, Options{Evidence: consensus.KindEvidence{solo.Kind, bft.Kind}})
	if err != nil {
		t.Fatal(err)
	}
	return &xh{t: t, g: g, st: newXState(g), seed: 1}
}

func (h *xh) call(from common.Address, value int64, method string, args ...any) ([]byte, error) {
	h.t.Helper()
	return h.st.run(from, big.NewInt(value), mustPack(h.t, h.g, method, args...))
}

func (h *xh) ok(from common.Address, value int64, method string, args ...any) []any {
	h.t.Helper()
	ret, err := h.call(from, value, method, args...)
	if err != nil {
		reason, _ := abi.UnpackRevert(ret)
		h.t.Fatalf("%s: %v (%s)", method, err, reason)
	}
	out, err := h.g.ABI().Unpack(method, ret)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// fails checks the call reverts with a reason containing want and changes
// nothing.
func (h *xh) fails(want string, from common.Address, value int64, method string, args ...any) {
	h.t.Helper()
	before := h.st.snapshot()
	ret, err := h.call(from, value, method, args...)
	if !errors.Is(err, ErrReverted) {
		h.t.Fatalf("%s succeeded, want revert %q", method, want)
	}
	if reason, _ := abi.UnpackRevert(ret); !strings.Contains(reason, want) {
		h.t.Fatalf("%s reverted with %q, want %q", method, reason, want)
	}
	h.unchanged(before)
}

func (h *xh) unchanged(before xSnap) {
	h.t.Helper()
	if !maps.Equal(before.slots, h.st.slots) || len(h.st.events) != before.events {
		h.t.Fatalf("the state changed: %d slots before, %d after; %d events before, %d after", len(before.slots), len(h.st.slots), before.events, len(h.st.events))
	}
	for a, b := range h.st.balances {
		if b.Cmp(nonNil(before.balances[a])) != 0 && !(b.Sign() == 0 && before.balances[a] == nil) {
			h.t.Fatalf("balance of %s changed from %s to %s", a, before.balances[a], b)
		}
	}
}

// event decodes log i (from the end if negative) as event name.
func (h *xh) event(i int, name string) map[string]any {
	h.t.Helper()
	if i < 0 {
		i += len(h.st.events)
	}
	if i < 0 || i >= len(h.st.events) {
		h.t.Fatalf("no event %d (%d events)", i, len(h.st.events))
	}
	l := h.st.events[i]
	ev := h.g.ABI().Events[name]
	if l.topics[0] != ev.ID {
		h.t.Fatalf("event %d is not %s", i, name)
	}
	out := map[string]any{}
	if err := ev.Inputs.UnpackIntoMap(out, l.data); err != nil {
		h.t.Fatal(err)
	}
	var indexed abi.Arguments
	for _, in := range ev.Inputs {
		if in.Indexed {
			indexed = append(indexed, in)
		}
	}
	if err := abi.ParseTopicsIntoMap(out, indexed, l.topics[1:]); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// eventNames lists the events emitted since index from.
func (h *xh) eventNames(from int) string {
	var names []string
	for _, l := range h.st.events[from:] {
		for name, ev := range h.g.ABI().Events {
			if ev.ID == l.topics[0] {
				names = append(names, name)
			}
		}
	}
	return strings.Join(names, " ")
}

// conserved checks the gateway's balance is exactly what it owes: the
// circulating supply of every child, the collateral of every seat and every
// pending release, and the jurors' bonds.
func (h *xh) conserved() {
	h.t.Helper()
	owed := JuryBonds(h.st)
	for _, id := range ReadChildren(h.st, h.g.SubnetID()) {
		sn, err := ReadSubnet(h.st, h.g.SubnetID(), id)
		if err != nil {
			h.t.Fatal(err)
		}
		owed.Add(owed, sn.CirculatingSupply).Add(owed, sn.TotalCollateral)
		rs, err := ReadPendingReleases(h.st, h.g.SubnetID(), id)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, r := range rs {
			owed.Add(owed, r.Amount)
		}
	}
	if b := h.st.Balance(Address); b.Cmp(owed) != 0 {
		h.t.Fatalf("the gateway holds %s, but owes %s (supply + collateral + pending releases)", b, owed)
	}
}

// child is an Active child of the harness's chain with BLS-keyed validators.
type child struct {
	*xh
	id   types.SubnetID
	keys map[common.Address]*crypto.BLSSecretKey
}

const gwei = 1_000_000_000

// newChild creates name under the harness's chain with one validator per
// collateral (in gwei: its voting power), all joining, so it is Active at
// config 1.
func (h *xh) newChild(name string, collateralsGwei ...int64) *child {
	h.t.Helper()
	c := &child{xh: h, id: h.g.SubnetID().Child(name), keys: map[common.Address]*crypto.BLSSecretKey{}}
	h.ok(common.Address{0xc0}, 0, "createSubnet", name, bftParams(uint32(len(collateralsGwei)), 1))
	for _, coll := range collateralsGwei {
		c.join(coll)
	}
	if sn, _ := ReadSubnet(h.st, h.g.SubnetID(), c.id); sn.Status != StatusActive {
		h.t.Fatalf("%s is %s after its joins", c.id, sn.Status)
	}
	return c
}

// join seats a new validator with collateral (gwei) and returns its owner.
func (c *child) join(collateralGwei int64) common.Address {
	c.t.Helper()
	k := blsKey(c.t, c.seed)
	owner := common.Address{0xa0, c.seed}
	c.seed++
	c.keys[owner] = k
	c.ok(owner, collateralGwei*gwei, "join", string(c.id), k.PublicKey().Bytes(), k.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x")
	return owner
}

func (c *child) sn() *Subnet {
	c.t.Helper()
	sn, err := ReadSubnet(c.st, c.g.SubnetID(), c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	return sn
}

// next is the checkpoint that follows the last committed one, signed by and
// having applied the current config.
func (c *child) next(msgs ...CrossMsg) *types.Checkpoint {
	height, hash, _ := LastCheckpoint(c.st, c.g.SubnetID(), c.id)
	sn := c.sn()
	return &types.Checkpoint{
		Subnet: string(c.id), Height: height + uint64(sn.Params.CheckpointPeriod), BlockHash: common.Hash{0xb1, byte(height)},
		StateRoot: common.Hash{0x5a}, Prev: hash, Config: sn.ConfigNumber, AppliedConfig: sn.ConfigNumber, Messages: msgs,
	}
}

// sign returns cp encoded, with the aggregate signature and bitmap of the
// validators of config cp.Config owned by signers (all if none given),
// signing for network.
func (c *child) sign(cp *types.Checkpoint, network string, signers ...common.Address) (enc, agg, bitmap []byte) {
	c.t.Helper()
	enc, err := types.EncodeCheckpoint(cp)
	if err != nil {
		c.t.Fatal(err)
	}
	set, err := ReadConfigSet(c.st, c.g.SubnetID(), c.id, cp.Config)
	if errors.Is(err, ErrUnknownConfig) { // for tests of such checkpoints: sign with the newest set
		set, err = ReadConfigSet(c.st, c.g.SubnetID(), c.id, c.sn().ConfigNumber)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	want := map[common.Address]bool{}
	for _, s := range signers {
		want[s] = true
	}
	sigs := map[int][]byte{}
	for i, v := range set {
		if len(signers) == 0 || want[v.Owner] {
			sigs[i] = c.keys[v.Owner].Sign(cp.SigningBytes(network))
		}
	}
	agg, bitmap, err = crypto.AggregateWithBitmap(len(set), sigs)
	if err != nil {
		c.t.Fatal(err)
	}
	return enc, agg, bitmap
}

// submit submits cp signed by signers (all if none) from an arbitrary relayer.
func (c *child) submit(cp *types.Checkpoint, signers ...common.Address) ([]byte, error) {
	c.t.Helper()
	enc, agg, bm := c.sign(cp, "devnet", signers...)
	return c.st.run(common.Address{0xee}, new(big.Int), mustPack(c.t, c.g, "submitCheckpoint", enc, agg, bm))
}

func (c *child) commit(cp *types.Checkpoint, signers ...common.Address) {
	c.t.Helper()
	if ret, err := c.submit(cp, signers...); err != nil {
		reason, _ := abi.UnpackRevert(ret)
		c.t.Fatalf("checkpoint at %d: %v (%s)", cp.Height, err, reason)
	}
	if h, hash, _ := LastCheckpoint(c.st, c.g.SubnetID(), c.id); h != cp.Height || hash != cp.Hash() {
		c.t.Fatalf("checkpoint at %d not committed: last is %d %s", cp.Height, h, hash)
	}
}

// refuses checks cp reverts with a reason containing want and changes nothing.
func (c *child) refuses(want string, cp *types.Checkpoint, signers ...common.Address) {
	c.t.Helper()
	enc, agg, bm := c.sign(cp, "devnet", signers...)
	c.refusesRaw(want, enc, agg, bm)
}

func (c *child) refusesRaw(want string, enc, agg, bm []byte) {
	c.t.Helper()
	c.fails(want, common.Address{0xee}, 0, "submitCheckpoint", enc, agg, bm)
}

// upMsg is message nonce of src, as src's gateway would have made it.
func upMsg(src string, nonce uint64, dst string, to common.Address, value int64, data ...byte) CrossMsg {
	kind := KindTransfer
	if len(data) > 0 {
		kind = KindCall
	}
	return CrossMsg{ID: MsgID(src, nonce), SrcSubnet: src, SrcNonce: nonce, From: common.Address{0xf0, byte(nonce)},
		DstSubnet: dst, To: to, Value: big.NewInt(value), Data: data, Kind: kind}
}

func (c *child) circ() int64 { return c.sn().CirculatingSupply.Int64() }

func describe(msgs []TopDownMsg) string {
	var out []string
	for _, m := range msgs {
		if m.Kind == KindConfig {
			out = append(out, fmt.Sprintf("config%d", m.Config.Number))
			continue
		}
		out = append(out, fmt.Sprintf("%s:%s->%s:%s", m.Kind, m.Msg.SrcSubnet, m.Msg.DstSubnet, m.Msg.Value))
	}
	return strings.Join(out, " ")
}
