package gateway

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// TestConfigSetsByNumber: every config number keeps the set it had, in seat
// order, whatever changes later; a stake writes a new record, so the older
// sets keep the older collateral.
func TestConfigSetsByNumber(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 20, 30)
	a1, a2, a3 := common.Address{0xa0, 1}, common.Address{0xa0, 2}, common.Address{0xa0, 3}
	seen := map[uint64][]Validator{1: c.sn().Validators}
	a4 := c.join(40) // config 2
	seen[2] = c.sn().Validators
	h.ok(a2, 5*gwei, "stake", string(c.id)) // config 3
	seen[3] = c.sn().Validators
	h.ok(a1, 0, "leave", string(c.id)) // config 4: the last seat (a4) moves into a1's
	seen[4] = c.sn().Validators

	owners := func(vs []Validator) []common.Address {
		var out []common.Address
		for _, v := range vs {
			out = append(out, v.Owner)
		}
		return out
	}
	want := map[uint64][]common.Address{1: {a1, a2, a3}, 2: {a1, a2, a3, a4}, 3: {a1, a2, a3, a4}, 4: {a4, a2, a3}}
	wantA2 := map[uint64]int64{1: 20, 2: 20, 3: 25, 4: 25}
	for n := uint64(1); n <= 4; n++ {
		set, err := ReadConfigSet(h.st, "/devnet", c.id, n)
		if err != nil {
			t.Fatal(err)
		}
		if got := owners(set); !equalAddrs(got, want[n]) || !equalAddrs(got, owners(seen[n])) {
			t.Fatalf("config %d: owners %v, want %v (the seats when it was made: %v)", n, got, want[n], owners(seen[n]))
		}
		for i, v := range set {
			if v.Collateral.Cmp(seen[n][i].Collateral) != 0 || string(v.BLSPublicKey) != string(seen[n][i].BLSPublicKey) || v.P2PAddr != seen[n][i].P2PAddr {
				t.Fatalf("config %d seat %d: %+v, want %+v", n, i, v, seen[n][i])
			}
			if v.Owner == a2 && v.Collateral.Int64() != wantA2[n]*gwei {
				t.Fatalf("config %d: a2 has %s, want %d gwei", n, v.Collateral, wantA2[n])
			}
		}
	}
	g, err := ReadChildGenesis(h.st, "/devnet", c.id)
	if err != nil || !equalAddrs(owners(g.Validators), want[1]) {
		t.Fatalf("genesis validators %v, %v", g, err)
	}

	for _, n := range []uint64{0, 5} {
		if _, err := ReadConfigSet(h.st, "/devnet", c.id, n); !errors.Is(err, ErrUnknownConfig) || !strings.Contains(err.Error(), "has configs 1 to 4") {
			t.Fatalf("config %d: %v, want ErrUnknownConfig naming configs 1 to 4", n, err)
		}
	}
	h.ok(common.Address{0xc0}, 0, "createSubnet", "idle", bftParams(2, 1))
	if _, err := ReadConfigSet(h.st, "/devnet", "/devnet/idle", 1); !errors.Is(err, ErrUnknownConfig) {
		t.Fatalf("config 1 of a Registered subnet: %v", err)
	}
	if _, err := ReadConfigSet(h.st, "/devnet", "/devnet/nope", 1); !errors.Is(err, ErrUnknownSubnet) {
		t.Fatalf("unknown subnet: %v", err)
	}
	if _, err := ReadConfigSet(h.st, "/devnet", "/devnet/games/chess", 1); !errors.Is(err, ErrNotChild) {
		t.Fatalf("grandchild: %v", err)
	}
}

func equalAddrs(a, b []common.Address) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCheckpointCommitChain: checkpoints commit one after another, each at
// the next height and naming the previous one; the subnet record and the
// readers show the newest; resubmitting it is a cheap no-op.
func TestCheckpointCommitChain(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	cp1 := c.next()
	if cp1.Height != 10 || cp1.Prev != (common.Hash{}) || cp1.Config != 1 {
		t.Fatalf("first checkpoint %+v", cp1)
	}
	priceFirst := h.g.RequiredGas(h.st, Call{Input: c.input(cp1)})
	events := len(h.st.events)
	c.commit(cp1)
	if got := h.eventNames(events); got != "CheckpointCommitted" {
		t.Fatalf("events %q", got)
	}
	ev := h.event(-1, "CheckpointCommitted")
	if ev["childId"] != "/devnet/games" || ev["height"] != uint64(10) || ev["blockHash"] != [32]byte(cp1.BlockHash) || ev["messages"].(*big.Int).Sign() != 0 {
		t.Fatalf("CheckpointCommitted %v", ev)
	}
	cp2 := c.next()
	if cp2.Height != 20 || cp2.Prev != cp1.Hash() {
		t.Fatalf("second checkpoint %+v", cp2)
	}
	c.commit(cp2)
	sn := c.sn()
	if sn.LastCheckpointHeight != 20 || sn.LastCheckpointHash != cp2.Hash() {
		t.Fatalf("subnet record: last checkpoint %d %s", sn.LastCheckpointHeight, sn.LastCheckpointHash)
	}
	if _, _, cfg := LastCheckpoint(h.st, "/devnet", c.id); cfg != 1 {
		t.Fatalf("last checkpoint config %d", cfg)
	}
	info := h.ok(common.Address{}, 0, "subnet", string(c.id))[0]
	var abiInfo ABISubnetInfo
	convert(info, &abiInfo)
	if abiInfo.LastCheckpointHeight != 20 || abiInfo.LastCheckpointHash != cp2.Hash() {
		t.Fatalf("subnet() shows last checkpoint %d %x", abiInfo.LastCheckpointHeight, abiInfo.LastCheckpointHash)
	}

	// A racing submitter sends the same checkpoint: it succeeds, changes and
	// logs nothing, and is priced without the signature check (which it
	// skips: even a garbage signature passes).
	enc, _, _ := c.sign(cp2, "devnet")
	resubmit := mustPack(t, h.g, "submitCheckpoint", enc, []byte{1}, []byte{})
	priceAgain := h.g.RequiredGas(h.st, Call{Input: resubmit})
	before := h.st.snapshot()
	if _, err := h.st.run(common.Address{0xee}, new(big.Int), resubmit); err != nil {
		t.Fatalf("resubmission: %v", err)
	}
	h.unchanged(before)
	if priceAgain*4 > priceFirst || priceAgain > 40_000 {
		t.Fatalf("a resubmission costs %d gas, a first submission %d: it should be a few reads", priceAgain, priceFirst)
	}
	t.Logf("gas: first submission %d, resubmission %d", priceFirst, priceAgain)
}

func (c *child) input(cp *types.Checkpoint, signers ...common.Address) []byte {
	enc, agg, bm := c.sign(cp, "devnet", signers...)
	return mustPack(c.t, c.g, "submitCheckpoint", enc, agg, bm)
}

// TestCheckpointRefusals: each invalid checkpoint reverts saying what was
// wrong, and changes nothing.
func TestCheckpointRefusals(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	a1, a2 := common.Address{0xa0, 1}, common.Address{0xa0, 2}
	h.ok(common.Address{0xf1}, 500, "fund", string(c.id), common.Address{0xf1})
	cp10 := c.next()
	c.commit(cp10)
	cp20 := c.next()
	c.commit(cp20)

	mut := func(f func(cp *types.Checkpoint)) *types.Checkpoint { cp := c.next(); f(cp); return cp }
	withMsg := func(f func(m *CrossMsg)) *types.Checkpoint {
		m := upMsg("/devnet/games", 1, "/devnet", common.Address{0x77}, 5)
		f(&m)
		return c.next(m)
	}
	tests := []struct {
		name    string
		cp      *types.Checkpoint
		signers []common.Address
		want    string
	}{
		{"older", cp10, nil, "checkpoint at height 10 is older than the last committed 20 of /devnet/games"},
		{"conflicting", mut(func(cp *types.Checkpoint) { cp.Height, cp.Prev, cp.BlockHash = 20, cp10.Hash(), common.Hash{9} }), nil, "checkpoint at height 20 of /devnet/games conflicts with the committed one"},
		{"gap", mut(func(cp *types.Checkpoint) { cp.Height = 40 }), nil, "not the next one: the last committed is at height 20 and checkpoints come every 10 blocks, so the next is at 30"},
		{"not a multiple", mut(func(cp *types.Checkpoint) { cp.Height = 25 }), nil, "so the next is at 30"},
		{"fork", mut(func(cp *types.Checkpoint) { cp.Prev = cp10.Hash() }), nil, "it is on another fork"},
		{"config 0", mut(func(cp *types.Checkpoint) { cp.Config = 0 }), nil, "signed by config 0, older than config 1"},
		{"config from the future", mut(func(cp *types.Checkpoint) { cp.Config, cp.AppliedConfig = 2, 2 }), nil, "signed by config 2, but the newest config of /devnet/games is 1"},
		{"applied before signing", mut(func(cp *types.Checkpoint) { cp.AppliedConfig = 0 }), nil, "has applied config 0, older than the config 1 that signs it"},
		{"applied from the future", mut(func(cp *types.Checkpoint) { cp.AppliedConfig = 2 }), nil, "has applied config 2, but the newest config"},
		{"down applied too far", mut(func(cp *types.Checkpoint) { cp.DownApplied = 2 }), nil, "has applied top-down message 2, but only 1 were queued"},
		{"two thirds is not enough", c.next(), []common.Address{a1, a2}, "is not signed by a quorum of config 1 (3 validators): crypto: signers hold no quorum: 2 validators with power 20 of 30, need 21"},
		// A checkpoint's encoding writes a source as a suffix of its subnet
		// (a sibling cannot even be written) and leaves the ID out, to be
		// recomputed: neither a sibling's message nor a forged ID can arrive.
		{"message from a look-alike sibling", withMsg(func(m *CrossMsg) { *m = upMsg("/devnet/gamesx", 1, "/devnet", m.To, 5) }), nil, "message 0 comes from /devnet/gamesx, which is not /devnet/games or below it"},
		{"message staying inside", withMsg(func(m *CrossMsg) { m.DstSubnet = "/devnet/games/chess" }), nil, "message 0 goes to /devnet/games/chess, inside /devnet/games"},
		{"message to the child itself", withMsg(func(m *CrossMsg) { m.DstSubnet = "/devnet/games" }), nil, "inside /devnet/games"},
		{"message to another network", withMsg(func(m *CrossMsg) { m.DstSubnet = "/testnet" }), nil, "message 0 goes to /testnet, outside network /devnet"},
		{"message with a bad destination", withMsg(func(m *CrossMsg) { m.DstSubnet = "devnet" }), nil, "message 0: destination:"},
		{"message to the gateway", withMsg(func(m *CrossMsg) { m.To = Address }), nil, "addressed to the gateway"},
		{"transfer with data", withMsg(func(m *CrossMsg) { m.Data = []byte{1} }), nil, "is a transfer with call data"},
		{"call without data", withMsg(func(m *CrossMsg) { m.Kind = KindCall }), nil, "is a call without call data"},
		{"refund without ref", withMsg(func(m *CrossMsg) { m.Kind = KindRefund }), nil, "without the ID of the message it refunds"},
		{"config change going up", withMsg(func(m *CrossMsg) { m.Kind = KindConfig }), nil, "has kind config, which does not travel bottom-up"},
		{"call data too big", withMsg(func(m *CrossMsg) { m.Kind, m.Data = KindCall, make([]byte, MaxCrossMsgData+1) }), nil, "over the limit of 16384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t, h.t = t, t
			c.refuses(tt.want, tt.cp, tt.signers...)
		})
	}
	c.t, h.t = t, t

	next := c.next()
	enc, agg, bm := c.sign(next, "devnet")
	other := blsKey(t, 200).Sign(next.SigningBytes("devnet"))
	forged, err := crypto.AggregateSignatures([][]byte{other, other, other})
	if err != nil {
		t.Fatal(err)
	}
	encTestnet, aggTestnet, _ := c.sign(next, "testnet")
	tampered, _, _ := c.sign(mut(func(cp *types.Checkpoint) { cp.StateRoot = common.Hash{0xba, 0xd} }), "devnet")
	raw := []struct {
		name         string
		enc, agg, bm []byte
		want         string
	}{
		{"signed by other keys", enc, forged, bm, "crypto: aggregate signature does not verify"},
		{"signed for another network", encTestnet, aggTestnet, bm, "aggregate signature does not verify"},
		{"changed after signing", tampered, agg, bm, "aggregate signature does not verify"},
		{"no bitmap", enc, agg, nil, "crypto: invalid signer bitmap"},
		{"bitmap with a stray bit", enc, agg, []byte{0x0f}, "bit set beyond the 3 validators"},
		{"not a signature", enc, []byte{1, 2, 3}, bm, "aggregate signature does not verify"},
		{"not a checkpoint", []byte{1, 2, 3}, agg, bm, "gateway: submitCheckpoint: types: invalid checkpoint"},
		{"a grandchild's", encFor(t, mut(func(cp *types.Checkpoint) { cp.Subnet = "/devnet/games/chess" })), agg, bm, "/devnet/games/chess is not a child of /devnet"},
		{"an unknown subnet's", encFor(t, mut(func(cp *types.Checkpoint) { cp.Subnet = "/devnet/nope" })), agg, bm, "/devnet/nope does not exist"},
	}
	for _, tt := range raw {
		t.Run(tt.name, func(t *testing.T) {
			c.t, h.t = t, t
			c.refusesRaw(tt.want, tt.enc, tt.agg, tt.bm)
		})
	}
	c.t, h.t = t, t

	// Registered and killed subnets take no checkpoints.
	h.ok(common.Address{0xc0}, 0, "createSubnet", "idle", bftParams(2, 1))
	h.ok(common.Address{0xc0}, 0, "createSubnet", "dead", bftParams(1, 1))
	k := blsKey(t, 201)
	h.ok(common.Address{0xd1}, gwei, "join", "/devnet/dead", k.PublicKey().Bytes(), k.ProofOfPossession(), "/ip4/1.2.3.4/tcp/1/p2p/x")
	h.ok(common.Address{0xc0}, 0, "kill", "/devnet/dead")
	for id, want := range map[string]string{"/devnet/idle": "/devnet/idle is not active yet", "/devnet/dead": "/devnet/dead was killed; it takes no more checkpoints"} {
		cp := &types.Checkpoint{Subnet: id, Height: 10, Config: 1, AppliedConfig: 1}
		c.refusesRaw(want, encFor(t, cp), agg, bm)
	}

	// After all that, the right checkpoint still commits.
	c.commit(next)
	h.conserved()
}

func encFor(t *testing.T, cp *types.Checkpoint) []byte {
	enc, err := types.EncodeCheckpoint(cp)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestCheckpointWeightedQuorum: quorum is two thirds of collateral, not of
// heads.
func TestCheckpointWeightedQuorum(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 70, 20, 10)
	big1, mid, small := common.Address{0xa0, 1}, common.Address{0xa0, 2}, common.Address{0xa0, 3}
	c.commit(c.next(), big1) // 70 of 100: one validator, but a quorum
	c.refuses("2 validators with power 30 of 100, need 67", c.next(), mid, small)
	c.refuses("2 validators with power 30 of 100", c.next(), mid, small)
	c.commit(c.next(), big1, small)
}

// TestCheckpointConfigWindow: a checkpoint may be signed by any config from
// the last checkpoint's on, up to the newest; never by an older one.
func TestCheckpointConfigWindow(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	a4 := c.join(10) // config 2
	cp := c.next()
	cp.Config, cp.AppliedConfig = 1, 1 // the child has not applied the join yet
	c.commit(cp)
	cp = c.next() // config 2, a4 signs too
	c.commit(cp, a4, common.Address{0xa0, 1}, common.Address{0xa0, 2})
	old := c.next()
	old.Config = 1
	c.refuses("signed by config 1, older than config 2 that the last committed checkpoint signed with", old)
	back := c.next()
	back.AppliedConfig = 1
	back.Config = 1
	c.refuses("older than config 2", back)
}

// TestCheckpointConfigWindowFollowsApplied (issue 19, defect 10): once a
// committed checkpoint showed a leave applied and paid the leaver, no set
// holding the leaver may sign again, even though the checkpoint itself was
// signed by that older set.
func TestCheckpointConfigWindowFollowsApplied(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	c.join(10) // config 2
	a1 := common.Address{0xa0, 1}
	h.ok(a1, 0, "leave", string(c.id)) // config 3
	cp := c.next()
	cp.Config, cp.AppliedConfig = 1, 3 // signed at a height before the join took effect
	c.commit(cp)
	if got := h.st.Balance(a1); got.Int64() != 10*gwei {
		t.Fatalf("the leaver got %s, want its 10 gwei once config 3 was shown applied", got)
	}
	stale := c.next()
	stale.Config = 2 // a1, paid out, signs with a set it was in
	c.refuses("signed by config 2, older than config 3", stale)
	c.commit(c.next())
}

// TestCheckpointFirewall: a quorum-signed checkpoint that would pay out more
// than the child's circulating supply is rejected whole with an event and no
// revert; one within it commits.
func TestCheckpointFirewall(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	h.ok(common.Address{0xf1}, 100, "fund", string(c.id), common.Address{0xf1})
	alice := common.Address{0xa1}
	greedy := c.next(upMsg("/devnet/games", 1, "/devnet", alice, 60), upMsg("/devnet/games", 2, "/devnet", alice, 50))

	// Not signed by a quorum: an ordinary revert, no evidence.
	c.refuses("signers hold no quorum", greedy, common.Address{0xa0, 1})

	before := h.st.snapshot()
	if ret, err := c.submit(greedy); err != nil {
		t.Fatalf("firewall violation reverted: %v %x", err, ret)
	}
	if len(h.st.events) != before.events+1 {
		t.Fatalf("%d events, want only CheckpointRejected", len(h.st.events)-before.events)
	}
	ev := h.event(-1, "CheckpointRejected")
	reason, _ := ev["reason"].(string)
	if ev["childId"] != "/devnet/games" || ev["height"] != uint64(10) || !strings.Contains(reason, "firewall: its 2 messages carry 110 wei, more than the 100 wei circulating in /devnet/games") {
		t.Fatalf("CheckpointRejected %v", ev)
	}
	h.st.events = h.st.events[:before.events]
	h.unchanged(before)
	if h.st.Balance(alice).Sign() != 0 {
		t.Fatal("alice was paid by a rejected checkpoint")
	}

	fair := c.next(upMsg("/devnet/games", 1, "/devnet", alice, 60), upMsg("/devnet/games", 2, "/devnet", alice, 40))
	c.commit(fair)
	if got := h.st.Balance(alice).Int64(); got != 100 || c.circ() != 0 {
		t.Fatalf("alice has %d, supply %d; want 100 and 0", got, c.circ())
	}
	if UpApplied(h.st, "/devnet", c.id) != 2 {
		t.Fatalf("upApplied %d, want 2", UpApplied(h.st, "/devnet", c.id))
	}
	h.conserved()
}

// TestCheckpointRoutesMessages: each message goes where CROSSNET's routing
// says, in order; what cannot go on bounces back to its sender as a refund.
func TestCheckpointRoutesMessages(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	other := h.newChild("other", 10)
	h.ok(common.Address{0xc0}, 0, "createSubnet", "idle", bftParams(2, 1))
	h.ok(common.Address{0xf1}, 1000, "fund", string(c.id), common.Address{0xf1})
	alice, bob := common.Address{0xa1}, common.Address{0xb0}
	msgs := []CrossMsg{
		upMsg("/devnet/games", 1, "/devnet", alice, 100),               // delivered here
		upMsg("/devnet/games/sub", 7, "/devnet/other", bob, 50),        // from a grandchild, down to a sibling
		upMsg("/devnet/games", 2, "/devnet/other/deep", bob, 30, 0xca), // a call further down
		upMsg("/devnet/games", 3, "/devnet/idle", bob, 20),             // genesis fund of a Registered sibling
		upMsg("/devnet/games", 4, "/devnet/idle", bob, 10, 0xca),       // a call cannot wait for genesis: refunded
		upMsg("/devnet/games", 5, "/devnet/nope", bob, 5),              // no such subnet: refunded
		upMsg("/devnet/games", 6, "/devnet/idle/x", bob, 7),            // below a Registered child: refunded
		upMsg("/devnet/games", 8, "/devnet/nope", bob, 0, 0xca),        // nothing to refund
	}
	events := len(h.st.events)
	c.commit(c.next(msgs...))

	if got := h.st.Balance(alice).Int64(); got != 100 {
		t.Fatalf("alice got %d", got)
	}
	down := func(id types.SubnetID) string {
		ms, err := ReadTopDown(h.st, "/devnet", id, 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		return describe(ms)
	}
	if got, want := down(other.id), "transfer:/devnet/games/sub->/devnet/other:50 call:/devnet/games->/devnet/other/deep:30"; got != want {
		t.Fatalf("other's queue %q, want %q", got, want)
	}
	if got := down("/devnet/idle"); got != "transfer:/devnet/games->/devnet/idle:20" {
		t.Fatalf("idle's queue %q", got)
	}
	// games: its fund, then three refunds in message order.
	if got, want := down(c.id), "transfer:/devnet->/devnet/games:1000 refund:/devnet->/devnet/games:10 refund:/devnet->/devnet/games:5 refund:/devnet->/devnet/games:7"; got != want {
		t.Fatalf("games' queue %q, want %q", got, want)
	}
	ms, _ := ReadTopDown(h.st, "/devnet", c.id, 2, 3)
	for i, ref := range []CrossMsg{msgs[4], msgs[5], msgs[6]} {
		r := ms[i].Msg
		if r.Ref != ref.ID || r.To != ref.From || r.From != Address || r.ID != MsgID("/devnet", r.SrcNonce) || r.Kind != KindRefund {
			t.Fatalf("refund %d %+v does not return message %s to %s", i, r, ref.ID, ref.From)
		}
	}
	if got, want := c.circ(), int64(1000-222+22); got != want {
		t.Fatalf("games' supply %d, want %d", got, want)
	}
	if got := other.circ(); got != 80 {
		t.Fatalf("other's supply %d, want 80", got)
	}
	if sn, _ := ReadSubnet(h.st, "/devnet", "/devnet/idle"); sn.CirculatingSupply.Int64() != 20 {
		t.Fatalf("idle's supply %s, want 20", sn.CirculatingSupply)
	}
	want := "CrossMsgApplied CrossMsgForwarded CrossMsgForwarded CrossMsgForwarded CrossMsgApplied CrossMsgSent CrossMsgApplied CrossMsgSent CrossMsgApplied CrossMsgSent CrossMsgApplied CheckpointCommitted"
	if got := h.eventNames(events); got != want {
		t.Fatalf("events\n%s\nwant\n%s", got, want)
	}
	if ev := h.event(events+4, "CrossMsgApplied"); ev["msgId"] != [32]byte(msgs[4].ID) || ev["success"] != false || !strings.Contains(string(ev["result"].([]byte)), "/devnet/idle is not active yet") {
		t.Fatalf("bounce event %v", ev)
	}
	if ev := h.event(events+1, "CrossMsgForwarded"); ev["msgId"] != [32]byte(msgs[1].ID) || ev["next"] != "/devnet/other" {
		t.Fatalf("forward event %v", ev)
	}
	if UpApplied(h.st, "/devnet", c.id) != uint64(len(msgs)) {
		t.Fatalf("upApplied %d", UpApplied(h.st, "/devnet", c.id))
	}
	h.conserved()
}

// TestCheckpointRoutesUp: on a chain with a parent, a child's message for
// somewhere outside this chain's subtree joins this chain's up queue and its
// value is burned here.
func TestCheckpointRoutesUp(t *testing.T) {
	h := newXH(t, "/devnet/mid")
	c := h.newChild("leaf", 10, 10, 10)
	h.ok(common.Address{0xf1}, 100, "fund", string(c.id), common.Address{0xf1})
	msgs := []CrossMsg{
		upMsg("/devnet/mid/leaf", 1, "/devnet", common.Address{0xa1}, 40),
		upMsg("/devnet/mid/leaf", 2, "/devnet/other/x", common.Address{0xa2}, 25, 0xca, 0xfe),
	}
	c.commit(c.next(msgs...))
	if h.st.burned.Int64() != 65 || c.circ() != 35 || h.st.Balance(Address).Int64() != 35+30*gwei {
		t.Fatalf("burned %s, supply %d, gateway %s", h.st.burned, c.circ(), h.st.Balance(Address))
	}
	if UpNonce(h.st) != 2 {
		t.Fatalf("up nonce %d", UpNonce(h.st))
	}
	up, err := ReadUp(h.st, "/devnet/mid", 1, 10)
	if err != nil || len(up) != 2 {
		t.Fatalf("up queue %v %v", up, err)
	}
	for i := range msgs {
		if up[i].Leaf() != msgs[i].Leaf() {
			t.Fatalf("up entry %d is %+v, want the message as it came: %+v", i+1, up[i], msgs[i])
		}
	}
	if up, _ := ReadUp(h.st, "/devnet/mid", 2, 10); len(up) != 1 || up[0].ID != msgs[1].ID {
		t.Fatalf("ReadUp from 2: %v", up)
	}
	if up, _ := ReadUp(h.st, "/devnet/mid", 1, 1); len(up) != 1 || up[0].ID != msgs[0].ID {
		t.Fatalf("ReadUp max 1: %v", up)
	}
	h.conserved()
}

// TestLeaveReleasedByCheckpoint: a leaver of an Active subnet is paid when a
// committed checkpoint's AppliedConfig reaches its leave, not before, in
// leave order.
func TestLeaveReleasedByCheckpoint(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	a1, a2 := common.Address{0xa0, 1}, common.Address{0xa0, 2}
	a4 := c.join(10)                   // config 2
	h.ok(a4, 0, "leave", string(c.id)) // config 3
	a5 := c.join(20)                   // config 4
	h.ok(a5, 0, "leave", string(c.id)) // config 5
	rs, err := ReadPendingReleases(h.st, "/devnet", c.id)
	if err != nil || len(rs) != 2 || rs[0].Owner != a4 || rs[0].Config != 3 || rs[1].Owner != a5 || rs[1].Amount.Int64() != 20*gwei || rs[1].Config != 5 {
		t.Fatalf("pending %+v %v", rs, err)
	}
	if h.st.Balance(a4).Sign() != 0 || c.sn().TotalCollateral.Int64() != 30*gwei {
		t.Fatalf("a4 has %s, total collateral %s", h.st.Balance(a4), c.sn().TotalCollateral)
	}
	h.conserved()

	// Signed by config 2 (a4 still in it: its signature counts), applied 2.
	cp := c.next()
	cp.Config, cp.AppliedConfig = 2, 2
	c.commit(cp, a4, a1, a2)
	if h.st.Balance(a4).Sign() != 0 {
		t.Fatal("a4 paid before the child applied its leave")
	}
	cp = c.next()
	cp.Config, cp.AppliedConfig = 3, 4
	events := len(h.st.events)
	c.commit(cp)
	if h.st.Balance(a4).Int64() != 10*gwei || h.st.Balance(a5).Sign() != 0 {
		t.Fatalf("after applied config 4: a4 %s, a5 %s", h.st.Balance(a4), h.st.Balance(a5))
	}
	if got := h.eventNames(events); got != "ValidatorLeft CheckpointCommitted" {
		t.Fatalf("events %q", got)
	}
	if ev := h.event(events, "ValidatorLeft"); ev["id"] != "/devnet/games" || ev["owner"] != a4 || ev["collateralReturned"].(*big.Int).Int64() != 10*gwei {
		t.Fatalf("ValidatorLeft %v", ev)
	}
	h.conserved()
	c.commit(c.next())
	if h.st.Balance(a5).Int64() != 20*gwei {
		t.Fatalf("a5 has %s after applied config 5", h.st.Balance(a5))
	}
	if rs, _ := ReadPendingReleases(h.st, "/devnet", c.id); len(rs) != 0 {
		t.Fatalf("still pending: %+v", rs)
	}
	h.conserved()
}

// TestCheckpointGasGrowsWithWork: the price covers the validators checked
// and the messages executed.
func TestCheckpointGasGrowsWithWork(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10, 10)
	h.ok(common.Address{0xf1}, 1_000_000, "fund", string(c.id), common.Address{0xf1})
	price := func(n int, call bool) uint64 {
		var msgs []CrossMsg
		for i := range n {
			var data []byte
			if call {
				data = []byte{1}
			}
			msgs = append(msgs, upMsg("/devnet/games", uint64(i+1), "/devnet", common.Address{0xa1}, 1, data...))
		}
		return h.g.RequiredGas(h.st, Call{Input: c.input(c.next(msgs...))})
	}
	p0, p10, p100, calls10 := price(0, false), price(10, false), price(100, false), price(10, true)
	perMsg := (p100 - p10) / 90
	if perMsg < gasPayout+gasEvent || p10-p0 < 10*(gasPayout+gasEvent) {
		t.Fatalf("prices %d %d %d: %d per message, less than a payout and an event", p0, p10, p100, perMsg)
	}
	if calls10-p0 < 10*CrossMsgCallGas {
		t.Fatalf("10 calls priced %d, less than their gas cap", calls10-p0)
	}
	var owners []common.Address
	for range 4 {
		owners = append(owners, c.join(10))
	}
	// All signing, the set's aggregate key is checked and no seat's key is
	// read; each validator that does not sign costs its key.
	p0more := h.g.RequiredGas(h.st, Call{Input: c.input(c.next())})
	p0two := h.g.RequiredGas(h.st, Call{Input: c.input(c.next(), append(owners, common.Address{0xa0, 1}, common.Address{0xa0, 2})...)})
	if p0more-p0 > gasRead || p0two-p0more < 2*(gasRead*seatKeySlots+gasBLSKey) {
		t.Fatalf("4 validators all signing cost %d gas, 8 all signing %d, 8 with 2 not signing %d: want the non-signers' keys priced, and only them", p0, p0more, p0two)
	}
	t.Logf("gas (4 validators): 0 msgs %d, 10 transfers %d, 100 transfers %d, 10 calls %d; 8 validators, 0 msgs %d, 2 of them not signing %d", p0, p10, p100, calls10, p0more, p0two)
}
