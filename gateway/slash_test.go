package gateway

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// engineEvidence is d as submitEvidence's evidence.
func engineEvidence(d bft.DoubleVote) []byte { return EncodeEngineEvidence(bft.EncodeDoubleVote(d)) }

// vote is a vote of the child signed by k; index is the (unsigned) seat.
func (c *child) vote(k *crypto.BLSSecretKey, typ bft.VoteType, height uint64, round uint32, block byte) bft.Vote {
	v := bft.Vote{Type: typ, Height: height, Round: round, Validator: 7}
	if block != 0 {
		v.BlockHash = common.Hash{block}
	}
	bft.SignVote(k, c.id, &v)
	return v
}

// doubleVote is owner's two prevotes at height (round 0) for blocks 1 and 2.
func (c *child) doubleVote(owner common.Address, height uint64) []byte {
	k := c.keys[owner]
	return engineEvidence(bft.DoubleVote{Key: k.PublicKey().Bytes(), A: c.vote(k, bft.Prevote, height, 0, 1), B: c.vote(k, bft.Prevote, height, 0, 2)})
}

// signedCheckpoint is a checkpoint of the child at height for block, encoded,
// and k's signature of it for network.
func (c *child) signedCheckpoint(k *crypto.BLSSecretKey, network string, height uint64, block byte) (enc, sig []byte) {
	cp := &types.Checkpoint{Subnet: string(c.id), Height: height, BlockHash: common.Hash{block}, Config: 1, AppliedConfig: 1}
	enc, err := types.EncodeCheckpoint(cp)
	if err != nil {
		c.t.Fatal(err)
	}
	return enc, k.Sign(cp.SigningBytes(network))
}

// doubleCheckpoint is owner's signatures of two checkpoints at height.
func (c *child) doubleCheckpoint(owner common.Address, height uint64) []byte {
	k := c.keys[owner]
	a, sa := c.signedCheckpoint(k, "devnet", height, 1)
	b, sb := c.signedCheckpoint(k, "devnet", height, 2)
	return EncodeDoubleCheckpoint(DoubleCheckpoint{Key: k.PublicKey().Bytes(), A: a, B: b, SigA: sa, SigB: sb})
}

func (c *child) evidenceInput(ev []byte) []byte {
	return mustPack(c.t, c.g, "submitEvidence", string(c.id), ev)
}

// slashes submits ev from an arbitrary account and fails the test if it reverts.
func (c *child) slashes(ev []byte) {
	c.t.Helper()
	if ret, err := c.st.run(common.Address{0xee}, new(big.Int), c.evidenceInput(ev)); err != nil {
		reason, _ := abi.UnpackRevert(ret)
		c.t.Fatalf("submitEvidence: %v (%s)", err, reason)
	}
}

// refusesEvidence checks ev reverts with a reason containing want and
// changes nothing.
func (c *child) refusesEvidence(want string, ev []byte) {
	c.t.Helper()
	c.fails(want, common.Address{0xee}, 0, "submitEvidence", string(c.id), ev)
}

func (c *child) seated(owner common.Address) bool {
	for _, v := range c.sn().Validators {
		if v.Owner == owner {
			return true
		}
	}
	return false
}

// TestSlashDoubleVote: a double prevote burns the validator's whole
// collateral, removes its seat at once with a leave queued for the child,
// and is a cheap no-op when submitted again.
func TestSlashDoubleVote(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	a4 := c.join(25) // config 2
	gwBefore := h.st.Balance(Address)
	ev := c.doubleVote(a4, 5)
	price := h.g.RequiredGas(h.st, Call{Input: c.evidenceInput(ev)})
	events := len(h.st.events)
	c.slashes(ev)

	if got := h.eventNames(events); got != "ValidatorSlashed" {
		t.Fatalf("events %q", got)
	}
	e := h.event(-1, "ValidatorSlashed")
	if e["id"] != "/devnet/games" || e["owner"] != a4 || e["collateralSlashed"].(*big.Int).Int64() != 25*gwei ||
		e["reason"] != "double prevote at height 5, round 0" {
		t.Fatalf("ValidatorSlashed %v", e)
	}
	sn := c.sn()
	if c.seated(a4) || len(sn.Validators) != 3 || sn.ConfigNumber != 3 || sn.TotalCollateral.Int64() != 30*gwei {
		t.Fatalf("after the slash: %d validators (a4 seated: %v), config %d, total collateral %s", len(sn.Validators), c.seated(a4), sn.ConfigNumber, sn.TotalCollateral)
	}
	msgs, err := ReadTopDown(h.st, "/devnet", c.id, sn.TopDownNonce, 1)
	if err != nil || len(msgs) != 1 || msgs[0].Kind != KindConfig || msgs[0].Config.Number != 3 || msgs[0].Config.Op != OpLeave ||
		msgs[0].Config.Validator.Owner != a4 || string(msgs[0].Config.Validator.BLSPublicKey) != string(c.keys[a4].PublicKey().Bytes()) {
		t.Fatalf("queued for the child: %+v, %v; want config 3, a4 leaves", msgs, err)
	}
	if set, _ := ReadConfigSet(h.st, "/devnet", c.id, 3); len(set) != 3 {
		t.Fatalf("config set 3 has %d seats", len(set))
	}
	if rs, _ := ReadPendingReleases(h.st, "/devnet", c.id); len(rs) != 0 {
		t.Fatalf("a slashed validator waits for a release: %+v", rs)
	}
	// Burned: not paid to its owner, not left in the gateway.
	if h.st.Balance(a4).Sign() != 0 || h.st.burned.Int64() != 25*gwei || new(big.Int).Sub(gwBefore, h.st.Balance(Address)).Int64() != 25*gwei {
		t.Fatalf("a4 has %s, burned %s, gateway %s -> %s", h.st.Balance(a4), h.st.burned, gwBefore, h.st.Balance(Address))
	}
	h.conserved()
	// The key's seat is free again (like a leave); the child applies the
	// change as it applies a leave.
	if used := h.st.GetState(blsKeySlot("games", c.keys[a4].PublicKey().Bytes())); used != (common.Hash{}) {
		t.Fatal("the slashed key still marks a seat")
	}

	// The same offence again, and another pair of votes of the same key at
	// the same height: success, nothing changes, priced as a few reads.
	again := h.st.snapshot()
	c.slashes(ev)
	k := c.keys[a4]
	other := engineEvidence(bft.DoubleVote{Key: k.PublicKey().Bytes(), A: c.vote(k, bft.Precommit, 5, 3, 0), B: c.vote(k, bft.Precommit, 5, 3, 9)})
	c.slashes(other)
	h.unchanged(again)
	priceAgain := h.g.RequiredGas(h.st, Call{Input: c.evidenceInput(ev)})
	if priceAgain > 20_000 || priceAgain*10 > price {
		t.Fatalf("a repeated offence is priced %d, the first %d: it should be a few reads", priceAgain, price)
	}
	// Another height is another offence, but the key has nothing left.
	c.refusesEvidence("has nothing at stake in /devnet/games", c.doubleVote(a4, 6))
	t.Logf("gas: slash by double vote (4 validators) %d, repeated %d", price, priceAgain)
}

// TestSlashBelowMinValidators: a double-signed checkpoint slashes a seat
// even when that leaves fewer than minValidators, which a leave may not.
func TestSlashBelowMinValidators(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 20, 30) // minValidators 3
	a2 := common.Address{0xa0, 2}
	h.fails("below its minValidators 3", a2, 0, "leave", string(c.id))
	events := len(h.st.events)
	c.slashes(c.doubleCheckpoint(a2, 10))
	e := h.event(events, "ValidatorSlashed")
	if e["owner"] != a2 || e["collateralSlashed"].(*big.Int).Int64() != 20*gwei || e["reason"] != "double-signed checkpoint at height 10" {
		t.Fatalf("ValidatorSlashed %v", e)
	}
	sn := c.sn()
	if len(sn.Validators) != 2 || c.seated(a2) || sn.ConfigNumber != 2 || sn.Status != StatusActive {
		t.Fatalf("after the slash: %d validators, config %d, %s", len(sn.Validators), sn.ConfigNumber, sn.Status)
	}
	h.conserved()
	// The remaining two still commit checkpoints of the new config.
	cp := c.next()
	if cp.Config != 2 {
		t.Fatalf("next checkpoint config %d", cp.Config)
	}
	c.commit(cp)
}

// TestSlashPendingRelease: a validator that left is slashable until its
// collateral is released; the release then pays nothing. A key that left
// and joined again loses both stakes.
func TestSlashPendingRelease(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	a4 := c.join(40)                   // config 2
	h.ok(a4, 0, "leave", string(c.id)) // config 3: 40 pending
	a5 := c.join(50)                   // config 4
	h.ok(a5, 0, "leave", string(c.id)) // config 5: 50 pending
	k5 := c.keys[a5]
	h.ok(a5, 7*gwei, "join", string(c.id), k5.PublicKey().Bytes(), k5.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x") // config 6, same key

	events := len(h.st.events)
	c.slashes(c.doubleVote(a4, 100))
	if got := h.eventNames(events); got != "ValidatorSlashed" {
		t.Fatalf("events %q", got)
	}
	e := h.event(-1, "ValidatorSlashed")
	if e["owner"] != a4 || e["collateralSlashed"].(*big.Int).Int64() != 40*gwei || !strings.Contains(e["reason"].(string), "waiting for release since leaving at config 3") {
		t.Fatalf("ValidatorSlashed %v", e)
	}
	if sn := c.sn(); sn.ConfigNumber != 6 || len(sn.Validators) != 4 {
		t.Fatalf("slashing a pending release changed the set: config %d, %d seats", sn.ConfigNumber, len(sn.Validators))
	}
	h.conserved()

	events = len(h.st.events)
	c.slashes(c.doubleCheckpoint(a5, 20))
	if got := h.eventNames(events); got != "ValidatorSlashed ValidatorSlashed" {
		t.Fatalf("events %q", got)
	}
	seat, release := h.event(events, "ValidatorSlashed"), h.event(events+1, "ValidatorSlashed")
	if seat["collateralSlashed"].(*big.Int).Int64() != 7*gwei || release["collateralSlashed"].(*big.Int).Int64() != 50*gwei || c.seated(a5) {
		t.Fatalf("slashed %v and %v; a5 seated %v", seat, release, c.seated(a5))
	}
	if h.st.burned.Int64() != 97*gwei {
		t.Fatalf("burned %s", h.st.burned)
	}
	rs, err := ReadPendingReleases(h.st, "/devnet", c.id)
	if err != nil || len(rs) != 2 || rs[0].Amount.Sign() != 0 || rs[1].Amount.Sign() != 0 {
		t.Fatalf("pending releases %+v, %v; want both worth nothing", rs, err)
	}
	h.conserved()

	// The child applies the leaves: the releases pay nothing.
	c.commit(c.next())
	if h.st.Balance(a4).Sign() != 0 || h.st.Balance(a5).Sign() != 0 {
		t.Fatalf("after the releases: a4 %s, a5 %s", h.st.Balance(a4), h.st.Balance(a5))
	}
	if rs, _ := ReadPendingReleases(h.st, "/devnet", c.id); len(rs) != 0 {
		t.Fatalf("still pending %+v", rs)
	}
	h.conserved()
	c.refusesEvidence("has nothing at stake", c.doubleVote(a4, 101))
}

// TestSlashRefusals: each piece of bad evidence reverts saying what was
// wrong and changes nothing.
func TestSlashRefusals(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	a1 := common.Address{0xa0, 1}
	k := c.keys[a1]
	key := k.PublicKey().Bytes()
	stranger := blsKey(t, 200)
	vote := func(typ bft.VoteType, height uint64, round uint32, block byte) bft.Vote {
		return c.vote(k, typ, height, round, block)
	}
	dv := func(a, b bft.Vote) []byte { return engineEvidence(bft.DoubleVote{Key: key, A: a, B: b}) }
	pa := vote(bft.Prevote, 5, 0, 1)
	forged := vote(bft.Prevote, 5, 0, 2)
	bft.SignVote(stranger, c.id, &forged)
	otherSubnet := bft.Vote{Type: bft.Prevote, Height: 5, Round: 0, BlockHash: common.Hash{2}}
	bft.SignVote(k, "/devnet/other", &otherSubnet)

	cpA, sigA := c.signedCheckpoint(k, "devnet", 10, 1)
	cpB, sigB := c.signedCheckpoint(k, "devnet", 10, 2)
	cp20, sig20 := c.signedCheckpoint(k, "devnet", 20, 2)
	_, sigOtherNet := c.signedCheckpoint(k, "testnet", 10, 2)
	dc := func(a, b, sa, sb []byte) []byte {
		return EncodeDoubleCheckpoint(DoubleCheckpoint{Key: key, A: a, B: b, SigA: sa, SigB: sb})
	}
	elsewhere := &types.Checkpoint{Subnet: "/devnet/other", Height: 10, BlockHash: common.Hash{2}}
	encElsewhere, _ := types.EncodeCheckpoint(elsewhere)

	sk := stranger.PublicKey().Bytes()
	sv := func(block byte) bft.Vote { return c.vote(stranger, bft.Prevote, 5, 0, block) }

	tests := []struct {
		name, want string
		ev         []byte
	}{
		{"not rlp", "evidence is not RLP [kind, payload]", []byte{0xde, 0xad}},
		{"unknown kind", "unknown evidence kind 9", mustRLP(evidenceRLP{9, mustRLP([]uint{1})})},
		{"malformed vote payload", "malformed double vote", mustRLP(evidenceRLP{EvidenceDoubleVote, mustRLP([]uint{1, 2})})},
		{"malformed checkpoint payload", "malformed double checkpoint", mustRLP(evidenceRLP{EvidenceDoubleCheckpoint, mustRLP([]uint{1})})},
		{"short key", "must be 48 bytes", engineEvidence(bft.DoubleVote{Key: key[:47], A: pa, B: vote(bft.Prevote, 5, 0, 2)})},
		{"same block", "both votes are for the same block", dv(pa, vote(bft.Prevote, 5, 0, 1))},
		{"different heights", "votes for different heights (5 and 6)", dv(pa, vote(bft.Prevote, 6, 0, 2))},
		{"different rounds", "votes for different rounds (0 and 1)", dv(pa, vote(bft.Prevote, 5, 1, 2))},
		{"different types", "votes of different types (prevote and precommit)", dv(pa, vote(bft.Precommit, 5, 0, 2))},
		{"bad vote type", "vote type 3 is neither prevote nor precommit", dv(bft.Vote{Type: 3, Height: 5}, bft.Vote{Type: 3, Height: 5, BlockHash: common.Hash{1}})},
		{"forged vote", "vote B is not signed by BLS key", dv(pa, forged)},
		{"vote of another subnet", "vote B is not signed by BLS key", dv(pa, otherSubnet)},
		{"unknown key", "has nothing at stake in /devnet/games", engineEvidence(bft.DoubleVote{Key: sk, A: sv(1), B: sv(2)})},
		{"checkpoint not decoding", "checkpoint B: types: invalid checkpoint", dc(cpA, []byte{1}, sigA, sigB)},
		{"checkpoint of another subnet", `checkpoint B is of subnet "/devnet/other", not of /devnet/games`, dc(cpA, encElsewhere, sigA, sigB)},
		{"checkpoints of different heights", "checkpoints for different heights (10 and 20)", dc(cpA, cp20, sigA, sig20)},
		{"same checkpoint", "both are the same checkpoint", dc(cpA, cpA, sigA, sigA)},
		{"forged checkpoint signature", "signature B is not BLS key", dc(cpA, cpB, sigA, sigA)},
		{"checkpoint signed for another network", "signature B is not BLS key", dc(cpA, cpB, sigA, sigOtherNet)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			c.refusesEvidence(tt.want, tt.ev)
		})
	}
	h.t = t

	good := dv(pa, vote(bft.Prevote, 5, 0, 2))
	h.fails("/devnet/nope does not exist", common.Address{0xee}, 0, "submitEvidence", "/devnet/nope", good)
	h.fails("is not a child of /devnet", common.Address{0xee}, 0, "submitEvidence", "/other/games", good)
	h.fails("submitEvidence is not payable", common.Address{0xee}, 1, "submitEvidence", string(c.id), good)
	h.ok(common.Address{0xc0}, 0, "createSubnet", "idle", bftParams(2, 1))
	h.fails("/devnet/idle is not active yet", common.Address{0xee}, 0, "submitEvidence", "/devnet/idle", good)
	solo := ABIParams{Engine: uint8(EngineSolo), MinValidators: 1, MinCollateral: big.NewInt(1), BlockTimeMs: 500, CheckpointPeriod: 10, GasLimit: 30_000_000}
	h.ok(common.Address{0xc0}, 0, "createSubnet", "seq", solo)
	h.ok(a1, 5*gwei, "join", "/devnet/seq", key, k.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x")
	h.fails("runs engine solo: consensus: engine has no evidence of its own", common.Address{0xee}, 0, "submitEvidence", "/devnet/seq", good)
	h.ok(common.Address{0xc0}, 0, "kill", "/devnet/seq")
	h.fails("/devnet/seq was killed", common.Address{0xee}, 0, "submitEvidence", "/devnet/seq", good)

	// After all that, the good evidence still slashes.
	c.slashes(good)
	if c.seated(a1) {
		t.Fatal("a1 still seated")
	}
}

// lockingState is a State that cannot burn.
type lockingState struct{ State }

// TestSlashWithoutBurner: on a state that cannot burn, the slashed
// collateral stays in the gateway for good, counted by SlashedLocked.
func TestSlashWithoutBurner(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	a3 := common.Address{0xa0, 3}
	before := h.st.Balance(Address)
	if _, err := h.g.Run(lockingState{h.st}, Call{Caller: common.Address{0xee}, Input: c.evidenceInput(c.doubleVote(a3, 1))}); err != nil {
		t.Fatal(err)
	}
	if c.seated(a3) || h.st.Balance(Address).Cmp(before) != 0 || h.st.burned.Sign() != 0 || h.st.Balance(a3).Sign() != 0 {
		t.Fatalf("a3 seated %v, gateway %s -> %s, burned %s", c.seated(a3), before, h.st.Balance(Address), h.st.burned)
	}
	if got := SlashedLocked(h.st); got.Int64() != 10*gwei {
		t.Fatalf("SlashedLocked %s, want 10 gwei", got)
	}
	if owed := new(big.Int).Add(c.sn().TotalCollateral, SlashedLocked(h.st)); h.st.Balance(Address).Cmp(owed) != 0 {
		t.Fatalf("gateway holds %s, collateral + locked is %s", h.st.Balance(Address), owed)
	}
}

// TestSlashGas: the price covers two signature checks and the writes of a
// removal, and grows with the validators searched.
func TestSlashGas(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10, 10)
	last := common.Address{0xa0, 4}
	p4 := h.g.RequiredGas(h.st, Call{Input: c.evidenceInput(c.doubleVote(last, 1))})
	if p4 < gasDoubleSignCheck+10*gasWrite {
		t.Fatalf("slash priced %d, less than two signature checks and the writes", p4)
	}
	for range 8 {
		c.join(10)
	}
	last = common.Address{0xa0, 12}
	p12 := h.g.RequiredGas(h.st, Call{Input: c.evidenceInput(c.doubleVote(last, 1))})
	if p12-p4 < 8*2*gasRead {
		t.Fatalf("8 more seats to search add %d gas", p12-p4)
	}
	bad := h.g.RequiredGas(h.st, Call{Input: c.evidenceInput([]byte{1, 2, 3})})
	if bad > 10_000 {
		t.Fatalf("malformed evidence priced %d", bad)
	}
	t.Logf("gas: slash of the 4th of 4 seats %d, of the 12th of 12 %d", p4, p12)
}

// TestVerifyDoubleVote pins bft's key-based check the gateway relies on:
// it needs no validator set and ignores the unsigned seat index.
func TestVerifyDoubleVote(t *testing.T) {
	k := blsKey(t, 9)
	a := bft.Vote{Type: bft.Precommit, Height: 3, Round: 2, BlockHash: common.Hash{1}, Validator: 0}
	b := bft.Vote{Type: bft.Precommit, Height: 3, Round: 2, Validator: 5} // nil vote
	bft.SignVote(k, "/devnet/games", &a)
	bft.SignVote(k, "/devnet/games", &b)
	if err := bft.VerifyDoubleVote(k.PublicKey().Bytes(), "/devnet/games", a, b); err != nil {
		t.Fatal(err)
	}
	if err := bft.VerifyDoubleVote(k.PublicKey().Bytes(), "/devnet/chess", a, b); !errors.Is(err, bft.ErrInvalidEvidence) || !errors.Is(err, bft.ErrBadSignature) {
		t.Fatalf("votes of another subnet: %v", err)
	}
	if err := bft.VerifyDoubleVote(blsKey(t, 10).PublicKey().Bytes(), "/devnet/games", a, b); !errors.Is(err, bft.ErrBadSignature) {
		t.Fatalf("another key: %v", err)
	}
}

// TestSlashLastSeat: a Solo subnet's sequencer that double-signs
// checkpoints loses its collateral and its seat, leaving none: the child
// cannot apply that change and stops (security beats liveness).
func TestSlashLastSeat(t *testing.T) {
	h := newXH(t, "/devnet")
	solo := ABIParams{Engine: uint8(EngineSolo), MinValidators: 1, MinCollateral: big.NewInt(1), BlockTimeMs: 500, CheckpointPeriod: 10, GasLimit: 30_000_000}
	h.ok(common.Address{0xc0}, 0, "createSubnet", "seq", solo)
	c := &child{xh: h, id: "/devnet/seq", keys: map[common.Address]*crypto.BLSSecretKey{}}
	seq := c.join(10)
	c.slashes(c.doubleCheckpoint(seq, 10))
	sn := c.sn()
	if len(sn.Validators) != 0 || sn.ConfigNumber != 2 || sn.TotalCollateral.Sign() != 0 || h.st.burned.Int64() != 10*gwei {
		t.Fatalf("after slashing the sequencer: %d seats, config %d, collateral %s, burned %s", len(sn.Validators), sn.ConfigNumber, sn.TotalCollateral, h.st.burned)
	}
	h.conserved()
	// The child's own set cannot drop its last validator.
	msgs, err := ReadTopDown(h.st, "/devnet", c.id, sn.TopDownNonce, 1)
	if err != nil || len(msgs) != 1 || msgs[0].Config.Op != OpLeave {
		t.Fatalf("queued %+v, %v", msgs, err)
	}
	child := newMemState()
	WriteOwnSet(child, 1, []types.Validator{{Address: seq, BLSPublicKey: c.keys[seq].PublicKey().Bytes(), Power: 10}})
	if err := applyConfig(child, msgs[0].Config); !errors.Is(err, ErrConfigOrder) {
		t.Fatalf("the child applied the removal of its last validator: %v", err)
	}
}
