package gateway

import (
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

const coin = 1_000_000_000_000_000_000

// jury is a pool bonded on a harness's gateway.
type jury struct {
	c    *child
	keys map[common.Address]*crypto.BLSSecretKey
}

// bondJurors bonds one juror per bond (in coins) and moves to the next
// block, where they are drawable.
func bondJurors(c *child, bonds ...int64) *jury {
	c.t.Helper()
	j := &jury{c: c, keys: map[common.Address]*crypto.BLSSecretKey{}}
	for _, b := range bonds {
		k := blsKey(c.t, c.seed)
		a := common.Address{0xd0, c.seed}
		c.seed++
		c.ok(a, b*coin, "joinJury", k.PublicKey().Bytes(), k.ProofOfPossession())
		j.keys[a] = k
	}
	c.st.height++
	return j
}

// seats is the jury of the checkpoint at height in the current block's round.
func (j *jury) seats(height uint64) JuryRound {
	j.c.t.Helper()
	r, err := JurySeats(j.c.st, j.c.st.BlockHash, j.c.g.SubnetID(), j.c.id, height, j.c.st.height)
	if err != nil {
		j.c.t.Fatal(err)
	}
	return r
}

// counts is how many seats each juror holds in r.
func counts(r JuryRound) map[common.Address]int {
	out := map[common.Address]int{}
	for _, s := range r.Seats {
		out[s.Account]++
	}
	return out
}

func (j *jury) sig(a common.Address, height uint64, hash common.Hash, valid bool) []byte {
	return j.keys[a].Sign(AttestationBytes("devnet", j.c.id, height, hash, valid))
}

func (j *jury) attest(a common.Address, cp *types.Checkpoint, valid bool) {
	j.c.t.Helper()
	j.c.ok(a, 0, "attest", string(j.c.id), cp.Height, cp.Hash(), valid, j.sig(a, cp.Height, cp.Hash(), valid))
}

func (j *jury) state(height uint64) JuryState {
	h, ok := heldAt(j.c.st, "games", height)
	if !ok {
		j.c.t.Fatalf("no record of checkpoint %d", height)
	}
	return h.state(j.c.st)
}

// byFewestSeats lists the seated jurors of r, fewest seats first.
func byFewestSeats(r JuryRound) []common.Address {
	n := counts(r)
	var out []common.Address
	for a := range n {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b common.Address) int {
		if n[a] != n[b] {
			return n[a] - n[b]
		}
		return a.Cmp(b)
	})
	return out
}

// juryChild is a child with one checkpoint released before any juror bonded
// (so claims have a root), some value in it, and 3 jurors of 1 coin.
func juryChild(t *testing.T) (*child, *jury) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	h.ok(common.Address{0xf1}, 10_000, "fund", string(c.id), common.Address{0x71})
	c.commit(c.next())
	return c, bondJurors(c, 1, 1, 1)
}

func payTo(c *child, nonce uint64, to byte, value int64) *types.Checkpoint {
	return c.next(upMsg(string(c.id), nonce, "/devnet", common.Address{0x90, to}, value))
}

func (c *child) paid(to byte) int64 { return c.st.Balance(common.Address{0x90, to}).Int64() }

// TestJuryHoldsAndReleasesInOrder: with a pool bonded, a checkpoint's
// payouts wait for its jury; a minority of seats releases nothing, the
// majority releases it exactly once, and a later checkpoint whose jury
// agreed first waits for the one before it.
func TestJuryHoldsAndReleasesInOrder(t *testing.T) {
	c, j := juryChild(t)
	circ := c.circ()
	cp1 := payTo(c, 1, 1, 100)
	c.commit(cp1)
	if c.paid(1) != 0 || c.circ() != circ {
		t.Fatalf("a held checkpoint paid %d (supply %d -> %d)", c.paid(1), circ, c.circ())
	}
	c.event(-1, "CheckpointHeld")
	c.st.height++
	cp2 := payTo(c, 2, 2, 200)
	c.commit(cp2)
	c.st.height++
	if held, _ := HeldCheckpoints(c.st, "/devnet", c.id); len(held) != 2 || held[0].Height != cp1.Height || held[1].Hash != cp2.Hash() || held[1].Value.Int64() != 200 {
		t.Fatalf("held: %+v", held)
	}

	// The later one's jury agrees first: nothing moves.
	for _, a := range byFewestSeats(j.seats(cp2.Height)) {
		if j.state(cp2.Height) == JuryPending {
			j.attest(a, cp2, true)
		}
	}
	if j.state(cp2.Height) != JuryAgreed || c.paid(2) != 0 {
		t.Fatalf("checkpoint 2 is %d and paid %d before checkpoint 1 was released", j.state(cp2.Height), c.paid(2))
	}
	// The earlier one: exactly when a strict majority of its seats attested.
	r := j.seats(cp1.Height)
	n, valid := counts(r), 0
	for _, a := range byFewestSeats(r) {
		before := len(c.st.events)
		input := mustPack(t, c.g, "attest", string(c.id), cp1.Height, cp1.Hash(), true, j.sig(a, cp1.Height, cp1.Hash(), true))
		gas := c.g.RequiredGas(c.st, Call{Caller: a, Input: input})
		// The attestation that releases pays for both checkpoints' routing.
		against := c.g.RequiredGas(c.st, Call{Caller: a, Input: mustPack(t, c.g, "attest", string(c.id), cp1.Height, cp1.Hash(), false, []byte{})})
		if deciding := 2*(valid+n[a]) > len(r.Seats); deciding && gas < against+2*routeGas(c.st, "/devnet", cp1.Messages[0]) || !deciding && gas > 500_000 {
			t.Fatalf("attestation deciding = %v costs %d gas, %d attesting invalid", deciding, gas, against)
		}
		j.attest(a, cp1, true)
		valid += n[a]
		released := c.paid(1) == 100
		if released != (2*valid > len(r.Seats)) {
			t.Fatalf("after %d of %d seats attested, released = %v", valid, len(r.Seats), released)
		}
		if released {
			if got := c.eventNames(before); got != "Attested JuryVerdict CrossMsgApplied CheckpointReleased CrossMsgApplied CheckpointReleased" {
				t.Fatalf("events of the deciding attestation: %s", got)
			}
			break
		}
	}
	if c.paid(1) != 100 || c.paid(2) != 200 || c.circ() != circ-300 {
		t.Fatalf("paid %d and %d, supply %d -> %d", c.paid(1), c.paid(2), circ, c.circ())
	}
	if held, _ := HeldCheckpoints(c.st, "/devnet", c.id); len(held) != 0 {
		t.Fatalf("still held: %+v", held)
	}
	c.ok(common.Address{0xee}, 0, "releaseCheckpoints", string(c.id))
	if c.paid(1) != 100 || c.paid(2) != 200 {
		t.Fatal("released twice")
	}
	c.conserved()
	// Claims and stalls count from the released checkpoint.
	if _, height, _ := ClaimRoot(c.st, c.st.height, "/devnet", c.id); height != cp2.Height {
		t.Fatalf("claim root at %d, want %d", height, cp2.Height)
	}
}

// TestAttestRefusals: only a seated juror, once, with its own signature of
// this checkpoint, while the checkpoint waits.
func TestAttestRefusals(t *testing.T) {
	c, j := juryChild(t)
	cp := payTo(c, 1, 1, 100)
	c.commit(cp)
	id := string(c.id)
	some := common.Address{}
	for a := range j.keys {
		some = a
	}
	c.fails("attest from the next block on", some, 0, "attest", id, cp.Height, cp.Hash(), true, j.sig(some, cp.Height, cp.Hash(), true))
	c.st.height++
	r := j.seats(cp.Height)
	order := byFewestSeats(r)
	first := order[0]
	for a := range j.keys {
		if counts(r)[a] == 0 {
			c.fails("holds no seat", a, 0, "attest", id, cp.Height, cp.Hash(), true, j.sig(a, cp.Height, cp.Hash(), true))
		}
	}
	c.fails("holds no seat", common.Address{0x55}, 0, "attest", id, cp.Height, cp.Hash(), true, j.sig(first, cp.Height, cp.Hash(), true))
	c.fails("not "+first.Hex()+"'s BLS signature", first, 0, "attest", id, cp.Height, cp.Hash(), true, j.sig(first, cp.Height, cp.Hash(), false))
	c.fails("is "+cp.Hash().Hex(), first, 0, "attest", id, cp.Height, common.Hash{1}, true, j.sig(first, cp.Height, common.Hash{1}, true))
	c.fails("holds no checkpoint at height 30", first, 0, "attest", id, uint64(30), cp.Hash(), true, j.sig(first, 30, cp.Hash(), true))
	c.fails("holds no checkpoint at height 11", first, 0, "attest", id, uint64(11), cp.Hash(), true, j.sig(first, 11, cp.Hash(), true))
	if 2*counts(r)[first] > len(r.Seats) {
		t.Skip("one juror holds a majority in this draw")
	}
	j.attest(first, cp, true)
	c.fails("attested the checkpoint at height 20 of /devnet/games already", first, 0, "attest", id, cp.Height, cp.Hash(), false, j.sig(first, cp.Height, cp.Hash(), false))
	for _, a := range order[1:] {
		j.attest(a, cp, true)
		if c.paid(1) == 100 {
			break
		}
	}
	last := order[len(order)-1]
	c.fails("was released already", last, 0, "attest", id, cp.Height, cp.Hash(), true, j.sig(last, cp.Height, cp.Hash(), true))
}

// TestJuryWindowRedraws: a round that ends without a majority reports its
// silent jurors and a fresh jury is drawn from the next block hash.
func TestJuryWindowRedraws(t *testing.T) {
	c, j := juryChild(t)
	cp := payTo(c, 1, 1, 100)
	c.commit(cp)
	start := c.st.height
	c.st.height++
	r0 := j.seats(cp.Height)
	quiet := byFewestSeats(r0)[0]
	if 2*counts(r0)[quiet] > len(r0.Seats) {
		t.Skip("one juror holds a majority in this draw")
	}
	j.attest(quiet, cp, true) // stores round 0
	c.st.height = start + JuryWindow
	c.ok(common.Address{0xee}, 0, "releaseCheckpoints", string(c.id))
	if h, _ := heldAt(c.st, "games", cp.Height); h.u64(c.st, hRound) != 1 {
		t.Fatal("round 0 ended before its window did")
	}
	c.st.height = start + JuryWindow + 1
	before := len(c.st.events)
	c.ok(common.Address{0xee}, 0, "releaseCheckpoints", string(c.id))
	missed := map[common.Address]uint32{}
	for i := before; i < len(c.st.events); i++ {
		if c.st.events[i].topics[0] == c.g.ABI().Events["JurorMissed"].ID {
			ev := c.event(i, "JurorMissed")
			missed[ev["juror"].(common.Address)] = ev["seats"].(uint32)
			if ev["round"].(uint64) != 0 {
				t.Fatalf("missed in round %d", ev["round"])
			}
		}
	}
	for a, n := range counts(r0) {
		if want := uint32(n); a != quiet && missed[a] != want || a == quiet && missed[a] != 0 {
			t.Fatalf("juror %s with %d seats: missed %d (quiet one %s)", a, n, missed[a], quiet)
		}
	}
	drawn := c.event(-1, "JuryDrawn")
	if drawn["round"].(uint64) != 1 || len(drawn["seats"].([]common.Address)) != 5 {
		t.Fatalf("redraw: %v", drawn)
	}
	r1 := j.seats(cp.Height)
	if r1.Round != 1 || r1.SeedBlock != start+JuryWindow || r1.Closes != start+2*JuryWindow {
		t.Fatalf("round 1: %+v", r1)
	}
	// The verdict of round 0 carries over: the quiet juror counts if drawn again.
	if len(r1.Votes) != 1 || r1.Votes[0].Account != quiet {
		t.Fatalf("votes: %+v", r1.Votes)
	}
}

// TestJuryInvalidMajorityHolds: a majority of seats calling a checkpoint
// invalid keeps it, and everything after it, held.
func TestJuryInvalidMajorityHolds(t *testing.T) {
	c, j := juryChild(t)
	cp1 := payTo(c, 1, 1, 100)
	c.commit(cp1)
	c.st.height++
	cp2 := payTo(c, 2, 2, 200)
	c.commit(cp2)
	c.st.height++
	for _, a := range byFewestSeats(j.seats(cp1.Height)) {
		j.attest(a, cp1, false)
		if j.state(cp1.Height) == JuryRejected {
			break
		}
	}
	if j.state(cp1.Height) != JuryRejected {
		t.Fatal("not rejected")
	}
	for _, a := range byFewestSeats(j.seats(cp2.Height)) {
		if j.state(cp2.Height) == JuryPending {
			j.attest(a, cp2, true)
		}
	}
	c.st.height += 3 * JuryWindow
	c.ok(common.Address{0xee}, 0, "releaseCheckpoints", string(c.id))
	if c.paid(1) != 0 || c.paid(2) != 0 || j.state(cp1.Height) != JuryRejected {
		t.Fatalf("paid %d and %d", c.paid(1), c.paid(2))
	}
	any := byFewestSeats(j.seats(cp1.Height))[0]
	c.fails("found the checkpoint at height 20 of /devnet/games invalid", any, 0, "attest", string(c.id), cp1.Height, cp1.Hash(), true, j.sig(any, cp1.Height, cp1.Hash(), true))
}

// TestNoJuryWithoutPool: with nobody bonded, or a jury of 0 seats, payouts
// are made at commit as before; a juror bonded in the commit's own block
// is not drawable yet, so it changes nothing either.
func TestNoJuryWithoutPool(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	h.ok(common.Address{0xf1}, 10_000, "fund", string(c.id), common.Address{0x71})
	c.commit(payTo(c, 1, 1, 100))
	if c.paid(1) != 100 {
		t.Fatal("no pool: not paid at commit")
	}
	k := blsKey(t, 0x77)
	c.ok(common.Address{0xd7}, coin, "joinJury", k.PublicKey().Bytes(), k.ProofOfPossession())
	c.commit(payTo(c, 2, 2, 200))
	if c.paid(2) != 200 {
		t.Fatal("a juror of this block held the checkpoint")
	}
	c.ok(common.Address{0xc0}, 0, "setJury", string(c.id), uint32(7))
	c.fails("can grow but not shrink below 7", common.Address{0xc0}, 0, "setJury", string(c.id), uint32(0))
	c.fails("only the creator", common.Address{0xc1}, 0, "setJury", string(c.id), uint32(9))
	c.st.height++
	c.commit(payTo(c, 3, 3, 300))
	if c.paid(3) != 0 || c.event(-1, "CheckpointHeld")["seats"].(uint32) != 7 {
		t.Fatal("a bonded juror did not hold the checkpoint with the 7 seats set")
	}
	h2 := newXH(t, "/devnet")
	c2 := h2.newChild("games", 10)
	c2.fails("a jury has at most 21 seats", common.Address{0xc0}, 0, "setJury", string(c2.id), uint32(22))
	h2.ok(common.Address{0xc0}, 0, "createSubnet", "other", bftParams(1, 1))
	h2.ok(common.Address{0xc0}, 0, "setJury", "/devnet/other", uint32(0))
	if JuryFor(h2.st, "/devnet", "/devnet/other") != 0 || JuryFor(h2.st, "/devnet", c2.id) != DefaultJurySeats {
		t.Fatal("jury sizes")
	}
}

// TestJuryPoolBonds: joins are checked like validator joins; a leaver's
// bond waits the unbonding delay after its last attestation.
func TestJuryPoolBonds(t *testing.T) {
	h := newXH(t, "/devnet")
	k := blsKey(t, 1)
	a := common.Address{0xd1}
	h.fails("at least 1000000000000000000 wei", a, coin-1, "joinJury", k.PublicKey().Bytes(), k.ProofOfPossession())
	h.fails("proof of possession does not verify", a, coin, "joinJury", k.PublicKey().Bytes(), blsKey(t, 2).ProofOfPossession())
	h.ok(a, coin, "joinJury", k.PublicKey().Bytes(), k.ProofOfPossession())
	h.fails("already in the jury pool", a, coin, "joinJury", k.PublicKey().Bytes(), k.ProofOfPossession())
	h.fails("is the key of juror", common.Address{0xd2}, coin, "joinJury", k.PublicKey().Bytes(), k.ProofOfPossession())
	h.fails("leaveJury first", a, 0, "withdrawJuryBond")
	h.st.height = 10
	h.ok(a, 0, "leaveJury")
	h.fails("left the jury at parent block 10", a, 0, "leaveJury")
	h.st.height = 10 + JuryUnbonding
	h.fails("at stake until parent block 100011", a, 0, "withdrawJuryBond")
	h.st.height++
	before := h.st.Balance(a).Int64()
	h.ok(a, 0, "withdrawJuryBond")
	if h.st.Balance(a).Int64()-before != coin || len(ReadJurors(h.st)) != 0 {
		t.Fatal("bond not returned")
	}
	// The key is free again.
	h.ok(common.Address{0xd2}, coin, "joinJury", k.PublicKey().Bytes(), k.ProofOfPossession())
}

// TestDrawIsWeightedByBond: over many seeds, a juror with 3 times the bond
// of each other holds about 3 times the seats of each.
func TestDrawIsWeightedByBond(t *testing.T) {
	h := newXH(t, "/devnet")
	for i, b := range []int64{3, 1, 1} {
		k := blsKey(t, byte(i+1))
		h.ok(common.Address{0xd0, byte(i)}, b*coin, "joinJury", k.PublicKey().Bytes(), k.ProofOfPossession())
	}
	got := map[common.Address]int{}
	const seeds, seats = 400, 5
	for s := range seeds {
		for _, a := range drawSeats(h.st, common.Hash{byte(s), byte(s >> 8), 7}, 2, seats) {
			got[a]++
		}
	}
	heavy := got[common.Address{0xd0, 0}]
	for _, light := range []int{got[common.Address{0xd0, 1}], got[common.Address{0xd0, 2}]} {
		if ratio := float64(heavy) / float64(light); ratio < 2.4 || ratio > 3.75 {
			t.Fatalf("seats %v: the heavy juror holds %.2f times a light one's", got, ratio)
		}
	}
	if heavy+got[common.Address{0xd0, 1}]+got[common.Address{0xd0, 2}] != seeds*seats {
		t.Fatalf("seats %v", got)
	}
	// Nobody bonded before the seed block: nobody drawn.
	if drawSeats(h.st, common.Hash{1}, 1, seats) != nil {
		t.Fatal("drew jurors who joined at the seed block")
	}
}

var errForged = errors.New("state root differs")

// forgedFraud finds every block a fraud.
type forgedFraud struct{}

func (forgedFraud) CheckTransition(*ChildGenesis, *types.Block, []byte, TopDownQueue) (error, error) {
	return errForged, nil
}

// TestFraudDiscardsHeldAndSlashesJurors: proven fraud at a held checkpoint
// discards it and every held one after it (their value stays in the
// child's supply), slashes the jurors who called it valid (not those who
// called it invalid, stayed silent, or judged later checkpoints), and
// claims fall back to the last released checkpoint.
func TestFraudDiscardsHeldAndSlashesJurors(t *testing.T) {
	c, j := juryChild(t)
	c.g.fraud = forgedFraud{}
	released := c.sn().LastCheckpointHeight
	circ := c.circ()
	block := &types.Block{Header: &types.Header{SubnetID: c.id, Height: released + 5, BaseFee: big.NewInt(1)}}
	cp1 := payTo(c, 1, 1, 100)
	cp1.BlockHash = block.Hash()
	c.commit(cp1)
	// A round where two jurors hold at most 2 seats each.
	var liar, honest common.Address
	for c.st.height++; ; c.st.height += JuryWindow {
		order := byFewestSeats(j.seats(cp1.Height))
		n := counts(j.seats(cp1.Height))
		if len(order) >= 2 && 2*n[order[1]] < 5 {
			liar, honest = order[0], order[1]
			break
		}
	}
	j.attest(liar, cp1, true)
	j.attest(honest, cp1, false)
	cp2 := payTo(c, 2, 2, 200)
	c.commit(cp2)
	c.st.height++
	r2 := j.seats(cp2.Height)
	j.attest(byFewestSeats(r2)[0], cp2, true)

	enc, _, bm := c.sign(cp1, "devnet")
	benc, _ := types.EncodeBlock(block)
	ref := EncodeFraudRef(FraudRef{Checkpoint: enc, Bitmap: bm, Prev: c.prevEnc(cp1)})
	prover := common.Address{0xe7}
	bonds := JuryBonds(c.st)
	c.ok(prover, 0, "proveFraud", string(c.id), ref, []byte{}, benc, []byte{})
	if c.paid(1) != 0 || c.paid(2) != 0 || c.circ() != circ {
		t.Fatalf("paid %d, %d; supply %d -> %d", c.paid(1), c.paid(2), circ, c.circ())
	}
	for a := range j.keys {
		jr, _ := readJuror(c.st, a)
		if slashed := jr.Bond.Sign() == 0; slashed != (a == liar) {
			t.Fatalf("juror %s (liar %s, honest %s): slashed = %v", a, liar, honest, slashed)
		}
	}
	if lost := new(big.Int).Sub(bonds, JuryBonds(c.st)); lost.Cmp(big.NewInt(coin)) != 0 {
		t.Fatalf("bonds lost %s", lost)
	}
	if frozen, height, _ := ClaimRoot(c.st, c.st.height, "/devnet", c.id); !frozen || height != released {
		t.Fatalf("claim root: frozen %v at %d, want %d", frozen, height, released)
	}
	if held, _ := HeldCheckpoints(c.st, "/devnet", c.id); len(held) != 0 {
		t.Fatalf("held after fraud: %+v", held)
	}
	c.fails("frozen", byFewestSeats(r2)[0], 0, "releaseCheckpoints", string(c.id))
	c.conserved()
}

// prevEnc is the encoding of the checkpoint cp names as its previous one.
func (c *child) prevEnc(cp *types.Checkpoint) []byte {
	c.t.Helper()
	prev := &types.Checkpoint{Subnet: string(c.id), Height: cp.Height - uint64(c.sn().Params.CheckpointPeriod), BlockHash: common.Hash{0xb1, 0},
		StateRoot: common.Hash{0x5a}, Config: cp.Config, AppliedConfig: cp.AppliedConfig}
	if prev.Hash() != cp.Prev {
		c.t.Fatal("the previous checkpoint is not the first one")
	}
	enc, err := types.EncodeCheckpoint(prev)
	if err != nil {
		c.t.Fatal(err)
	}
	return enc
}

// TestHatchCountsFromReleased: a child whose checkpoints stay held (its
// blocks withheld from the jury) stalls from its last released checkpoint
// however many it commits, and claims prove against that one's root.
func TestHatchCountsFromReleased(t *testing.T) {
	c, _ := juryChild(t)
	released := c.sn().LastCheckpointHeight
	releasedAt := c.st.height - 1
	window := stallWindowOf(c.st, "games")
	for _, at := range []uint64{releasedAt + 10, releasedAt + window - 5} {
		c.st.height = at
		cp := c.next()
		cp.StateRoot = common.Hash{0x77}
		c.commit(cp)
	}
	if held, _ := HeldCheckpoints(c.st, "/devnet", c.id); len(held) != 2 {
		t.Fatalf("held %d", len(held))
	}
	frozen, height, root := ClaimRoot(c.st, releasedAt+window+1, "/devnet", c.id)
	if !frozen || height != released || root != (common.Hash{0x5a}) {
		t.Fatalf("claim root: frozen %v at %d (%s), want %d", frozen, height, root, released)
	}
	if frozen, _, _ := ClaimRoot(c.st, releasedAt+window, "/devnet", c.id); frozen {
		t.Fatal("frozen before the window ended")
	}
	c.st.height = releasedAt + window + 1
	c.refuses("frozen", c.next())
	c.fails("frozen", common.Address{0xee}, 0, "releaseCheckpoints", string(c.id))
	if held, _ := HeldCheckpoints(c.st, "/devnet", c.id); len(held) != 0 {
		t.Fatalf("a frozen child lists %d checkpoints to judge", len(held))
	}
}
