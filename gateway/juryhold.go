package gateway

import (
	"bytes"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Held checkpoints (CROSSNET.md, "Jury"): when a signed checkpoint of a
// child with a jury in effect commits, its chain position is recorded as
// always (the next checkpoint chains to it), but what it pays — its
// messages and the validator releases it makes due — is held until a
// strict majority of a jury drawn from the pool attests it valid. Releases
// go in checkpoint order.
//
// The jury of a checkpoint committed at parent block N is drawn in rounds:
// round r takes attestations in blocks (N + r·JuryWindow, N + (r+1)·JuryWindow]
// and its seats are drawn, with replacement and weighted by bond, from the
// jurors bonded before block N + r·JuryWindow, seeded by the hash of that
// block. The draw is lazy: block N's hash is unknown to the submitter when
// it submits (unless it proposes N), and is known to everybody from block
// N+1 on, when the first attestation or releaseCheckpoints stores the
// seats. A round without a majority ends by itself: the next one's seats
// are drawn from the next block hash, and its silent jurors are reported
// (JurorMissed) when its seats are replaced. A verdict is the juror's for
// the checkpoint, not for the round: it counts in every later round that
// draws the juror again.

// JuryState is where a checkpoint's jury stands.
type JuryState uint8

const (
	JuryPending  JuryState = iota // no majority yet
	JuryAgreed                    // a majority attested it valid; released once every checkpoint before it is
	JuryRejected                  // a majority attested it invalid: held until a fraud proof or the escape hatch
	JuryReleased                  // its payouts were made
)

// MaxJuryBatch bounds the checkpoints one call draws for or releases.
const MaxJuryBatch = 8

// BlockHasher is a State that knows the hashes of the 256 blocks before the
// one being executed (BLOCKHASH); the jury's seeds need it. A State without
// it draws from a zero hash (tests only: execution/evm's state has it).
type BlockHasher interface {
	BlockHash(n uint64) common.Hash
}

func blockHash(st StateReader, n uint64) common.Hash {
	if b, ok := st.(BlockHasher); ok {
		return b.BlockHash(n)
	}
	return common.Hash{}
}

// juryRound is the round of a jury whose checkpoint committed at block
// start, as of block now, and the block whose hash seeds it; ok is false in
// the commit block itself.
func juryRound(start, now uint64) (round, seedBlock uint64, ok bool) {
	if now <= start {
		return 0, 0, false
	}
	round = (now - start - 1) / JuryWindow
	return round, start + round*JuryWindow, true
}

// juryDomain separates the jury's seeds and attestations from every other
// hash and signature of the chain.
const juryDomain = "aspen/jury/v1"

func seedBase(child types.SubnetID, height uint64, hash common.Hash, aggSig []byte) common.Hash {
	return crypto.Keccak256Hash([]byte(juryDomain), []byte(child), u64Word(height).Bytes(), hash[:], aggSig)
}

func roundSeed(base common.Hash, round uint64, blockHash common.Hash) common.Hash {
	return crypto.Keccak256Hash(base[:], u64Word(round).Bytes(), blockHash[:])
}

// AttestationBytes is what a juror signs with its BLS key to attest the
// checkpoint hash at height of child: valid or not. network is the root's
// name (as checkpoints are signed for it), so no attestation counts on
// another network, child or checkpoint.
func AttestationBytes(network string, child types.SubnetID, height uint64, hash common.Hash, valid bool) []byte {
	v := byte(0)
	if valid {
		v = 1
	}
	var b bytes.Buffer
	b.WriteString(juryDomain)
	b.WriteByte(0)
	b.WriteString(network)
	b.WriteByte(0)
	b.WriteString(string(child))
	b.WriteByte(0)
	b.Write(u64Word(height).Bytes())
	b.Write(hash[:])
	b.WriteByte(v)
	return crypto.Keccak256(b.Bytes())
}

// drawSeats draws seats jurors, with replacement and weighted by bond, from
// the jurors drawable in the round seeded at block start. Jurors are walked
// in account order, so where an entry sits in the pool never matters. An
// empty result means nobody was drawable.
func drawSeats(st StateReader, seed common.Hash, start, seats uint64) []common.Address {
	var pool []Juror
	total := new(big.Int)
	for i := range min(poolCount(st), MaxJurors) {
		if j := jurorWeight(st, poolAt(st, i)); j.drawable(start) && j.Weight.Sign() > 0 {
			pool = append(pool, j)
			total.Add(total, j.Weight)
		}
	}
	if len(pool) == 0 {
		return nil
	}
	slices.SortFunc(pool, func(a, b Juror) int { return bytes.Compare(a.Account[:], b.Account[:]) })
	out := make([]common.Address, seats)
	for s := range seats {
		point := new(big.Int).SetBytes(crypto.Keccak256(seed[:], u64Word(s).Bytes()))
		point.Mod(point, total)
		for _, j := range pool {
			if point.Cmp(j.Weight) < 0 {
				out[s] = j.Account
				break
			}
			point.Sub(point, j.Weight)
		}
	}
	return out
}

// heldRef is a checkpoint's record: name, checkpoint number k.
type heldRef struct {
	name string
	k    uint64
}

func (h heldRef) u64(st StateReader, f heldField) uint64 {
	return wordU64(st.GetState(heldSlot(h.name, h.k, f)))
}
func (h heldRef) word(st StateReader, f heldField) common.Hash {
	return st.GetState(heldSlot(h.name, h.k, f))
}
func (h heldRef) set(st State, f heldField, v common.Hash) { st.SetState(heldSlot(h.name, h.k, f), v) }
func (h heldRef) state(st StateReader) JuryState           { return JuryState(h.u64(st, hState)) }

func (h heldRef) seats(st StateReader) []common.Address {
	b := readBlob(st, jurySeatsSlot(h.name, h.k))
	out := make([]common.Address, 0, len(b)/common.AddressLength)
	for i := 0; i+common.AddressLength <= len(b); i += common.AddressLength {
		out = append(out, common.BytesToAddress(b[i:i+common.AddressLength]))
	}
	return out
}

// votes is the checkpoint's attestations: juror → valid.
func (h heldRef) votes(st StateReader) (map[common.Address]bool, []byte) {
	b := readBlob(st, juryVotesSlot(h.name, h.k))
	out := map[common.Address]bool{}
	for i := 0; i+common.AddressLength+1 <= len(b); i += common.AddressLength + 1 {
		out[common.BytesToAddress(b[i:i+common.AddressLength])] = b[i+common.AddressLength] == 1
	}
	return out, b
}

// heldAt is the record of the checkpoint at height of name if it is held
// or was released and still recorded; ok is false otherwise.
func heldAt(st StateReader, name string, height uint64) (heldRef, bool) {
	period := getU64(st, name, fCheckpointPeriod)
	if period == 0 || height == 0 || height%period != 0 {
		return heldRef{}, false
	}
	h := heldRef{name, height / period}
	return h, h.u64(st, hHeight) == height
}

// juryInEffect reports whether a checkpoint of name committed in block now
// is held for a jury: the child has seats, and somebody is drawable.
func juryInEffect(st StateReader, name string, now uint64) bool {
	return juryFor(st, name) > 0 && drawableNow(st, now) > 0
}

// holdCheckpoint records cp as held. It runs before the commit overwrites
// the last checkpoint's fields, which become the last released one's when
// nothing was held before.
func (x *call) holdCheckpoint(name string, cp *types.Checkpoint, hash common.Hash, aggSig []byte, total *big.Int) error {
	id := x.id(name)
	period := getU64(x.st, name, fCheckpointPeriod)
	from := getU64(x.st, name, fHeldFrom)
	if from == 0 {
		setU64(x.st, name, fRelHeight, getU64(x.st, name, fLastCkptHeight))
		x.st.SetState(fieldSlot(name, fRelHash), x.st.GetState(fieldSlot(name, fLastCkptHash)))
		x.st.SetState(fieldSlot(name, fRelRoot), x.st.GetState(fieldSlot(name, fLastCkptRoot)))
		setU64(x.st, name, fRelDown, getU64(x.st, name, fLastCkptDown))
		setU64(x.st, name, fRelAt, max(getU64(x.st, name, fLastCkptAt), getU64(x.st, name, fActivatedAt)))
		setU64(x.st, name, fHeldFrom, cp.Height)
	} else if held := (cp.Height-from)/period + 1; held > MaxHeldCheckpoints {
		return reverted("gateway: %s has %d checkpoints held for its jury, the most it may have; submit this one once the jury released the one at height %d", id, held-1, from)
	}
	h := heldRef{name, cp.Height / period}
	now := x.st.BlockNumber()
	seats := juryFor(x.st, name)
	h.set(x.st, hHeight, u64Word(cp.Height))
	h.set(x.st, hHash, hash)
	h.set(x.st, hStart, u64Word(now))
	h.set(x.st, hSeedBase, seedBase(types.SubnetID(id), cp.Height, hash, aggSig))
	h.set(x.st, hTotal, bigWord(total))
	h.set(x.st, hApplied, u64Word(cp.AppliedConfig))
	h.set(x.st, hRoot, cp.StateRoot)
	h.set(x.st, hDown, u64Word(cp.DownApplied))
	h.set(x.st, hSeats, u64Word(seats))
	h.set(x.st, hState, u64Word(uint64(JuryPending)))
	h.set(x.st, hRound, common.Hash{})
	h.set(x.st, hMessages, u64Word(uint64(len(cp.Messages))))
	h.set(x.st, hReleasedAt, common.Hash{})
	writeBlob(x.st, heldMsgsSlot(name, h.k), mustRLP(cp.Messages))
	clearBlob(x.st, jurySeatsSlot(name, h.k))
	clearBlob(x.st, juryVotesSlot(name, h.k))
	setBig(x.st, name, fHeldTotal, new(big.Int).Add(getBig(x.st, name, fHeldTotal), total))
	return nil
}

// drawRound makes sure the seats of h's current round are stored: if the
// stored ones are of an earlier round it reports their silent jurors and
// draws anew. A round with nobody drawable agrees at once (no jury is in
// effect for it). It returns the seats and the round.
func (x *call) drawRound(h heldRef) ([]common.Address, uint64) {
	now := x.st.BlockNumber()
	round, seedBlock, _ := juryRound(h.u64(x.st, hStart), now)
	if h.u64(x.st, hRound) == round+1 {
		return h.seats(x.st), round
	}
	id, height := x.id(h.name), h.u64(x.st, hHeight)
	if stored := h.u64(x.st, hRound); stored != 0 {
		votes, _ := h.votes(x.st)
		for _, m := range seatCounts(h.seats(x.st)) {
			if _, voted := votes[m.account]; !voted {
				x.emit("JurorMissed", []common.Hash{addrTopic(m.account)}, id, height, stored-1, m.seats)
			}
		}
	}
	seats := drawSeats(x.st, roundSeed(h.word(x.st, hSeedBase), round, blockHash(x.st, seedBlock)), seedBlock, h.u64(x.st, hSeats))
	var b []byte
	for _, a := range seats {
		b = append(b, a[:]...)
	}
	writeBlob(x.st, jurySeatsSlot(h.name, h.k), b)
	h.set(x.st, hRound, u64Word(round+1))
	x.emit("JuryDrawn", nil, id, height, round, seats)
	if len(seats) == 0 {
		x.verdict(h, round, true)
	}
	return seats, round
}

type seatCount struct {
	account common.Address
	seats   uint32
}

// seatCounts groups seats by juror, in seat order of first appearance.
func seatCounts(seats []common.Address) []seatCount {
	var out []seatCount
	for _, a := range seats {
		i := slices.IndexFunc(out, func(c seatCount) bool { return c.account == a })
		if i < 0 {
			out = append(out, seatCount{a, 0})
			i = len(out) - 1
		}
		out[i].seats++
	}
	return out
}

// tally counts the seats whose juror attested valid and invalid.
func tally(seats []common.Address, votes map[common.Address]bool) (valid, invalid int) {
	for _, a := range seats {
		if v, ok := votes[a]; ok {
			if v {
				valid++
			} else {
				invalid++
			}
		}
	}
	return valid, invalid
}

func (x *call) verdict(h heldRef, round uint64, valid bool) {
	s := JuryRejected
	if valid {
		s = JuryAgreed
	}
	h.set(x.st, hState, u64Word(uint64(s)))
	x.emit("JuryVerdict", nil, x.id(h.name), h.u64(x.st, hHeight), round, valid)
}

// attest is IGateway.attest.
func (x *call) attest(id string, height uint64, cpHash common.Hash, valid bool, sig []byte) error {
	name, h, err := x.heldFor("attest", id, height)
	if err != nil {
		return err
	}
	id = x.id(name)
	switch got := h.word(x.st, hHash); {
	case got != cpHash:
		return reverted("gateway: the checkpoint at height %d of %s is %s, not %s", height, id, got, cpHash)
	case h.state(x.st) == JuryAgreed:
		return reverted("gateway: the jury agreed on the checkpoint at height %d of %s already; it is released once the ones before it are (releaseCheckpoints)", height, id)
	case h.state(x.st) == JuryRejected:
		return reverted("gateway: the jury found the checkpoint at height %d of %s invalid; it stays held until a fraud proof or the escape hatch", height, id)
	}
	if _, _, ok := juryRound(h.u64(x.st, hStart), x.st.BlockNumber()); !ok {
		return reverted("gateway: the jury of the checkpoint at height %d of %s is drawn from the hash of the block that committed it; attest from the next block on", height, id)
	}
	seats, round := x.drawRound(h)
	mine := uint32(0)
	for _, a := range seats {
		if a == x.c.Caller {
			mine++
		}
	}
	if mine == 0 {
		return reverted("gateway: %s holds no seat in round %d of the jury of the checkpoint at height %d of %s", x.c.Caller, round, height, id)
	}
	votes, blob := h.votes(x.st)
	if _, ok := votes[x.c.Caller]; ok {
		return reverted("gateway: %s attested the checkpoint at height %d of %s already; a juror attests a checkpoint once", x.c.Caller, height, id)
	}
	if len(votes) >= MaxJuryVotes {
		return reverted("gateway: the checkpoint at height %d of %s has %d attestations, the most one takes", height, id, len(votes))
	}
	j, _ := readJuror(x.st, x.c.Caller)
	msg := AttestationBytes(x.g.subnet.Network(), types.SubnetID(id), height, cpHash, valid)
	if !x.g.keys.VerifyAggregate([][]byte{j.BLSPublicKey}, msg, sig) {
		return reverted("gateway: the signature is not %s's BLS signature of AttestationBytes(%s, %s, %d, %s, %v)", x.c.Caller, x.g.subnet.Network(), id, height, cpHash, valid)
	}
	v := byte(0)
	if valid {
		v = 1
		votes[x.c.Caller] = true
	} else {
		votes[x.c.Caller] = false
	}
	writeBlob(x.st, juryVotesSlot(name, h.k), append(append(slices.Clone(blob), x.c.Caller[:]...), v))
	x.st.SetState(jurorSlot(x.c.Caller, jLastAttest), u64Word(x.st.BlockNumber()))
	x.emit("Attested", []common.Hash{addrTopic(x.c.Caller)}, id, height, valid, mine)
	yes, no := tally(seats, votes)
	switch {
	case 2*yes > len(seats):
		x.verdict(h, round, true)
		_, err = x.releaseHeld(name, MaxJuryBatch)
	case 2*no > len(seats):
		x.verdict(h, round, false)
	}
	return err
}

// heldFor resolves the checkpoint at height of id that fn acts on: held,
// on a live child.
func (x *call) heldFor(fn, id string, height uint64) (string, heldRef, error) {
	name, err := x.resolve(id)
	if err != nil {
		return "", heldRef{}, err
	}
	id = x.id(name)
	if delivering(x.st) {
		return "", heldRef{}, reverted("gateway: %s cannot run inside a cross-message call; send it in a transaction of its own", fn)
	}
	if why := frozen(x.st, name); why != "" {
		return "", heldRef{}, reverted("gateway: %s is frozen (%s); its held checkpoints are never released", id, why)
	}
	h, ok := heldAt(x.st, name, height)
	from := getU64(x.st, name, fHeldFrom)
	switch {
	case ok && h.state(x.st) == JuryReleased:
		return "", heldRef{}, reverted("gateway: the checkpoint at height %d of %s was released already", height, id)
	case !ok || from == 0 || height < from || height > getU64(x.st, name, fLastCkptHeight):
		return "", heldRef{}, reverted("gateway: %s holds no checkpoint at height %d for its jury", id, height)
	}
	return name, h, nil
}

// releaseHeld releases, oldest first, the held checkpoints of name the jury
// agreed on, stopping at the first it did not or after limit. It returns
// how many it released.
func (x *call) releaseHeld(name string, limit int) (uint64, error) {
	period := getU64(x.st, name, fCheckpointPeriod)
	n := uint64(0)
	for from := getU64(x.st, name, fHeldFrom); from != 0 && n < uint64(limit); from = getU64(x.st, name, fHeldFrom) {
		h := heldRef{name, from / period}
		if h.state(x.st) != JuryAgreed {
			break
		}
		if err := x.releaseOne(h, period); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// releaseOne makes the payouts of the oldest held checkpoint h, as
// commitCheckpoint makes them for a checkpoint no jury holds.
func (x *call) releaseOne(h heldRef, period uint64) error {
	name, id := h.name, x.id(h.name)
	var msgs []CrossMsg
	if err := rlp.DecodeBytes(readBlob(x.st, heldMsgsSlot(name, h.k)), &msgs); err != nil {
		return fmt.Errorf("gateway: held messages of checkpoint %d of %s: %w", h.k, id, err)
	}
	height, total := h.u64(x.st, hHeight), wordBig(h.word(x.st, hTotal))
	now := x.st.BlockNumber()
	setU64(x.st, name, fRelHeight, height)
	x.st.SetState(fieldSlot(name, fRelHash), h.word(x.st, hHash))
	x.st.SetState(fieldSlot(name, fRelRoot), h.word(x.st, hRoot))
	setU64(x.st, name, fRelDown, h.u64(x.st, hDown))
	setU64(x.st, name, fRelAt, now)
	next := height + period
	if next > getU64(x.st, name, fLastCkptHeight) {
		next = 0
	}
	setU64(x.st, name, fHeldFrom, next)
	h.set(x.st, hState, u64Word(uint64(JuryReleased)))
	h.set(x.st, hReleasedAt, u64Word(now))
	clearBlob(x.st, heldMsgsSlot(name, h.k))
	setBig(x.st, name, fHeldTotal, new(big.Int).Sub(getBig(x.st, name, fHeldTotal), total))
	if err := x.payOut(name, h.u64(x.st, hApplied), total, msgs); err != nil {
		return err
	}
	x.emit("CheckpointReleased", nil, id, height, big.NewInt(int64(len(msgs))))
	return nil
}

// releaseCheckpoints is IGateway.releaseCheckpoints: for the oldest
// MaxJuryBatch held checkpoints of id it stores the current round's seats
// (reporting the silent jurors of a round that ended), then releases those
// the jury agreed on, in order.
func (x *call) releaseCheckpoints(id string) ([]any, error) {
	name, err := x.resolve(id)
	if err != nil {
		return nil, err
	}
	if why := frozen(x.st, name); why != "" {
		return nil, reverted("gateway: %s is frozen (%s); its held checkpoints are never released", x.id(name), why)
	}
	from := getU64(x.st, name, fHeldFrom)
	if from == 0 {
		return []any{uint64(0)}, nil
	}
	if _, _, err := x.heldFor("releaseCheckpoints", id, from); err != nil {
		return nil, err
	}
	period, last, now := getU64(x.st, name, fCheckpointPeriod), getU64(x.st, name, fLastCkptHeight), x.st.BlockNumber()
	for i, height := 0, from; i < MaxJuryBatch && height <= last; i, height = i+1, height+period {
		h := heldRef{name, height / period}
		if _, _, ok := juryRound(h.u64(x.st, hStart), now); ok && h.state(x.st) == JuryPending {
			x.drawRound(h)
		}
	}
	n, err := x.releaseHeld(name, MaxJuryBatch)
	return []any{n}, err
}

// discardHeld drops every held checkpoint of name after a fraud proof
// froze it: their messages never route (their value never left the
// circulating supply), and the state claims are proven against goes back to
// the last released checkpoint. It returns the range dropped (0, 0: none).
func (x *call) discardHeld(name string) (from, to uint64) {
	from = getU64(x.st, name, fHeldFrom)
	if from == 0 {
		return 0, 0
	}
	to = getU64(x.st, name, fLastCkptHeight)
	setU64(x.st, name, fLastCkptHeight, getU64(x.st, name, fRelHeight))
	x.st.SetState(fieldSlot(name, fLastCkptHash), x.st.GetState(fieldSlot(name, fRelHash)))
	x.st.SetState(fieldSlot(name, fLastCkptRoot), x.st.GetState(fieldSlot(name, fRelRoot)))
	setU64(x.st, name, fLastCkptDown, getU64(x.st, name, fRelDown))
	setU64(x.st, name, fLastCkptAt, getU64(x.st, name, fRelAt))
	setU64(x.st, name, fHeldFrom, 0)
	setBig(x.st, name, fHeldTotal, new(big.Int))
	x.emit("CheckpointsDiscarded", nil, x.id(name), from, to)
	return from, to
}

// slashJurors destroys the bond of every juror who attested cp valid (cp
// proven fraudulent), if its record is still kept: held or released, as
// long as a fraud proof can name it. Jurors who called it invalid or stayed
// silent keep their bond, and so do those who attested checkpoints after
// it: they judged their own period's blocks, which a proof against cp does
// not show invalid. It returns what it slashed (at most MaxJuryVotes bonds).
func (x *call) slashJurors(name string, cp *types.Checkpoint) (*big.Int, error) {
	total := new(big.Int)
	h, ok := heldAt(x.st, name, cp.Height)
	if !ok || h.word(x.st, hHash) != cp.Hash() {
		return total, nil
	}
	_, blob := h.votes(x.st)
	for i := 0; i+common.AddressLength+1 <= len(blob); i += common.AddressLength + 1 {
		if blob[i+common.AddressLength] != 1 {
			continue
		}
		a := common.BytesToAddress(blob[i : i+common.AddressLength])
		j, ok := readJuror(x.st, a)
		if !ok || j.Bond.Sign() == 0 {
			continue // withdrawn, or slashed already
		}
		if j.Until == 0 {
			x.endJuror(a)
		}
		x.st.SetState(jurorSlot(a, jBond), common.Hash{})
		total.Add(total, j.Bond)
		x.emit("JurorSlashed", []common.Hash{addrTopic(a)}, x.id(name), cp.Height, j.Bond)
	}
	return total, nil
}
